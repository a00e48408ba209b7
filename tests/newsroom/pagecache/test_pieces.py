"""Pieces: the rail of latest stories is set into stored lists as they are served, so a story
published or edited anywhere no longer retires every list beside which the rail stands."""

import gzip
from datetime import timedelta
from unittest import mock
from zoneinfo import ZoneInfo

from django.db import DatabaseError, connection
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from articles.models import Article
from newsroom.chrome.models import SiteSettings
from newsroom.pagecache import pages, pieces
from tests.factories import make_article, make_user
from tests.helpers import listing_text, text_of
from tests.newsroom.pagecache.test_page_cache import PageCacheTestCase

MARK = pieces.mark("latest-stories").decode()


class RailPieceTests(PageCacheTestCase):
    def setUp(self):
        super().setUp()
        self.sport = reverse("articles:section", args=["sport"])
        self.author_page = reverse("articles:author", args=["ioana-popescu"])

    def publish(self, headline: str = "Meteorite lands near Parliament", **fields) -> Article:
        # In politics, with no tag or byline: the sport list does not hold it.
        return make_article(
            headline=headline,
            section=self.section,
            publish_at=timezone.now() - timedelta(minutes=1),
            **fields,
        )

    def test_a_list_stays_stored_while_its_rail_follows_every_story(self):
        self.warm(self.sport)
        self.publish()
        response = self.get(self.sport)
        assert response["X-Page-Cache"] == "hit"
        assert "Meteorite lands near Parliament" in text_of(response)
        assert "Meteorite" not in listing_text(response)
        assert MARK not in response.content.decode()
        self.older.headline = "Parliament rejects the budget"
        self.older.save()
        response = self.get(self.sport)
        assert response["X-Page-Cache"] == "hit"
        assert "Parliament rejects the budget" in text_of(response)
        assert "Parliament votes the budget" not in text_of(response)

    def test_the_rail_is_built_once_per_change_not_once_per_list(self):
        self.warm(self.sport, self.author_page)
        self.publish()
        with CaptureQueriesContext(connection) as first:
            self.get(self.sport)
        with CaptureQueriesContext(connection) as second:
            response = self.get(self.author_page)
        assert len(first) >= 1  # the rail's stories, read once
        assert len(second) == 0
        assert response["X-Page-Cache"] == "hit"
        assert "Meteorite lands near Parliament" in text_of(response)

    def test_gzip_and_validators_follow_the_rail(self):
        self.warm(self.sport)
        before = self.get(self.sport, **{"Accept-Encoding": "gzip"})
        assert before["Content-Encoding"] == "gzip"
        self.publish()
        after = self.get(self.sport, **{"Accept-Encoding": "gzip", "If-None-Match": before["ETag"]})
        assert after.status_code == 200
        assert after["ETag"] != before["ETag"]
        html = gzip.decompress(after.content).decode()
        assert "Meteorite lands near Parliament" in html
        assert MARK not in html
        plain = self.get(self.sport)
        assert plain.content.decode() == html
        unchanged = self.get(self.sport, **{"If-None-Match": after["ETag"]})
        assert unchanged.status_code == 304

    def test_the_edge_is_told_the_rails_keys(self):
        self.warm(self.sport)
        with override_settings(EDGE_KEYS_HEADER="xkey"):
            keys = self.get(self.sport)["xkey"].split()
        assert "listings" in keys and "every-page" in keys

    def test_built_on_serving_in_the_pages_language_and_zone(self):
        site = SiteSettings.objects.get(pk=1)
        site.language = "ro"
        site.save()
        self.warm(self.sport)
        story = self.publish()
        # Whatever this process last had active.
        with translation.override("en"), timezone.override(ZoneInfo("UTC")):
            response = self.get(self.sport)
        assert response["X-Page-Cache"] == "hit"
        rail = response.content.decode().split('<aside class="listing-aside"', 1)[1]
        assert "Ultimele știri" in rail
        local = timezone.localtime(story.publish_at, ZoneInfo("Europe/Bucharest"))
        assert local.strftime("%H:%M") in rail

    def test_staff_and_a_site_without_the_cache_get_the_rail_in_the_page(self):
        self.publish()
        staff = self.client_class()
        staff.force_login(make_user("editor", group="Editor"))
        for_staff = self.get(self.sport, client=staff).content.decode()
        with override_settings(PAGE_CACHE=False):
            uncached = self.get(self.sport).content.decode()
        for html in (for_staff, uncached):
            assert "Meteorite lands near Parliament" in html
            assert MARK not in html

    def test_a_list_served_but_not_stored_gets_its_rail(self):
        with mock.patch.object(pages, "SETTLE_NS", 10**18):  # every page "changed meanwhile"
            response = self.get(self.author_page)
        assert "X-Page-Cache" not in response
        html = response.content.decode()
        assert "Senate delays the pension law" in html.split('<aside class="listing-aside"')[1]
        assert MARK not in html

    def test_a_headline_spelling_the_mark_stays_text(self):
        self.publish(headline=MARK + " <b>bold</b>")
        self.warm(self.sport)
        html = self.get(self.sport).content.decode()
        assert html.count('id="rail-latest-heading"') == 1
        assert MARK not in html
        assert escape(MARK + " <b>bold</b>") in html

    def test_the_database_down_while_the_rail_is_due_builds_the_page(self):
        self.warm(self.sport)
        self.publish()
        key = pages.page_key(RequestFactory().get(self.sport), ("page",))
        with mock.patch.object(pieces, "built", side_effect=DatabaseError("the database is down")):
            page, current = pages.find(key, pages.now())
        assert page is None and not current
        # Once it is back, the list is served with the new rail.
        response = self.get(self.sport)
        assert "Meteorite lands near Parliament" in text_of(response)


class StoryAroundPieceTests(PageCacheTestCase):
    """A story's previous, next and related stories: a piece of its stored page."""

    def test_a_story_stays_stored_when_its_section_gets_a_new_story(self):
        url = self.newer.get_absolute_url()
        self.warm(url)
        latest = make_article(
            headline="Meteorite lands near Parliament",
            section=self.section,
            publish_at=timezone.now() - timedelta(minutes=1),
        )
        response = self.get(url)
        assert response["X-Page-Cache"] == "hit"
        html = response.content.decode()
        assert f'href="{latest.get_absolute_url()}" rel="next"' in html
        assert "newsroom-piece" not in html

    def test_a_story_shown_around_another_is_edited_there_too(self):
        url = self.older.get_absolute_url()
        self.warm(url)
        self.newer.headline = "Senate passes the pension law"
        self.newer.save()
        response = self.get(url)
        assert response["X-Page-Cache"] == "hit"
        nav = response.content.decode().split('class="story-nav"', 1)[1].split("</nav>", 1)[0]
        assert "Senate passes the pension law" in nav

    def test_the_edge_is_told_the_stories_around(self):
        with override_settings(EDGE_KEYS_HEADER="xkey"):
            keys = self.get(self.older.get_absolute_url())["xkey"].split()
        assert f"section:{self.section.pk}" in keys
        assert f"article:{self.newer.pk}" in keys  # the next story, learnt by the piece

    def test_a_story_taken_down_is_gone_not_served_around(self):
        url = self.newer.get_absolute_url()
        self.warm(url)
        self.newer.status = Article.Status.DRAFT
        self.newer.save()
        assert self.get(url).status_code in (404, 410)
