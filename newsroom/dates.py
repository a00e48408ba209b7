"""Dates and times as the site prints them, in its own time zone and language."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import dateformat, timezone, translation

# "luni, 23 decembrie 2024 - 4:17" / "Monday, 23 December 2024 - 4:17": hour without a
# leading zero, minutes with.
LONG_FORMAT = "l, j F Y - G:i"
DATE_FORMAT = "l, j F Y"

# Languages that write day and month names in lower case (Django's catalogs capitalize them).
LOWERCASE_NAMES = {"ro"}


def _format(value: datetime, fmt: str, language: str | None, tz: str | None) -> str:
    language = language or translation.get_language() or "en"
    zone = ZoneInfo(tz) if tz else timezone.get_current_timezone()
    with translation.override(language):
        text = dateformat.format(timezone.localtime(value, zone), fmt)
    return text.lower() if language.split("-")[0] in LOWERCASE_NAMES else text


def long_datetime(value: datetime, language: str | None = None, tz: str | None = None) -> str:
    """The day, date and time, e.g. "luni, 23 decembrie 2024 - 4:17"."""
    return _format(value, LONG_FORMAT, language, tz)


def long_date(value: datetime, language: str | None = None, tz: str | None = None) -> str:
    """The day and date, e.g. "luni, 23 decembrie 2024"."""
    return _format(value, DATE_FORMAT, language, tz)


def html_datetime(value: datetime | None) -> str:
    """ISO 8601 in the site's zone, to the second, with its offset ("2024-12-23T04:17:00+02:00").

    What <time datetime> and the article:*_time metadata accept: Python's isoformat() and
    Django's |date:"c" print microseconds, and HTML allows at most three fraction digits.
    """
    if not value:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.isoformat(timespec="seconds")
