"""Counts reach Redis in one round trip per flush, whatever the number of stories read, and
survive Redis going away; and under gunicorn, beacons answered in front of Django are counted
and ranked across workers."""

import logging
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

import pytest
import redis
import requests
from django.test import SimpleTestCase

from benchmarks import serve
from newsroom.mostread import counting
from newsroom.pagecache.backend import ResilientRedisCache
from newsroom.settings import cache_from_url
from tests.helpers import BASE_DIR, collected_static, need_program
from tests.newsroom.mostread.test_most_read import BROWSER, forget


def resilient_cache(url: str) -> ResilientRedisCache:
    config = cache_from_url(url)
    return ResilientRedisCache(
        config["LOCATION"], {"OPTIONS": config["OPTIONS"], "KEY_PREFIX": config["KEY_PREFIX"]}
    )


class FlushToRedisTests(SimpleTestCase):
    def setUp(self):
        need_program("redis-server")
        self.url = self.enterContext(serve.redis_server())
        self.cache = resilient_cache(self.url)
        self.enterContext(mock.patch.object(counting, "cache", self.cache))
        # The stories that may be counted (the database's part, tested in test_most_read).
        self.enterContext(
            mock.patch.object(counting, "candidates", return_value=frozenset(range(1, 501)))
        )
        forget()
        self.addCleanup(forget)
        self.now = time.time()
        self.bucket = int(self.now // counting.BUCKET_SECONDS)

    def pending(self, counts: dict[int, int]) -> None:
        for pk, readings in counts.items():
            counting._pending[(self.bucket, pk)] += readings

    def test_counts_add_up_in_one_round_trip(self):
        self.pending({pk: pk % 3 + 1 for pk in range(1, 201)})
        with (
            mock.patch(
                "redis.client.Pipeline.execute",
                autospec=True,
                side_effect=redis.client.Pipeline.execute,
            ) as round_trips,
            mock.patch.object(self.cache, "add") as add,
            mock.patch.object(self.cache, "incr") as incr,
        ):
            counting.flush()
            self.pending({7: 5, 500: 2})
            counting.flush()
        assert round_trips.call_count == 2
        add.assert_not_called()
        incr.assert_not_called()
        key = counting._count_key(self.bucket, 7)
        assert self.cache.get(key) == 7 % 3 + 1 + 5
        assert self.cache.get(counting._count_key(self.bucket, 500)) == 2
        lifetime = counting.BUCKET_SECONDS * (counting.BUCKETS + 1)
        ttl = redis.Redis.from_url(self.url).ttl(self.cache.make_key(key))
        assert lifetime - 5 <= ttl <= lifetime
        # Other code reading the counts sees plain integers, as incr() left them before.
        found = counting.scores(self.now)
        assert found[7] == 7 % 3 + 1 + 5 and found[200] == 200 % 3 + 1

    def test_nothing_read_asks_nothing(self):
        with mock.patch("redis.client.Pipeline.execute") as round_trips:
            counting.flush()
        round_trips.assert_not_called()

    def test_redis_away_drops_that_moment_s_counts_logs_once_and_recovers(self):
        self.cache._cache._clients.clear()
        broken = resilient_cache("redis://127.0.0.1:9/0")
        with (
            mock.patch.object(counting, "cache", broken),
            self.assertLogs("newsroom.mostread.counting", logging.WARNING) as logged,
        ):
            for _ in range(3):
                self.pending({1: 1})
                counting.flush()  # no exception: the readers' beacons are unaffected
        assert len([line for line in logged.output if "counts dropped" in line]) == 1
        assert counting._pending == {}
        self.pending({2: 1})
        counting.flush()
        assert counting.scores(self.now) == {2: 1}


@pytest.mark.services
class UnderGunicornTests(SimpleTestCase):
    """Two workers and Redis, through the site's own WSGI application."""

    def test_beacons_are_counted_across_workers_and_ranked(self):
        need_program("redis-server")
        directory = Path(self.enterContext(tempfile.TemporaryDirectory()))
        redis_url = self.enterContext(serve.redis_server())
        env = {
            **serve.site_environment(
                f"sqlite:///{directory / 'site.sqlite3'}", directory, redis_url
            ),
            "STATIC_ROOT": collected_static(),
            # The ranking worked out in the request that asks (no task worker runs here).
            "TASKS_BACKEND": "immediate",
        }
        run_env = {**os.environ, **env}
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=BASE_DIR,
            env=run_env,
            check=True,
        )
        made = subprocess.run(
            [
                sys.executable,
                "manage.py",
                "shell",
                "--no-imports",
                "-c",
                "from newsroom.chrome.models import SiteSettings\n"
                "from tests.factories import make_article\n"
                "SiteSettings(pk=1, language='en').save()\n"
                "print(*[make_article(headline=f'Read story {n}').pk for n in range(3)])",
            ],
            cwd=BASE_DIR,
            env=run_env,
            check=True,
            capture_output=True,
            text=True,
        )
        first, second, third = (int(pk) for pk in made.stdout.split()[-3:])
        with serve.gunicorn(env, workers=2) as (base, _master):
            session = requests.Session()

            def read(pk: int, reader: int, **headers: str) -> requests.Response:
                return session.post(
                    f"{base}/live/read/{pk}/",
                    headers={
                        "User-Agent": BROWSER,
                        "X-Forwarded-For": f"198.51.100.{reader}",
                        **headers,
                    },
                    timeout=10,
                )

            for reader in range(6):
                assert read(second, reader).status_code == 204
            for reader in range(3):
                assert read(third, reader).status_code == 204
            for n in range(20):
                read(first, 200)  # one reader, over and over
                # Were they counted, twenty bots and twenty editors would put it first.
                read(first, 10 + n, **{"User-Agent": "Googlebot/2.1"})
                read(first, 30 + n, Cookie="sessionid=staff")
            assert session.get(f"{base}/live/read/{first}/", timeout=10).status_code == 405
            time.sleep(counting.FLUSH_SECONDS * 2.5)  # both workers flushed
            # The ranking is worked out once per REFRESH_SECONDS: ask for a fresh one.
            server = redis.Redis.from_url(redis_url)
            for key in server.scan_iter("*mostread:ranking*"):
                server.delete(key)
            html = session.get(f"{base}/live/most-read/", timeout=10).text
        # The flooding reader counts at most once per worker; bots and staff not at all.
        ranked = re.findall(r'<li><a href="[^"]+">([^<]+)</a>', html)
        assert ranked == ["Read story 1", "Read story 2", "Read story 0"], html
