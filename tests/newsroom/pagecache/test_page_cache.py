"""The whole-page cache: pages are served from it, and every change shows at once, exactly.

Each test warms the pages it checks (and asserts the second request was a cache hit, so a
passing test proves a cached page was dropped), changes something the way editors do, and reads
the pages again through the client.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from unittest import mock

import pytest
import requests
from django.core.cache import cache
from django.db import connection
from django.test import RequestFactory, SimpleTestCase, TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from taggit.models import Tag

from articles.invalidation import article_key
from articles.models import Article, ArticleAuthor, Correction
from newsroom.chrome.models import AdSlot, Menu, MenuItem, SiteSettings
from newsroom.pagecache import clock, keys, pages, values
from tests.factories import (
    bulk_published,
    curate,
    make_article,
    make_author,
    make_section,
    make_user,
    wire_service,
)
from tests.helpers import (
    BASE_DIR,
    PRODUCTION_ENV,
    StoresPagesAtOnce,
    free_port,
    gunicorn,
    listing_text,
    need_program,
    text_of,
)

DUMMY_CACHE = "django.core.cache.backends.dummy.DummyCache"
NEAR = 0.5  # as deploy/gunicorn.conf.py sets PAGE_CACHE_NEAR_SECONDS


@override_settings(PAGE_CACHE=True)
class PageCacheTestCase(StoresPagesAtOnce, TestCase):
    """A small site: two stories in one section sharing a tag and an author, one elsewhere."""

    def setUp(self):
        super().setUp()
        SiteSettings(pk=1, language="en", time_zone="Europe/Bucharest").save()
        self.section = make_section(name="Politics", slug="politics")
        self.other_section = make_section(name="Sport", slug="sport")
        self.author = make_author(name="Ioana Popescu", slug="ioana-popescu")
        self.day = timezone.localtime() - timedelta(days=1)
        self.older = make_article(
            headline="Parliament votes the budget",
            slug="parliament-votes-the-budget",
            section=self.section,
            authors=[self.author],
            tags=["budget"],
            publish_at=self.day.replace(hour=9, minute=0),
            wire_service=wire_service("reuters"),
            wire_attribution=Article.Attribution.ADDITIONAL_REPORTING,
        )
        self.newer = make_article(
            headline="Senate delays the pension law",
            slug="senate-delays-the-pension-law",
            section=self.section,
            authors=[self.author],
            tags=["budget"],
            publish_at=self.day.replace(hour=15, minute=0),
        )
        self.elsewhere = make_article(
            headline="Football final in Cluj",
            slug="football-final-in-cluj",
            section=self.other_section,
            publish_at=self.day.replace(hour=12, minute=0),
        )

    # --- helpers ------------------------------------------------------------------------------

    def get(self, url: str, client=None, **headers):
        response = (client or self.client).get(url, headers=headers)
        return response

    def warm(self, *urls: str) -> None:
        """Request each page twice; the second must come from the page cache."""
        for url in urls:
            first = self.get(url)
            assert first.status_code == 200, (url, first.status_code)
            second = self.get(url)
            assert second.get("X-Page-Cache") == "hit", (url, second.get("X-Page-Cache"))

    def text(self, url: str) -> str:
        response = self.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return text_of(response) if "html" in response["Content-Type"] else response.text

    def archive_urls(self) -> list[str]:
        local = timezone.localtime(self.older.publish_at)
        return [
            reverse("articles:archive-year", args=[local.year]),
            reverse("articles:archive-month", args=[local.year, local.month]),
            reverse("articles:archive-day", args=[local.year, local.month, local.day]),
        ]

    def html_pages(self) -> list[str]:
        """One page of every HTML type."""
        return [
            reverse("home"),
            self.older.get_absolute_url(),
            self.newer.get_absolute_url(),
            reverse("articles:section", args=["politics"]),
            reverse("articles:tag", args=["budget"]),
            reverse("articles:author", args=["ioana-popescu"]),
            *self.archive_urls(),
            reverse("articles:search") + "?q=budget",
        ]

    def listing_pages(self) -> list[str]:
        """Every page that lists the section's stories, feeds and sitemaps included."""
        return [
            reverse("home"),
            reverse("articles:section", args=["politics"]),
            reverse("articles:tag", args=["budget"]),
            reverse("articles:author", args=["ioana-popescu"]),
            *self.archive_urls(),
            reverse("articles:feed"),
            reverse("articles:feed-atom"),
            reverse("articles:section-feed", args=["politics"]),
            reverse("articles:tag-feed", args=["budget"]),
            reverse("articles:author-feed", args=["ioana-popescu"]),
            reverse("news-sitemap"),
        ]


