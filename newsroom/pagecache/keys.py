"""Versions of dependency keys, shared by every process through the cache.

A key is a plain string that names something pages show ("article:12", "listings"); its version
is the time of the last write that changed it, in nanoseconds. A page, a remembered value or a
clock reading records the versions it was built from and is used only while they still match.
"""

import logging
import threading
import time
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache, caches
from django.db import transaction

logger = logging.getLogger(__name__)

PREFIX = "pages:v:"


def versions(keys: Iterable[str]) -> dict[str, int] | None:
    """The current version of each key (one get_many), or None when the cache cannot tell.

    A key never seen (or evicted) gets a new, negative version: unlike a bump it is no sign of a
    recent write, and it differs from anything recorded before, so nothing stale matches it.
    """
    names = {PREFIX + key: key for key in keys}
    if cache_is_down():
        return None
    near = settings.PAGE_CACHE_NEAR_SECONDS
    found = near_versions.recent(names, near) if near and shared_cache_is_remote() else {}
    wanted = [name for name in names if name not in found]
    if wanted:
        try:
            fetched = cache.get_many(wanted)
            missing = [name for name in wanted if name not in fetched]
            if missing:
                for name in missing:
                    cache.add(name, -time.time_ns(), None)
                fetched.update(cache.get_many(missing))
        except Exception:
            logger.warning("page cache unavailable", exc_info=True)
            return None
        near_versions.remember(fetched)
        found.update(fetched)
    if len(found) < len(names):  # dummy cache, or an outage
        return None
    return {names[name]: value for name, value in found.items()}


def version(key: str) -> int:
    """One key's version; a fresh value each call when the cache is unavailable."""
    current = versions([key])
    return current[key] if current else time.time_ns()


def bump(*keys: str) -> None:
    """Make everything built from one of these keys stale, in every process.

    Bumped at once and again when the transaction commits, so a page rebuilt from the old rows
    meanwhile is not kept.
    """
    if not keys:
        return
    bumped = frozenset(keys)
    _write(bumped)
    transaction.on_commit(lambda: _write(bumped), robust=True)


def _write(keys: frozenset[str]) -> None:
    stamp = time.time_ns()
    values = {PREFIX + key: stamp for key in keys}
    try:
        cache.set_many(values, None)
    except Exception:
        logger.warning("cannot invalidate cached pages", exc_info=True)
    near_versions.remember(values)


class NearVersions:
    """Versions read from a remote cache, reused for a fraction of a second in this process.

    Off unless PAGE_CACHE_NEAR_SECONDS is set (deploy/gunicorn.conf.py sets half a second): a
    bump made here is seen here at once, one made by another process within that time. That
    keeps invalidation within the promised second while a busy page costs no round trip to
    Redis on most requests. (With the local-memory cache it is never used: reads are free.)
    """

    def __init__(self):
        self.values: dict[str, tuple[int, float]] = {}
        self.lock = threading.Lock()

    def recent(self, names, seconds: float) -> dict[str, int]:
        fresh_after = time.monotonic() - seconds
        values = self.values
        found = {}
        for name in names:
            entry = values.get(name)
            if entry is not None and entry[1] > fresh_after:
                found[name] = entry[0]
        return found

    def remember(self, values: dict[str, int]) -> None:
        now = time.monotonic()
        with self.lock:
            if len(self.values) > 50_000:
                self.values.clear()
            for name, value in values.items():
                self.values[name] = (value, now)


near_versions = NearVersions()


def shared_cache_is_remote() -> bool:
    backend = settings.CACHES["default"]["BACKEND"]
    return not backend.endswith(("LocMemCache", "DummyCache"))


def cache_is_down() -> bool:
    """The resilient Redis cache is pausing after a failure: nothing cached can be checked."""
    return getattr(caches["default"], "_down_until", 0.0) > time.monotonic()
