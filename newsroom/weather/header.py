"""The live header: city, local date and time in the site's language, and the stored weather.

A page never waits for the weather provider. It shows the newest stored reading (from the cache,
or one query when the cache is cold) and, when that reading is due, starts a refresh in the
background (`refresh`).
"""

import logging
import math
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from newsroom import dates
from newsroom.weather import providers
from newsroom.weather.models import TemperatureUnit, WeatherRefresh
from newsroom.weather.refresh import coordinates, latest, start_refresh_if_due, stored_reading
from newsroom.weather.site import Site

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(hours=1)
OPEN_METEO_URL = "https://open-meteo.com/"

# 24×24 stroked outlines, one path each, so the script can swap icons with one attribute.
_SMALL_CLOUD = "M6.5 15a4 4 0 0 1 0-8 5.5 5.5 0 0 1 10.5 1.5 3.25 3.25 0 0 1-.5 6.5z"
ICONS = {
    providers.CLEAR: (
        "M12 8a4 4 0 1 0 0 8 4 4 0 0 0 0-8M12 2v2M12 20v2M2 12h2M20 12h2M4.9 4.9l1.4 1.4"
        "M17.7 17.7l1.4 1.4M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4"
    ),
    providers.CLEAR_NIGHT: "M20 14.5A8 8 0 0 1 9.5 4a8 8 0 1 0 10.5 10.5z",
    providers.PARTLY_CLOUDY: (
        "M8 2v1M3 7h1M4.5 3.5l.7.7M11.5 3.5l-.7.7M5.2 9.6a3 3 0 0 1 5.3-3.1"
        "M8 20a3.5 3.5 0 0 1 0-7 5 5 0 0 1 9.5 1 3 3 0 0 1-.5 6z"
    ),
    providers.CLOUDY: "M6.5 19a4.5 4.5 0 0 1 0-9 6 6 0 0 1 11.4 1.5 3.75 3.75 0 0 1-.4 7.5z",
    providers.FOG: _SMALL_CLOUD + "M4 18h16M6 21h12",
    providers.DRIZZLE: _SMALL_CLOUD + "M8 18h.01M12 19h.01M16 18h.01M10 21h.01M14 21h.01",
    providers.RAIN: _SMALL_CLOUD + "M8 18l-1 3M12 18l-1 3M16 18l-1 3",
    providers.SNOW: _SMALL_CLOUD + "M8 17v4M6 19h4M16 17v4M14 19h4M12 20v.01",
    providers.THUNDERSTORM: _SMALL_CLOUD + "M13 15l-3 4h4l-3 4",
}


def condition_label(condition: str) -> str:
    """The condition in words, for screen readers (the icon itself is hidden from them)."""
    labels = {
        providers.CLEAR: pgettext("weather", "Clear"),
        providers.CLEAR_NIGHT: pgettext("weather", "Clear"),
        providers.PARTLY_CLOUDY: pgettext("weather", "Partly cloudy"),
        providers.CLOUDY: pgettext("weather", "Cloudy"),
        providers.FOG: pgettext("weather", "Fog"),
        providers.DRIZZLE: pgettext("weather", "Drizzle"),
        providers.RAIN: pgettext("weather", "Rain"),
        providers.SNOW: pgettext("weather", "Snow"),
        providers.THUNDERSTORM: pgettext("weather", "Thunderstorm"),
    }
    return labels.get(condition, "")


def is_stale(reading: dict, now: datetime) -> bool:
    return now - reading["observed_at"] > STALE_AFTER


def whole_degrees(celsius: float, unit: str) -> int | None:
    """The temperature in the unit, rounded half away from zero; None when not a number."""
    if not isinstance(celsius, int | float) or not math.isfinite(celsius):
        return None
    value = celsius * 9 / 5 + 32 if unit == TemperatureUnit.FAHRENHEIT else celsius
    # int() turns Decimal("-0") into 0, so there is never a "-0 °C".
    return int(Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def unit_symbol(unit: str) -> str:
    return "°F" if unit == TemperatureUnit.FAHRENHEIT else "°C"


def format_temperature(celsius: float, unit: str) -> str:
    """E.g. "-1 °C" or "30 °F"; empty when there is no number to show."""
    degrees = whole_degrees(celsius, unit)
    return "" if degrees is None else f"{degrees} {unit_symbol(unit)}"


def _as_of(observed_at: datetime, now: datetime, site: Site) -> str:
    zone = ZoneInfo(site.time_zone)
    observed, today = timezone.localtime(observed_at, zone), timezone.localtime(now, zone)
    if observed.date() == today.date():
        return _("as of %(time)s") % {"time": f"{observed.hour}:{observed.minute:02d}"}
    return _("as of %(date_and_time)s") % {
        "date_and_time": dates.long_datetime(observed_at, site.language, site.time_zone)
    }


def weather_context(reading: dict | None, site: Site, now: datetime) -> dict | None:
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
        "credit": reading["provider"] == providers.OpenMeteo.slug,
    }


def header_context(site: Site, now: datetime | None = None, *, refresh: bool = True):
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


def status(site: Site) -> str:
    """The newest reading and the last refresh problem, in words, for the site settings admin."""
    zone = ZoneInfo(site.time_zone)
    reading = latest(*coordinates(site))
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
