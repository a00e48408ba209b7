import re
from datetime import timedelta

from axes.models import AccessFailureLog
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.db import connection
from django.test import RequestFactory, TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from articles.models import Article, ArticleAuthor, Author, Picture, WireItem, WireSource
from newsroom.chrome.models import AdSlot, BreakingNews, FrontPage, Menu, SiteSettings
from newsroom.pages.models import Page
from tests.factories import (
    image_upload,
    make_article,
    make_author,
    make_picture,
    make_section,
    make_user,
    make_video,
    wire_service,
)
from tests.helpers import errors, form_data, queued_task


def admin_url(model, page: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}", args=args)


class AdminSmokeTests(TestCase):
    """Every page of every registered model answers a superuser."""

    def setUp(self):
        self.superuser = make_user("boss", superuser=True)
        # One of everything: a story with byline and tags, chrome, and a failed then a good login.
        make_article(authors=[make_author()], tags=["floods"])
        SiteSettings.load()
        Menu.objects.create(name="Main", slug="main")
        AdSlot.objects.create(name="Promo", placement=AdSlot.Placement.TOP, html="<p>Ad</p>")
        FrontPage.objects.get_or_create(pk=1)
        BreakingNews.objects.create(text="Breaking")
        Page.objects.create(title="About", slug="about", body="<p>Us</p>")
        self.client.post(reverse("admin:login"), {"username": "boss", "password": "pw"})
        self.client.post(reverse("admin:login"), {"username": "nobody", "password": "wrong"})
        AccessFailureLog.objects.get_or_create(
            username="nobody", ip_address="127.0.0.1", user_agent="test", http_accept="*/*"
        )
        queued_task(make_picture().pk)
        make_video()
        # The wire desk: an agency item and a source.
        WireItem.objects.create(service=wire_service(), guid="urn:x", headline="Agency copy")
        WireSource.objects.create(service=wire_service(), name="Drop", kind="folder", location="/x")
        self.client.force_login(self.superuser)

    def test_every_admin_page(self):
        request = RequestFactory().get("/")
        request.user = self.superuser
        for model, model_admin in admin.site._registry.items():
            obj = model._default_manager.first()
            assert obj is not None, f"no {model._meta.label} to open"
            pk = quote(obj.pk)
            pages = {
                "changelist": (admin_url(model, "changelist"), True),
                "add": (admin_url(model, "add"), model_admin.has_add_permission(request)),
                "change": (admin_url(model, "change", pk), True),
                "history": (admin_url(model, "history", pk), True),
                "delete": (
                    admin_url(model, "delete", pk),
                    model_admin.has_delete_permission(request, obj),
                ),
            }
            for page, (url, allowed) in pages.items():
                response = self.client.get(url)
                expected = 200 if allowed else 403
                assert response.status_code == expected, (model._meta.label, page, url)


