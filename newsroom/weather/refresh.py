"""Refreshing the stored weather, never on a page's time.

A request that finds the reading due starts a refresh: a task for the task worker where tasks
are kept in the database (production), else a background thread. A row in the
database (WeatherRefresh) is the lock every process shares, and holds the backoff after
failures, so at most one refresh runs at a time and a provider that is down is asked again only
after a growing pause.
"""

import logging
import math
import threading
import time
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, IntegrityError, connections
from django.db.models import Q
from django.tasks import task_backends
from django.tasks.backends.immediate import ImmediateBackend
from django.utils import timezone

from newsroom.weather import providers
from newsroom.weather.models import WeatherReading, WeatherRefresh
from newsroom.weather.site import Site, current

logger = logging.getLogger(__name__)

# A refresh lasts at most the provider deadline plus a few queries; a crashed process's lock
# expires after this long.
LOCK_SECONDS = 30
# Once a request has started a refresh, requests in every process leave it alone this long.
GATE_SECONDS = 30
# A process that finds another one refreshing reads the result after this long.
LOCKED_WAIT_SECONDS = providers.DEADLINE_SECONDS + 1
BACKOFF_FIRST_SECONDS = 60
BACKOFF_MAX_SECONDS = 30 * 60
RETRY_AFTER_MAX_SECONDS = 60 * 60
KEEP_READINGS = timedelta(days=7)
# How long a process trusts the reading (or the lack of one) it found: a reading stored by any
# other process (cron, a worker, another app server), whatever the cache backend, shows within
# this long. One query a minute at most.
READING_CACHE_SECONDS = 60

NEXT_TRY_KEY = "live-header:next-try"


class Outcome(StrEnum):
    REFRESHED = "refreshed"
    FRESH = "already fresh"
    LOCKED = "another refresh is running"
    BACKING_OFF = "waiting after a failure"
    FAILED = "failed"


def refresh_interval() -> timedelta:
    return timedelta(minutes=settings.WEATHER_REFRESH_MINUTES)


def coordinates(site: Site) -> tuple[Decimal, Decimal]:
    """The site's latitude and longitude at the precision readings store them."""
    step = providers.COORDINATE_STEP
    return (
        Decimal(str(site.latitude)).quantize(step),
        Decimal(str(site.longitude)).quantize(step),
    )


def _reading_key(latitude: Decimal, longitude: Decimal) -> str:
    return f"live-header:reading:{latitude}:{longitude}"


def _as_dict(reading: WeatherReading | None) -> dict | None:
    if reading is None:
        return None
    return {
        "provider": reading.provider,
        "temperature_c": reading.temperature_c,
        "condition": reading.condition,
        "observed_at": reading.observed_at,
        "fetched_at": reading.fetched_at,
    }


def latest(latitude: Decimal, longitude: Decimal) -> WeatherReading | None:
    # Readings from before places were recorded count as the site's own.
    return (
        WeatherReading.objects.filter(
            Q(latitude=latitude, longitude=longitude) | Q(latitude__isnull=True)
        )
        .order_by("-fetched_at")
        .first()
    )


def stored_reading(site: Site) -> dict | None:
    """The newest reading for the site's place: from the cache when warm, else one query."""
    latitude, longitude = coordinates(site)
    key = _reading_key(latitude, longitude)
    cached = cache.get(key)
    if cached is not None:
        return cached["reading"]
    reading = _as_dict(latest(latitude, longitude))
    cache.set(key, {"reading": reading}, READING_CACHE_SECONDS)
    return reading


def reload_reading() -> dict | None:
    """Put the newest stored reading in the cache, whatever the cache held."""
    site = current()
    latitude, longitude = coordinates(site)
    reading = _as_dict(latest(latitude, longitude))
    cache.set(_reading_key(latitude, longitude), {"reading": reading}, READING_CACHE_SECONDS)
    return reading


def refresh_due(reading: dict | None, now: datetime) -> bool:
    return reading is None or now - reading["fetched_at"] >= refresh_interval()


# --- Refreshing ---------------------------------------------------------------------------

_running = threading.Lock()
_thread: threading.Thread | None = None


def start_refresh_if_due(reading: dict | None, now: datetime) -> bool:
    """Start a background refresh when the reading is due and nobody has just started one."""
    if not settings.WEATHER_BACKGROUND_REFRESH or not refresh_due(reading, now):
        return False
    if not cache.add(NEXT_TRY_KEY, True, GATE_SECONDS):
        return False
    return start_background_refresh()


def start_background_refresh() -> bool:
    """Enqueue a refresh for the task worker; without one, refresh in a daemon thread unless
    this process already runs one."""
    global _thread
    if not isinstance(task_backends["default"], ImmediateBackend):  # a worker runs tasks
        from newsroom.weather import tasks

        tasks.refresh_weather.enqueue()
        # Read the reading again once the worker has had time to fetch it, not a minute on.
        cache.touch(_reading_key(*coordinates(current())), LOCKED_WAIT_SECONDS)
        return True
    if not _running.acquire(blocking=False):
        return False
    thread = threading.Thread(target=_refresh_in_background, name="weather-refresh", daemon=True)
    try:
        thread.start()
    except RuntimeError:  # the interpreter is shutting down
        _running.release()
        return False
    _thread = thread
    return True


