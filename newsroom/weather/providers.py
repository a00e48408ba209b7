"""Weather providers for the live header: the current temperature and condition, and geocoding.

Two implementations sit behind one small interface, chosen by ``WEATHER_PROVIDER``: Open-Meteo
(the default; no key, free for non-commercial use, its licence asks for a visible credit) and
OpenWeatherMap (``WEATHER_API_KEY``, for commercial sites). Every exchange is capped as a whole:
a provider that trickles its answer a byte at a time cannot hold a refresh past the deadline.
"""

import contextlib
import json
import math
import socket
import threading
import zoneinfo
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

# Connect and read timeouts add up to at most 2 s, and the whole exchange (connecting, headers
# and body) must be over by DEADLINE_SECONDS, however the server paces its bytes.
CONNECT_TIMEOUT = 1.0
READ_TIMEOUT = 1.0
DEADLINE_SECONDS = 2.0
MAX_RESPONSE_BYTES = 256 * 1024

# The coldest and hottest air temperatures ever measured are -89.2 °C and 56.7 °C; anything
# well beyond them is a broken answer, not weather.
PLAUSIBLE_CELSIUS = (-95.0, 65.0)

COORDINATE_STEP = Decimal("0.0001")

# Conditions the header knows how to draw, whatever the provider's own codes are.
CLEAR = "clear"
CLEAR_NIGHT = "clear-night"
PARTLY_CLOUDY = "partly-cloudy"
CLOUDY = "cloudy"
FOG = "fog"
DRIZZLE = "drizzle"
RAIN = "rain"
SNOW = "snow"
THUNDERSTORM = "thunderstorm"
CONDITIONS = (CLEAR, CLEAR_NIGHT, PARTLY_CLOUDY, CLOUDY, FOG, DRIZZLE, RAIN, SNOW, THUNDERSTORM)


class WeatherError(Exception):
    """The provider could not give a usable answer; the message is safe to log (no API key)."""

    def __init__(self, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Observation:
    temperature_c: float
    condition: str
    observed_at: datetime


@dataclass(frozen=True)
class Place:
    name: str
    country: str
    latitude: Decimal
    longitude: Decimal
    time_zone: str | None


class _Watchdog:
    """Shuts down the exchange's sockets when the deadline passes, waking any blocked read."""

    def __init__(self, seconds: float):
        self.expired = False
        self._connections: list = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, connection) -> None:
        with self._lock:
            self._connections.append(connection)

    def cancel(self) -> None:
        self._timer.cancel()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for connection in self._connections:
                sock = getattr(connection, "sock", None)
                if sock is not None:
                    with contextlib.suppress(OSError):  # already closed
                        sock.shutdown(socket.SHUT_RDWR)


class _Watched:
    """A connection pool whose every new connection the watchdog can cut."""

    watchdog: _Watchdog | None = None

    def _new_conn(self):
        connection = super()._new_conn()
        if self.watchdog is not None:
            self.watchdog.watch(connection)
        return connection


class _WatchedHTTPPool(_Watched, HTTPConnectionPool):
    pass


class _WatchedHTTPSPool(_Watched, HTTPSConnectionPool):
    pass


_WATCHED_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class _DeadlineAdapter(HTTPAdapter):
    """A requests adapter whose connections the watchdog can cut; no retries."""

    def __init__(self, watchdog: _Watchdog):
        self.watchdog = watchdog
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _WATCHED_POOLS

    def proxy_manager_for(self, *args, **kwargs):
        manager = super().proxy_manager_for(*args, **kwargs)
        manager.pool_classes_by_scheme = _WATCHED_POOLS
        return manager

    def get_connection_with_tls_context(self, *args, **kwargs):
        pool = super().get_connection_with_tls_context(*args, **kwargs)
        pool.watchdog = self.watchdog
        return pool


def get_json(url: str, params: dict, *, deadline: float = DEADLINE_SECONDS):
    """GET url and parse its JSON, all within `deadline` seconds, or raise WeatherError."""
    host = urlsplit(url).netloc or url
    watchdog = _Watchdog(deadline)
    session = requests.Session()
    adapter = _DeadlineAdapter(watchdog)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    body = bytearray()
    try:
        response = session.get(
            url,
            params=params,
            timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
            stream=True,
            headers={"Accept": "application/json"},
        )
        with response:
            if response.status_code != 200:
                raise WeatherError(
                    f"{host} answered HTTP {response.status_code}",
                    retry_after=_retry_after(response.headers.get("Retry-After")),
                )
            for chunk in response.iter_content(8192):
                body.extend(chunk)
                if len(body) > MAX_RESPONSE_BYTES:
                    raise WeatherError(f"{host} sent more than {MAX_RESPONSE_BYTES} bytes")
    except requests.RequestException as exc:
        if watchdog.expired:
            raise _deadline_error(host, deadline) from None
        if isinstance(exc, requests.ConnectTimeout):
            raise WeatherError(f"no connection to {host} within {CONNECT_TIMEOUT:g} s") from None
        if isinstance(exc, requests.Timeout) or _cause(exc, TimeoutError):
            raise WeatherError(f"no answer from {host} within {READ_TIMEOUT:g} s") from None
        cause = _cause(exc, OSError)
        detail = cause.strerror if cause is not None and cause.strerror else type(exc).__name__
        raise WeatherError(f"could not get an answer from {host}: {detail}") from None
    finally:
        watchdog.cancel()
        session.close()
    if watchdog.expired:
        # The cut may look like the end of a body that had no declared length.
        raise _deadline_error(host, deadline)
    try:
        return json.loads(body)
    except ValueError:
        raise WeatherError(f"{host} answered with something that is not JSON") from None


