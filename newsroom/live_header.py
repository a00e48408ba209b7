"""The live header: the stored weather, its staleness, the background refresh, and the context.

A page never waits for the weather provider. It shows the newest stored reading (from the cache,
or one query when the cache is cold) and, when that reading is older than the refresh interval,
starts a refresh in a background thread. A row in the database (WeatherRefresh) is the lock every
process shares, and holds the backoff after failures, so at most one refresh runs at a time and a
provider that is down is asked again only after a growing pause.
"""

import logging
import math
import threading
import time
import uuid
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, IntegrityError, connections
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from newsroom import dates, weather
from newsroom.models import SiteSettings, WeatherReading, WeatherRefresh

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(hours=1)
# A refresh lasts at most the provider deadline plus a few queries; a crashed process's lock
# expires after this long.
LOCK_SECONDS = 30
# Once a request has started a refresh, requests in every process leave it alone this long.
GATE_SECONDS = 30
# A process that finds another one refreshing reads the result after this long.
LOCKED_WAIT_SECONDS = weather.DEADLINE_SECONDS + 1
BACKOFF_FIRST_SECONDS = 60
BACKOFF_MAX_SECONDS = 30 * 60
RETRY_AFTER_MAX_SECONDS = 60 * 60
KEEP_READINGS = timedelta(days=7)
READING_CACHE_SECONDS = 60 * 60

NEXT_TRY_KEY = "live-header:next-try"
OPEN_METEO_URL = "https://open-meteo.com/"

# 24×24 stroked outlines, one path each, so the script can swap icons with one attribute.
_SMALL_CLOUD = "M6.5 15a4 4 0 0 1 0-8 5.5 5.5 0 0 1 10.5 1.5 3.25 3.25 0 0 1-.5 6.5z"
ICONS = {
    weather.CLEAR: (
        "M12 8a4 4 0 1 0 0 8 4 4 0 0 0 0-8M12 2v2M12 20v2M2 12h2M20 12h2M4.9 4.9l1.4 1.4"
        "M17.7 17.7l1.4 1.4M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4"
    ),
    weather.CLEAR_NIGHT: "M20 14.5A8 8 0 0 1 9.5 4a8 8 0 1 0 10.5 10.5z",
    weather.PARTLY_CLOUDY: (
        "M8 2v1M3 7h1M4.5 3.5l.7.7M11.5 3.5l-.7.7M5.2 9.6a3 3 0 0 1 5.3-3.1"
        "M8 20a3.5 3.5 0 0 1 0-7 5 5 0 0 1 9.5 1 3 3 0 0 1-.5 6z"
    ),
    weather.CLOUDY: "M6.5 19a4.5 4.5 0 0 1 0-9 6 6 0 0 1 11.4 1.5 3.75 3.75 0 0 1-.4 7.5z",
    weather.FOG: _SMALL_CLOUD + "M4 18h16M6 21h12",
    weather.DRIZZLE: _SMALL_CLOUD + "M8 18h.01M12 19h.01M16 18h.01M10 21h.01M14 21h.01",
    weather.RAIN: _SMALL_CLOUD + "M8 18l-1 3M12 18l-1 3M16 18l-1 3",
    weather.SNOW: _SMALL_CLOUD + "M8 17v4M6 19h4M16 17v4M14 19h4M12 20v.01",
    weather.THUNDERSTORM: _SMALL_CLOUD + "M13 15l-3 4h4l-3 4",
}


def condition_label(condition: str) -> str:
    """The condition in words, for screen readers (the icon itself is hidden from them)."""
    labels = {
        weather.CLEAR: pgettext("weather", "Clear"),
        weather.CLEAR_NIGHT: pgettext("weather", "Clear"),
        weather.PARTLY_CLOUDY: pgettext("weather", "Partly cloudy"),
        weather.CLOUDY: pgettext("weather", "Cloudy"),
        weather.FOG: pgettext("weather", "Fog"),
        weather.DRIZZLE: pgettext("weather", "Drizzle"),
        weather.RAIN: pgettext("weather", "Rain"),
        weather.SNOW: pgettext("weather", "Snow"),
        weather.THUNDERSTORM: pgettext("weather", "Thunderstorm"),
    }
    return labels.get(condition, "")


