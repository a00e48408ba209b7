import json
import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import SimpleTestCase, override_settings
from django.utils import timezone

from newsroom.weather import providers as weather
from newsroom.weather.providers import OpenMeteo, OpenWeatherMap, WeatherError
from tests.fake_weather import FakeWeather, unreachable_url
from tests.helpers import BUCHAREST


@pytest.mark.usefixtures("fake_weather")
class FakeServerTestCase(SimpleTestCase):
    fake: FakeWeather

    def assert_fails_within(self, seconds: float, call, message: str) -> WeatherError:
        started = time.monotonic()
        with self.assertRaises(WeatherError) as caught:
            call()
        elapsed = time.monotonic() - started
        assert elapsed < seconds, f"took {elapsed:.2f} s"
        assert message in str(caught.exception), str(caught.exception)
        return caught.exception


class OpenMeteoTests(FakeServerTestCase):
    def provider(self) -> OpenMeteo:
        return OpenMeteo(self.fake.url)

    def test_current_weather(self):
        self.fake.temperature = -1.2
        self.fake.weather_code = 71
        observation = self.provider().current(*BUCHAREST)
        assert observation.temperature_c == -1.2
        assert observation.condition == weather.SNOW
        assert observation.observed_at == datetime.fromtimestamp(self.fake.observed, UTC)
        path, query = self.fake.requests[0]
        assert path == "/v1/forecast"
        assert query["latitude"] == ["44.4268"]
        assert query["longitude"] == ["26.1025"]
        assert "temperature_2m" in query["current"][0]
        assert query["timeformat"] == ["unixtime"]

    def test_extreme_but_real_temperatures(self):
        for value in (-60, 55, -89.2, 56.7):
            self.fake.temperature = value
            assert self.provider().current(*BUCHAREST).temperature_c == value

    def test_impossible_temperature_is_refused(self):
        self.fake.temperature = 120
        self.assert_fails_within(2, lambda: self.provider().current(*BUCHAREST), "implausible")

    def test_not_a_number_is_refused(self):
        self.fake.fault = "body"
        for body in (
            b'{"current": {"temperature_2m": NaN, "time": 1}}',
            b'{"current": {"temperature_2m": Infinity}}',
            b'{"current": {"temperature_2m": "12.5"}}',
            b'{"current": {"temperature_2m": true}}',
            b'{"current": {"temperature_2m": null}}',
        ):
            self.fake.fault_body = body
            self.assert_fails_within(
                2, lambda: self.provider().current(*BUCHAREST), "no usable temperature"
            )

    def test_missing_fields(self):
        self.fake.fault = "body"
        for body, message in (
            (b"{}", "no current weather"),
            (b"[]", "no current weather"),
            (b'{"current": []}', "no current weather"),
            (b'{"current": {"time": 1703300000}}', "no usable temperature"),
        ):
            self.fake.fault_body = body
            self.assert_fails_within(2, lambda: self.provider().current(*BUCHAREST), message)

    def test_missing_time_and_code_still_give_a_reading(self):
        self.fake.fault = "body"
        self.fake.fault_body = b'{"current": {"temperature_2m": 7}}'
        before = timezone.now()
        observation = self.provider().current(*BUCHAREST)
        assert observation.temperature_c == 7
        assert observation.condition == ""
        assert observation.observed_at >= before

    def test_observation_time_is_never_in_the_future(self):
        self.fake.observed = int(time.time()) + 86400
        assert self.provider().current(*BUCHAREST).observed_at <= timezone.now()

    def test_fahrenheit_answer_is_converted(self):
        self.fake.fault = "body"
        self.fake.fault_body = json.dumps(
            {"current_units": {"temperature_2m": "°F"}, "current": {"temperature_2m": 14}}
        ).encode()
        assert self.provider().current(*BUCHAREST).temperature_c == -10

    def test_night_and_day_conditions(self):
        self.fake.weather_code = 0
        self.fake.is_day = 0
        assert self.provider().current(*BUCHAREST).condition == weather.CLEAR_NIGHT
        self.fake.is_day = 1
        assert self.provider().current(*BUCHAREST).condition == weather.CLEAR

    def test_server_error_and_rate_limit(self):
        self.fake.fault = "status"
        self.fake.fault_status = 500
        self.fake.fault_body = b'{"error": true}'
        error = self.assert_fails_within(
            2, lambda: self.provider().current(*BUCHAREST), "answered HTTP 500"
        )
        assert error.retry_after is None
        self.fake.fault_status = 429
        self.fake.fault_headers = {"Retry-After": "120"}
        error = self.assert_fails_within(
            2, lambda: self.provider().current(*BUCHAREST), "answered HTTP 429"
        )
        assert error.retry_after == 120

    def test_malformed_json(self):
        self.fake.fault = "body"
        for body in (b'{"current": {"temperature_2m": 3', b"<html>Bad gateway</html>", b""):
            self.fake.fault_body = body
            self.assert_fails_within(2, lambda: self.provider().current(*BUCHAREST), "not JSON")

    def test_oversized_answer(self):
        self.fake.fault = "body"
        self.fake.fault_body = b"[" + b"0," * 200_000 + b"0]"
        self.assert_fails_within(2, lambda: self.provider().current(*BUCHAREST), "more than")

    def test_slow_server_times_out(self):
        self.fake.fault = "sleep"
        self.fake.sleep_seconds = 3
        self.assert_fails_within(
            weather.READ_TIMEOUT + 0.5, lambda: self.provider().current(*BUCHAREST), "no answer"
        )

    def test_trickling_body_is_cut_at_the_deadline(self):
        # One byte every quarter second keeps every single read inside its timeout.
        self.fake.fault = "trickle-body"
        started = time.monotonic()
        self.assert_fails_within(
            weather.DEADLINE_SECONDS + 0.5,
            lambda: self.provider().current(*BUCHAREST),
            "did not finish answering within 2 s",
        )
        assert time.monotonic() - started >= weather.DEADLINE_SECONDS - 0.1

    def test_trickling_headers_are_cut_at_the_deadline(self):
        self.fake.fault = "trickle-headers"
        self.assert_fails_within(
            weather.DEADLINE_SECONDS + 0.5,
            lambda: self.provider().current(*BUCHAREST),
            "did not finish answering within 2 s",
        )

    def test_connection_refused(self):
        self.assert_fails_within(
            1, lambda: OpenMeteo(unreachable_url()).current(*BUCHAREST), "Connection refused"
        )

    def test_geocoding_a_city(self):
        place = self.provider().geocode("Cluj-Napoca", "ro")
        assert place.name == "Cluj-Napoca"
        assert place.latitude == Decimal("46.7667")
        assert place.longitude == Decimal("23.6000")
        assert place.time_zone == "Europe/Bucharest"
        path, query = self.fake.requests[0]
        assert path == "/v1/search"
        assert query["name"] == ["Cluj-Napoca"]
        assert query["language"] == ["ro"]

    def test_geocoding_finds_nothing(self):
        assert self.provider().geocode("Atlantis") is None

    def test_geocoding_skips_broken_results(self):
        self.fake.fault = "body"
        self.fake.fault_body = json.dumps(
            {
                "results": [
                    {"name": "Nowhere", "latitude": 91, "longitude": 0},
                    {"name": "Iași", "latitude": 47.16667, "longitude": 27.6, "timezone": "Mars/X"},
                ]
            }
        ).encode()
        place = self.provider().geocode("Iași")
        assert place.name == "Iași"
        assert place.latitude == Decimal("47.1667")
        assert place.time_zone is None

    def test_geocoding_garbage(self):
        self.fake.fault = "body"
        self.fake.fault_body = b'{"results": "none"}'
        self.assert_fails_within(2, lambda: self.provider().geocode("Cluj"), "wrong shape")


