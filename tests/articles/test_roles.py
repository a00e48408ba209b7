"""Who may publish: enforced on the server, whatever the request looks like."""

from datetime import timedelta

from django.contrib.admin import helpers
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from tests.factories import make_article, make_section, make_user
from tests.helpers import datetime_data, errors, form_data

CHANGELIST = reverse("admin:articles_article_changelist")
ADD = reverse("admin:articles_article_add")


def change_url(article: Article) -> str:
    return reverse("admin:articles_article_change", args=[article.pk])


class ReporterTests(TestCase):
    def setUp(self):
        self.reporter = make_user("reporter", group="Reporter")
        self.client.force_login(self.reporter)
        self.section = make_section()

    def new_story_data(self, **fields) -> dict:
        data = form_data(self.client.get(ADD))
        return data | {
            "headline": "Council meets",
            "slug": "council-meets",
            "body": "<p>The council met.</p>",
            "section": str(self.section.pk),
            **fields,
        }

    def test_reporter_writes_a_draft_and_submits_it_for_review(self):
        response = self.client.get(ADD)
        status_choices = [
            value for value, _label in response.context["adminform"].form.fields["status"].choices
        ]
        assert status_choices == ["draft", "review"]
        assert "publish_at" not in response.context["adminform"].form.fields

        assert self.client.post(ADD, self.new_story_data()).status_code == 302
        article = Article.objects.get(slug="council-meets")
        assert article.status == Article.Status.DRAFT
        assert article.created_by == self.reporter and article.modified_by == self.reporter

        for status in [Article.Status.REVIEW, Article.Status.DRAFT]:
            data = form_data(self.client.get(change_url(article))) | {"status": status}
            assert self.client.post(change_url(article), data).status_code == 302
            article.refresh_from_db()
            assert article.status == status

    def test_reporter_cannot_publish_through_the_add_form(self):
        response = self.client.post(ADD, self.new_story_data(status="published"))
        assert response.status_code == 200
        assert errors(response) == {"status": ["invalid_choice"]}
        assert not Article.objects.exists()

    def test_reporter_cannot_publish_or_schedule_a_draft_with_a_crafted_post(self):
        draft = make_article(status=Article.Status.DRAFT)
        data = form_data(self.client.get(change_url(draft)))
        response = self.client.post(change_url(draft), data | {"status": "published"})
        assert errors(response) == {"status": ["invalid_choice"]}
        # publish_at is not the reporter's to set: a crafted value is ignored.
        tomorrow = timezone.now() + timedelta(days=1)
        crafted = (
            data
            | datetime_data(response, "publish_at", tomorrow)
            | datetime_data(response, "updated_at", tomorrow)
        )
        assert self.client.post(change_url(draft), crafted).status_code == 302
        draft.refresh_from_db()
        assert draft.status == Article.Status.DRAFT
        assert draft.publish_at is None and draft.updated_at is None

    def test_reporter_cannot_change_or_delete_a_published_story(self):
        story = make_article(headline="Published headline")
        response = self.client.get(change_url(story))
        assert response.status_code == 200  # may read it…
        assert response.context["has_change_permission"] is False
        data = {
            "headline": "Hijacked",
            "slug": story.slug,
            "body": "<p>x</p>",
            "section": story.section_id,
            "status": "draft",
            "loaded_version": story.version,
        }
        assert self.client.post(change_url(story), data).status_code == 403  # …not change it
        delete_url = reverse("admin:articles_article_delete", args=[story.pk])
        assert self.client.post(delete_url, {"post": "yes"}).status_code == 403
        story.refresh_from_db()
        assert story.headline == "Published headline" and story.is_published()

    def test_reporter_has_no_bulk_publishing(self):
        draft = make_article(status=Article.Status.DRAFT)
        live = make_article()
        action_form = self.client.get(CHANGELIST).context["action_form"]
        actions = (
            [name for name, _label in action_form.fields["action"].choices] if action_form else []
        )
        assert "publish_now" not in actions and "unpublish" not in actions
        for action, story in [("publish_now", draft), ("unpublish", live)]:
            response = self.client.post(
                CHANGELIST, {"action": action, helpers.ACTION_CHECKBOX_NAME: [story.pk]}
            )
            assert response.status_code in (200, 302)
        draft.refresh_from_db()
        live.refresh_from_db()
        assert draft.status == Article.Status.DRAFT
        assert live.is_published()

    def test_the_action_itself_refuses_without_the_permission(self):
        from django.contrib.admin import site
        from django.core.exceptions import PermissionDenied
        from django.test import RequestFactory

        request = RequestFactory().post(CHANGELIST)
        request.user = self.reporter
        model_admin = site.get_model_admin(Article)
        draft = make_article(status=Article.Status.DRAFT)
        for action in [model_admin.publish_now, model_admin.unpublish]:
            with self.assertRaises(PermissionDenied):
                action(request, Article.objects.filter(pk=draft.pk))


