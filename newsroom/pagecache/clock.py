"""The moments the clock alone changes pages, with nobody saving anything.

A scheduled story goes live, an ad slot starts or ends, a day ends (teasers say "14:05" for
today's stories). Each app registers what it knows with `register()`, from its `invalidation`
module, as querysets of the first such moment (`earliest()`); they are asked together, in one
query, and the answer is kept (in this process and in the shared cache) until a key they watch
is bumped or the moment passes. Stored pages and remembered values expire at that moment.
"""

import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from django.core.cache import cache
from django.db.models import Min, QuerySet, Value
from django.utils import timezone

logger = logging.getLogger(__name__)

PREFIX = "pages:next:"
# However quiet the site, nothing the page cache keeps lives longer than this.
KEEP_SECONDS = 600
_SECONDS_PER_DAY = 86400


@dataclass(frozen=True)
class Source:
    name: str
    # A write that may move the moment bumps one of these keys.
    keys: frozenset[str]
    moments: Callable[[datetime], list[QuerySet]]


_sources: dict[str, Source] = {}
# Answers this process has read, by the versions they were computed for.
_moments: dict[str, tuple[datetime | None]] = {}


def register(name: str, keys: Iterable[str], moments: Callable[[datetime], list[QuerySet]]):
    """`moments(now)` gives `earliest()` querysets of the next times the clock changes pages."""
    _sources[name] = Source(name, frozenset(keys), moments)


def earliest(queryset: QuerySet, field: str, now: datetime) -> QuerySet:
    """The first value of the date-time `field` after `now` in `queryset`: one row, "moment"."""
    after = queryset.filter(**{f"{field}__gt": now}).order_by()
    # Grouped by a constant: one row, the minimum, even of no rows (NULL).
    return after.values(anchor=Value(1)).values(moment=Min(field))


def watched_keys() -> frozenset[str]:
    """The keys whose versions `next_change()` needs."""
    return frozenset().union(*(source.keys for source in _sources.values()))


def next_change(now: datetime, current: dict[str, int], zone: tzinfo) -> datetime:
    """The next moment a page may change by itself; `current` holds the watched keys' versions."""
    local = timezone.localtime(now, zone)
    midnight = timezone.make_aware(
        datetime.combine(local.date() + timedelta(days=1), datetime.min.time()), zone
    )
    moment = _next_moment(now, current)
    return min(moment, midnight) if moment else midnight


def keep_until(now: datetime, current: dict[str, int], zone: tzinfo | None = None) -> datetime:
    """How long something built now may be kept: KEEP_SECONDS, or less if the clock says so."""
    zone = zone or timezone.get_current_timezone()
    return min(now + timedelta(seconds=KEEP_SECONDS), next_change(now, current, zone))


def _next_moment(now: datetime, current: dict[str, int]) -> datetime | None:
    stamp = PREFIX + ":".join(f"{key}={current[key]}" for key in sorted(watched_keys()))
    found = _moments.get(stamp)  # this process's copy first: no round trip
    if found is None:
        try:
            found = cache.get(stamp)
        except Exception:
            found = None
    if found is not None and (found[0] is None or found[0] > now):
        if len(_moments) > 256:
            _moments.clear()
        _moments[stamp] = found
        return found[0]
    moment = _ask(now)
    seconds = _SECONDS_PER_DAY if moment is None else (moment - now).total_seconds()
    try:
        cache.set(stamp, (moment,), max(1, min(_SECONDS_PER_DAY, math.ceil(seconds))))
    except Exception:
        logger.warning("page cache unavailable", exc_info=True)
    return moment


def _ask(now: datetime) -> datetime | None:
    """Every source's next moment, in one query."""
    queries = [query for source in _sources.values() for query in source.moments(now)]
    if not queries:
        return None
    rows = queries[0].union(*queries[1:], all=True).order_by() if len(queries) > 1 else queries[0]
    return min((row["moment"] for row in rows if row["moment"] is not None), default=None)
