"""Counting readings and ranking stories.

A reading adds one to its story's count for the hour (`BUCKET_SECONDS`); the rank weighs each
hour's count by half for every `HALF_LIFE_HOURS` of age, so yesterday's story fades. Only the
newest `CANDIDATES` published stories are counted and ranked.

The request path touches no shared service: each process counts in memory, and a thread of its
own adds those counts to the shared cache every `FLUSH_SECONDS` (with Redis, one pipelined round
trip for all the stories read meanwhile, however many readings). Each process also keeps which
address read what: an address counts once per story per `SEEN_SECONDS` and at most
`PER_ADDRESS_PER_MINUTE` times a minute in a process, so a flood from one address adds at most
one reading per story per process. A cache that is away loses the counts of that moment, nothing
else.
"""

import functools
import logging
import os
import re
import threading
import time
from collections import OrderedDict, defaultdict

from django.core.cache import cache

from articles.invalidation import LISTINGS
from articles.models import Article
from newsroom.pagecache import remembered

logger = logging.getLogger(__name__)

PREFIX = "mostread:"
BUCKET_SECONDS = 3600
BUCKETS = 24
HALF_LIFE_HOURS = 6
SEEN_SECONDS = 6 * 3600
PER_ADDRESS_PER_MINUTE = 30
CANDIDATES = 300
RANKED = 5
# How often the ranking is worked out again (readers fetch it at most this stale).
REFRESH_SECONDS = 300
FLUSH_SECONDS = 1.0
# How long a process trusts its list of the stories that may be counted.
CANDIDATES_SECONDS = 30
# Bounds on what a process remembers of its readers.
SEEN_ENTRIES = 200_000
RATE_ENTRIES = 50_000

# Crawlers, link previews, monitors and scripts: they read pages, not stories.
BOTS = re.compile(
    r"bot|crawl|spider|slurp|archiver|facebookexternalhit|embedly|preview|monitor|"
    r"headless|lighthouse|curl|wget|python|httpclient|java/|go-http|okhttp|axios|node-fetch",
    re.IGNORECASE,
)

_lock = threading.Lock()
_pending: dict[tuple[int, int], int] = defaultdict(int)  # (hour, story) -> readings
_seen: OrderedDict[tuple[str, int], float] = OrderedDict()  # (address, story) -> until
_rate: dict[str, tuple[int, int]] = {}  # address -> (minute, readings)
_candidates: tuple[float, frozenset[int]] = (0.0, frozenset())
_flusher_pid = 0
_flush_failed = False


@functools.lru_cache(maxsize=2048)  # readers' browsers repeat; the pattern is the costly part
def is_bot(user_agent: str) -> bool:
    return not user_agent or bool(BOTS.search(user_agent))


def candidates() -> frozenset[int]:
    """The stories that may be counted: the newest published ones."""
    return remembered(
        "most-read-candidates",
        [LISTINGS],
        lambda: frozenset(
            Article.objects.published().latest_first().values_list("pk", flat=True)[:CANDIDATES]
        ),
    )


def knows_candidates(now: float) -> bool:
    """Whether this process's list of the stories that may be counted is fresh: a reading can be
    counted without the database."""
    return _candidates[0] > now


def _countable(article_id: int, now: float) -> bool:
    global _candidates
    until, ids = _candidates
    if until <= now:
        try:
            ids = candidates()
        except Exception:
            logger.warning("most read: stories unavailable", exc_info=True)
        _candidates = (now + CANDIDATES_SECONDS, ids)
    return article_id in ids


def _count_key(bucket: int, article_id: int) -> str:
    return f"{PREFIX}n:{bucket}:{article_id}"