class ArticleFormTests(TestCase):
    def setUp(self):
        self.editor = make_user("editor", group="Editor")
        self.client.force_login(self.editor)

    def test_form_follows_the_way_an_editor_writes(self):
        article = make_article(authors=[make_author()])
        response = self.client.get(admin_url(Article, "change", article.pk))
        html = response.content.decode()
        order = [
            'name="headline"',
            'name="standfirst"',
            'name="body"',
            'name="bylines-TOTAL_FORMS"',
            'name="section"',
            'name="tags"',
            'name="wire_service"',
            'name="picture"',
            'name="status"',
            'type="datetime-local" name="publish_at"',
            'type="datetime-local" name="updated_at"',
            'name="corrections-TOTAL_FORMS"',
            'name="publishing"',
        ]
        positions = [html.index(marker) for marker in order]
        assert positions == sorted(positions)

    def test_rarely_used_fields_are_collapsed_and_helpers_are_on(self):
        response = self.client.get(admin_url(Article, "add"))
        fieldsets = {
            tuple(fieldset.fields): fieldset.classes for fieldset in response.context["adminform"]
        }
        assert "collapse" in fieldsets[("wire_service", "wire_attribution", "wire_story_id")]
        html = response.content.decode()
        assert "data-prepopulated-fields" in html and "#id_slug" in html
        for field in ["section", "wire_service", "bylines-__prefix__-author"]:
            assert f'name="{field}"' in html
        assert html.count("admin-autocomplete") >= 3  # the byline's authors, the lead picture
        # The lead picture is searched in the library, with a link to upload a new one.
        assert 'data-field-name="picture"' in html
        assert 'id="add_id_picture"' in html
        assert "prose-editor" in html

    def test_editor_writes_a_whole_story(self):
        first, second = make_author(name="Ana Pop"), make_author(name="Ion Ionescu")
        section = make_section(name="Politics")
        data = form_data(self.client.get(admin_url(Article, "add")))
        data |= {
            "headline": "Parliament passes the budget",
            "slug": "parliament-passes-the-budget",
            "standfirst": "After a night of debate.",
            "body": "<p>The vote was <strong>close</strong>.</p>",
            "bylines-TOTAL_FORMS": "2",
            "bylines-0-author": str(second.pk),
            "bylines-0-position": "1",
            "bylines-1-author": str(first.pk),
            "bylines-1-position": "0",
            "section": str(section.pk),
            "tags": "budget, parliament",
            "wire_service": str(wire_service("afp").pk),
            "wire_attribution": Article.Attribution.ADDITIONAL_REPORTING,
            "picture": str(make_picture(alt="Members of parliament voting").pk),
            "status": Article.Status.PUBLISHED,
        }
        response = self.client.post(admin_url(Article, "add"), data)
        assert response.status_code == 302, errors(response)
        article = Article.objects.with_byline().get(slug="parliament-passes-the-budget")
        assert article.byline == [first, second]
        assert sorted(article.tags.names()) == ["budget", "parliament"]
        with translation.override("en"):
            assert str(article.wire_credit) == "with reporting by AFP"
        assert article.picture.alt == "Members of parliament voting"
        assert article.created_by == self.editor and article.modified_by == self.editor
        # Published with no time given: it goes live now.
        assert article.publish_at is not None and article.is_published()

    def test_change_form_shows_image_preview_and_preview_link(self):
        article = make_article(
            status=Article.Status.DRAFT,
            picture=make_picture(file=image_upload("lead.jpg"), alt="A lead"),
        )
        html = self.client.get(admin_url(Article, "change", article.pk)).content.decode()
        assert f'src="{article.picture.file.url}"' in html
        picture_change = admin_url(Picture, "change", article.picture.pk)
        assert f'href="{picture_change}"' in html
        assert f'href="{article.get_absolute_url()}?preview=' in html  # a signed link


