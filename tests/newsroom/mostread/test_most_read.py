"""Most read: the counting endpoint, who is not counted, the rate limit, the decay, and the
fragment that pages fetch (cached on its own, retiring no page)."""

import re
import time
from io import StringIO
from unittest import mock

from django.core.cache import cache
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.test import Client, TestCase, TransactionTestCase, override_settings
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from articles.models import Article
from newsroom.chrome.models import SiteSettings
from newsroom.mostread import counting
from tests.factories import make_article, make_user
from tests.helpers import DATABASE_TASKS, StoresPagesAtOnce

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0"


def forget():
    """What this process remembers of readers and counts, dropped between tests."""
    counting._seen.clear()
    counting._rate.clear()
    counting._pending.clear()
    counting._candidates = (0.0, frozenset())


def at(seconds: float):
    return mock.patch("newsroom.mostread.views.time.time", return_value=seconds)


class CountingTests(TestCase):
    def setUp(self):
        cache.clear()
        forget()
        SiteSettings(pk=1, language="en").save()
        self.stories = [make_article(headline=f"Story {n}") for n in range(6)]
        self.now = timezone.now().timestamp()

    def read(self, story, address="203.0.113.7", agent=BROWSER, **headers):
        with at(self.now):
            return self.client.post(
                reverse("read", args=[story.pk]),
                headers={"User-Agent": agent, **headers},
                REMOTE_ADDR=address,
            )

    def ranked(self, now=None) -> list[str]:
        found = counting.scores(now or self.now)
        return [
            Article.objects.get(pk=pk).headline
            for pk in sorted(found, key=lambda pk: (-found[pk], -pk))
        ]

    def test_readings_from_different_readers_rank_stories(self):
        for n in range(3):
            assert self.read(self.stories[1], address=f"198.51.100.{n}").status_code == 204
        self.read(self.stories[4], address="198.51.100.9")
        assert self.ranked() == ["Story 1", "Story 4"]

    def test_one_address_counts_once_per_story_and_cannot_flood(self):
        for _n in range(50):
            self.read(self.stories[2])
        for n in range(3):
            self.read(self.stories[3], address=f"198.51.100.{n}")
        assert self.ranked() == ["Story 3", "Story 2"]
        assert counting.scores(self.now)[self.stories[2].pk] == 1
        # Past the per-minute limit, even new stories are not counted for it.
        flood = "192.0.2.1"
        for story in self.stories * 6:
            self.read(story, address=flood)
        self.read(self.stories[5], address="192.0.2.200")
        counted = sum(counting.scores(self.now).values())
        assert counted <= 1 + 3 + 6 + 1

    def test_bots_staff_and_unknown_stories_are_not_counted(self):
        self.read(self.stories[0], agent="Googlebot/2.1 (+http://www.google.com/bot.html)")
        self.read(self.stories[0], agent="")
        self.read(self.stories[0], agent="curl/8.5.0")
        self.client.force_login(make_user("editor", group="Editor"))
        assert self.read(self.stories[0], address="198.51.100.50").status_code == 204
        self.client.logout()
        draft = make_article(status=Article.Status.DRAFT)
        assert self.read(draft, address="198.51.100.51").status_code == 204
        assert counting.scores(self.now) == {}

    def test_only_a_post_counts_and_it_sets_no_cookie(self):
        url = reverse("read", args=[self.stories[0].pk])
        assert self.client.get(url).status_code == 405
        response = self.read(self.stories[0])
        assert response.cookies == {}
        assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
        assert self.client.post("/live/read/abc/").status_code == 404

    def test_yesterdays_readings_fade(self):
        yesterday = self.now - 20 * 3600
        with at(yesterday):
            for n in range(8):
                self.client.post(
                    reverse("read", args=[self.stories[0].pk]),
                    headers={"User-Agent": BROWSER},
                    REMOTE_ADDR=f"198.51.100.{n}",
                )
        for n in range(3):
            self.read(self.stories[1], address=f"203.0.113.{n}")
        assert self.ranked() == ["Story 1", "Story 0"]
        assert counting.scores(self.now)[self.stories[0].pk] < 8 * 0.5**3

    def test_the_cache_away_loses_that_moment_s_counts_and_answers(self):
        assert self.read(self.stories[0]).status_code == 204
        with mock.patch.object(counting.cache, "add", side_effect=ConnectionError("down")):
            counting.flush()
        assert counting.scores(self.now) == {}
        self.read(self.stories[1])
        assert list(counting.scores(self.now)) == [self.stories[1].pk]

    def test_answered_before_sessions_and_the_page_cache(self):
        with mock.patch("newsroom.pagecache.middleware.PageCacheMiddleware.__call__") as later:
            assert self.read(self.stories[0]).status_code == 204
        later.assert_not_called()