def record(article_id: int, address: str, now: float) -> bool:
    """Count one reading of the story from this address; whether it counted."""
    if not _countable(article_id, now):
        return False
    minute = int(now // 60)
    with _lock:
        last_minute, readings = _rate.get(address, (minute, 0))
        readings = readings if last_minute == minute else 0
        if readings >= PER_ADDRESS_PER_MINUTE:
            return False
        if len(_rate) >= RATE_ENTRIES:
            _rate.clear()
        _rate[address] = (minute, readings + 1)
        key = (address, article_id)
        if _seen.get(key, 0.0) > now:
            return False
        _seen[key] = now + SEEN_SECONDS
        _seen.move_to_end(key)
        if len(_seen) > SEEN_ENTRIES:
            _seen.popitem(last=False)
        _pending[(int(now // BUCKET_SECONDS), article_id)] += 1
    _start_flusher()
    return True


def flush() -> None:
    """Add this process's counts to the shared cache: one round trip with Redis (a pipeline of
    INCRBY and EXPIRE), whatever the number of stories read since the last flush."""
    global _pending, _flush_failed
    with _lock:
        counts, _pending = _pending, defaultdict(int)
    if not counts:
        return
    deltas = {_count_key(bucket, pk): readings for (bucket, pk), readings in counts.items()}
    timeout = BUCKET_SECONDS * (BUCKETS + 1)
    try:
        incr_many = getattr(cache, "incr_many", None)
        if incr_many is not None:
            incr_many(deltas, timeout)
        else:  # another backend (locmem in development and tests): one call per story
            for key, readings in deltas.items():
                if not cache.add(key, readings, timeout):
                    try:
                        cache.incr(key, readings)
                    except ValueError:  # expired between the two calls
                        cache.add(key, readings, timeout)
    except Exception:
        if not _flush_failed:  # once per outage, not every second
            logger.warning("most read: cache unavailable, counts dropped", exc_info=True)
        _flush_failed = True
        return
    _flush_failed = False


def _flush_forever() -> None:
    while True:
        time.sleep(FLUSH_SECONDS)
        flush()


def _start_flusher() -> None:
    # One thread per process, started on its first reading (after gunicorn forks).
    global _flusher_pid
    if _flusher_pid != os.getpid():
        with _lock:
            if _flusher_pid != os.getpid():
                _flusher_pid = os.getpid()
                threading.Thread(target=_flush_forever, name="most-read", daemon=True).start()


def scores(now: float) -> dict[int, float]:
    """Each candidate's decayed count of readings over the last BUCKETS hours."""
    flush()
    ids = candidates()
    current = int(now // BUCKET_SECONDS)
    keys = {
        _count_key(bucket, pk): (bucket, pk)
        for bucket in range(current - BUCKETS + 1, current + 1)
        for pk in ids
    }
    try:
        counts = cache.get_many(list(keys))
    except Exception:
        logger.warning("most read: cache unavailable", exc_info=True)
        return {}
    found: dict[int, float] = defaultdict(float)
    for key, count in counts.items():
        bucket, pk = keys[key]
        hours = (current - bucket) * BUCKET_SECONDS / 3600
        found[pk] += count * 0.5 ** (hours / HALF_LIFE_HOURS)
    return dict(found)


def _ranking_key(window: int) -> str:
    return f"{PREFIX}ranking:{window}"


def ranking(now: float) -> list[int]:
    """The most read stories' ids, most read first, worked out once every REFRESH_SECONDS.

    Where a task worker runs, the first request of a period enqueues the work (`rank`, a task)
    and is answered with the previous period's ranking meanwhile; without one (development, the
    immediate backend) it is worked out here."""
    window = int(now // REFRESH_SECONDS)
    try:
        found = cache.get_many([_ranking_key(window), _ranking_key(window - 1)])
    except Exception:
        found = {}
    ranked = found.get(_ranking_key(window))
    if ranked is not None:
        return ranked
    from newsroom.mostread import tasks

    if not tasks.runs_in_a_worker():
        return rank(now)
    try:
        # One task per period, whichever process asks first.
        if cache.add(f"{_ranking_key(window)}:queued", True, REFRESH_SECONDS):
            tasks.rank_most_read.enqueue(now)
    except Exception:
        logger.warning("most read: cannot enqueue the ranking", exc_info=True)
    return found.get(_ranking_key(window - 1), [])


def rank(now: float) -> list[int]:
    """Work out the ranking for the period of `now` and keep it for others."""
    found = scores(now)
    ranked = sorted(found, key=lambda pk: (-found[pk], -pk))[:RANKED]
    try:
        cache.set(_ranking_key(int(now // REFRESH_SECONDS)), ranked, REFRESH_SECONDS * 2)
    except Exception:
        logger.warning("most read: cache unavailable", exc_info=True)
    return ranked
