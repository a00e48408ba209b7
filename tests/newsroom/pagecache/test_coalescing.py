"""One rebuild per change: requests for an out-of-date page, in threads or processes, cause one
build; the others get the previous page (never one that misses a change older than the promised
second, never after a takedown) or wait for the new one, and a dead builder's lock lapses."""

import multiprocessing
import threading
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.test import (
    RequestFactory,
    SimpleTestCase,
    TestCase,
    TransactionTestCase,
    override_settings,
)
from django.urls import path, resolve
from django.utils import timezone

from articles import withdrawals
from articles.models import Withdrawal
from benchmarks.serve import redis_server
from newsroom.chrome.models import SiteSettings
from newsroom.pagecache import clock, keys, pages, public_page
from newsroom.pagecache.middleware import PageCacheMiddleware
from tests.factories import make_article
from tests.helpers import StoresPagesAtOnce, need_program

URL = "/coalesced/"
KEY = "coalesced-page"
# Long enough for every other request to arrive while the page is being built.
BUILD_SECONDS = 0.3
# How many times the view built its page; shared with forked processes.
builds = multiprocessing.get_context("fork").Value("i", 0)


@public_page(KEY)
def slow_page(request: HttpRequest) -> HttpResponse:
    with builds.get_lock():
        builds.value += 1
        number = builds.value
    time.sleep(BUILD_SECONDS)
    return HttpResponse(f"build {number}")


urlpatterns = [path(URL.strip("/") + "/", slow_page)]


def call_view(request: HttpRequest) -> HttpResponse:
    match = resolve(request.path_info)
    return match.func(request, *match.args, **match.kwargs)


middleware = PageCacheMiddleware(call_view)


def fetch() -> tuple[str, str]:
    """How the page was served (X-Page-Cache) and its text."""
    response = middleware(RequestFactory().get(URL))
    return response["X-Page-Cache"], response.content.decode()


def lock_name() -> str:
    request = RequestFactory().get(URL)
    return pages.page_key(request, ()) + ":building"