def refresh_soon() -> bool:
    """Refresh in the background now, e.g. because the site moved to another city."""
    return settings.WEATHER_BACKGROUND_REFRESH and start_background_refresh()


def wait_for_background_refresh(timeout: float = 10.0) -> None:
    """Wait for this process's background refresh, if one runs (tests, orderly shutdown)."""
    thread = _thread
    if thread is not None:
        thread.join(timeout)


def _refresh_in_background() -> None:
    try:
        if refresh() is Outcome.LOCKED:
            # Another process is fetching. Pick its reading up once it is done, rather than
            # showing this process's cached one until the next try.
            time.sleep(LOCKED_WAIT_SECONDS)
            reload_reading()
    except Exception:
        logger.exception("The weather refresh crashed.")
    finally:
        connections.close_all()
        _running.release()


def last_error() -> str:
    """What the provider said when the last refresh failed."""
    return WeatherRefresh.objects.filter(pk=1).values_list("last_error", flat=True).first() or ""


def backoff_seconds(failures: int, retry_after: int | None = None) -> int:
    """The pause after `failures` failed refreshes in a row, longer if the provider asks."""
    seconds = min(BACKOFF_FIRST_SECONDS * 2 ** max(failures - 1, 0), BACKOFF_MAX_SECONDS)
    if retry_after:
        seconds = max(seconds, min(retry_after, RETRY_AFTER_MAX_SECONDS))
    return seconds


def _acquire_lock(now: datetime) -> tuple[str, WeatherRefresh] | None:
    """A token for the lease and the refresh record as it was when taken, or None."""
    token = uuid.uuid4().hex
    try:
        # The record is read here, not again once the lease is ours: on SQLite a second read
        # would meet the table locks of the processes that have just lost the race.
        record, _created = WeatherRefresh.objects.get_or_create(pk=1)
        taken = (
            WeatherRefresh.objects.filter(pk=1)
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
            .update(locked_until=now + timedelta(seconds=LOCK_SECONDS), lock_token=token)
        )
    except IntegrityError:
        return None  # another process created the row this very moment: theirs is the refresh
    except DatabaseError as exc:
        logger.warning("Could not take the weather refresh lock: %s", exc)
        return None
    return (token, record) if taken else None


def _release_lock(token: str, **state) -> None:
    WeatherRefresh.objects.filter(pk=1, lock_token=token).update(
        locked_until=None, lock_token="", **state
    )


def refresh(*, force: bool = False) -> Outcome:
    """Fetch and store a reading unless another process is at it, one is fresh, or we back off.

    `force` skips the freshness and backoff checks (an explicit `refresh_weather`), never the lock.
    """
    site = current()
    latitude, longitude = coordinates(site)
    now = timezone.now()
    lease = _acquire_lock(now)
    if lease is None:
        return Outcome.LOCKED
    token, record = lease
    state: dict = {}
    try:
        if not force:
            newest = latest(latitude, longitude)
            if newest is not None and not refresh_due(_as_dict(newest), now):
                cache.set(
                    _reading_key(latitude, longitude),
                    {"reading": _as_dict(newest)},
                    READING_CACHE_SECONDS,
                )
                return Outcome.FRESH
            if record.retry_at and record.retry_at > now:
                wait = math.ceil((record.retry_at - now).total_seconds())
                cache.set(NEXT_TRY_KEY, True, wait)
                return Outcome.BACKING_OFF
        provider = providers.get_provider()
        try:
            observation = provider.current(latitude, longitude)
        except providers.WeatherError as exc:
            failures = record.failures + 1
            wait = backoff_seconds(failures, exc.retry_after)
            state = {
                "failures": failures,
                "retry_at": now + timedelta(seconds=wait),
                "last_attempt_at": now,
                "last_error": str(exc)[:200],
            }
            cache.set(NEXT_TRY_KEY, True, wait)
            logger.warning(
                "Weather refresh from %s failed (%d in a row), next try in %d s: %s",
                provider.name,
                failures,
                wait,
                exc,
            )
            return Outcome.FAILED
        reading = WeatherReading.objects.create(
            provider=provider.slug,
            temperature_c=observation.temperature_c,
            condition=observation.condition,
            observed_at=observation.observed_at,
            fetched_at=now,
            latitude=latitude,
            longitude=longitude,
        )
        WeatherReading.objects.filter(fetched_at__lt=now - KEEP_READINGS).delete()
        cache.set(
            _reading_key(latitude, longitude), {"reading": _as_dict(reading)}, READING_CACHE_SECONDS
        )
        if record.failures:
            logger.info(
                "Weather refresh from %s works again after %d failures.",
                provider.name,
                record.failures,
            )
        state = {"failures": 0, "retry_at": None, "last_attempt_at": now, "last_error": ""}
        return Outcome.REFRESHED
    finally:
        _release_lock(token, **state)
