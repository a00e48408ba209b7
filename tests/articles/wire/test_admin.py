"""The wire desk in the admin: the list, filters, search, the preview, Use as story, the
changes of an updated item and applying them, the story form's alert, and sources whose
credentials are never shown back."""

from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.test import TestCase
from django.urls import reverse

from articles.models import Article, WireItem, WireService, WireSource
from articles.wire.ingest import ingest_document
from newsroom.chrome.models import SiteSettings
from tests.articles.wire.helpers import agency_server, sample
from tests.factories import make_article, make_section, make_user
from tests.helpers import text_of


class WireDeskTests(TestCase):
    def setUp(self):
        SiteSettings(pk=1, language="ro").save()
        self.reuters = WireService.objects.get(slug="reuters")
        self.afp = WireService.objects.get(slug="afp")
        self.section = make_section(name="Actualitate", slug="actualitate")
        self.editor = make_user("editor", group="Editor")
        self.client.force_login(self.editor)
        self.server = self.enterContext(agency_server())
        ingest_document(sample("newsml-message.xml", self.server), self.reuters)
        ingest_document(sample("ninjs2-picture.json", self.server), self.afp)
        ingest_document(sample("rss.xml"), self.afp)
        self.quake = WireItem.objects.get(guid="tag:agency.test,2026:text-10")
        self.storm = WireItem.objects.get(guid="http://example-agency.test/items/tx-002")

    def test_desk_lists_newest_first_in_romanian_with_filters_and_search(self):
        url = reverse("admin:articles_wireitem_changelist")
        page = text_of(self.client.get(url))
        assert "Agenție" in page or "agenție" in page.lower()
        assert page.index("Al doilea") < page.index("Cutremur de 5,1 grade")  # newest first
        assert "Folosite pentru un articol" in page  # the used filter, in Romanian
        filtered = text_of(self.client.get(url, {"service__id__exact": self.reuters.pk}))
        assert "Cutremur" in filtered and "Storm closes" not in filtered
        assert "Storm closes" in text_of(self.client.get(url, {"language__exact": "en"}))
        assert "Cutremur" in text_of(self.client.get(url, {"urgency__exact": "1"}))
        assert "Cutremur" not in text_of(self.client.get(url, {"used": "yes"}))
        found = text_of(self.client.get(url, {"q": "Constanța"}))
        assert "Storm closes" in found and "Cutremur" not in found
        assert self.client.get(url, {"pub_status__exact": "canceled"}).status_code == 200

    def test_preview_then_use_as_story(self):
        url = reverse("admin:articles_wireitem_change", args=[self.storm.pk])
        response = self.client.get(url)
        page = text_of(response)
        assert "High winds closed the ports" in page and "Example Agency/Ion Pop" in page
        assert 'value="Folosește ca articol"' in response.content.decode()
        response = self.client.post(
            reverse("admin:articles_wireitem_use", args=[self.storm.pk]),
            {"section": self.section.pk},
        )
        article = Article.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("admin:articles_article_change", args=[article.pk])
        assert article.status == Article.Status.DRAFT
        assert article.headline == "Storm closes Black Sea ports"
        assert article.standfirst.startswith("High winds closed the ports")
        assert article.body == "<p>Ships wait offshore.</p>"
        assert article.dateline == "Constanța"
        assert article.wire_service == self.afp
        assert article.wire_attribution == Article.Attribution.WIRE_COPY
        assert article.wire_story_id == "http://example-agency.test/items/tx-002"
        assert [a.name for a in article.byline] == ["John Smith"]
        assert [t.name for t in article.tags.all()] == ["weather"]
        assert article.picture.file and article.picture.credit == "Example Agency/Ion Pop"
        assert article.picture.caption == "Waves break over the pier in Constanța."
        self.storm.refresh_from_db()
        assert self.storm.article == article
        # Used once: a second use is refused with a message, nothing made.
        self.client.post(
            reverse("admin:articles_wireitem_use", args=[self.storm.pk]),
            {"section": self.section.pk},
        )
        assert Article.objects.count() == 1

    def test_embargo_carries_into_the_story_and_refuses_earlier_publishing(self):
        self.client.post(
            reverse("admin:articles_wireitem_use", args=[self.quake.pk]),
            {"section": self.section.pk},
        )
        article = Article.objects.get()
        assert article.publish_at == self.quake.embargo
        article.status = Article.Status.PUBLISHED
        article.publish_at = self.quake.embargo.replace(year=2029)
        with self.assertRaises(ValidationError) as raised:
            article.full_clean()
        [message] = raised.exception.message_dict["publish_at"]
        assert message.startswith("Embargoul agenției oprește acest articol până la 1 ")
        assert "2030, 15:00" in message
        article.publish_at = self.quake.embargo
        article.full_clean()  # at the embargo: scheduled, allowed
        # The change list's "Publish now" leaves it for its embargo, and says why.
        article.status = Article.Status.DRAFT
        article.save()
        other = make_article(status=Article.Status.DRAFT, section=self.section)
        response = self.client.post(
            reverse("admin:articles_article_changelist"),
            {"action": "publish_now", helpers.ACTION_CHECKBOX_NAME: [article.pk, other.pk]},
            follow=True,
        )
        assert "Embargoul agenției oprește acest articol" in text_of(response)
        article.refresh_from_db()
        other.refresh_from_db()
        assert article.status == Article.Status.DRAFT and article.publish_at == self.quake.embargo
        assert other.is_published()

    def test_update_alert_on_desk_and_story_form_then_apply(self):
        self.client.post(
            reverse("admin:articles_wireitem_use", args=[self.quake.pk]),
            {"section": self.section.pk},
        )
        article = Article.objects.get()
        ingest_document(sample("newsml-correction.xml"), self.reuters)
        story_form = text_of(
            self.client.get(reverse("admin:articles_article_change", args=[article.pk]))
        )
        assert "Reuters a corectat această știre" in story_form
        assert "vezi modificările" in story_form
        desk = text_of(self.client.get(reverse("admin:articles_wireitem_changelist")))
        assert "Reuters a corectat această știre" in desk
        changes = self.client.get(reverse("admin:articles_wireitem_changes", args=[self.quake.pk]))
        html = changes.content.decode()
        assert "<del>5,1</del>" in html and "<ins>5,3</ins>" in html
        assert "corecție" in text_of(changes)
        response = self.client.post(reverse("admin:articles_wireitem_apply", args=[self.quake.pk]))
        assert response.status_code == 302
        article.refresh_from_db()
        assert article.headline == "Cutremur de 5,3 grade în Vrancea"
        assert "Reuters a corectat" not in text_of(
            self.client.get(reverse("admin:articles_article_change", args=[article.pk]))
        )

    def test_reporters_have_no_desk_and_nobody_adds_or_deletes_items(self):
        self.client.force_login(make_user("reporter", group="Reporter"))
        assert self.client.get(reverse("admin:articles_wireitem_changelist")).status_code == 403
        assert (
            self.client.post(
                reverse("admin:articles_wireitem_use", args=[self.storm.pk]),
                {"section": self.section.pk},
            ).status_code
            == 403
        )
        changes = reverse("admin:articles_wireitem_changes", args=[self.quake.pk])
        apply = reverse("admin:articles_wireitem_apply", args=[self.quake.pk])
        assert self.client.get(changes).status_code == 403
        assert self.client.post(apply).status_code == 403
        self.client.logout()
        for url in (changes, apply, reverse("admin:articles_wireitem_use", args=[self.quake.pk])):
            response = self.client.post(url)
            assert response.status_code == 302 and "/admin/login/" in response["Location"]
        # An editor may not apply an item to no story, nor use one by GET.
        self.client.force_login(self.editor)
        assert self.client.post(apply).status_code == 403
        use = reverse("admin:articles_wireitem_use", args=[self.quake.pk])
        assert self.client.get(use).status_code == 405
        self.client.force_login(make_user("root", superuser=True))
        assert self.client.get(reverse("admin:articles_wireitem_add")).status_code == 403
        delete = reverse("admin:articles_wireitem_delete", args=[self.storm.pk])
        assert self.client.get(delete).status_code == 403
        assert self.client.get("/admin/articles/wireitem/x%00y/change/").status_code == 404
        history = reverse("admin:articles_wireitem_history", args=[self.storm.pk])
        assert self.client.get(history).status_code == 200

    def test_sources_keep_credentials_write_only(self):
        add = reverse("admin:articles_wiresource_add")
        assert self.client.get(add).status_code == 200
        data = {
            "service": self.reuters.pk,
            "name": "Reuters feed",
            "kind": "url",
            "location": "https://feed.example.test/ninjs",
            "format": "auto",
            "interval_minutes": 5,
            "auth": "bearer",
            "credentials_env": "",
            "stored_credentials": "s3cret-token-XY",
            "active": "on",
        }
        response = self.client.post(add, data)
        assert response.status_code == 302, text_of(response)
        source = WireSource.objects.get()
        assert source.stored_credentials == "s3cret-token-XY"
        change = reverse("admin:articles_wiresource_change", args=[source.pk])
        page = self.client.get(change).content.decode()
        assert "s3cret" not in page and "••••••XY" in page
        # Saving without typing them keeps them.
        response = self.client.post(change, {**data, "stored_credentials": "", "name": "Reuters"})
        source.refresh_from_db()
        assert source.name == "Reuters" and source.stored_credentials == "s3cret-token-XY"
        changelist = self.client.get(reverse("admin:articles_wiresource_changelist"))
        assert "s3cret" not in changelist.content.decode()
        bad = self.client.post(add, {**data, "location": "ftp://x", "name": "Bad"})
        assert "http://" in text_of(bad) and WireSource.objects.count() == 1
