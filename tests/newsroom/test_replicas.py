"""Read replicas: which requests read from one, and that a replica behind the primary never puts
a changed or withdrawn story into the page cache — with a real streaming pair in the end."""

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

import pytest
import requests
from django.core.cache import cache
from django.db import router
from django.http import HttpResponse
from django.test import RequestFactory, SimpleTestCase, TestCase, override_settings

from articles.models import Article
from benchmarks import serve
from newsroom import replicas
from newsroom.pagecache import bump, depends_on, public_page, remembered, versions
from newsroom.pagecache.reads import complete, data_as_of
from newsroom.replicas import ReplicaMiddleware, ReplicaRouter, Watch, reading_from
from tests.helpers import BASE_DIR, collected_static, need_program

ROUTED = {"DATABASE_ROUTERS": ["newsroom.replicas.ReplicaRouter"]}


class RouterTests(SimpleTestCase):
    def test_reads_go_where_the_request_was_sent_and_writes_to_the_primary(self):
        routing = ReplicaRouter()
        assert routing.db_for_read(Article) is None
        with reading_from("replica1", time.time_ns()):
            assert routing.db_for_read(Article) == "replica1"
            assert routing.db_for_write(Article) == "default"
        assert routing.db_for_read(Article) is None
        assert routing.allow_migrate("default", "articles")
        assert not routing.allow_migrate("replica1", "articles")

    @override_settings(**ROUTED)
    def test_django_asks_it(self):
        with reading_from("replica1", time.time_ns()):
            assert router.db_for_read(Article) == "replica1"
            assert router.db_for_write(Article) == "default"


@override_settings(DATABASE_REPLICA_MAX_LAG=1.0)
class WatchTests(SimpleTestCase):
    def watch(self, caught_up: dict[str, int]) -> Watch:
        watching = Watch()
        watching.pid = os.getpid()  # no thread
        watching.caught_up = caught_up
        return watching

    def test_a_replica_caught_up_within_the_bound_is_used(self):
        now = time.time_ns()
        assert self.watch({"replica1": now - 200_000_000}).usable() == (
            "replica1",
            now - 200_000_000,
        )

    def test_a_lagging_down_or_unknown_replica_is_not(self):
        now = time.time_ns()
        assert self.watch({"replica1": now - 1_500_000_000}).usable() is None
        assert self.watch({"replica1": 0}).usable() is None
        assert self.watch({}).usable() is None

    def test_several_share_the_load(self):
        now = time.time_ns()
        watching = self.watch({"replica1": now, "replica2": now, "replica3": 0})
        assert {watching.usable()[0] for _ in range(200)} == {"replica1", "replica2"}


class ReadsAsOfTests(TestCase):
    """Values and pages built from rows older than their keys' last change are not kept."""

    def setUp(self):
        cache.clear()

    def test_complete(self):
        assert complete({"a": 5, "b": -7})  # the primary: always
        with data_as_of(10):
            assert complete({"a": 5, "b": -7})
            assert not complete({"a": 5, "b": 10})
        assert complete({"a": 50}, moment_ns=51)
        assert not complete({"a": 50}, moment_ns=50)

    def test_a_value_read_from_behind_is_used_once_and_not_kept(self):
        bump("replica-test")
        changed = versions(["replica-test"])["replica-test"]
        calls = []

        def compute():
            calls.append(1)
            return len(calls)

        with data_as_of(changed - 1):
            assert remembered("replica-value", ["replica-test"], compute) == 1
        assert remembered("replica-value", ["replica-test"], compute) == 2
        with data_as_of(changed + 1):
            assert remembered("replica-value", ["replica-test"], compute) == 2
        assert len(calls) == 2


def page_view(key: str, calls: list):
    @public_page(key)
    def view(request):
        calls.append(replicas._reading_from.get())
        depends_on(request, key)
        return HttpResponse(f"<p>built {len(calls)}</p>")

    return view


@override_settings(PAGE_CACHE=True, **ROUTED)
class MiddlewareTests(TestCase):
    """The middleware with a replica that is the test database itself, under another name."""

    def setUp(self):
        cache.clear()
        self.calls: list = []
        self.factory = RequestFactory()

    def run_middleware(self, request, moment: int | None, key: str = "replica-page"):
        usable = None if moment is None else ("default", moment)
        view = page_view(key, self.calls)
        with (
            mock.patch.object(replicas.watch, "usable", return_value=usable),
            mock.patch.object(replicas, "public_reads", return_value=()),
        ):
            return ReplicaMiddleware(view)(request)

    def test_a_page_whose_keys_changed_before_the_replica_caught_up_is_built_there_once(self):
        bump("replica-page")
        response = self.run_middleware(self.factory.get("/p/"), time.time_ns() + 10**9)
        assert response.status_code == 200
        assert self.calls == ["default"]

    def test_a_page_changed_after_it_is_built_again_on_the_primary(self):
        moment = time.time_ns()
        bump("replica-page")
        response = self.run_middleware(self.factory.get("/p/"), moment)
        assert response.content == b"<p>built 2</p>"
        assert self.calls == ["default", None]

    def test_no_usable_replica_sessions_and_writes_stay_on_the_primary(self):
        later = time.time_ns() + 10**9
        self.run_middleware(self.factory.get("/p/"), None)
        staff = self.factory.get("/p/", HTTP_COOKIE="sessionid=abc")
        self.run_middleware(staff, later)
        self.run_middleware(self.factory.post("/p/"), later)
        self.run_middleware(self.factory.get("/p/?preview=x"), later)
        assert self.calls == [None, None, None, None]

    def test_a_replica_that_fails_is_skipped_and_the_page_built_on_the_primary(self):
        def failing(request):
            self.calls.append(replicas._reading_from.get())
            status = 503 if replicas._reading_from.get() else 200
            return HttpResponse(status=status)

        watching = Watch()
        watching.pid = os.getpid()
        watching.caught_up = {"replica1": time.time_ns()}
        with (
            mock.patch.object(replicas, "watch", watching),
            mock.patch.object(replicas, "public_reads", return_value=()),
        ):
            response = ReplicaMiddleware(failing)(self.factory.get("/p/"))
        assert response.status_code == 200
        assert self.calls == ["replica1", None]
        assert watching.caught_up == {"replica1": 0}


