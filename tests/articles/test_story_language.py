"""A story's language, wherever the story is shown, and its translation linked both ways."""

import re
import xml.etree.ElementTree as ET

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles.models import Article
from newsroom.chrome.models import SiteSettings
from tests.articles.test_views import json_ld_of
from tests.factories import make_article, make_section
from tests.helpers import StoresPagesAtOnce

ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
DC = "{http://purl.org/dc/elements/1.1/}"


class LanguageTestCase(StoresPagesAtOnce, TestCase):
    """A Romanian site publishing English agency copy beside its own stories."""

    def setUp(self):
        super().setUp()
        cache.clear()
        SiteSettings(pk=1, language="ro", time_zone="Europe/Bucharest").save()
        self.section = make_section(name="Externe", slug="externe")
        self.english = make_article(
            headline="Ministers agree on storage rules",
            standfirst="After overnight talks.",
            section=self.section,
            language="en",
        )
        self.romanian = make_article(
            headline="Miniștrii au convenit reguli", section=self.section, language="ro"
        )

    def html(self, url: str) -> str:
        response = self.client.get(url)
        assert response.status_code == 200, url
        return response.content.decode()


class StoryPageTests(LanguageTestCase):
    def test_an_english_story_is_english_on_its_page_and_in_its_metadata(self):
        response = self.client.get(self.english.get_absolute_url())
        html = response.content.decode()
        # The site's chrome stays Romanian; the story says it is English.
        assert '<html lang="ro">' in html
        assert re.search(r'<article class="story" lang="en"', html)
        assert '<title lang="en">Ministers agree on storage rules · ' in html
        assert '<p class="kicker" lang="ro">' in html
        assert '<div class="story__meta" lang="ro">' in html
        assert '<meta property="og:locale" content="en_GB">' in html
        assert json_ld_of(response)["inLanguage"] == "en"

    def test_a_story_in_the_sites_language_carries_no_lang_of_its_own(self):
        response = self.client.get(self.romanian.get_absolute_url())
        html = response.content.decode()
        assert '<article class="story" data-read-url' in html
        assert "<title>" in html and '<meta name="description" content="Standfirst' in html
        assert '<div class="story__meta">' in html
        assert '<meta property="og:locale" content="ro_RO">' in html
        assert json_ld_of(response)["inLanguage"] == "ro"

    def test_on_an_english_site_a_romanian_story_is_the_one_marked(self):
        SiteSettings(pk=1, language="en", time_zone="Europe/Bucharest").save()
        html = self.html(self.romanian.get_absolute_url())
        assert '<html lang="en">' in html
        assert '<article class="story" lang="ro"' in html
        assert "<title>" not in html


class TeaserTests(LanguageTestCase):
    def headline_tags(self, html: str, headline: str) -> list[str]:
        """The opening tags of the elements holding `headline` (the link, or its heading)."""
        return re.findall(r"<(?:h\d|a|span)\b[^>]*>(?:<a\b[^>]*>)?" + re.escape(headline), html)

    def assert_marked(self, url: str) -> None:
        html = self.html(url)
        english = self.headline_tags(html, self.english.headline)
        assert english, url
        assert all('lang="en"' in tag for tag in english), (url, english)
        romanian = self.headline_tags(html, self.romanian.headline)
        assert romanian, url
        assert not any("lang=" in tag for tag in romanian), (url, romanian)

    def test_home_section_and_search_mark_the_english_headline(self):
        for url in [
            reverse("home"),
            reverse("articles:section", args=["externe"]),
            reverse("articles:search") + "?q=reguli",
        ]:
            if "search" in url:
                html = self.html(url)
                assert '<h2 class="teaser__headline"><a' in html  # the Romanian result
                continue
            self.assert_marked(url)
        html = self.html(reverse("articles:search") + "?q=storage")
        assert '<h2 class="teaser__headline" lang="en"><a' in html

    def test_the_rail_and_related_stories_mark_it_too(self):
        make_article(headline="Another one", section=self.section)
        html = self.html(self.romanian.get_absolute_url())
        links = self.headline_tags(html, self.english.headline)
        assert links and all('lang="en"' in tag for tag in links), links

    def test_a_section_page_standfirst_is_marked(self):
        html = self.html(reverse("articles:section", args=["externe"]))
        assert '<p class="teaser__standfirst" lang="en">After overnight talks.</p>' in html