class ServingTests(PageCacheTestCase):
    def test_second_request_is_served_whole_from_the_cache_without_queries(self):
        for url in self.html_pages() + [reverse("sitemap"), reverse("news-sitemap")]:
            first = self.get(url)
            assert first.status_code == 200, url
            assert first["X-Page-Cache"] == "miss", url
            with CaptureQueriesContext(connection) as queries:
                second = self.get(url)
            assert second["X-Page-Cache"] == "hit", url
            assert len(queries) == 0, (url, [query["sql"] for query in queries])
            assert second.content == first.content, url
            assert second["Content-Type"] == first["Content-Type"]
            assert second["Content-Language"] == "en"
            assert second["X-Frame-Options"] == "DENY"

    def test_missing_pages_and_redirects_are_not_stored(self):
        for url in ["/section/missing/", "/2001/01/01/", self.older.get_absolute_url() + "x/"]:
            self.get(url)
            assert "X-Page-Cache" not in self.get(url), url
        local = timezone.localtime(self.older.publish_at)
        wrong_date = f"/{local.year - 1}/01/01/{self.older.slug}/"
        assert self.get(wrong_date).status_code == 301
        assert self.get(wrong_date).status_code == 301

    def test_only_the_parameters_a_view_reads_make_another_page(self):
        url = reverse("articles:section", args=["politics"])
        self.warm(url)
        # Parameters the view does not read name the same page: served from the cache.
        response = self.get(url + "?utm_source=x&fbclid=y")
        assert response["X-Page-Cache"] == "hit"
        assert response.status_code == 200
        search = reverse("articles:search")
        self.warm(search + "?q=budget")
        assert self.get(search + "?q=budget&utm_x=1")["X-Page-Cache"] == "hit"
        assert self.get(search + "?q=pension")["X-Page-Cache"] == "miss"

    def test_head_is_served_like_get(self):
        url = reverse("home")
        self.warm(url)
        response = self.client.head(url)
        assert response.status_code == 200
        assert response["X-Page-Cache"] == "hit"

    def test_a_cache_that_fails_serves_pages_uncached(self):
        broken = mock.Mock(side_effect=ConnectionError("cache down"))
        down = mock.Mock(get=broken, set=broken, add=broken, get_many=broken, set_many=broken)
        for module in (pages, keys, values, clock):
            self.enterContext(mock.patch.object(module, "cache", down))
        with self.assertLogs("newsroom", "WARNING"):
            for url in self.html_pages():
                response = self.get(url)
                assert response.status_code == 200, url
                assert "X-Page-Cache" not in response
                assert "public" in response["Cache-Control"]
        assert broken.called

    @override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    )
    def test_the_site_works_with_caching_off(self):
        pages = self.html_pages() + self.listing_pages()
        for url in pages:
            for _ in range(2):
                response = self.get(url)
                assert response.status_code == 200, url
                assert response.get("X-Page-Cache") != "hit", url
        self.newer.headline = "Senate passes the pension law"
        self.newer.save()
        assert "Senate passes the pension law" in self.text(reverse("home"))

    @override_settings(PAGE_CACHE=False)
    def test_page_cache_setting_off_renders_every_request(self):
        url = reverse("home")
        self.get(url)
        response = self.get(url)
        assert "X-Page-Cache" not in response
        assert "ETag" in response  # HTTP caching still works

    def test_a_page_changed_while_it_was_built_is_served_but_not_stored(self):
        from articles import seo

        url = self.older.get_absolute_url()
        json_ld = seo.news_article

        def edited_meanwhile(*args, **kwargs):
            # Another editor saves the story while this request is building its page.
            Article.objects.filter(pk=self.older.pk).update(headline="Edited meanwhile")
            return json_ld(*args, **kwargs)

        with mock.patch.object(seo, "news_article", edited_meanwhile):
            first = self.get(url)
        assert "Parliament votes the budget" in first.content.decode()
        second = self.get(url)
        assert second["X-Page-Cache"] == "miss"
        assert "Edited meanwhile" in second.content.decode()

    def test_staff_are_never_served_or_stored(self):
        url = self.older.get_absolute_url()
        self.warm(url)
        editor = make_user("editor", group="Editor")
        staff = self.client_class()
        staff.force_login(editor)
        response = self.get(url, client=staff)
        assert "X-Page-Cache" not in response
        control = response["Cache-Control"]
        assert "private" in control and "no-store" in control and "public" not in control
        assert "Cookie" in response["Vary"]
        # What staff see is never stored for readers either.
        Article.objects.filter(pk=self.older.pk).update(headline="Changed behind the cache")
        staff.get(url)
        assert "Changed behind the cache" in self.text(url)

    def test_staff_see_a_change_readers_will_see_too(self):
        editor = make_user("editor", group="Editor")
        staff = self.client_class()
        staff.force_login(editor)
        self.warm(reverse("home"))
        draft = make_article(
            section=self.section, status=Article.Status.DRAFT, headline="Draft only"
        )
        assert staff.get(draft.get_absolute_url()).status_code == 200
        assert "Draft only" not in self.text(reverse("home"))

    def test_preview_links_are_never_cached(self):
        from django.core import signing

        from articles.models import PREVIEW_SALT

        draft = make_article(section=self.section, status=Article.Status.DRAFT, slug="a-draft")
        token = signing.TimestampSigner(salt=PREVIEW_SALT).sign(str(draft.pk))
        url = f"{draft.get_absolute_url()}?preview={token}"
        for _ in range(2):
            response = self.get(url)
            assert response.status_code == 200
            assert "X-Page-Cache" not in response
            assert "no-store" in response["Cache-Control"]