class CoalescingSetup:
    def setUp(self):
        super().setUp()
        cache.clear()
        pages.local_pages.pages.clear()
        pages.local_pages.size = 0
        # No database here: no kept bumps to look for, and no scheduled moments.
        self.enterContext(mock.patch("newsroom.pagecache.middleware.check_pending"))
        self.enterContext(mock.patch.object(clock, "_ask", return_value=None))
        with builds.get_lock():
            builds.value = 0

    def warm(self) -> None:
        assert fetch()[0] == "miss"
        assert fetch()[0] == "hit"

    def at_once(self, count: int) -> list[tuple[str, str]]:
        """`count` requests for the page, all started together from threads."""
        start = threading.Barrier(count)
        answers: list[tuple[str, str]] = []

        def read():
            start.wait()
            answers.append(fetch())

        threads = [threading.Thread(target=read) for _ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert len(answers) == count
        return answers


@override_settings(
    ROOT_URLCONF=__name__,
    PAGE_CACHE=True,
    PAGE_CACHE_COALESCE=True,
    PAGE_CACHE_STALE_SECONDS=0.5,
    PAGE_CACHE_WAIT_SECONDS=5,
    PAGE_CACHE_LOCK_SECONDS=5,
)
class CoalescingTestCase(CoalescingSetup, SimpleTestCase):
    pass


class ThreadsTests(CoalescingTestCase):
    def test_simultaneous_requests_for_a_stale_page_build_it_once(self):
        self.warm()
        keys.bump(KEY)
        answers = self.at_once(8)
        assert builds.value == 2  # the first page, and one after the change
        served = sorted(how for how, _text in answers)
        assert served == ["miss"] + ["stale"] * 7, served
        assert {text for how, text in answers if how == "stale"} == {"build 1"}
        assert fetch() == ("hit", "build 2")

    @override_settings(PAGE_CACHE_STALE_SECONDS=0)
    def test_without_standing_in_they_wait_for_the_one_build(self):
        self.warm()
        keys.bump(KEY)
        answers = self.at_once(8)
        assert builds.value == 2
        assert sorted(answers) == [("hit", "build 2")] * 7 + [("miss", "build 2")]

    def test_a_page_never_stored_is_built_once_too(self):
        answers = self.at_once(6)
        assert builds.value == 1
        assert sorted(answers) == [("hit", "build 1")] * 5 + [("miss", "build 1")]

    @override_settings(PAGE_CACHE_COALESCE=False)
    def test_without_coalescing_each_request_builds(self):
        """The count above is the lock's doing: without it, every request builds."""
        self.warm()
        keys.bump(KEY)
        self.at_once(8)
        assert builds.value == 9


class LockTests(CoalescingTestCase):
    @override_settings(PAGE_CACHE_LOCK_SECONDS=1, PAGE_CACHE_STALE_SECONDS=0)
    def test_a_dead_builders_lock_blocks_no_longer_than_its_timeout(self):
        self.warm()
        keys.bump(KEY)
        cache.add(lock_name(), "a process that died", 1)  # as its holder took it
        started = time.monotonic()
        assert fetch() == ("miss", "build 2")
        waited = time.monotonic() - started - BUILD_SECONDS
        assert 0.5 < waited < 1 + 1.0, waited  # the lock's second, plus a loaded machine's slack

    @override_settings(PAGE_CACHE_WAIT_SECONDS=0.1, PAGE_CACHE_STALE_SECONDS=0)
    def test_a_reader_waits_no_longer_than_the_wait_whatever_the_lock(self):
        self.warm()
        keys.bump(KEY)
        cache.add(lock_name(), "a process that died", 60)
        started = time.monotonic()
        assert fetch() == ("miss", "build 2")
        assert time.monotonic() - started - BUILD_SECONDS < 0.1 + 0.5

    def test_the_builder_releases_its_lock(self):
        self.warm()
        keys.bump(KEY)
        assert fetch()[0] == "miss"
        assert cache.get(lock_name()) is None

    def test_the_builder_leaves_another_holders_lock_alone(self):
        lock = pages.RenderLock(pages.page_key(RequestFactory().get(URL), ()))
        assert lock.acquire()
        cache.set(lock.name, "someone else's", 5)  # ours lapsed and another took it
        lock.release()
        assert cache.get(lock.name) == "someone else's"


@override_settings(PAGE_CACHE_WAIT_SECONDS=0.05)
class StaleAgeTests(CoalescingTestCase):
    """The previous page stands in only while what it misses is recent."""

    def setUp(self):
        super().setUp()
        self.warm()
        cache.add(lock_name(), "another process building", 60)

    def bump_at(self) -> int:
        keys.bump(KEY)
        return cache.get(keys.BUMP_PREFIX + KEY)[2]

    def fetch_at(self, moment_ns: int) -> tuple[str, str]:
        with mock.patch.object(pages.time, "time_ns", return_value=moment_ns):
            return fetch()

    def test_the_previous_page_stands_in_right_after_the_change(self):
        since = self.bump_at()
        assert self.fetch_at(since + 100_000_000) == ("stale", "build 1")

    def test_never_past_the_setting(self):
        since = self.bump_at()
        assert self.fetch_at(since + 490_000_000)[0] == "stale"
        assert self.fetch_at(since + 510_000_000)[0] == "miss"

    @override_settings(PAGE_CACHE_STALE_SECONDS=30)
    def test_never_past_the_promised_second_whatever_the_setting(self):
        since = self.bump_at()
        assert self.fetch_at(since + 990_000_000)[0] == "stale"
        assert self.fetch_at(since + 1_010_000_000)[0] == "miss"

    def test_not_when_it_misses_more_than_one_change(self):
        # The first change's moment is not kept: how old the page is cannot be told.
        self.bump_at()
        since = self.bump_at()
        assert self.fetch_at(since + 1_000_000)[0] == "miss"

    def test_not_when_the_change_took_something_down(self):
        keys.bump(KEY, takedown=True)
        assert fetch()[0] == "miss"

    def test_not_when_the_cache_does_not_say_when_the_change_began(self):
        cache.set(keys.PREFIX + KEY, time.time_ns(), None)  # a version without its bump record
        assert fetch()[0] == "miss"


@override_settings(
    ROOT_URLCONF=__name__,
    PAGE_CACHE=True,
    PAGE_CACHE_STALE_SECONDS=0.5,
    PAGE_CACHE_WAIT_SECONDS=0.05,
)
class TransactionTests(CoalescingSetup, TestCase):
    """A save bumps some keys more than once; for the page before it, that is one change."""

    def setUp(self):
        super().setUp()
        self.warm()
        cache.add(lock_name(), "another process building", 60)

    def test_a_transactions_bumps_are_one_change(self):
        with self.captureOnCommitCallbacks(execute=True) as callbacks, transaction.atomic():
            keys.bump(KEY)
            keys.bump(KEY, "something-else")
        assert len(callbacks) == 1  # bumped again together at commit
        assert fetch() == ("stale", "build 1")

    def test_another_writes_bump_in_between_is_a_second_change(self):
        with self.captureOnCommitCallbacks(execute=True), transaction.atomic():
            keys.bump(KEY)
            keys._write(frozenset({KEY}), takedown=False)  # another process's write
        assert fetch()[0] == "miss"

    def test_a_takedown_anywhere_in_the_transaction_counts(self):
        with self.captureOnCommitCallbacks(execute=True), transaction.atomic():
            keys.bump(KEY)
            keys.bump("something-else", takedown=True)
            keys.bump(KEY)
        assert cache.get(keys.BUMP_PREFIX + KEY)[3]
        assert fetch()[0] == "miss"


@pytest.mark.services
class ProcessesTests(CoalescingTestCase):
    """Processes share only Redis: still one build per change."""

    def setUp(self):
        need_program("redis-server")
        redis_url = self.enterContext(redis_server())
        self.enterContext(
            override_settings(
                CACHES={
                    "default": {
                        "BACKEND": "newsroom.pagecache.backend.ResilientRedisCache",
                        "LOCATION": redis_url,
                    }
                }
            )
        )
        super().setUp()

    def in_processes(self, count: int) -> list[tuple[str, str]]:
        context = multiprocessing.get_context("fork")
        start = context.Barrier(count)
        answers = context.Queue()

        def read():
            start.wait()
            answers.put(fetch())

        processes = [context.Process(target=read) for _ in range(count)]
        for process in processes:
            process.start()
        found = [answers.get(timeout=30) for _ in processes]
        for process in processes:
            process.join(10)
            assert process.exitcode == 0
        return found

    def test_simultaneous_requests_in_processes_build_once(self):
        self.warm()
        keys.bump(KEY)
        answers = self.in_processes(6)
        assert builds.value == 2
        assert sorted(how for how, _text in answers) == ["miss"] + ["stale"] * 5

    @override_settings(PAGE_CACHE_STALE_SECONDS=0)
    def test_waiting_processes_get_the_one_new_page(self):
        self.warm()
        keys.bump(KEY)
        answers = self.in_processes(6)
        assert builds.value == 2
        assert sorted(answers) == [("hit", "build 2")] * 5 + [("miss", "build 2")]


@override_settings(PAGE_CACHE=True, PAGE_CACHE_STALE_SECONDS=1, PAGE_CACHE_WAIT_SECONDS=0.05)
class TakedownTests(StoresPagesAtOnce, TransactionTestCase):
    """While another process rebuilds them, pages showing a story just taken down never stand
    in; after an ordinary edit they may."""

    def setUp(self):
        super().setUp()
        cache.clear()
        pages.local_pages.pages.clear()
        SiteSettings(pk=1, language="en").save()
        self.story = make_article(
            headline="Minister resigns", publish_at=timezone.now() - timedelta(hours=1)
        )
        self.urls = [self.story.get_absolute_url(), "/"]
        for url in self.urls:
            # (The home page's first build may make the front page's row, and is not kept.)
            served = [self.client.get(url).get("X-Page-Cache") for _ in range(3)]
            assert served[-1] == "hit", (url, served)
            # Another process is rebuilding each page (and takes its time).
            key = pages.page_key(RequestFactory().get(url), pages.public_reads(url) or ())
            cache.add(key + ":building", "another process", 60)

    def test_after_an_edit_the_previous_pages_stand_in(self):
        self.story.standfirst = "A new standfirst."
        self.story.save()
        for url in self.urls:
            response = self.client.get(url)
            assert response["X-Page-Cache"] == "stale", url
            assert "Minister resigns" in response.content.decode()

    def test_a_withdrawn_story_is_never_served_from_the_previous_pages(self):
        withdrawals.withdraw(self.story, Withdrawal.Reason.KILLED)
        story, home = (self.client.get(url) for url in self.urls)
        assert story.status_code == 410
        assert story["X-Page-Cache"] != "stale"
        assert home["X-Page-Cache"] != "stale"
        assert "Minister resigns" not in home.content.decode()

    def test_an_unpublished_story_is_never_served_from_the_previous_pages(self):
        self.story.status = self.story.Status.DRAFT
        self.story.save()
        story, home = (self.client.get(url) for url in self.urls)
        assert story.status_code == 410
        assert "Minister resigns" not in home.content.decode()
        assert "stale" not in (story["X-Page-Cache"], home["X-Page-Cache"])
