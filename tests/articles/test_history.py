"""Every admin save keeps a revision; editors compare and restore them."""

from django.contrib.admin import helpers
from django.core.files.storage import default_storage
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version

from articles.models import Article
from tests.factories import (
    image_upload,
    make_article,
    make_author,
    make_picture,
    make_section,
    make_user,
)
from tests.helpers import datetime_data, errors, form_data


def url(name: str, *args) -> str:
    return reverse(f"admin:articles_article_{name}", args=args)


class HistoryTests(TestCase):
    def setUp(self):
        self.editor = make_user("editor", group="Editor")
        self.client.force_login(self.editor)
        self.ana, self.ion = make_author(name="Ana Pop"), make_author(name="Ion Ionescu")
        data = form_data(self.client.get(url("add"))) | {
            "headline": "First headline",
            "slug": "first-headline",
            "body": "<p>The river rose overnight.</p>",
            "section": str(make_section().pk),
            "tags": "floods, weather",
            "bylines-TOTAL_FORMS": "1",
            "bylines-0-author": str(self.ana.pk),
            "bylines-0-position": "0",
        }
        assert self.client.post(url("add"), data).status_code == 302
        self.story = Article.objects.get(slug="first-headline")
        self.first = Version.objects.get_for_object(self.story).get()

    def edit(self, **changes):
        response = self.client.get(url("change", self.story.pk))
        data = form_data(response) | changes
        if "corrections-0-text" in changes:
            data |= datetime_data(response, "corrections-0-created_at", timezone.now())
        response = self.client.post(url("change", self.story.pk), data)
        assert response.status_code == 302, errors(response)
        self.story.refresh_from_db()

    def second_edit(self):
        self.edit(
            headline="Second headline",
            body="<p>The river rose overnight and flooded the town.</p>",
            tags="floods, rescue",
            **{
                "bylines-1-author": str(self.ion.pk),
                "bylines-1-position": "1",
                "corrections-TOTAL_FORMS": "1",
                "corrections-0-kind": "update",
                "corrections-0-text": "Updated with the rescue.",
            },
        )

    def test_every_save_keeps_a_revision_with_who_and_what(self):
        assert self.first.revision.user == self.editor
        assert self.first.revision.date_created is not None
        self.second_edit()
        versions = list(Version.objects.get_for_object(self.story))
        assert len(versions) == 2
        newest = versions[0]
        assert newest.field_dict["headline"] == "Second headline"
        followed = {v.content_type.model for v in newest.revision.version_set.all()}
        assert {"article", "articleauthor", "correction", "taggeditem", "tag"} <= followed

    def test_history_lists_the_versions(self):
        self.second_edit()
        response = self.client.get(url("history", self.story.pk))
        assert response.status_code == 200
        assert len(response.context["versions"]) == 2
        assert response.context["can_compare"] is True
        assert url("compare", self.story.pk) in response.content.decode()

    def test_compare_shows_each_changed_field(self):
        self.second_edit()
        newest = Version.objects.get_for_object(self.story).first()
        response = self.client.get(
            url("compare", self.story.pk), {"from": self.first.pk, "to": newest.pk}
        )
        assert response.status_code == 200
        changes = {str(c["label"]): str(c["diff"]) for c in response.context["changes"]}
        labels = {
            name: str(Article._meta.get_field(name).verbose_name) for name in ["headline", "body"]
        }
        assert changes[labels["headline"]] == "<del>First</del><ins>Second</ins> headline"
        assert "<ins> and flooded the town</ins>" in changes[labels["body"]]
        byline = [diff for diff in changes.values() if "Ion Ionescu" in diff]
        assert byline == ["Ana Pop<ins>, Ion Ionescu</ins>"]
        assert any("<del>weather</del>" in d and "<ins>rescue</ins>" in d for d in changes.values())
        assert any("Updated with the rescue.</ins>" in d for d in changes.values())
        assert str(Article._meta.get_field("slug").verbose_name) not in changes  # unchanged
        # The same two versions, either way round, from one side only.
        reverse_order = self.client.get(
            url("compare", self.story.pk), {"from": newest.pk, "to": self.first.pk}
        )
        assert [str(c["diff"]) for c in reverse_order.context["changes"]] == list(changes.values())
        assert (
            self.client.get(url("compare", self.story.pk), {"from": self.first.pk}).status_code
            == 200
        )

    def test_compare_escapes_what_it_shows(self):
        self.edit(headline="<b>Bold</b> & brave")
        response = self.client.get(url("compare", self.story.pk), {"from": self.first.pk})
        assert "&lt;b&gt;" in response.content.decode()
        assert "<b>Bold" not in response.content.decode()

    def test_compare_refuses_bad_input_with_404(self):
        other = make_article()
        foreign = Version.objects.create(
            revision=self.first.revision,
            object_id=str(other.pk),
            content_type=self.first.content_type,
            db="default",
            format="json",
            serialized_data="[]",
            object_repr="other",
        )
        huge = str(2**70)
        for params in [
            {},
            {"from": "abc"},
            {"from": "999999"},
            {"from": huge},
            {"from": self.first.pk, "to": "-1"},
            {"from": foreign.pk},
        ]:
            assert self.client.get(url("compare", self.story.pk), params).status_code == 404
        for story_id in ["999999", huge, "abc"]:
            params = {"from": self.first.pk}
            assert self.client.get(url("compare", story_id), params).status_code == 404
            assert self.client.get(url("history", story_id)).status_code in (302, 404)
        assert self.client.post(url("restore", self.story.pk, huge)).status_code == 404
        assert self.client.post(url("restore", huge, self.first.pk)).status_code == 404

    def test_restore_brings_back_text_byline_tags_and_corrections(self):
        self.second_edit()
        version_before = self.story.version
        assert self.client.get(url("restore", self.story.pk, self.first.pk)).status_code == 405
        response = self.client.post(url("restore", self.story.pk, self.first.pk))
        assert response.status_code == 302
        story = Article.objects.with_byline().get(pk=self.story.pk)
        assert story.headline == "First headline"
        assert story.body == "<p>The river rose overnight.</p>"
        assert story.byline == [self.ana]
        assert sorted(story.tags.names()) == ["floods", "weather"]
        assert not story.corrections.exists()
        assert story.version > version_before  # never back: open forms stay stale
        assert story.modified_by == self.editor
        # The restore is itself a revision, so the replaced version can come back too.
        newest = Version.objects.get_for_object(story).first()
        assert newest.revision.user == self.editor
        assert newest.field_dict["headline"] == "First headline"
        assert Version.objects.get_for_object(story).count() == 3

    def test_restore_of_a_bulk_revision_touches_only_this_story(self):
        other = make_article(headline="Other story", status=Article.Status.DRAFT)
        changelist = url("changelist")
        self.client.post(
            changelist,
            {"action": "publish_now", helpers.ACTION_CHECKBOX_NAME: [self.story.pk, other.pk]},
        )
        bulk = Version.objects.get_for_object(other).get()
        assert bulk.revision.version_set.count() > 1
        bulk_for_story = Version.objects.get_for_object(self.story).filter(revision=bulk.revision)
        self.client.post(
            changelist,
            {"action": "unpublish", helpers.ACTION_CHECKBOX_NAME: [self.story.pk, other.pk]},
        )
        Article.objects.filter(pk=other.pk).update(headline="Other story, edited")
        response = self.client.post(url("restore", self.story.pk, bulk_for_story.get().pk))
        assert response.status_code == 302
        self.story.refresh_from_db()
        other.refresh_from_db()
        assert self.story.is_published()
        assert other.status == Article.Status.DRAFT and other.headline == "Other story, edited"

    def test_restoring_an_earlier_version_brings_its_lead_picture_back(self):
        first_picture = make_picture(file=image_upload("first.jpg", size=(900, 600)))
        second_picture = make_picture(file=image_upload("second.jpg", size=(900, 600)))
        self.edit(picture=str(first_picture.pk))
        first = Version.objects.get_for_object(self.story).first()
        self.edit(picture=str(second_picture.pk))
        assert self.story.picture == second_picture
        # Changing the lead picture leaves both pictures and their renditions in the library.
        first_picture.refresh_from_db()
        assert all(default_storage.exists(n) for *_s, n in first_picture.renditions["jpeg"])
        response = self.client.post(url("restore", self.story.pk, first.pk))
        assert response.status_code == 302
        self.story.refresh_from_db()
        assert self.story.picture == first_picture
        page = self.client.get(self.story.get_absolute_url()).content.decode()
        assert first_picture.renditions["jpeg"][-1][2] in page

    def test_restoring_a_version_whose_picture_was_deleted_since(self):
        gone = make_picture(file=image_upload("gone.jpg"))
        self.edit(picture=str(gone.pk))
        first = Version.objects.get_for_object(self.story).first()
        self.edit(picture="", headline="Without a picture")
        gone.delete()  # no story shows it any more: the library may lose it
        response = self.client.post(url("restore", self.story.pk, first.pk))
        assert response.status_code == 302
        self.story.refresh_from_db()
        assert self.story.headline == "First headline" and self.story.picture is None
        assert self.client.get(self.story.get_absolute_url()).status_code == 200

    def test_old_revision_address_leads_to_the_comparison(self):
        response = self.client.get(url("revision", self.story.pk, self.first.pk))
        assert response.status_code == 302
        assert response["Location"] == url("compare", self.story.pk) + f"?from={self.first.pk}"


