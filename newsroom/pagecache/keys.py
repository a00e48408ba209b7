"""Versions of dependency keys, shared by every process through the cache.

A key is a plain string that names something pages show ("article:12", "listings"); its version
is the time of the last write that changed it, in nanoseconds. A page, a remembered value or a
clock reading records the versions it was built from and is used only while they still match.

Beside each version the cache keeps what that last bump replaced and when its change began
(`missed_since()`): enough to tell how long ago a page built one version earlier went out of date,
so that it may stand in for a moment while the new page is built, unless the change took
something down.
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
# The last bump of each key: (its version, the version it replaced, when its change began,
# whether it took something down).
BUMP_PREFIX = "pages:b:"


def versions(keys: Iterable[str], fresh: bool = False) -> dict[str, int] | None:
    """The current version of each key (one get_many), or None when the cache cannot tell.

    A key never seen (or evicted) gets a new, negative version: unlike a bump it is no sign of a
    recent write, and it differs from anything recorded before, so nothing stale matches it.
    `fresh`: read them all from the shared cache, never from this process's near copies. What a
    page or value is built from and stored under must be exact: a build under versions another
    worker already bumped would take kept values of before the change and store them as current.
    """
    names = {PREFIX + key: key for key in keys}
    if cache_is_down():
        return None
    # Not with an edge in front: a page it fetches after a purge is kept there for long, so it
    # must be checked against the versions just written; the edge spares the round trips.
    near = 0 if edge.enabled() else settings.PAGE_CACHE_NEAR_SECONDS
    trusted = near and not fresh and shared_cache_is_remote()
    found = near_versions.recent(names, near) if trusted else {}
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


def bump(*keys: str, takedown: bool = False) -> None:
    """Make everything built from one of these keys stale, in every process and at the edge.

    Bumped at once and again when the transaction commits (every key it bumped, together), so a
    page rebuilt from the old rows meanwhile is not kept. A bump the shared cache does not take
    is kept in the database (in the write's transaction) and replayed as soon as it answers:
    never dropped. The edge is purged once the transaction commits (`edge.queue`). `takedown`:
    the write takes something off the site, and no page built before it may stand in (not even
    for the moment its replacement takes to build), here or at the edge (a hard purge).
    """
    if not keys:
        return
    bumped = frozenset(keys)
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        ongoing = TransactionBumps.of(connection)
        ongoing.keys |= bumped
        ongoing.takedown = ongoing.takedown or takedown
        _write_or_hold(bumped, takedown, ongoing)
    else:
        _write_or_hold(bumped, takedown)
    edge.queue(bumped, hard=takedown)


class TransactionBumps:
    """What one transaction bumped, to bump again together when it commits; and, per key, the
    version it replaced, so that its bumps count as one change (a save bumps some keys more
    than once) for a page built before it."""

    _current = threading.local()

    def __init__(self):
        self.keys: set[str] = set()
        self.takedown = False
        # When its first bump was made; per key, the version before it and this one's last.
        self.since: int | None = None
        self.replaced: dict[str, int | None] = {}
        self.last: dict[str, int] = {}

    @classmethod
    def of(cls, connection) -> "TransactionBumps":
        ongoing = getattr(cls._current, "bumps", None)
        # A rolled-back transaction's callbacks are dropped with it: then this one is new.
        if ongoing is None or not any(
            callback == ongoing.commit for _ids, callback, _robust in connection.run_on_commit
        ):
            ongoing = cls._current.bumps = cls()
            transaction.on_commit(ongoing.commit, robust=True)
        return ongoing

    def commit(self) -> None:
        if getattr(self._current, "bumps", None) is self:
            self._current.bumps = None
        _write_or_hold(frozenset(self.keys), self.takedown, self)


def _write_or_hold(
    keys: frozenset[str], takedown: bool, ongoing: TransactionBumps | None = None
) -> None:
    if not _write(keys, takedown, ongoing):
        _hold(keys)


def _write(
    keys: frozenset[str], takedown: bool = True, ongoing: TransactionBumps | None = None
) -> bool:
    """New versions for the keys in the shared cache; False when it did not take them.

    With the bumps of an `ongoing` transaction, a page built before it went out of date when
    its first bump was made, with the version that bump replaced — unless another write
    bumped the key in between.
    """
    stamp = time.time_ns()
    names = sorted(keys)
    try:
        before = cache.get_many([PREFIX + key for key in names])
    except Exception:
        before = {}
    since = stamp if ongoing is None or ongoing.since is None else ongoing.since
    replaced: dict[str, int | None] = {}
    values: dict[str, object] = {}
    for key in names:
        previous = before.get(PREFIX + key)
        if ongoing is not None and key in ongoing.last and previous == ongoing.last[key]:
            previous = ongoing.replaced[key]  # still its own bump: the same change
        replaced[key] = previous
        values[PREFIX + key] = stamp
        values[BUMP_PREFIX + key] = (stamp, previous, since, takedown)
    # This process knows at once, whatever happens.
    near_versions.remember({PREFIX + key: stamp for key in names})
    # Tried even while the cache is thought down: a version must not be skipped silently.
    write = getattr(cache, "set_many_now", cache.set_many)
    try:
        write(values, None)
    except Exception:
        logger.warning("cannot invalidate cached pages now: kept to replay", exc_info=True)
        return False
    if ongoing is not None:
        ongoing.since = since
        ongoing.replaced.update(replaced)
        ongoing.last.update(dict.fromkeys(names, stamp))
    return True


def missed_since(recorded: dict[str, int]) -> int | None:
    """When the first change a page built with the `recorded` versions misses began (ns), read
    afresh from the shared cache; None when that cannot be told (it missed more than one bump of
    a key, or the cache does not say) or when a change it misses took something down."""
    names = list(recorded)
    try:
        found = cache.get_many([kind + name for kind in (PREFIX, BUMP_PREFIX) for name in names])
    except Exception:
        return None
    first = time.time_ns()
    for name in names:
        current = found.get(PREFIX + name)
        if current is None:
            return None
        if current == recorded[name]:
            continue
        last = found.get(BUMP_PREFIX + name)
        if last is None or last[0] != current or last[1] != recorded[name] or last[3]:
            return None
        first = min(first, last[2])
    return first


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
        # What these bumps took down is not known any more: none may let a page stand in.
        if not _write(replayed, takedown=True):
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