class EditorTests(TestCase):
    def setUp(self):
        self.editor = make_user("editor", group="Editor")
        self.client.force_login(self.editor)

    def act(self, action: str, *stories):
        return self.client.post(
            CHANGELIST, {"action": action, helpers.ACTION_CHECKBOX_NAME: [s.pk for s in stories]}
        )

    def test_editor_publishes_through_the_form_and_time_defaults_to_now(self):
        draft = make_article(status=Article.Status.DRAFT)
        data = form_data(self.client.get(change_url(draft))) | {"status": "published"}
        before = timezone.now()
        assert self.client.post(change_url(draft), data).status_code == 302
        draft.refresh_from_db()
        assert draft.is_published() and before <= draft.publish_at <= timezone.now()
        assert draft.modified_by == self.editor

    def test_editor_schedules(self):
        draft = make_article(status=Article.Status.DRAFT)
        tomorrow = (timezone.now() + timedelta(days=1)).replace(second=0, microsecond=0)
        response = self.client.get(change_url(draft))
        data = form_data(response) | {"status": "published"}
        data |= datetime_data(response, "publish_at", tomorrow)
        assert self.client.post(change_url(draft), data).status_code == 302
        draft.refresh_from_db()
        assert draft.is_scheduled()
        assert draft.publish_at == tomorrow

    def test_editor_bulk_publishes_and_unpublishes(self):
        action_form = self.client.get(CHANGELIST).context["action_form"]
        actions = [name for name, _label in action_form.fields["action"].choices]
        assert "publish_now" in actions and "unpublish" in actions
        draft = make_article(status=Article.Status.DRAFT)
        scheduled = make_article(publish_at=timezone.now() + timedelta(days=2))
        old = make_article(status=Article.Status.DRAFT)
        old_date = timezone.now() - timedelta(days=30)
        Article.objects.filter(pk=old.pk).update(publish_at=old_date)  # published once before
        assert self.act("publish_now", draft, scheduled, old).status_code == 302
        for story in (draft, scheduled, old):
            story.refresh_from_db()
            assert story.is_published()
            assert story.modified_by == self.editor
        assert old.publish_at == old_date  # a story keeps the date it first went out

        assert self.act("unpublish", draft, scheduled).status_code == 302
        for story in (draft, scheduled):
            story.refresh_from_db()
            assert story.status == Article.Status.DRAFT
        assert not Article.objects.published().exclude(pk=old.pk).exists()

    def test_editor_changes_a_published_story(self):
        story = make_article()
        data = form_data(self.client.get(change_url(story))) | {"headline": "Corrected headline"}
        assert self.client.post(change_url(story), data).status_code == 302
        story.refresh_from_db()
        assert story.headline == "Corrected headline" and story.is_published()


class AnonymousTests(TestCase):
    def test_every_editorial_page_asks_for_a_login(self):
        story = make_article()
        urls = [
            CHANGELIST,
            ADD,
            change_url(story),
            reverse("admin:articles_article_history", args=[story.pk]),
            reverse("admin:articles_article_compare", args=[story.pk]) + "?from=1",
        ]
        for url in urls:
            response = self.client.get(url)
            assert response.status_code == 302 and "/login/" in response["Location"], url
        restore = reverse("admin:articles_article_restore", args=[story.pk, 1])
        response = self.client.post(restore)
        assert response.status_code == 302 and "/login/" in response["Location"]
        response = self.client.post(
            CHANGELIST, {"action": "publish_now", helpers.ACTION_CHECKBOX_NAME: [story.pk]}
        )
        assert response.status_code == 302 and "/login/" in response["Location"]