def _deadline_error(host: str, deadline: float) -> WeatherError:
    return WeatherError(f"{host} did not finish answering within {deadline:g} s")


def _cause[E: BaseException](exc: BaseException, kind: type[E]) -> E | None:
    """The first exception of `kind` behind exc (requests and urllib3 wrap the real cause)."""
    seen = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kind) and current is not exc:
            return current
        pending.extend([current.__cause__, current.__context__, getattr(current, "reason", None)])
        pending.extend(arg for arg in current.args if isinstance(arg, BaseException))
    return None


def _retry_after(value: str | None) -> int | None:
    if value and value.strip().isdigit():
        return int(value.strip())
    return None


def _number(value) -> float | None:
    """A finite JSON number, or None for anything else (strings, booleans, nan, null)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _celsius(value, host: str) -> float:
    number = _number(value)
    if number is None:
        raise WeatherError(f"{host} sent no usable temperature")
    low, high = PLAUSIBLE_CELSIUS
    if not low <= number <= high:
        raise WeatherError(f"{host} sent an implausible temperature ({number:g} °C)")
    return number


def _observed_at(value) -> datetime:
    """The observation time from a Unix timestamp; now when missing, never in the future."""
    now = timezone.now()
    seconds = _number(value)
    if seconds is None:
        return now
    try:
        observed = datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return now
    return min(observed, now)


def _coordinate(value, limit: int) -> Decimal | None:
    number = _number(value)
    if number is None or not -limit <= number <= limit:
        return None
    try:
        return Decimal(str(number)).quantize(COORDINATE_STEP)
    except InvalidOperation:
        return None


def wmo_condition(code, is_day=True) -> str:
    """Open-Meteo's WMO weather code as one of CONDITIONS ("" when unknown)."""
    number = _number(code)
    if number is None:
        return ""
    code = int(number)
    if code == 0:
        return CLEAR if is_day else CLEAR_NIGHT
    if code in (1, 2):
        return PARTLY_CLOUDY
    if code == 3:
        return CLOUDY
    if code in (45, 48):
        return FOG
    if 51 <= code <= 57:
        return DRIZZLE
    if 61 <= code <= 67 or 80 <= code <= 82:
        return RAIN
    if 71 <= code <= 77 or code in (85, 86):
        return SNOW
    if code in (95, 96, 99):
        return THUNDERSTORM
    return ""


def openweathermap_condition(code, icon="") -> str:
    """OpenWeatherMap's condition id as one of CONDITIONS ("" when unknown)."""
    number = _number(code)
    if number is None:
        return ""
    code = int(number)
    night = isinstance(icon, str) and icon.endswith("n")
    if 200 <= code < 300:
        return THUNDERSTORM
    if 300 <= code < 400:
        return DRIZZLE
    if code == 511 or 600 <= code < 700:
        return SNOW
    if 500 <= code < 600:
        return RAIN
    if 700 <= code < 800:
        return FOG
    if code == 800:
        return CLEAR_NIGHT if night else CLEAR
    if code in (801, 802):
        return PARTLY_CLOUDY
    if code in (803, 804):
        return CLOUDY
    return ""


class WeatherProvider(ABC):
    """Where the header's weather comes from."""

    slug: str
    name: str
    default_url: str

    def __init__(self, base_url: str = "", api_key: str = ""):
        self.base_url = (base_url or self.default_url).rstrip("/")
        self.api_key = api_key

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc or self.base_url

    @abstractmethod
    def current(self, latitude: Decimal, longitude: Decimal) -> Observation:
        """The weather now at the given place, or WeatherError."""

    @abstractmethod
    def geocode(self, name: str, language: str = "en") -> Place | None:
        """The best match for a place name, None when there is none, or WeatherError."""