class Outcome(StrEnum):
    REFRESHED = "refreshed"
    FRESH = "already fresh"
    LOCKED = "another refresh is running"
    BACKING_OFF = "waiting after a failure"
    FAILED = "failed"


def refresh_interval() -> timedelta:
    return timedelta(minutes=settings.WEATHER_REFRESH_MINUTES)


def coordinates(site: SiteSettings) -> tuple[Decimal, Decimal]:
    """The site's latitude and longitude at the precision readings store them."""
    step = weather.COORDINATE_STEP
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


def _latest(latitude: Decimal, longitude: Decimal) -> WeatherReading | None:
    # Readings from before places were recorded count as the site's own.
    return (
        WeatherReading.objects.filter(
            Q(latitude=latitude, longitude=longitude) | Q(latitude__isnull=True)
        )
        .order_by("-fetched_at")
        .first()
    )


def stored_reading(site: SiteSettings) -> dict | None:
    """The newest reading for the site's place: from the cache when warm, else one query."""
    latitude, longitude = coordinates(site)
    key = _reading_key(latitude, longitude)
    cached = cache.get(key)
    if cached is not None:
        return cached["reading"]
    reading = _as_dict(_latest(latitude, longitude))
    cache.set(key, {"reading": reading}, READING_CACHE_SECONDS)
    return reading


def reload_reading() -> dict | None:
    """Put the newest stored reading in the cache, whatever the cache held."""
    site = SiteSettings.load()
    latitude, longitude = coordinates(site)
    reading = _as_dict(_latest(latitude, longitude))
    cache.set(_reading_key(latitude, longitude), {"reading": reading}, READING_CACHE_SECONDS)
    return reading


def refresh_due(reading: dict | None, now: datetime) -> bool:
    return reading is None or now - reading["fetched_at"] >= refresh_interval()


def is_stale(reading: dict, now: datetime) -> bool:
    return now - reading["observed_at"] > STALE_AFTER