class OpenWeatherMapTests(FakeServerTestCase):
    def provider(self, key: str = "test-key") -> OpenWeatherMap:
        return OpenWeatherMap(self.fake.url, key)

    def test_current_weather_in_metric(self):
        self.fake.temperature = 55
        observation = self.provider().current(*BUCHAREST)
        assert observation.temperature_c == 55
        assert observation.condition == weather.CLOUDY
        path, query = self.fake.requests[0]
        assert path == "/data/2.5/weather"
        assert query["units"] == ["metric"]
        assert query["lat"] == ["44.4268"]

    def test_extreme_cold(self):
        self.fake.temperature = -60
        assert self.provider().current(*BUCHAREST).temperature_c == -60

    def test_rejected_key_is_an_error_that_does_not_reveal_the_key(self):
        error = self.assert_fails_within(
            2, lambda: self.provider("wrong-key").current(*BUCHAREST), "HTTP 401"
        )
        assert "wrong-key" not in str(error)

    def test_unreachable_server_error_does_not_reveal_the_key(self):
        provider = OpenWeatherMap(unreachable_url(), "secret-key")
        error = self.assert_fails_within(1, lambda: provider.current(*BUCHAREST), "refused")
        assert "secret-key" not in str(error)

    def test_missing_fields(self):
        self.fake.fault = "body"
        for body, message in (
            (b'{"cod": 200}', "no current weather"),
            (b'{"main": {"humidity": 3}}', "no usable temperature"),
        ):
            self.fake.fault_body = body
            self.assert_fails_within(2, lambda: self.provider().current(*BUCHAREST), message)

    def test_weather_list_may_be_missing(self):
        self.fake.fault = "body"
        self.fake.fault_body = b'{"main": {"temp": 4.6}, "weather": "?"}'
        observation = self.provider().current(*BUCHAREST)
        assert observation.temperature_c == 4.6
        assert observation.condition == ""

    def test_geocoding_has_no_time_zone(self):
        place = self.provider().geocode("Cluj-Napoca")
        assert (place.latitude, place.longitude) == (Decimal("46.7667"), Decimal("23.6000"))
        assert place.time_zone is None
        assert self.provider().geocode("Atlantis") is None