class StaleAfterPublishTests(PageCacheTestCase):
    """Publishing, editing, correcting and unpublishing show on every page at once."""

    def test_publishing_a_story_shows_on_every_page_it_joins(self):
        pages = [*self.listing_pages(), self.older.get_absolute_url()]
        search = reverse("articles:search") + "?q=meteorite"
        self.warm(*pages, search, self.newer.get_absolute_url())
        story = make_article(
            headline="Meteorite lands near Parliament",
            section=self.section,
            authors=[self.author],
            tags=["budget"],
            publish_at=self.day.replace(hour=12, minute=30),
        )
        for url in [*pages, search]:
            assert "Meteorite lands near Parliament" in self.text(url), url
        # The older story's "next" and related list, the newer story's "previous".
        assert "Meteorite lands near Parliament" in self.text(self.newer.get_absolute_url())
        assert self.get(story.get_absolute_url()).status_code == 200

    def test_editing_a_story_shows_everywhere_it_is_printed(self):
        pages = [*self.listing_pages(), *self.html_pages()]
        self.warm(*pages)
        self.older.headline = "Parliament rejects the budget"
        self.older.save()
        for url in pages:
            if url == reverse("articles:search") + "?q=budget":
                continue  # the snippet highlights words: checked below
            text = self.text(url)
            assert "Parliament rejects the budget" in text, url
            assert "Parliament votes the budget" not in text, url
        search = self.get(reverse("articles:search") + "?q=budget").content.decode()
        assert "rejects" in search

    def test_editing_the_body_shows_on_the_story_and_in_feeds(self):
        pages = [self.older.get_absolute_url(), reverse("articles:feed")]
        self.warm(*pages)
        self.older.body = "<p>A wholly new paragraph about the vote.</p>"
        self.older.save()
        for url in pages:
            assert "A wholly new paragraph about the vote." in self.get(url).content.decode(), url

    def test_a_correction_shows_on_the_story(self):
        url = self.older.get_absolute_url()
        self.warm(url)
        Correction.objects.create(article=self.older, text="An earlier version misnamed the MP.")
        assert "An earlier version misnamed the MP." in self.text(url)

    def test_unpublishing_a_story_removes_it_everywhere(self):
        pages = [*self.listing_pages(), self.newer.get_absolute_url()]
        self.warm(*pages, self.older.get_absolute_url())
        self.older.status = Article.Status.DRAFT
        self.older.save()
        assert self.get(self.older.get_absolute_url()).status_code == 410  # readers saw it
        for url in pages:
            response = self.get(url)
            if response.status_code == 404:
                continue  # an archive left empty
            assert "Parliament votes the budget" not in response.content.decode(), url

    def test_deleting_a_story_removes_it_everywhere(self):
        pages = [*self.listing_pages(), self.newer.get_absolute_url()]
        url = self.older.get_absolute_url()
        self.warm(*pages, url)
        self.older.delete()
        assert self.get(url).status_code == 410  # readers saw it
        for page in pages:
            response = self.get(page)
            assert "Parliament votes the budget" not in response.content.decode(), page

    def test_moving_a_story_to_another_section(self):
        sport = reverse("articles:section", args=["sport"])
        politics = reverse("articles:section", args=["politics"])
        self.warm(sport, politics, self.elsewhere.get_absolute_url())
        self.older.section = self.other_section
        self.older.save()
        assert "Parliament votes the budget" in self.text(sport)
        assert "Parliament votes the budget" not in listing_text(self.get(politics))
        # The story now has a neighbour in Sport.
        assert "Parliament votes the budget" in self.text(self.elsewhere.get_absolute_url())

    def test_bylines_and_tags_show_when_changed(self):
        other = make_author(name="Mihai Ionescu", slug="mihai-ionescu")
        pages = [
            self.older.get_absolute_url(),
            reverse("articles:section", args=["politics"]),
            reverse("articles:author", args=["mihai-ionescu"]),
            reverse("articles:feed"),
        ]
        self.warm(*pages)
        ArticleAuthor.objects.create(article=self.older, author=other, position=1)
        for url in pages:
            assert "Mihai Ionescu" in self.text(url), url
        tagged = reverse("articles:tag", args=["elections"])
        assert self.get(tagged).status_code == 404
        self.warm(self.older.get_absolute_url())
        self.older.tags.add("elections")
        assert "Parliament votes the budget" in self.text(tagged)
        assert "elections" in self.text(self.older.get_absolute_url())
        self.warm(tagged)
        self.older.tags.remove("elections")
        assert self.get(tagged).status_code == 404

    def test_a_queryset_update_shows_too(self):
        pages = [*self.listing_pages(), self.older.get_absolute_url()]
        self.warm(*pages)
        Article.objects.filter(pk=self.older.pk).update(headline="Budget passes after all")
        for url in pages:
            assert "Budget passes after all" in self.text(url), url
        self.warm(*pages)
        Article.objects.filter(pk=self.older.pk).update(status=Article.Status.DRAFT)
        assert self.get(self.older.get_absolute_url()).status_code == 410  # readers saw it
        assert "Budget passes after all" not in self.text(reverse("home"))

    def test_only_pages_showing_the_story_are_rebuilt(self):
        unrelated = self.elsewhere.get_absolute_url()
        # Every listing's rail shows the site's latest stories, this one among them.
        sport = reverse("articles:section", args=["sport"])
        self.warm(unrelated, sport, self.older.get_absolute_url())
        self.older.headline = "Parliament rejects the budget"
        self.older.save()
        assert self.get(unrelated)["X-Page-Cache"] == "hit"
        assert self.get(self.older.get_absolute_url())["X-Page-Cache"] == "miss"
        assert "Parliament rejects the budget" in self.text(sport)

    def test_editing_a_draft_leaves_the_cached_pages_alone(self):
        draft = make_article(section=self.section, status=Article.Status.DRAFT)
        pages = self.listing_pages()[:4]
        self.warm(*pages)
        draft.headline = "Still a draft"
        draft.save()
        for url in pages:
            assert self.get(url)["X-Page-Cache"] == "hit", url