def whole_degrees(celsius: float, unit: str) -> int | None:
    """The temperature in the unit, rounded half away from zero; None when not a number."""
    if not isinstance(celsius, int | float) or not math.isfinite(celsius):
        return None
    value = celsius * 9 / 5 + 32 if unit == SiteSettings.Unit.FAHRENHEIT else celsius
    # int() turns Decimal("-0") into 0, so there is never a "-0 °C".
    return int(Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def unit_symbol(unit: str) -> str:
    return "°F" if unit == SiteSettings.Unit.FAHRENHEIT else "°C"


def format_temperature(celsius: float, unit: str) -> str:
    """E.g. "-1 °C" or "30 °F"; empty when there is no number to show."""
    degrees = whole_degrees(celsius, unit)
    return "" if degrees is None else f"{degrees} {unit_symbol(unit)}"


def _as_of(observed_at: datetime, now: datetime, site: SiteSettings) -> str:
    zone = ZoneInfo(site.time_zone)
    observed, today = timezone.localtime(observed_at, zone), timezone.localtime(now, zone)
    if observed.date() == today.date():
        return _("as of %(time)s") % {"time": f"{observed.hour}:{observed.minute:02d}"}
    return _("as of %(date_and_time)s") % {
        "date_and_time": dates.long_datetime(observed_at, site.language, site.time_zone)
    }


def weather_context(reading: dict | None, site: SiteSettings, now: datetime) -> dict | None:
    """What the header shows of a reading, in the site's unit; None when nothing to show."""
    if reading is None:
        return None
    temperature = whole_degrees(reading["temperature_c"], site.temperature_unit)
    if temperature is None:
        return None
    stale = is_stale(reading, now)
    condition = reading["condition"] if reading["condition"] in ICONS else ""
    return {
        "temperature": temperature,
        "unit": unit_symbol(site.temperature_unit),
        "display": format_temperature(reading["temperature_c"], site.temperature_unit),
        "condition": condition,
        "label": condition_label(condition),
        "icon": ICONS.get(condition, ""),
        "observed_at": reading["observed_at"],
        "stale": stale,
        "as_of": _as_of(reading["observed_at"], now, site) if stale else "",
        "credit": reading["provider"] == weather.OpenMeteo.slug,
    }


def header_context(site: SiteSettings, now: datetime | None = None, *, refresh: bool = True):
    """Everything the header shows, in the site's zone and language; may start a refresh."""
    now = now or timezone.now()
    try:
        reading = stored_reading(site)
    except DatabaseError:
        logger.warning("Could not read the stored weather.", exc_info=True)
        reading = None
        refresh = False
    if refresh:
        start_refresh_if_due(reading, now)
    with translation.override(site.language):
        weather_now = weather_context(reading, site, now)
    return {
        "city": site.city,
        "time_zone": site.time_zone,
        "language": site.language,
        "lowercase": site.language.split("-")[0] in dates.LOWERCASE_NAMES,
        "now_iso": timezone.localtime(now, ZoneInfo(site.time_zone)).isoformat(timespec="seconds"),
        "display": dates.long_datetime(now, site.language, site.time_zone),
        "json_url": reverse("live-header"),
        "weather": weather_now,
        "open_meteo_url": OPEN_METEO_URL,
    }


def as_json(context: dict) -> dict:
    """The header context as /live/header.json serves it."""
    weather_now = context["weather"] or {}
    observed_at = weather_now.get("observed_at")
    return {
        "city": context["city"],
        "time_zone": context["time_zone"],
        "language": context["language"],
        "lowercase": context["lowercase"],
        "now": context["now_iso"],
        "display": context["display"],
        "temperature": weather_now.get("temperature"),
        "unit": weather_now.get("unit"),
        "temperature_display": weather_now.get("display"),
        "condition": weather_now.get("condition"),
        "condition_label": weather_now.get("label"),
        "icon": weather_now.get("icon"),
        "observed_at": (
            timezone.localtime(observed_at, ZoneInfo(context["time_zone"])).isoformat(
                timespec="seconds"
            )
            if observed_at
            else None
        ),
        "stale": weather_now.get("stale", False),
        "stale_title": weather_now.get("as_of") or None,
        "credit": weather_now.get("credit", False),
    }


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
    """Refresh in a daemon thread unless this process already runs one."""
    global _thread
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
    site = SiteSettings.load()
    latitude, longitude = coordinates(site)
    now = timezone.now()
    lease = _acquire_lock(now)
    if lease is None:
        return Outcome.LOCKED
    token, record = lease
    state: dict = {}
    try:
        if not force:
            latest = _latest(latitude, longitude)
            if latest is not None and not refresh_due(_as_dict(latest), now):
                cache.set(
                    _reading_key(latitude, longitude),
                    {"reading": _as_dict(latest)},
                    READING_CACHE_SECONDS,
                )
                return Outcome.FRESH
            if record.retry_at and record.retry_at > now:
                wait = math.ceil((record.retry_at - now).total_seconds())
                cache.set(NEXT_TRY_KEY, True, wait)
                return Outcome.BACKING_OFF
        provider = weather.get_provider()
        try:
            observation = provider.current(latitude, longitude)
        except weather.WeatherError as exc:
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


def status(site: SiteSettings) -> str:
    """The newest reading and the last refresh problem, in words, for the site settings admin."""
    zone = ZoneInfo(site.time_zone)
    reading = _latest(*coordinates(site))
    state = WeatherRefresh.objects.filter(pk=1).first()
    lines = []
    if reading is None:
        lines.append(_("No reading yet for these coordinates."))
    else:
        lines.append(
            _("Last reading: %(temperature)s, observed %(observed)s, from %(provider)s.")
            % {
                "temperature": format_temperature(reading.temperature_c, site.temperature_unit),
                "observed": dates.long_datetime(reading.observed_at, site.language, site.time_zone),
                "provider": reading.provider,
            }
        )
    if state and state.failures:
        next_try = timezone.localtime(state.retry_at, zone) if state.retry_at else None
        lines.append(
            ngettext(
                "The last refresh failed (%(error)s); next try at %(time)s.",
                "The last %(count)d refreshes failed (%(error)s); next try at %(time)s.",
                state.failures,
            )
            % {
                "count": state.failures,
                "error": state.last_error,
                "time": f"{next_try.hour}:{next_try.minute:02d}" if next_try else "?",
            }
        )
    return " ".join(str(line) for line in lines)