class PictureAdminTests(TestCase):
    def setUp(self):
        self.client.force_login(make_user("reporter", group="Reporter"))

    def test_the_library_is_searchable_with_thumbnails_and_use_counts(self):
        flood = make_picture(alt="Flood over the bridge", credit="Ion Pop")
        make_picture(alt="Parliament at night", caption="The vote")
        make_article(picture=flood)
        make_article(picture=flood)
        # Settings, session, user, permissions, counts, the page and the date list: no N+1.
        with self.assertNumQueries(10):
            response = self.client.get(admin_url(Picture, "changelist"), {"q": "bridge"})
        html = response.content.decode()
        assert "Flood over the bridge" in html and "Parliament at night" not in html
        assert 'class="picture-thumb"' in html
        row = response.context["cl"].result_list[0]
        assert row.use_count == 2
        response = self.client.get(admin_url(Picture, "changelist"), {"q": "The vote"})
        assert "Parliament at night" in response.content.decode()

    def test_the_focal_point_picker_and_its_script(self):
        picture = make_picture(alt="Flood over the bridge", focal_x=0.25, focal_y=0.75)
        html = self.client.get(admin_url(Picture, "change", picture.pk)).content.decode()
        assert 'data-focal-picker data-focal-x="id_focal_x" data-focal-y="id_focal_y"' in html
        assert 'tabindex="0"' in html and 'class="focal-picker__marker" hidden' in html
        assert re.search(
            r'<script src="/static/js/admin-focal-point\.js" nonce="[^"]+" type="module">', html
        )
        assert 'href="/static/css/admin-focal-point.css"' in html
        assert 'name="focal_x" value="0.25"' in html and 'name="focal_y" value="0.75"' in html
        assert ' style="' not in html.split('class="focal-picker"')[1].split("</div>")[0]
        # The add form has nothing to click yet, and says so.
        html = self.client.get(admin_url(Picture, "add")).content.decode()
        assert "data-focal-picker" not in html

    def test_a_new_focal_point_is_kept_and_the_crops_are_made_again(self):
        picture = make_picture(file=image_upload("wide.jpg", size=(300, 100)))
        picture.refresh_from_db()
        url = admin_url(Picture, "change", picture.pk)
        data = form_data(self.client.get(url)) | {"focal_x": "0.9", "focal_y": "0.2"}
        response = self.client.post(url, data)
        assert response.status_code == 302, errors(response)
        picture.refresh_from_db()
        assert (picture.focal_x, picture.focal_y) == (0.9, 0.2)
        assert picture.renditions["focus"] == [0.9, 0.2]

    def test_a_picture_an_author_shows_is_counted_and_kept(self):
        portrait = make_picture(alt="Ana Pop")
        make_author(picture=portrait)
        make_article(picture=portrait)
        self.client.force_login(make_user("editor", group="Editor"))
        response = self.client.get(admin_url(Picture, "changelist"))
        assert response.context["cl"].result_list[0].use_count == 2
        response = self.client.post(admin_url(Picture, "delete", portrait.pk), {"post": "yes"})
        assert Picture.objects.filter(pk=portrait.pk).exists()
        html = response.content.decode()
        assert "Ana Pop" in html and gettext("author") in html.lower()

    def test_reporters_may_not_delete_pictures(self):
        picture = make_picture()
        response = self.client.post(admin_url(Picture, "delete", picture.pk), {"post": "yes"})
        assert response.status_code == 403 and Picture.objects.filter(pk=picture.pk).exists()


class PreviewTests(TestCase):
    def test_staff_preview_drafts_and_the_public_cannot(self):
        draft = make_article(status=Article.Status.DRAFT, headline="Unpublished scoop")
        changelist = admin_url(Article, "changelist")
        for role in ["Reporter", "Editor"]:
            self.client.force_login(make_user(role.lower(), group=role))
            assert draft.get_absolute_url() in self.client.get(changelist).content.decode()
            response = self.client.get(draft.get_absolute_url())
            assert response.status_code == 200 and b"Unpublished scoop" in response.content
        self.client.logout()
        assert self.client.get(draft.get_absolute_url()).status_code == 404