@pytest.mark.services
class StreamingReplicaTests(SimpleTestCase):
    """gunicorn with a PostgreSQL primary and a streaming replica made for the test, and Redis:
    anonymous pages read from the replica; a session does not; a paused replica never shows a
    withdrawn story and is skipped once it lags past the bound; a stopped one costs no error."""

    MAX_LAG = 6.0  # generous: a loaded machine may take seconds to run a command

    def manage(self, *arguments: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *arguments],
            cwd=BASE_DIR,
            env={**os.environ, **self.env, "DATABASE_REPLICA_URLS": ""},
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def replica_reads(self) -> int:
        """Statements of the site's run on the replica that read stories."""
        return int(
            self.pair.replica_sql(
                "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements "
                "WHERE query LIKE '%articles_article%' AND query NOT LIKE '%pg_stat_statements%'"
            )
        )

    def test_pages_from_the_replica_never_behind_the_primary(self):
        need_program("redis-server")
        self.pair = self.enterContext(serve.postgres_pair())
        redis_url = self.enterContext(serve.redis_server())
        directory = Path(self.enterContext(tempfile.TemporaryDirectory()))
        self.env = {
            **serve.site_environment(self.pair.primary_url, directory, redis_url),
            "STATIC_ROOT": collected_static(),
            "DATABASE_REPLICA_URLS": self.pair.replica_url,
            "DATABASE_REPLICA_MAX_LAG": str(self.MAX_LAG),
            "DATABASE_REPLICA_CHECK_SECONDS": "0.05",
            "METRICS_TOKEN": "metrics-token",
        }
        self.manage("migrate", "--noinput", "-v0")
        story_url = self.manage(
            "shell",
            "-v0",
            "-c",
            "from tests.factories import make_article;"
            "print(make_article(headline='Podul de la Brăila', slug='podul').get_absolute_url())",
        ).strip()
        # One worker: every request meets the same watch of the replica.
        with serve.gunicorn(self.env, workers=1) as (base, _master):

            def get(path: str, **headers: str) -> requests.Response:
                return requests.get(base + path, headers=headers, timeout=10)

            def search_until_the_replica_answers(word: str, failure: str) -> None:
                before, deadline, attempt = self.replica_reads(), time.monotonic() + 10, 0
                while self.replica_reads() == before:
                    assert time.monotonic() < deadline, failure
                    attempt += 1
                    assert get(f"/search/?q={word}{attempt}").status_code == 200
                    time.sleep(0.1)

            # Anonymous: the replica, once it has replayed the migrations and the story.
            search_until_the_replica_answers("pornire", "the replica was never used")
            before = self.replica_reads()
            assert get(story_url).status_code == 200
            assert self.replica_reads() > before

            # A session: the primary only.
            before = self.replica_reads()
            assert get("/search/?q=pod", Cookie="sessionid=staff").status_code == 200
            assert self.replica_reads() == before

            # The replica stops replaying; the story is withdrawn on the primary.
            self.pair.replica_sql("SELECT pg_wal_replay_pause()")
            self.manage(
                "shell",
                "-c",
                "from articles.models import Article;"
                "from articles.withdrawals import withdraw;"
                "withdraw(Article.objects.get(slug='podul'), 'unpublished')",
            )
            # A second on (each worker trusts the versions it read for half a second), still
            # within the bound: the replica is asked, and what it shows is not served.
            time.sleep(1)
            before = self.replica_reads()
            assert get(story_url).status_code == 410
            assert "Podul de la Brăila" not in get("/").text
            assert self.replica_reads() > before
            time.sleep(self.MAX_LAG - 1)
            # Now past the bound: skipped altogether.
            before = self.replica_reads()
            for word in ("pod", "brăila", "vreme"):
                assert get(f"/search/?q={word}").status_code == 200
            assert self.replica_reads() == before
            metrics = get("/metrics", Authorization="Bearer metrics-token").text
            behind = re.search(
                r'newsroom_replica_behind_seconds\{replica="replica1"\} (\S+)', metrics
            )
            assert behind is not None and float(behind.group(1)) >= self.MAX_LAG

            # Replaying again: used again.
            self.pair.replica_sql("SELECT pg_wal_replay_resume()")
            search_until_the_replica_answers("reluat", "the replica was not used again")
            assert get(story_url).status_code == 410

            # Stopped: pages still answer, from the primary.
            self.pair.stop_replica()
            for attempt in range(20):
                assert get(f"/search/?q=oprit{attempt}").status_code == 200