class AdminActionTests(PageCacheTestCase):
    """The paths editors use in the admin, bulk actions included."""

    def setUp(self):
        super().setUp()
        self.staff = self.client_class()
        self.staff.force_login(make_user("boss", superuser=True))
        self.changelist = reverse("admin:articles_article_changelist")

    def act(self, action: str, *stories) -> None:
        response = self.staff.post(
            self.changelist,
            {"action": action, "_selected_action": [story.pk for story in stories]},
        )
        assert response.status_code == 302, response.status_code

    def test_publish_now_and_unpublish_actions(self):
        draft = make_article(
            section=self.section,
            status=Article.Status.DRAFT,
            headline="Breaking: the vote is tied",
            authors=[self.author],
            tags=["budget"],
        )
        pages = self.listing_pages()[:4]
        self.warm(*pages)
        self.act("publish_now", draft)
        for url in pages:
            assert "Breaking: the vote is tied" in self.text(url), url
        self.warm(*pages)
        self.act("unpublish", draft, self.older)
        for url in pages:
            text = self.text(url)
            assert "Breaking: the vote is tied" not in text, url
            assert "Parliament votes the budget" not in text, url

    def test_delete_selected_action(self):
        pages = self.listing_pages()[:4]
        self.warm(*pages)
        response = self.staff.post(
            self.changelist,
            {"action": "delete_selected", "_selected_action": [self.older.pk], "post": "yes"},
        )
        assert response.status_code == 302
        for url in pages:
            assert "Parliament votes the budget" not in self.text(url), url