class ChangelistTests(TestCase):
    def setUp(self):
        self.client.force_login(make_user("editor", group="Editor"))
        self.url = admin_url(Article, "changelist")

    def results(self, **params) -> list[Article]:
        response = self.client.get(self.url, params)
        assert response.status_code == 200
        return list(response.context["cl"].result_list)

    def test_columns(self):
        ana, ion = make_author(name="Ana Pop"), make_author(name="Ion Ionescu")
        make_article(
            headline="Floods in the north",
            authors=[ion, ana],
            wire_service=wire_service("reuters"),
            wire_attribution=Article.Attribution.ACCORDING_TO,
            publish_at=timezone.now() + timedelta(hours=2),
        )
        response = self.client.get(self.url)
        html = response.content.decode()
        assert "Floods in the north" in html
        assert "Ion Ionescu, Ana Pop" in html
        model_admin = response.context["cl"].model_admin
        article = response.context["cl"].result_list[0]
        with translation.override(response.wsgi_request.LANGUAGE_CODE):
            assert escape(article.wire_credit) in html
            status = str(model_admin.status_display(article))
            assert status.startswith(escape(gettext("Scheduled")) + "<br>")  # with its time
            assert status in html
        assert model_admin.is_live(article) is False
        assert article.get_absolute_url() in html  # the preview link

    def test_status_filter_knows_scheduled(self):
        live = make_article()
        scheduled = make_article(publish_at=timezone.now() + timedelta(days=1))
        draft = make_article(status=Article.Status.DRAFT)
        review = make_article(status=Article.Status.REVIEW)
        assert self.results(status="scheduled") == [scheduled]
        assert self.results(status="live") == [live]
        assert self.results(status="draft") == [draft]
        assert self.results(status="review") == [review]

    def test_other_filters_search_and_dates(self):
        section = make_section()
        author = make_author()
        wanted = make_article(
            section=section,
            authors=[author],
            wire_service=wire_service("afp"),
            wire_attribution=Article.Attribution.WIRE_COPY,
            body="<p>The harvest of sunflowers broke records.</p>",
        )
        make_article(body="<p>Nothing about crops.</p>")
        assert self.results(section__id__exact=section.pk) == [wanted]
        assert self.results(authors__id__exact=author.pk) == [wanted]
        assert self.results(wire_service__id__exact=wire_service("afp").pk) == [wanted]
        assert self.results(q="sunflowers") == [wanted]
        year = timezone.localtime(wanted.publish_at).year
        assert wanted in self.results(publish_at__year=year)

    def test_query_count_does_not_grow_with_rows(self):
        authors = [make_author(), make_author()]

        def count_queries() -> int:
            with CaptureQueriesContext(connection) as queries:
                response = self.client.get(self.url)
            assert response.status_code == 200
            return len(queries)

        def add_stories(n: int):
            for _ in range(n):
                make_article(
                    authors=authors,
                    tags=["news"],
                    wire_service=wire_service("reuters"),
                    wire_attribution=Article.Attribution.WIRE_COPY,
                )

        add_stories(1)
        count_queries()  # the first request also warms per-process caches
        one = count_queries()
        add_stories(29)
        thirty = count_queries()
        assert Article.objects.count() == 30
        assert ArticleAuthor.objects.count() == 60
        assert thirty == one


class OtherModelAdminTests(TestCase):
    def setUp(self):
        self.client.force_login(make_user("boss", superuser=True))

    def test_section_author_and_wire_service_admins(self):
        make_section(name="Sport")
        make_author(name="Maria Radu")
        for model, text in [
            ("section", "Sport"),
            ("author", "Maria Radu"),
            ("wireservice", "Reuters"),
        ]:
            response = self.client.get(reverse(f"admin:articles_{model}_changelist"), {"q": text})
            assert response.status_code == 200
            assert text in response.content.decode()
            add = self.client.get(reverse(f"admin:articles_{model}_add")).content.decode()
            assert "data-prepopulated-fields" in add and "#id_slug" in add

    def test_an_authors_photo_is_chosen_from_the_library(self):
        portrait = make_picture(alt="Dan Mihai, portrait")
        make_picture(alt="Flood over the bridge")
        add = reverse("admin:articles_author_add")
        html = self.client.get(add).content.decode()
        # Searched in the library as a story's lead picture is, with a link to upload a new one
        # (an upload goes through the library's own checks).
        assert re.search(r'<select name="picture"[^>]*class="admin-autocomplete', html)
        assert 'id="add_id_picture"' in html
        found = self.client.get(
            reverse("admin:autocomplete"),
            {"term": "portrait", "app_label": "articles", "model_name": "author"}
            | {"field_name": "picture"},
        ).json()
        assert [result["text"] for result in found["results"]] == ["Dan Mihai, portrait"]
        data = {"name": "Dan Mihai", "slug": "dan-mihai"}
        for hostile in ("999999", "1 OR 1=1", "-1", "<script>"):
            response = self.client.post(add, {**data, "picture": hostile})
            assert list(errors(response)) == ["picture"], hostile
        assert not Author.objects.exists()
        response = self.client.post(add, {**data, "picture": str(portrait.pk)})
        assert response.status_code == 302, errors(response)
        author = Author.objects.get(slug="dan-mihai")
        assert author.picture == portrait
        html = self.client.get(admin_url(Author, "change", author.pk)).content.decode()
        assert f'src="{portrait.file.url}"' in html
        assert f'href="{admin_url(Picture, "change", portrait.pk)}"' in html
        listing = self.client.get(admin_url(Author, "changelist")).content.decode()
        assert "icon-yes" in listing  # the photo column


