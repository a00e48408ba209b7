"""No lost updates: the second of two saves of the same story is refused, and says why."""

from django.contrib.admin import helpers
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from reversion.models import Version

from articles.forms import ArticleAdminForm
from articles.models import Article
from tests.factories import make_article, make_user
from tests.helpers import errors, form_data


class LostUpdateTests(TestCase):
    def setUp(self):
        self.story = make_article(headline="Original headline", body="<p>Original body.</p>")
        self.url = reverse("admin:articles_article_change", args=[self.story.pk])
        self.alice, self.bob = Client(), Client()
        self.alice.force_login(make_user("alice", group="Editor"))
        self.bob.force_login(make_user("bob", group="Editor"))

    def open_form(self, client: Client) -> dict:
        return form_data(client.get(self.url))

    def test_version_moves_on_with_every_save(self):
        version = self.story.version
        self.story.save()
        assert Article.objects.get(pk=self.story.pk).version == version + 1
        # Saving derived fields only is not an editorial change.
        self.story.save(update_fields=["search_vector"])
        assert Article.objects.get(pk=self.story.pk).version == version + 1

    def test_second_save_is_refused_and_nothing_is_lost(self):
        alices_form, bobs_form = self.open_form(self.alice), self.open_form(self.bob)
        response = self.alice.post(self.url, alices_form | {"headline": "Alice's headline"})
        assert response.status_code == 302

        bobs_body = "<p>Bob rewrote the body.</p>"
        response = self.bob.post(self.url, bobs_form | {"body": bobs_body})
        assert response.status_code == 200
        assert errors(response) == {"__all__": ["stale"]}
        message = response.context["adminform"].form.non_field_errors()[0]
        assert "alice" in message  # who changed it
        form = response.context["adminform"].form
        with translation.override(response.wsgi_request.LANGUAGE_CODE):
            for name in ["headline", "body"]:  # the fields that differ
                assert str(form.fields[name].label) in message
        assert escape(bobs_body) in response.content.decode()  # what Bob typed is on screen

        self.story.refresh_from_db()
        assert self.story.headline == "Alice's headline"  # what Alice wrote is kept
        assert self.story.body == "<p>Original body.</p>"

        # Bob has now seen the warning; saving the re-rendered form replaces Alice's version,
        # deliberately, and Alice's version stays in the history.
        response = self.bob.post(self.url, form_data(response))
        assert response.status_code == 302
        self.story.refresh_from_db()
        assert self.story.body == bobs_body and self.story.headline == "Original headline"
        headlines = [v.field_dict["headline"] for v in Version.objects.get_for_object(self.story)]
        assert "Alice's headline" in headlines

    def test_a_save_that_loses_the_race_after_validating_is_refused(self):
        """Two saves validated at the same time: the database lets only one claim the version."""
        alices_form, bobs_form = self.open_form(self.alice), self.open_form(self.bob)
        assert (
            self.alice.post(self.url, alices_form | {"headline": "Alice first"}).status_code == 302
        )
        versions_before = Version.objects.count()

        real_check = ArticleAdminForm.check_version
        checks = []

        def validated_before_alice_saved(form):
            # Bob's form was validated a moment before Alice's save committed.
            checks.append(form)
            if len(checks) > 1:
                real_check(form)

        ArticleAdminForm.check_version = validated_before_alice_saved
        try:
            response = self.bob.post(self.url, bobs_form | {"headline": "Bob second"})
        finally:
            ArticleAdminForm.check_version = real_check
        assert response.status_code == 200
        assert errors(response) == {"__all__": ["stale"]}
        assert len(checks) == 2  # refused at the save, then told why by validating again
        self.story.refresh_from_db()
        assert self.story.headline == "Alice first"
        assert Version.objects.count() == versions_before  # no revision for the refused save

    def test_a_bulk_action_also_makes_open_forms_stale(self):
        alices_form = self.open_form(self.alice)
        self.bob.post(
            reverse("admin:articles_article_changelist"),
            {"action": "unpublish", helpers.ACTION_CHECKBOX_NAME: [self.story.pk]},
        )
        response = self.alice.post(self.url, alices_form | {"headline": "Alice late"})
        assert errors(response) == {"__all__": ["stale"]}
        self.story.refresh_from_db()
        assert self.story.status == Article.Status.DRAFT
        assert self.story.headline == "Original headline"

    def test_a_post_without_the_loaded_version_is_refused(self):
        data = self.open_form(self.alice)
        del data["loaded_version"]
        response = self.alice.post(self.url, data | {"headline": "Blind save"})
        assert errors(response) == {"__all__": ["stale"]}
        self.story.refresh_from_db()
        assert self.story.headline == "Original headline"