class ChromeChangeTests(PageCacheTestCase):
    """Menus, ad slots, sections, authors, tags, wire services and site settings."""

    def test_menus(self):
        pages = self.html_pages()
        self.warm(*pages)
        menu = Menu.objects.create(name="Main", slug="main")
        item = MenuItem.objects.create(menu=menu, label="Weather desk", url="/weather/")
        for url in pages:
            assert "Weather desk" in self.text(url), url
        self.warm(*pages)
        item.delete()
        for url in pages:
            assert "Weather desk" not in self.text(url), url

    def test_ad_slots(self):
        pages = self.html_pages()
        self.warm(*pages)
        slot = AdSlot.objects.create(name="Top", placement="top", html="<b>Spring sale</b>")
        for url in pages:
            assert "Spring sale" in self.text(url), url
        self.warm(*pages)
        slot.is_active = False
        slot.save()
        for url in pages:
            assert "Spring sale" not in self.text(url), url

    def test_renaming_a_section(self):
        pages = [*self.html_pages(), reverse("articles:section-feed", args=["politics"])]
        self.warm(*pages)
        self.section.name = "Politics and Power"
        self.section.save()
        for url in pages:
            assert "Politics and Power" in self.text(url), url

    def test_renaming_an_author(self):
        pages = [
            self.older.get_absolute_url(),
            reverse("articles:section", args=["politics"]),
            reverse("articles:author", args=["ioana-popescu"]),
            reverse("home"),
            reverse("articles:feed"),
        ]
        self.warm(*pages)
        self.author.name = "Ioana Popescu-Vlad"
        self.author.save()
        for url in pages:
            assert "Ioana Popescu-Vlad" in self.text(url), url

    def test_renaming_a_tag(self):
        pages = [
            self.older.get_absolute_url(),
            reverse("articles:tag", args=["budget"]),
            reverse("articles:feed"),
        ]
        self.warm(*pages)
        tag = Tag.objects.get(slug="budget")
        tag.name = "State budget"
        tag.save()
        for url in pages:
            assert "State budget" in self.text(url), url

    def test_changing_a_wire_service(self):
        pages = [self.older.get_absolute_url(), reverse("articles:feed")]
        self.warm(*pages)
        reuters = wire_service("reuters")
        reuters.credit = "Reuters News"
        reuters.save()
        for url in pages:
            assert "Reuters News" in self.text(url), url

    def test_site_settings(self):
        pages = self.html_pages()
        self.warm(*pages)
        site = SiteSettings.load()
        site.city = "Cluj-Napoca"
        site.save()
        for url in pages:
            assert "Cluj-Napoca" in self.text(url), url
        curate(self.older)
        home = self.get(reverse("home")).content.decode()
        lead = home.index('class="lead__headline"')
        assert home.index(self.older.get_absolute_url(), lead) < home.index("</article>", lead)

    def test_a_menu_link_to_a_story_follows_the_story(self):
        menu = Menu.objects.create(name="Main", slug="main")
        MenuItem.objects.create(menu=menu, label="The budget story", article=self.older)
        pages = [reverse("home"), self.newer.get_absolute_url(), *self.archive_urls()]
        self.warm(*pages)
        self.older.status = Article.Status.DRAFT
        self.older.save()
        for url in pages:
            assert "The budget story" not in self.text(url), url