class ConditionTests(SimpleTestCase):
    def test_wmo_codes(self):
        cases = {
            0: weather.CLEAR,
            2: weather.PARTLY_CLOUDY,
            3: weather.CLOUDY,
            45: weather.FOG,
            53: weather.DRIZZLE,
            63: weather.RAIN,
            81: weather.RAIN,
            75: weather.SNOW,
            86: weather.SNOW,
            95: weather.THUNDERSTORM,
            99: weather.THUNDERSTORM,
            42: "",
            None: "",
            "3": "",
        }
        for code, condition in cases.items():
            assert weather.wmo_condition(code) == condition, code

    def test_openweathermap_ids(self):
        cases = {
            (211, "11d"): weather.THUNDERSTORM,
            (301, "09d"): weather.DRIZZLE,
            (501, "10d"): weather.RAIN,
            (511, "13d"): weather.SNOW,
            (601, "13d"): weather.SNOW,
            (741, "50d"): weather.FOG,
            (800, "01d"): weather.CLEAR,
            (800, "01n"): weather.CLEAR_NIGHT,
            (802, "03d"): weather.PARTLY_CLOUDY,
            (804, "04d"): weather.CLOUDY,
            (900, "x"): "",
        }
        for (code, icon), condition in cases.items():
            assert weather.openweathermap_condition(code, icon) == condition, code


class ProviderChoiceTests(SimpleTestCase):
    @override_settings(WEATHER_PROVIDER="open-meteo", WEATHER_URL="")
    def test_open_meteo_is_the_default_with_its_own_hosts(self):
        provider = weather.get_provider()
        assert isinstance(provider, OpenMeteo)
        assert provider.base_url == "https://api.open-meteo.com"
        assert provider.geocoding_url == "https://geocoding-api.open-meteo.com"

    @override_settings(WEATHER_PROVIDER="open-meteo", WEATHER_URL="http://127.0.0.1:8099/")
    def test_weather_url_serves_forecast_and_geocoding(self):
        provider = weather.get_provider()
        assert provider.base_url == provider.geocoding_url == "http://127.0.0.1:8099"

    @override_settings(
        WEATHER_PROVIDER="openweathermap", WEATHER_URL="", WEATHER_API_KEY="test-key"
    )
    def test_openweathermap(self):
        provider = weather.get_provider()
        assert isinstance(provider, OpenWeatherMap)
        assert provider.api_key == "test-key"
        assert provider.base_url == "https://api.openweathermap.org"

    @override_settings(WEATHER_PROVIDER="accuweather")
    def test_unknown_provider_is_a_configuration_error(self):
        with self.assertRaises(ImproperlyConfigured):
            weather.get_provider()
