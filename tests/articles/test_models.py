from datetime import timedelta

from django.db import IntegrityError, transaction
from django.test import TestCase
from django.utils import timezone, translation

from articles.models import Article
from tests.factories import make_article, make_author, make_section, wire_service


class PublishingRuleTests(TestCase):
    def test_live_story_is_public(self):
        article = make_article()
        assert article.is_published()
        assert list(Article.objects.published()) == [article]

    def test_scheduled_story_is_not_public_until_its_time(self):
        article = make_article(publish_at=timezone.now() + timedelta(minutes=5))
        assert article.is_scheduled()
        assert not article.is_published()
        assert not Article.objects.published().exists()
        assert list(Article.objects.scheduled()) == [article]

    def test_story_goes_live_by_itself_when_its_time_comes(self):
        article = make_article(publish_at=timezone.now() + timedelta(seconds=1))
        Article.objects.filter(pk=article.pk).update(
            publish_at=timezone.now() - timedelta(seconds=1)
        )
        assert list(Article.objects.published()) == [article]

    def test_draft_and_review_are_never_public(self):
        make_article(status=Article.Status.DRAFT)
        make_article(status=Article.Status.REVIEW, publish_at=timezone.now() - timedelta(days=1))
        assert not Article.objects.published().exists()

    def test_published_story_needs_a_time(self):
        with transaction.atomic(), self.assertRaises(IntegrityError):
            make_article(publish_at=None)


class BylineTests(TestCase):
    def test_authors_keep_their_order(self):
        first, second = make_author(name="Zoe"), make_author(name="Adam")
        article = make_article(authors=[first, second])
        fetched = Article.objects.with_byline().get(pk=article.pk)
        assert fetched.byline == [first, second]

    def test_wire_credit_follows_the_attribution(self):
        reuters = wire_service("reuters")
        section = make_section()
        cases = {
            Article.Attribution.WIRE_COPY: "Reuters",
            Article.Attribution.ACCORDING_TO: "according to Reuters",
            Article.Attribution.ADDITIONAL_REPORTING: "with reporting by Reuters",
        }
        for attribution, expected in cases.items():
            article = make_article(
                section=section, wire_service=reuters, wire_attribution=attribution
            )
            with translation.override("en"):  # the site's default language is Romanian
                assert str(article.wire_credit) == expected

    def test_wire_service_needs_an_attribution(self):
        with transaction.atomic(), self.assertRaises(IntegrityError):
            make_article(wire_service=wire_service("afp"), wire_attribution="")

    def test_common_agencies_are_there(self):
        from articles.models import WireService

        names = set(WireService.objects.values_list("name", flat=True))
        assert {"Reuters", "Associated Press", "AFP", "Bloomberg", "dpa", "Agerpres"} <= names
