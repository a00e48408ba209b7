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

from newsroom.pagecache import edge

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
    # Not with an edge in front: a page it fetches after a purge is kept there for long, so it
    # must be checked against the versions just written; the edge spares the round trips.
    near = 0 if edge.enabled() else settings.PAGE_CACHE_NEAR_SECONDS
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


def bump(*keys: str, hard: bool = False) -> None:
    """Make everything built from one of these keys stale, in every process and at the edge.

    Bumped at once and again when the transaction commits, so a page rebuilt from the old rows
    meanwhile is not kept. A bump the shared cache does not take is kept in the database (in
    the write's transaction) and replayed as soon as it answers: never dropped. The edge is
    purged once the transaction commits (`edge.queue`); `hard` (a story taken down) leaves it
    no stale copy to serve meanwhile.
    """
    if not keys:
        return
    bumped = frozenset(keys)
    _write_or_hold(bumped)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _write_or_hold(bumped), robust=True)
    edge.queue(bumped, hard=hard)


def _write_or_hold(keys: frozenset[str]) -> None:
    if not _write(keys):
        _hold(keys)


def _write(keys: frozenset[str]) -> bool:
    """New versions for the keys in the shared cache; False when it did not take them."""
    stamp = time.time_ns()
    values = {PREFIX + key: stamp for key in keys}
    near_versions.remember(values)  # this process knows at once, whatever happens
    # Tried even while the cache is thought down: a version must not be skipped silently.
    write = getattr(cache, "set_many_now", cache.set_many)
    try:
        write(values, None)
    except Exception:
        logger.warning("cannot invalidate cached pages now: kept to replay", exc_info=True)
        return False
    return True


# --- Bumps the cache did not take ------------------------------------------------------------

_replaying = threading.Lock()
# When this process next looks for bumps kept by any process (0: at its first request).
_next_look = 0.0


def _hold(keys: frozenset[str]) -> None:
    from newsroom.pagecache.models import PendingBump

    PendingBump.objects.create(keys=sorted(keys))
    # Once the row is there for other connections to see: after the commit, if in one.
    transaction.on_commit(replay_soon)


def replay_pending() -> bool:
    """Write every kept bump to the shared cache and forget it; False while it cannot."""
    from newsroom.pagecache.models import PendingBump

    while True:
        rows = list(PendingBump.objects.values_list("pk", "keys")[:500])
        if not rows:
            return True
        replayed = frozenset(key for _pk, keys in rows for key in keys)
        if not _write(replayed):
            return False
        PendingBump.objects.filter(pk__in=[pk for pk, _keys in rows]).delete()
        # Until now this cache served pages built before those writes, and the edge may have
        # kept them since: purged again, hard (whether the write was a takedown is not kept).
        edge.queue(replayed, hard=True)


def replay_soon() -> None:
    """Replay kept bumps from a background thread, retrying until the cache takes them."""
    if not _replaying.acquire(blocking=False):
        return  # this process is at it already
    thread = threading.Thread(target=_replay_until_done, name="page-cache-replay", daemon=True)
    try:
        thread.start()
    except RuntimeError:  # the interpreter is shutting down
        _replaying.release()


def _replay_until_done() -> None:
    from django.db import DatabaseError, connections

    try:
        while True:
            try:
                if replay_pending():
                    return
            except DatabaseError:
                logger.warning("cannot read the kept page-cache bumps", exc_info=True)
            time.sleep(settings.PAGE_CACHE_REPLAY_SECONDS)
    finally:
        connections.close_all()
        _replaying.release()


def check_pending() -> None:
    """Every PAGE_CACHE_PENDING_CHECK_SECONDS, one query: are there bumps some process kept
    (and may have died since, or exited, like a command)? Then replay them: at once when the
    cache answers, from the background while it does not."""
    global _next_look
    moment = time.monotonic()
    if moment < _next_look:
        return
    _next_look = moment + settings.PAGE_CACHE_PENDING_CHECK_SECONDS
    from django.db import DatabaseError

    from newsroom.pagecache.models import PendingBump

    try:
        if not PendingBump.objects.exists():
            return
        if cache_is_down() or not replay_pending():
            replay_soon()
    except DatabaseError:  # the database is out of reach: the page answers 503 anyway
        _next_look = 0.0


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
