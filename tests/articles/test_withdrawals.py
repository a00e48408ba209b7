"""A story readers have seen and that is then taken down answers 410 Gone; one never published
stays a 404, as if it never was."""

from datetime import timedelta

from django.contrib.admin import helpers
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Withdrawal
from newsroom.chrome.models import SiteSettings
from tests.factories import make_article, make_user
from tests.helpers import StoresPagesAtOnce, text_of


class WithdrawalTests(StoresPagesAtOnce, TestCase):
    def setUp(self):
        super().setUp()
        SiteSettings(pk=1, language="ro").save()
        self.story = make_article(headline="Guvernul demisionează", slug="guvernul-demisioneaza")
        self.url = self.story.get_absolute_url()

    def assert_gone(self, url: str) -> None:
        response = self.client.get(url)
        assert response.status_code == 410, response.status_code
        text = text_of(response)
        assert "Acest articol a fost retras." in text
        assert "Guvernul demisionează" not in text  # nothing of the story itself
        assert 'href="/"' in response.content.decode()  # a way home
        assert '<meta name="robots" content="noindex">' in response.content.decode()

    def test_unpublished_by_an_editor(self):
        self.story.status = Article.Status.DRAFT
        self.story.save()
        self.assert_gone(self.url)
        withdrawal = Withdrawal.objects.get(path=self.url)
        assert withdrawal.reason == Withdrawal.Reason.UNPUBLISHED
        assert withdrawal.article == self.story

    def test_deleted(self):
        self.story.delete()
        self.assert_gone(self.url)
        assert Withdrawal.objects.get(path=self.url).reason == Withdrawal.Reason.DELETED

    def test_rescheduled_into_the_future(self):
        self.story.publish_at = timezone.now() + timedelta(days=2)
        self.story.save()
        self.assert_gone(self.url)

    def test_bulk_update_and_bulk_unpublish(self):
        other = make_article()
        Article.objects.filter(pk=self.story.pk).update(status=Article.Status.REVIEW)
        self.assert_gone(self.url)
        self.client.force_login(make_user("editor", group="Editor"))
        response = self.client.post(
            reverse("admin:articles_article_changelist"),
            {"action": "unpublish", helpers.ACTION_CHECKBOX_NAME: [other.pk]},
        )
        assert response.status_code == 302
        self.client.logout()
        self.assert_gone(other.get_absolute_url())

    def test_never_published_is_still_a_404(self):
        draft = make_article(status=Article.Status.DRAFT)
        scheduled = make_article(publish_at=timezone.now() + timedelta(hours=2))
        scheduled.status = Article.Status.DRAFT  # unpublished before anyone saw it
        scheduled.save()
        for story in (draft, scheduled):
            assert self.client.get(story.get_absolute_url()).status_code == 404
        assert not Withdrawal.objects.exists()

    def test_republished_it_is_back(self):
        self.story.status = Article.Status.DRAFT
        self.story.save()
        self.story.status = Article.Status.PUBLISHED
        self.story.save()
        assert self.client.get(self.url).status_code == 200
        assert not Withdrawal.objects.exists()

    def test_staff_see_why_and_when(self):
        self.story.status = Article.Status.DRAFT
        self.story.save()
        # A staff member who may read stories in the admin sees the draft itself...
        self.client.force_login(make_user("editor", group="Editor"))
        assert self.client.get(self.url).status_code == 200
        # ...while one who may not sees the notice, with the reason.
        self.client.force_login(make_user("nobody"))
        response = self.client.get(self.url)
        assert response.status_code == 410
        assert "Retras de un editor" in text_of(response)
        # Readers are not told why.
        self.client.logout()
        assert "Retras de un editor" not in text_of(self.client.get(self.url))

    def test_the_notice_is_kept_like_a_page_and_answers_head(self):
        self.story.delete()
        with self.settings(PAGE_CACHE=True):
            first = self.client.get(self.url)
            second = self.client.get(self.url)
            head = self.client.head(self.url)
        assert first.status_code == second.status_code == head.status_code == 410
        assert second["X-Page-Cache"] == "hit"
        assert "public" in second["Cache-Control"] and "max-age" in second["Cache-Control"]