class ClockTests(PageCacheTestCase):
    """What changes with nobody saving: a scheduled story's go-live, ad slots, midnight."""

    def later(self, moment):
        return mock.patch("django.utils.timezone.now", return_value=moment)

    def test_a_scheduled_story_goes_live_on_cached_pages_on_time(self):
        go_live = timezone.now() + timedelta(minutes=5)
        story = make_article(
            headline="Embargoed budget figures",
            section=self.section,
            authors=[self.author],
            tags=["budget"],
            publish_at=go_live,
        )
        pages = [*self.listing_pages()[:4], self.newer.get_absolute_url()]
        self.warm(*pages)
        for url in pages:
            assert "Embargoed budget figures" not in self.text(url)
        with self.later(go_live - timedelta(seconds=1)):
            for url in pages:
                assert self.get(url)["X-Page-Cache"] == "hit", url
        with self.later(go_live + timedelta(seconds=1)):
            for url in pages:
                assert "Embargoed budget figures" in self.text(url), url
            assert self.get(story.get_absolute_url()).status_code == 200

    def test_rescheduling_earlier_is_honoured(self):
        go_live = timezone.now() + timedelta(hours=5)
        story = make_article(section=self.section, headline="Moved up", publish_at=go_live)
        url = reverse("articles:section", args=["politics"])
        self.warm(url)
        sooner = timezone.now() + timedelta(minutes=2)
        story.publish_at = sooner
        story.save()
        self.warm(url)
        with self.later(sooner + timedelta(seconds=1)):
            assert "Moved up" in self.text(url)

    def test_an_ad_slot_starts_and_ends_on_cached_pages(self):
        start = timezone.now() + timedelta(minutes=3)
        end = start + timedelta(minutes=3)
        AdSlot.objects.create(
            name="Timed", placement="top", html="<b>Flash sale</b>", starts_at=start, ends_at=end
        )
        url = reverse("home")
        self.warm(url)
        assert "Flash sale" not in self.text(url)
        with self.later(start + timedelta(seconds=1)):
            assert "Flash sale" in self.text(url)
        with self.later(end + timedelta(seconds=1)):
            assert "Flash sale" not in self.text(url)

    def test_pages_expire_at_local_midnight(self):
        # Teasers say "14:05" for a story of today and "24 November, 14:05" after midnight.
        url = reverse("articles:section", args=["politics"])
        zone = timezone.get_default_timezone()
        tomorrow = timezone.localdate(timezone.now(), zone) + timedelta(days=1)
        midnight = timezone.make_aware(datetime.combine(tomorrow, datetime.min.time()), zone)
        with self.later(midnight - timedelta(minutes=2)):
            self.warm(url)
        with self.later(midnight - timedelta(seconds=2)):
            assert self.get(url)["X-Page-Cache"] == "hit"
        with self.later(midnight + timedelta(seconds=1)):
            assert self.get(url)["X-Page-Cache"] == "miss"


class DeepPageTests(PageCacheTestCase):
    def test_lists_stop_at_the_page_cap_with_a_clean_404(self):
        from articles.views import MAX_PAGES, PAGE_SIZE

        bulk_published(
            MAX_PAGES * PAGE_SIZE + 5,
            self.other_section,
            headline="Story",
            slug="bulk-story",
            newest=timedelta(hours=2),
            apart=timedelta(minutes=1),
        )
        url = reverse("articles:section", args=["sport"])
        first = self.get(url)
        assert first.context["page"].paginator.num_pages == MAX_PAGES
        last = self.get(f"{url}?page={MAX_PAGES}")
        assert last.status_code == 200
        assert len(last.context["page"].object_list) == PAGE_SIZE
        assert self.get(f"{url}?page={MAX_PAGES + 1}").status_code == 404
        # The count is kept: a second, uncached render does not count again.
        with override_settings(PAGE_CACHE=False), CaptureQueriesContext(connection) as queries:
            self.get(f"{url}?page=2")
        assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]

    def test_count_follows_publishing(self):
        url = reverse("articles:section", args=["politics"])
        with override_settings(PAGE_CACHE=False):
            assert self.get(url).context["page"].paginator.count == 2
            make_article(section=self.section)
            assert self.get(url).context["page"].paginator.count == 3