class Readers:
    """Four stories and readers to count for them."""

    client: Client

    def setUp(self):
        super().setUp()
        cache.clear()
        forget()
        SiteSettings(pk=1, language="en").save()
        self.stories = [make_article(headline=f"Story {n}") for n in range(4)]

    def fragment(self):
        response = self.client.get(reverse("most-read"))
        assert response.status_code == 200
        return response

    def count(self, story, readers: int):
        for n in range(readers):
            self.client.post(
                reverse("read", args=[story.pk]),
                headers={"User-Agent": BROWSER},
                REMOTE_ADDR=f"198.51.100.{n}",
            )


@override_settings(PAGE_CACHE=True)
class FragmentTests(Readers, StoresPagesAtOnce, TestCase):
    def test_empty_until_something_is_read_then_ranked(self):
        assert self.fragment().content.strip() == b""
        self.count(self.stories[2], 3)
        self.count(self.stories[0], 1)
        with mock.patch.object(counting, "REFRESH_SECONDS", 1):
            html = self.fragment().content.decode()
        assert re.findall(r'<li><a href="[^"]+">([^<]+)</a>', html) == ["Story 2", "Story 0"]
        assert "Most read" in html
        assert "max-age=60" in self.fragment()["Cache-Control"]

    def test_pages_carry_the_slot_and_the_story_its_beacon(self):
        story = self.stories[0]
        html = self.client.get(story.get_absolute_url()).content.decode()
        assert f'data-read-url="{reverse("read", args=[story.pk])}"' in html
        assert 'data-most-read="/live/most-read/"' in html
        assert 'data-most-read="/live/most-read/"' in self.client.get("/").content.decode()

    def test_a_new_ranking_retires_no_stored_page(self):
        story = self.stories[1]
        self.client.get(story.get_absolute_url())
        assert self.client.get(story.get_absolute_url())["X-Page-Cache"] == "hit"
        self.count(story, 5)
        with mock.patch.object(counting, "REFRESH_SECONDS", 1):
            self.fragment()
        assert self.client.get(story.get_absolute_url())["X-Page-Cache"] == "hit"

    def test_a_withdrawn_story_leaves_the_list_at_once(self):
        self.count(self.stories[3], 2)
        with mock.patch.object(counting, "REFRESH_SECONDS", 1):
            assert "Story 3" in self.fragment().content.decode()
            self.stories[3].status = Article.Status.DRAFT
            self.stories[3].save()
            assert "Story 3" not in self.fragment().content.decode()

    def test_the_list_costs_no_query_once_kept(self):
        self.count(self.stories[0], 1)
        self.fragment()
        with self.assertNumQueries(0):
            self.fragment()


@override_settings(PAGE_CACHE=True, TASKS=DATABASE_TASKS)
class RankingTaskTests(Readers, TransactionTestCase):
    """With a worker, the ranking is its task. (The worker closes its connections between tasks,
    so this runs outside a test transaction.)"""

    def test_readers_get_the_previous_ranking_until_the_worker_has_made_the_new_one(self):
        self.count(self.stories[3], 2)
        with mock.patch.object(counting, "REFRESH_SECONDS", 3600):
            window = int(time.time() // 3600)
            cache.set(counting._ranking_key(window - 1), [self.stories[1].pk], 60)
            first = self.fragment().content.decode()
            assert "Story 1" in first and "Story 3" not in first  # the previous period's
            self.fragment()
            self.fragment()
            queued = DBTaskResult.objects.get()  # one task, however many asked
            assert queued.task_path == "newsroom.mostread.tasks.rank_most_read"
            call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO())
            queued.refresh_from_db()
            assert queued.status == TaskResultStatus.SUCCESSFUL
            assert "Story 3" in self.fragment().content.decode()