class TranslationTests(LanguageTestCase):
    def link(self) -> None:
        self.romanian.translation = self.english
        self.romanian.save()
        self.english.refresh_from_db()
        self.romanian.refresh_from_db()

    def test_a_link_is_kept_both_ways(self):
        self.link()
        assert self.english.translation == self.romanian
        assert self.romanian.translation == self.english
        # Linking one of them elsewhere unlinks the other.
        other = make_article(language="en", section=self.section)
        self.romanian.translation = other
        self.romanian.save()
        self.english.refresh_from_db()
        other.refresh_from_db()
        assert self.english.translation is None
        assert other.translation == self.romanian
        # And unlinking is both ways too.
        self.romanian.translation = None
        self.romanian.save()
        other.refresh_from_db()
        assert other.translation is None

    def test_each_page_names_the_other_with_hreflang_and_a_link_in_its_language(self):
        self.link()
        english_url = "http://testserver" + self.english.get_absolute_url()
        romanian_url = "http://testserver" + self.romanian.get_absolute_url()
        for story in (self.english, self.romanian):
            html = self.html(story.get_absolute_url())
            assert f'<link rel="alternate" hreflang="en" href="{english_url}">' in html
            assert f'<link rel="alternate" hreflang="ro" href="{romanian_url}">' in html
        html = self.html(self.romanian.get_absolute_url())
        assert (
            f'<a href="{self.english.get_absolute_url()}" hreflang="en" lang="en">'
            "Read in English</a>"
        ) in html
        assert re.findall(r'og:locale:alternate" content="(\w+)"', html) == ["en_GB"]
        html = self.html(self.english.get_absolute_url())
        assert (
            f'<a href="{self.romanian.get_absolute_url()}" hreflang="ro" lang="ro">'
            "Citește în română</a>"
        ) in html

    def test_an_unpublished_translation_is_not_named(self):
        self.english.status = Article.Status.DRAFT
        self.english.save()
        self.link()
        html = self.html(self.romanian.get_absolute_url())
        assert "hreflang" not in html
        assert "Read in English" not in html

    def test_publishing_the_translation_updates_the_other_page(self):
        self.english.status = Article.Status.DRAFT
        self.english.save()
        self.link()
        with self.settings(PAGE_CACHE=True):
            assert "hreflang" not in self.html(self.romanian.get_absolute_url())
            self.english.status = Article.Status.PUBLISHED
            self.english.save()
            assert "hreflang" in self.html(self.romanian.get_absolute_url())

    @override_settings(PAGE_CACHE=False)
    def test_a_translation_costs_the_page_no_query(self):
        def cost(story: Article) -> int:
            url = story.get_absolute_url()
            self.html(url)  # warms the per-process caches
            with CaptureQueriesContext(connection) as queries:
                self.html(url)
            return len(queries)

        alone = cost(self.romanian)
        self.link()
        cache.clear()
        linked = cost(self.romanian)
        assert linked == alone
        assert linked <= 8

    def test_a_translation_must_be_in_another_language(self):
        other = make_article(language="ro", section=self.section)
        self.romanian.translation = other
        with self.assertRaises(ValidationError) as raised:
            self.romanian.full_clean()
        assert "translation" in raised.exception.message_dict
        self.romanian.translation = self.romanian
        with self.assertRaises(ValidationError):
            self.romanian.full_clean()


class SyndicationTests(LanguageTestCase):
    def test_atom_entries_and_rss_items_say_a_story_in_another_language(self):
        root = ET.fromstring(self.client.get(reverse("articles:feed-atom")).content)
        assert root.get(XML_LANG) == "ro"
        langs = {
            entry.findtext(f"{ATOM}title"): entry.get(XML_LANG)
            for entry in root.findall(f"{ATOM}entry")
        }
        assert langs == {self.english.headline: "en", self.romanian.headline: None}

        root = ET.fromstring(self.client.get(reverse("articles:feed")).content)
        items = {
            item.findtext("title"): item.findtext(f"{DC}language") for item in root.iter("item")
        }
        assert items == {self.english.headline: "en", self.romanian.headline: None}

    def test_the_news_sitemap_gives_each_story_its_language(self):
        root = ET.fromstring(self.client.get(reverse("news-sitemap")).content)
        news = "{http://www.google.com/schemas/sitemap-news/0.9}"
        found = {
            url.findtext(f"{news}news/{news}title"): url.findtext(
                f"{news}news/{news}publication/{news}language"
            )
            for url in root
        }
        assert found == {self.english.headline: "en", self.romanian.headline: "ro"}

    def test_the_ninjs_api_gives_and_filters_each_storys_language(self):
        def languages(**params) -> dict[str, str]:
            response = self.client.get("/api/ninjs/", params)
            assert response.status_code == 200
            return {doc["headlines"][0]["value"]: doc["language"] for doc in response.json()}

        assert languages() == {self.english.headline: "en", self.romanian.headline: "ro"}
        assert languages(language="en-GB") == {self.english.headline: "en"}
        assert languages(language="ro") == {self.romanian.headline: "ro"}


class WireStoryLanguageTests(TestCase):
    def test_a_story_from_the_wire_takes_its_agencys_language(self):
        from articles.models import WireService
        from articles.wire.ingest import ingest_document
        from articles.wire.stories import make_story
        from tests.articles.wire.helpers import sample

        reuters = WireService.objects.get(slug="reuters")
        section = make_section()
        for tag, expected in [("en-GB", "en"), ("ro", "ro"), ("de", "ro")]:
            data = sample("newsml-message.xml").replace(
                b'<nar:language tag="ro"/>', f'<nar:language tag="{tag}"/>'.encode()
            )
            [outcome] = ingest_document(data, reuters)
            item = outcome.item
            assert item is not None
            item.pictures = []
            article, _note = make_story(item, section)
            assert article.language == expected, tag
            Article.objects.filter(pk=article.pk).delete()
            type(item).objects.filter(pk=item.pk).delete()