class NearVersionTests(PageCacheTestCase):
    """With a remote cache, a process may trust the versions it read for a moment."""

    def setUp(self):
        super().setUp()
        remote = mock.patch.object(keys, "shared_cache_is_remote", return_value=True)
        remote.start()
        self.addCleanup(remote.stop)
        keys.near_versions.values.clear()
        self.addCleanup(keys.near_versions.values.clear)
        self.enterContext(override_settings(PAGE_CACHE_NEAR_SECONDS=NEAR))

    def test_a_change_made_here_shows_at_once(self):
        url = self.older.get_absolute_url()
        self.warm(url)
        self.older.headline = "Changed in this process"
        self.older.save()
        assert "Changed in this process" in self.text(url)

    def test_a_change_made_elsewhere_shows_within_the_near_window(self):
        url = self.older.get_absolute_url()
        self.warm(url)  # this process now trusts the versions it just read
        # Another process saves the story: its row changes, and it bumps the shared version.
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE articles_article SET headline = %s WHERE id = %s",
                ["Changed elsewhere", self.older.pk],
            )
        cache.set("pages:v:" + article_key(self.older.pk), time.time_ns(), None)
        read_at = max(stamp for _value, stamp in keys.near_versions.values.values())
        within = read_at + NEAR / 2
        with mock.patch.object(keys.time, "monotonic", return_value=within):
            assert self.get(url)["X-Page-Cache"] == "hit"
        after = read_at + NEAR + 0.01
        with mock.patch.object(keys.time, "monotonic", return_value=after):
            response = self.get(url)
        assert response["X-Page-Cache"] == "miss"
        assert "Changed elsewhere" in response.content.decode()

    def test_a_page_built_within_the_near_window_is_built_from_the_change(self):
        url = self.older.get_absolute_url()
        self.warm(url)  # trusted versions here; the story's own data kept under them
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE articles_article SET headline = %s WHERE id = %s",
                ["Changed elsewhere", self.older.pk],
            )
        cache.set("pages:v:" + article_key(self.older.pk), time.time_ns(), None)
        # Another worker built and stored the new page; this one, still trusting the versions it
        # read before the change, finds it out of date and builds the page itself.
        key = pages.page_key(RequestFactory().get(url), ())
        cache.delete(key)
        pages.local_pages.drop(key)
        read_at = max(stamp for _value, stamp in keys.near_versions.values.values())
        with mock.patch.object(keys.time, "monotonic", return_value=read_at + NEAR / 2):
            built = self.get(url)
        assert built["X-Page-Cache"] == "miss"
        # Built from the story as it is now, not from its data kept before the change, and
        # stored under the versions of now, so other workers serve it as it is.
        assert "Changed elsewhere" in built.content.decode()
        keys.near_versions.values.clear()
        response = self.get(url)
        assert response["X-Page-Cache"] == "hit"
        assert "Changed elsewhere" in response.content.decode()