class OpenMeteo(WeatherProvider):
    slug = "open-meteo"
    name = "Open-Meteo"
    default_url = "https://api.open-meteo.com"
    default_geocoding_url = "https://geocoding-api.open-meteo.com"

    def __init__(self, base_url: str = "", api_key: str = ""):
        super().__init__(base_url, api_key)
        # Open-Meteo serves geocoding from its own host; one configured base URL serves both.
        self.geocoding_url = (base_url or self.default_geocoding_url).rstrip("/")

    def current(self, latitude: Decimal, longitude: Decimal) -> Observation:
        data = get_json(
            f"{self.base_url}/v1/forecast",
            {
                "latitude": str(latitude),
                "longitude": str(longitude),
                "current": "temperature_2m,weather_code,is_day",
                "temperature_unit": "celsius",
                "timeformat": "unixtime",
                "timezone": "GMT",
            },
        )
        current = data.get("current") if isinstance(data, dict) else None
        if not isinstance(current, dict):
            raise WeatherError(f"{self.host} sent no current weather")
        temperature = current.get("temperature_2m")
        units = data.get("current_units")
        if isinstance(units, dict) and units.get("temperature_2m") == "°F":
            number = _number(temperature)
            temperature = None if number is None else (number - 32) * 5 / 9
        return Observation(
            temperature_c=_celsius(temperature, self.host),
            condition=wmo_condition(current.get("weather_code"), current.get("is_day") != 0),
            observed_at=_observed_at(current.get("time")),
        )

    def geocode(self, name: str, language: str = "en") -> Place | None:
        data = get_json(
            f"{self.geocoding_url}/v1/search",
            {"name": name, "count": 1, "language": language, "format": "json"},
        )
        if not isinstance(data, dict):
            raise WeatherError(f"{self.host} sent a geocoding answer of the wrong shape")
        results = data.get("results") or []
        if not isinstance(results, list):
            raise WeatherError(f"{self.host} sent a geocoding answer of the wrong shape")
        for result in results:
            place = _place(
                result, "latitude", "longitude", result.get("timezone"), result.get("country")
            )
            if place:
                return place
        return None


class OpenWeatherMap(WeatherProvider):
    slug = "openweathermap"
    name = "OpenWeatherMap"
    default_url = "https://api.openweathermap.org"

    def current(self, latitude: Decimal, longitude: Decimal) -> Observation:
        # Metric on the wire; the header converts to °F itself.
        data = get_json(
            f"{self.base_url}/data/2.5/weather",
            {
                "lat": str(latitude),
                "lon": str(longitude),
                "units": "metric",
                "appid": self.api_key,
            },
        )
        main = data.get("main") if isinstance(data, dict) else None
        if not isinstance(main, dict):
            raise WeatherError(f"{self.host} sent no current weather")
        weather = data.get("weather")
        first = weather[0] if isinstance(weather, list) and weather else {}
        if not isinstance(first, dict):
            first = {}
        return Observation(
            temperature_c=_celsius(main.get("temp"), self.host),
            condition=openweathermap_condition(first.get("id"), first.get("icon", "")),
            observed_at=_observed_at(data.get("dt")),
        )

    def geocode(self, name: str, language: str = "en") -> Place | None:
        data = get_json(
            f"{self.base_url}/geo/1.0/direct", {"q": name, "limit": 1, "appid": self.api_key}
        )
        if not isinstance(data, list):
            raise WeatherError(f"{self.host} sent a geocoding answer of the wrong shape")
        for result in data:
            # OpenWeatherMap knows no time zone names: editors keep the one they chose.
            place = _place(result, "lat", "lon", None, result.get("country"))
            if place:
                return place
        return None


def _place(result, lat_key: str, lon_key: str, time_zone, country) -> Place | None:
    if not isinstance(result, dict):
        return None
    latitude = _coordinate(result.get(lat_key), 90)
    longitude = _coordinate(result.get(lon_key), 180)
    if latitude is None or longitude is None:
        return None
    if time_zone not in zoneinfo.available_timezones():
        time_zone = None
    name = result.get("name")
    return Place(
        name=name if isinstance(name, str) else "",
        country=country if isinstance(country, str) else "",
        latitude=latitude,
        longitude=longitude,
        time_zone=time_zone,
    )


PROVIDERS: dict[str, type[WeatherProvider]] = {
    OpenMeteo.slug: OpenMeteo,
    OpenWeatherMap.slug: OpenWeatherMap,
}


def get_provider() -> WeatherProvider:
    """The provider the settings choose, pointed at WEATHER_URL when it is set."""
    try:
        provider_class = PROVIDERS[settings.WEATHER_PROVIDER]
    except KeyError:
        raise ImproperlyConfigured(
            f"WEATHER_PROVIDER must be one of {', '.join(PROVIDERS)}, "
            f"not {settings.WEATHER_PROVIDER!r}."
        ) from None
    return provider_class(settings.WEATHER_URL, settings.WEATHER_API_KEY)
