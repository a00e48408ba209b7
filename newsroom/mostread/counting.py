"""Counting readings and ranking stories, in the shared cache.

A reading adds one to its story's count for the hour (`BUCKET_SECONDS`); the rank weighs each
hour's count by half for every `HALF_LIFE_HOURS` of age, so yesterday's story fades. One address
counts once per story per `SEEN_SECONDS` and at most `PER_ADDRESS_PER_MINUTE` times a minute,
so a flood from one address cannot lift a story. Only the newest `CANDIDATES` published stories
are counted and ranked. Every call survives a cache that is away: nothing is counted then.
"""

import hashlib
import logging
import re
from collections import defaultdict

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

# Crawlers, link previews, monitors and scripts: they read pages, not stories.
BOTS = re.compile(
    r"bot|crawl|spider|slurp|archiver|facebookexternalhit|embedly|preview|monitor|"
    r"headless|lighthouse|curl|wget|python|httpclient|java/|go-http|okhttp|axios|node-fetch",
    re.IGNORECASE,
)


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


def _count_key(bucket: int, article_id: int) -> str:
    return f"{PREFIX}n:{bucket}:{article_id}"


def _add_one(key: str, timeout: int) -> int:
    if cache.add(key, 1, timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.add(key, 1, timeout)
        return 1


def record(article_id: int, address: str, now: float) -> bool:
    """Count one reading of the story from this address; whether it counted."""
    if article_id not in candidates():
        return False
    who = hashlib.blake2b(address.encode(), digest_size=8).hexdigest()
    try:
        if _add_one(f"{PREFIX}rate:{who}:{int(now // 60)}", 120) > PER_ADDRESS_PER_MINUTE:
            return False
        if not cache.add(f"{PREFIX}seen:{who}:{article_id}", 1, SEEN_SECONDS):
            return False
        bucket = int(now // BUCKET_SECONDS)
        _add_one(_count_key(bucket, article_id), BUCKET_SECONDS * (BUCKETS + 1))
    except Exception:
        logger.warning("most read: cache unavailable", exc_info=True)
        return False
    return True


def scores(now: float) -> dict[int, float]:
    """Each candidate's decayed count of readings over the last BUCKETS hours."""
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


def ranking(now: float) -> list[int]:
    """The most read stories' ids, most read first, worked out once every REFRESH_SECONDS."""
    key = f"{PREFIX}ranking:{int(now // REFRESH_SECONDS)}"
    try:
        ranked = cache.get(key)
    except Exception:
        ranked = None
    if ranked is None:
        found = scores(now)
        ranked = sorted(found, key=lambda pk: (-found[pk], -pk))[:RANKED]
        try:
            cache.set(key, ranked, REFRESH_SECONDS * 2)
        except Exception:
            logger.warning("most read: cache unavailable", exc_info=True)
    return ranked
