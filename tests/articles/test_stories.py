"""The story kept between requests: read once, then served without a query until something it
shows changes — and every such change shows on the next request.

The page cache is off here, so each request builds its page and only the kept story can be stale.
Each test first checks that the story is kept (a warm request reads none of its rows), so a
passing test proves the kept story was dropped.
"""

from datetime import timedelta

from django.core.cache import cache
from django.db import connection
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from taggit.models import Tag

from articles.models import Article, ArticleAuthor, Withdrawal
from newsroom.chrome.models import SiteSettings
from tests.factories import (
    image_upload,
    make_article,
    make_author,
    make_picture,
    make_section,
    wire_service,
)
from tests.helpers import StoresPagesAtOnce, text_of

# Tables only the story's own reads touch (its related stories' teasers read articles_article).
STORY_TABLES = ("articles_articleauthor", "articles_correction", "taggit_taggeditem")


@override_settings(PAGE_CACHE=False)
class KeptStoryTests(StoresPagesAtOnce, TestCase):
    def setUp(self):
        super().setUp()
        cache.clear()
        SiteSettings(pk=1, language="ro", time_zone="Europe/Bucharest").save()
        self.section = make_section(name="Politică", slug="politica")
        self.photo = make_picture(alt="Portretul Ioanei", caption="Ioana Popescu")
        self.author = make_author(name="Ioana Popescu", slug="ioana-popescu", picture=self.photo)
        self.lead = make_picture(caption="Sala de plen", credit="Foto: Ion Pop")
        self.story = make_article(
            headline="Parlamentul votează bugetul",
            slug="parlamentul-voteaza-bugetul",
            section=self.section,
            authors=[self.author],
            tags=["buget"],
            picture=self.lead,
            publish_at=timezone.now() - timedelta(days=1),
            wire_service=wire_service("reuters"),
            wire_attribution=Article.Attribution.ADDITIONAL_REPORTING,
        )
        self.url = self.story.get_absolute_url()

    def page(self) -> str:
        response = self.client.get(self.url)
        assert response.status_code == 200, response.status_code
        return response.content.decode()

    def warm(self) -> None:
        """Read the story, then check the next request finds it kept."""
        self.page()
        with CaptureQueriesContext(connection) as queries:
            self.page()
        read = [query["sql"] for query in queries.captured_queries]
        assert not [sql for sql in read if any(table in sql for table in STORY_TABLES)], read

    def test_kept_story_costs_no_query(self):
        self.warm()
        with CaptureQueriesContext(connection) as queries:
            self.page()
        # Only the related stories' teasers, read fresh.
        assert len(queries) <= 1, [query["sql"] for query in queries.captured_queries]

    def test_an_edit_of_the_story(self):
        self.warm()
        self.story.headline = "Parlamentul amână bugetul"
        self.story.save()
        assert "Parlamentul amână bugetul" in self.page()

    def test_a_queryset_update_of_the_story(self):
        self.warm()
        Article.objects.filter(pk=self.story.pk).update(standfirst="Votul a fost amânat.")
        assert "Votul a fost amânat." in self.page()

    def test_an_author_renamed(self):
        self.warm()
        self.author.name = "Ioana Popescu-Vlad"
        self.author.save()
        assert "Ioana Popescu-Vlad" in text_of(self.client.get(self.url))

    def test_an_author_given_another_photo(self):
        self.warm()
        portrait = make_picture(file=image_upload("new-portrait.jpg"), alt="Alt portret")
        self.author.picture = portrait
        self.author.save()
        html = self.page()
        assert 'alt="Alt portret"' in html and 'alt="Portretul Ioanei"' not in html

    def test_the_words_of_an_authors_photo(self):
        self.warm()
        self.photo.alt = "Ioana Popescu, reporter"
        self.photo.save()
        assert 'alt="Ioana Popescu, reporter"' in self.page()

    def test_an_author_added_to_the_byline(self):
        self.warm()
        ArticleAuthor.objects.create(
            article=self.story, author=make_author(name="Mihai Ionescu"), position=1
        )
        assert "Ioana Popescu și Mihai Ionescu" in text_of(self.client.get(self.url))

    def test_a_tag_renamed(self):
        self.warm()
        tag = Tag.objects.get(slug="buget")
        tag.name = "Bugetul de stat"
        tag.save()
        assert "Bugetul de stat" in self.page()

    def test_a_tag_added(self):
        self.warm()
        self.story.tags.add("pensii")
        assert ">pensii</a>" in self.page()

    def test_a_correction(self):
        self.warm()
        self.story.corrections.create(text="Am corectat data votului.")
        assert "Am corectat data votului." in self.page()

    def test_a_translation_linked_from_the_story(self):
        english = make_article(
            headline="Parliament votes the budget",
            slug="parliament-votes-the-budget",
            section=make_section(),
            language="en",
        )
        self.warm()
        self.story.translation = english
        self.story.save()
        assert f'<a href="{english.get_absolute_url()}" hreflang="en"' in self.page()

    def test_a_translation_linked_from_the_other_story(self):
        english = make_article(
            headline="Parliament votes the budget",
            slug="parliament-votes-the-budget",
            section=make_section(),
            language="en",
        )
        self.warm()
        english.translation = self.story
        english.save()  # links this story back, with an UPDATE
        assert f'<a href="{english.get_absolute_url()}" hreflang="en"' in self.page()

    def test_the_translations_address_changed(self):
        english = make_article(
            slug="parliament-votes-the-budget", section=make_section(), language="en"
        )
        self.story.translation = english
        self.story.save()
        self.warm()
        english.slug = "parliament-passes-the-budget"
        english.save()
        html = self.page()
        assert "parliament-passes-the-budget" in html
        assert "parliament-votes-the-budget" not in html

    def test_the_words_of_the_lead_picture(self):
        self.warm()
        self.lead.caption = "Sala de plen a Camerei"
        self.lead.save()
        assert "Sala de plen a Camerei" in self.page()

    def test_a_section_renamed(self):
        self.warm()
        self.section.name = "Politică internă"
        self.section.save()
        assert "Politică internă" in self.page()

    def test_a_wire_service_changed(self):
        self.warm()
        reuters = wire_service("reuters")
        reuters.credit = "Reuters News"
        reuters.save()
        assert "Reuters News" in self.page()

    def bare_story(self) -> None:
        """The story alone in its lists (no byline, no tags): only its own key names it."""
        ArticleAuthor.objects.filter(article=self.story).delete()
        self.story.tags.clear()

    def test_a_takedown(self):
        self.bare_story()
        self.warm()
        self.story.status = Article.Status.DRAFT
        self.story.save()
        assert self.client.get(self.url).status_code == 410
        assert Withdrawal.objects.filter(path=self.url).exists()

    def test_a_deleted_story(self):
        self.bare_story()
        self.warm()
        self.story.delete()
        assert self.client.get(self.url).status_code == 410

    def test_a_story_rescheduled_for_later(self):
        self.bare_story()
        self.warm()
        self.story.publish_at = timezone.now() + timedelta(days=1)
        self.story.save()
        assert self.client.get(self.url).status_code == 410

    def test_staff_previews_are_not_kept(self):
        draft = make_article(status=Article.Status.DRAFT, section=self.section)
        token_url = draft.get_preview_url()
        assert self.client.get(token_url).status_code == 200
        draft.headline = "Titlu nou al ciornei"
        draft.save()
        assert "Titlu nou al ciornei" in self.client.get(token_url).content.decode()
        # Readers still get no draft.
        assert self.client.get(draft.get_absolute_url()).status_code == 404