class HistoryPermissionTests(TestCase):
    def setUp(self):
        self.reporter = make_user("reporter", group="Reporter")
        self.own = make_article(status=Article.Status.DRAFT, created_by=self.reporter)
        self.others = make_article(status=Article.Status.DRAFT)
        editor = make_user("editor", group="Editor")
        self.client.force_login(editor)
        for story in (self.own, self.others):  # give each a revision
            data = form_data(self.client.get(url("change", story.pk)))
            assert self.client.post(url("change", story.pk), data).status_code == 302
        self.version = Version.objects.get_for_object(self.own).get()
        self.client.force_login(self.reporter)

    def test_reporter_sees_the_history_of_own_stories_only(self):
        response = self.client.get(url("history", self.own.pk))
        assert response.status_code == 200 and response.context["can_compare"] is False
        assert self.client.get(url("history", self.others.pk)).status_code == 403

    def test_reporter_cannot_compare_restore_or_recover(self):
        params = {"from": self.version.pk}
        assert self.client.get(url("compare", self.own.pk), params).status_code == 403
        response = self.client.post(url("restore", self.own.pk, self.version.pk))
        assert response.status_code == 403
        assert self.client.get(url("recoverlist")).status_code == 403
        assert url("recoverlist") not in self.client.get(url("changelist")).content.decode()
        assert self.client.get(url("recover", self.version.pk)).status_code == 403

    def test_staff_without_article_rights_get_nothing(self):
        self.client.force_login(make_user("clerk"))  # staff, no group
        assert self.client.get(url("history", self.own.pk)).status_code == 403
        params = {"from": self.version.pk}
        assert self.client.get(url("compare", self.own.pk), params).status_code == 403


class RecoverTests(TestCase):
    def test_editor_recovers_a_deleted_story(self):
        self.client.force_login(make_user("editor", group="Editor"))
        story = make_article(status=Article.Status.DRAFT, headline="Deleted by mistake")
        data = form_data(self.client.get(url("change", story.pk)))
        assert self.client.post(url("change", story.pk), data).status_code == 302
        assert self.client.post(url("delete", story.pk), {"post": "yes"}).status_code == 302
        assert not Article.objects.exists()

        assert url("recoverlist") in self.client.get(url("changelist")).content.decode()
        response = self.client.get(url("recoverlist"))
        assert response.status_code == 200 and b"Deleted by mistake" in response.content
        version = Version.objects.get_deleted(Article).get()
        response = self.client.get(url("recover", version.pk))
        assert response.status_code == 200
        response = self.client.post(url("recover", version.pk), form_data(response))
        assert response.status_code == 302, errors(response)
        assert Article.objects.get().headline == "Deleted by mistake"
