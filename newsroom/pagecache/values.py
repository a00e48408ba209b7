"""Values pages print that cost more to compute than to keep, such as how many stories a list
holds or the rendered site chrome: kept until one of their keys is bumped or the clock changes
pages, in this process and in the shared cache (the versions decide, so both stay exact).

Some keys only the value can name (a story's authors and tags, known once it is loaded): those
are checked the way a page checks the keys it finds while building."""

import hashlib
import logging
import math
import pickle
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone

from newsroom.pagecache import clock, pages, reads
from newsroom.pagecache.keys import versions

logger = logging.getLogger(__name__)

PREFIX = "pages:value:"
# Each process keeps copies of the values it uses most, up to this many bytes pickled (about
# four times as much in memory): a kept story with its lead picture's renditions weighs ~8 KB.
LOCAL_BYTES = 4 * 1024 * 1024


class LocalValues:
    """This process's copies, by the same versioned name as in the shared cache, least recently
    used dropped first. Callers treat the values as read-only: every request of the process
    shares them."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.entries: OrderedDict[str, tuple[tuple, int]] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def get(self, name: str) -> tuple | None:
        with self.lock:
            found = self.entries.get(name)
            if found is None:
                return None
            self.entries.move_to_end(name)
            return found[0]

    def put(self, name: str, entry: tuple) -> None:
        try:
            weight = len(pickle.dumps(entry, pickle.HIGHEST_PROTOCOL)) + 256
        except Exception:  # not picklable: the shared cache could not keep it either
            return
        with self.lock:
            old = self.entries.pop(name, None)
            if old is not None:
                self.size -= old[1]
            self.entries[name] = (entry, weight)
            self.size += weight
            while self.size > self.max_bytes and self.entries:
                _name, (_entry, dropped) = self.entries.popitem(last=False)
                self.size -= dropped

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.size = 0


local_values = LocalValues(LOCAL_BYTES)


def remembered[T](
    name: str,
    keys: Iterable[str],
    compute: Callable[[], T],
    *,
    timeless: bool = False,
    learnt: Callable[[T], Iterable[str]] | None = None,
) -> T:
    """compute(), kept until one of `keys` is bumped or the clock changes pages.

    A `timeless` value (settings, the menus' links with their go-live times) is the same
    whatever the time: only its keys retire it, and it costs no look at the clock.
    `learnt(value)` names the keys the value also depends on that only it can tell: it is kept
    only if none of them was bumped shortly before computing it began (as a page is stored), and
    used only while none has been bumped since.
    """
    keys = frozenset(keys)
    current = versions(keys if timeless else keys | clock.watched_keys(), fresh=True)
    if current is None:  # no cache to tell when it changes: compute it
        return compute()
    cache_key = _cache_key(name, keys, current)
    now = timezone.now()
    if (found := _kept_entry(cache_key, now)) is not None:
        return found[0]
    started = time.time_ns()
    value = compute()
    if not reads.complete(current):  # read from a replica that has not replayed every change
        return value
    learnt_versions: dict[str, int] = {}
    if learnt is not None and (named := frozenset(learnt(value)) - keys):
        found_now = versions(named, fresh=True)
        if found_now is None or not reads.complete(found_now):
            return value
        if any(version > started - pages.SETTLE_NS for version in found_now.values()):
            return value  # changed while (or just before) it was computed: used once
        learnt_versions = found_now
    if timeless:
        until = now + timedelta(seconds=clock.KEEP_SECONDS)
    else:
        until = clock.keep_until(now, current)
    timeout = math.floor((until - now).total_seconds())
    if timeout >= 1:
        entry = (value, until, learnt_versions)
        try:
            cache.set(cache_key, entry, timeout)
        except Exception:
            logger.warning("page cache unavailable", exc_info=True)
        local_values.put(cache_key, entry)
    return value


def kept(name: str, keys: Iterable[str]) -> tuple[bool, object]:
    """(True, the value) when remembered(name, keys, …) has it kept for the keys' current
    versions; else (False, None). For serving what was built: the versions may be this process's
    near copies, as a stored page's are."""
    keys = frozenset(keys)
    current = versions(keys)
    if current is None:
        return False, None
    found = _kept_entry(_cache_key(name, keys, current), timezone.now())
    return (False, None) if found is None else (True, found[0])


def _cache_key(name: str, keys: frozenset[str], current: dict[str, int]) -> str:
    stamp = ":".join(f"{key}={current[key]}" for key in sorted(keys))
    return PREFIX + hashlib.blake2b(f"{name}|{stamp}".encode(), digest_size=20).hexdigest()


def _kept_entry(cache_key: str, now) -> tuple | None:
    """The entry kept under `cache_key`, in this process or the shared cache, if still good."""

    def good(entry: tuple | None) -> bool:
        return entry is not None and entry[1] > now and _learnt_current(entry)

    if good(found := local_values.get(cache_key)):
        return found
    try:
        found = cache.get(cache_key)
    except Exception:
        return None
    if not good(found):
        return None
    local_values.put(cache_key, found)
    return found


def _learnt_current(entry: tuple) -> bool:
    """Whether none of the keys the kept value named itself was bumped since it was kept."""
    recorded = entry[2] if len(entry) > 2 else {}
    return not recorded or versions(recorded, fresh=True) == recorded
