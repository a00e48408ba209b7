"""A Redis cache that the site survives losing: errors become cache misses, not 500s."""

import functools
import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# After a failure, leave Redis alone this long before trying it again, so an outage costs
# one failed call per process every few seconds instead of a timeout on every request.
RETRY_AFTER_SECONDS = 5.0


def _falls_back_to(fallback):
    """Wrap a cache method so that, while Redis is down, it answers fallback(*its arguments)."""

    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            if self._down_until > time.monotonic():
                return fallback(*args, **kwargs)
            try:
                result = method(self, *args, **kwargs)
            except RedisError as exc:
                self._mark_down(exc)
                return fallback(*args, **kwargs)
            self._mark_up()
            return result

        return wrapper

    return decorate


def _returns(value):
    return lambda *args, **kwargs: value


def _default_argument(key, default=None, version=None):
    return default


def _unavailable(*args, **kwargs):
    # incr() on a missing key raises ValueError; callers already handle that case.
    raise ValueError("The cache is unavailable.")


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's client builds a new redis.Redis for every call, and redis-py's constructor
    (its table of response callbacks) costs more than a GET on loopback. A client only wraps
    its connection pool, so one per pool serves every call."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._client(connection_pool=self._get_connection_pool(write))
            self._clients[index] = client
        return client


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
        self._down_until = 0.0
        self._is_down = False
        self._state_lock = threading.Lock()

    def _mark_down(self, exc: Exception) -> None:
        with self._state_lock:
            self._down_until = time.monotonic() + RETRY_AFTER_SECONDS
            if not self._is_down:
                self._is_down = True
                logger.warning("Redis cache unavailable, serving uncached: %s", exc)

    def _mark_up(self) -> None:
        if self._is_down:
            with self._state_lock:
                self._is_down = False
                self._down_until = 0.0
                logger.warning("Redis cache reachable again.")

    def set_many_now(self, data, timeout=None, version=None):
        """set_many() that asks Redis even while it is thought down, and raises if it fails:
        for writes that must not be skipped silently (page versions)."""
        try:
            result = RedisCache.set_many(self, data, timeout, version)
        except RedisError as exc:
            self._mark_down(exc)
            raise
        self._mark_up()
        return result

    def incr_many(self, deltas: dict[str, int], timeout=DEFAULT_TIMEOUT, version=None) -> None:
        """Add each delta to its key's integer (a missing key counts from 0) and keep every key
        `timeout` seconds from now, in one round trip (a pipeline, not a transaction). Raises
        RedisError like set_many_now: the caller decides what losing the counts means."""
        if not deltas:
            return
        if self._down_until > time.monotonic():
            raise RedisConnectionError("Redis was unreachable a moment ago; not asked again yet.")
        seconds = self.get_backend_timeout(timeout)
        client = self._cache.get_client(write=True)
        try:
            with client.pipeline(transaction=False) as pipe:
                for key, delta in deltas.items():
                    made = self.make_and_validate_key(key, version=version)
                    pipe.incrby(made, delta)
                    if seconds is not None:
                        pipe.expire(made, int(seconds))
                pipe.execute()
        except RedisError as exc:
            self._mark_down(exc)
            raise
        self._mark_up()

    add = _falls_back_to(_returns(False))(RedisCache.add)
    get = _falls_back_to(_default_argument)(RedisCache.get)
    set = _falls_back_to(_returns(None))(RedisCache.set)
    touch = _falls_back_to(_returns(False))(RedisCache.touch)
    delete = _falls_back_to(_returns(False))(RedisCache.delete)
    get_many = _falls_back_to(lambda *args, **kwargs: {})(RedisCache.get_many)
    has_key = _falls_back_to(_returns(False))(RedisCache.has_key)
    incr = _falls_back_to(_unavailable)(RedisCache.incr)
    set_many = _falls_back_to(lambda *args, **kwargs: [])(RedisCache.set_many)
    delete_many = _falls_back_to(_returns(None))(RedisCache.delete_many)
    clear = _falls_back_to(_returns(False))(RedisCache.clear)
