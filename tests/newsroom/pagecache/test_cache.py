import socket
import subprocess
import time

import pytest
from django.core.cache.backends.redis import RedisCache
from django.test import SimpleTestCase

from newsroom.pagecache import backend as resilient
from newsroom.pagecache.backend import ResilientRedisCache
from newsroom.settings import cache_from_url
from tests.helpers import need_program


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_redis(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            need_program("redis-server"),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("redis-server did not start")


def make_cache(port: int) -> ResilientRedisCache:
    config = cache_from_url(f"redis://127.0.0.1:{port}/0")
    return ResilientRedisCache(config["LOCATION"], {"OPTIONS": config["OPTIONS"]})


class CacheUrlTests(SimpleTestCase):
    def test_schemes(self):
        assert cache_from_url("locmem://")["BACKEND"].endswith("LocMemCache")
        assert cache_from_url("dummy://")["BACKEND"].endswith("DummyCache")
        assert (
            cache_from_url("redis://127.0.0.1:6379/0")["BACKEND"]
            == "newsroom.pagecache.backend.ResilientRedisCache"
        )

    def test_unknown_scheme_is_refused(self):
        from django.core.exceptions import ImproperlyConfigured

        with pytest.raises(ImproperlyConfigured):
            cache_from_url("memcached://127.0.0.1")


@pytest.mark.services
class RedisOutageTests(SimpleTestCase):
    def test_unreachable_redis_is_a_cache_miss_and_logged_once(self):
        cache = make_cache(free_port())
        with self.assertLogs("newsroom.pagecache.backend", "WARNING") as logs:
            assert cache.get("key", "fallback") == "fallback"
            assert cache.set("key", "value") is None
            assert cache.add("key", "value") is False
            assert cache.get_many(["a", "b"]) == {}
            with pytest.raises(ValueError):
                cache.incr("counter")
        assert len(logs.records) == 1

    def test_get_or_set_computes_the_value_while_redis_is_down(self):
        cache = make_cache(free_port())
        with self.assertLogs("newsroom.pagecache.backend", "WARNING"):
            assert cache.get_or_set("key", lambda: "computed") == "computed"

    def test_cache_is_used_again_when_redis_returns(self):
        port = free_port()
        server = start_redis(port)
        cache = make_cache(port)
        try:
            cache.set("story", "cached")
            assert cache.get("story") == "cached"
            server.terminate()
            server.wait(5)
            with self.assertLogs("newsroom.pagecache.backend", "WARNING"):
                assert cache.get("story") is None
            server = start_redis(port)
            cache._down_until = 0  # the retry delay has passed
            with self.assertLogs("newsroom.pagecache.backend", "WARNING") as logs:
                cache.set("story", "cached again")
            assert "reachable again" in logs.output[0]
            assert cache.get("story") == "cached again"
        finally:
            server.terminate()
            server.wait(5)

    def test_retry_delay_spares_redis_during_an_outage(self):
        cache = make_cache(free_port())
        calls = []
        original = RedisCache.get

        def counting_get(self, *args, **kwargs):
            calls.append(args)
            return original(self, *args, **kwargs)

        wrapped = resilient._falls_back_to(resilient._default_argument)(counting_get)
        with self.assertLogs("newsroom.pagecache.backend", "WARNING"):
            for _ in range(5):
                assert wrapped(cache, "key") is None
        assert len(calls) == 1