class BadInputTests(TestCase):
    """Each mistake gets a clear error on its field; nothing is saved and nothing typed is lost."""

    def setUp(self):
        self.client.force_login(make_user("editor", group="Editor"))
        self.add = admin_url(Article, "add")
        self.typed = {
            "headline": "Mayor resigns after audit",
            "slug": "mayor-resigns",
            "standfirst": "The audit found missing funds.",
            "body": "<p>The mayor resigned on Monday.</p>",
            "section": str(make_section().pk),
        }

    def assert_refused(self, field: str, **changes):
        data = form_data(self.client.get(self.add)) | self.typed | changes
        count = Article.objects.count()
        response = self.client.post(self.add, data)
        assert response.status_code == 200
        assert list(errors(response)) == [field]
        assert response.context["adminform"].form.errors[field][0]
        assert Article.objects.count() == count
        kept = form_data(response)
        for name, value in (self.typed | changes).items():
            assert kept[name] == value, name
        return errors(response)[field]

    def test_a_lead_picture_or_translation_that_is_no_key(self):
        # Not a 500 from the search box's widget: the field's own error.
        for value in ("1 OR 1=1", "<script>", "9" * 30):
            assert self.assert_refused("picture", picture=value) == ["invalid_choice"]
            self.assert_refused("translation", translation=value)

    def test_slug_collision(self):
        make_article(slug="mayor-resigns")
        assert self.assert_refused("slug") == ["unique"]

    def test_body_with_only_markup(self):
        for body in ["<p></p>", "<p>&nbsp;</p>", "<p><br></p><h2> </h2>", "<script>x()</script>"]:
            self.assert_refused("body", body=body)

    def test_headline_over_the_length_limit(self):
        limit = Article._meta.get_field("headline").max_length
        assert self.assert_refused("headline", headline="x" * (limit + 1)) == ["max_length"]

    def test_four_thousand_tags_are_refused_at_the_cost_of_thirty_one(self):
        # Each tag costs work on every save: thousands once held a worker past its timeout.
        costs = []
        self.assert_refused("body", body="<p></p>")  # the first request warms what is kept
        for count in (31, 4000):
            tags = ", ".join(f"tag{n}" for n in range(count))
            with CaptureQueriesContext(connection) as queries:
                assert self.assert_refused("tags", tags=tags) == ["too_many_tags"]
            costs.append(len(queries))
        assert costs[0] == costs[1]
        thirty = ", ".join(f"tag{n}" for n in range(30))
        data = form_data(self.client.get(self.add)) | self.typed | {"tags": thirty}
        assert self.client.post(self.add, data).status_code == 302

    def test_a_tag_too_long_for_its_column_is_a_form_error(self):
        # Once a DataError from the database, answered as the 503 "reconnecting" page.
        assert self.assert_refused("tags", tags=f"short, {'x' * 101}") == ["tag_too_long"]

    def test_the_corrected_form_saves(self):
        make_article(slug="mayor-resigns")
        data = form_data(self.client.get(self.add)) | self.typed
        response = self.client.post(self.add, data)
        data = form_data(response) | {"slug": "mayor-resigns-after-audit"}
        assert self.client.post(self.add, data).status_code == 302
        assert Article.objects.filter(slug="mayor-resigns-after-audit").exists()