@pytest.mark.services
class SharedCacheProcessesTests(SimpleTestCase):
    """Two gunicorn workers and a third process share only Redis and the database."""

    def setUp(self):
        redis_server = need_program("redis-server")
        directory = self.enterContext(tempfile.TemporaryDirectory())
        port = free_port()
        self.redis = subprocess.Popen(
            [redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.addCleanup(self.redis.wait, 10)
        self.addCleanup(self.redis.terminate)
        # Until Redis listens, the site serves uncached and leaves Redis alone for a while.
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        self.env = {
            **PRODUCTION_ENV,
            "DATABASE_URL": f"sqlite:///{Path(directory) / 'site.sqlite3'}",
            "CACHE_URL": f"redis://127.0.0.1:{port}/0",
            "WEATHER_BACKGROUND_REFRESH": "0",
            "PAGE_CACHE_NEAR_SECONDS": str(NEAR),
        }
        self.manage("migrate", "--noinput", "-v0")
        self.manage(
            "shell",
            "-c",
            "from tests.factories import make_article;"
            "make_article(headline='First headline', slug='the-story')",
        )

    def manage(self, *arguments: str) -> None:
        subprocess.run(
            [sys.executable, "manage.py", *arguments],
            cwd=BASE_DIR,
            env={**os.environ, **self.env},
            check=True,
        )

    def test_an_edit_in_another_process_reaches_every_worker(self):
        with gunicorn(self.env, workers=2) as base_url:
            home = base_url + "/"
            served = []
            deadline = time.monotonic() + 15
            while served[-10:] != ["hit"] * 10:  # both workers build and keep the page
                assert time.monotonic() < deadline, served
                response = requests.get(home, timeout=10)
                assert "First headline" in response.text
                served.append(response.headers.get("X-Page-Cache"))
            self.manage(
                "shell",
                "-c",
                "from articles.models import Article;"
                "story = Article.objects.get(slug='the-story');"
                "story.headline = 'Second headline'; story.save()",
            )
            # Workers trust versions they read for NEAR seconds; after that, none is stale.
            deadline = time.monotonic() + NEAR + 5
            fresh_in_a_row = 0
            while fresh_in_a_row < 20:
                assert time.monotonic() < deadline, "a worker kept serving the old page"
                text = requests.get(home, timeout=10).text
                fresh_in_a_row = fresh_in_a_row + 1 if "Second headline" in text else 0


@override_settings(PAGE_CACHE=False)
class ChromeFragmentTests(PageCacheTestCase):
    """Menus, ad slots and the footer are rendered once and reused until the chrome changes."""

    def setUp(self):
        super().setUp()
        menu = Menu.objects.create(name="Main", slug="main")
        MenuItem.objects.create(menu=menu, label="Politics desk", section=self.section)
        MenuItem.objects.create(menu=menu, label="Sport desk", section=self.other_section)

    def test_rendered_once_then_reused(self):
        from newsroom.chrome import ads

        url = self.older.get_absolute_url()

        def chrome_slots(ads_for) -> int:
            return sum(call.args[0] in ("top", "footer") for call in ads_for.call_args_list)

        with mock.patch.object(ads, "ads_for", wraps=ads.ads_for) as ads_for:
            self.client.get(url)
            assert chrome_slots(ads_for) == 2  # the header's and the footer's slots
            self.client.get(self.newer.get_absolute_url())
            assert chrome_slots(ads_for) == 2  # kept: the second page rendered its own slots only

    def test_a_change_to_the_chrome_shows_at_once(self):
        url = self.older.get_absolute_url()
        self.client.get(url)
        AdSlot.objects.create(name="Top", placement="top", html="<b>New promo</b>")
        assert "New promo" in self.text(url)
        self.other_section.name = "Sport and games"
        self.other_section.save()
        assert "Sport and games" in self.text(url)

    def test_the_current_page_is_marked_in_the_menu(self):
        politics = reverse("articles:section", args=["politics"])
        sport = reverse("articles:section", args=["sport"])
        for url, current in ((politics, politics), (sport, sport), (politics, politics)):
            html = self.client.get(url).content.decode()
            assert f'href="{current}" aria-current="page"' in html, url
            assert html.count('aria-current="page"') == 1, url
        story = self.client.get(self.older.get_absolute_url()).content.decode()
        assert 'aria-current="page"' not in story

    def test_an_ad_slot_starts_on_time_in_the_kept_chrome(self):
        start = timezone.now() + timedelta(minutes=2)
        AdSlot.objects.create(
            name="Later", placement="top", html="<b>Noon sale</b>", starts_at=start
        )
        url = self.older.get_absolute_url()
        assert "Noon sale" not in self.text(url)
        with mock.patch("django.utils.timezone.now", return_value=start + timedelta(seconds=1)):
            assert "Noon sale" in self.text(url)
