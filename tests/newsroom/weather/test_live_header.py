import math
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
import requests
from django.core.cache import cache
from django.db import connection
from django.template.loader import render_to_string
from django.test import (
    RequestFactory,
    SimpleTestCase,
    TestCase,
    TransactionTestCase,
    override_settings,
)
from django.urls import reverse
from django.utils import timezone

from newsroom.chrome.models import SiteSettings
from newsroom.weather import header, refresh
from newsroom.weather import providers as weather
from newsroom.weather.models import WeatherReading, WeatherRefresh
from newsroom.weather.refresh import Outcome
from tests.fake_weather import FakeWeather
from tests.helpers import (
    BASE_DIR,
    BUCHAREST,
    PRODUCTION_ENV,
    expected_as_of,
    gunicorn,
    make_reading,
    romanian,
)


def render_header(site: SiteSettings | None = None) -> str:
    request = RequestFactory().get("/")
    request.site_settings = site or SiteSettings.load()  # type: ignore[attr-defined]  # as the middleware
    return render_to_string("includes/live_header.html", request=request)


def as_reading(celsius: float, minutes_old: float = 1, provider: str = "open-meteo") -> dict:
    when = timezone.now() - timedelta(minutes=minutes_old)
    return {
        "provider": provider,
        "temperature_c": celsius,
        "condition": weather.CLOUDY,
        "observed_at": when,
        "fetched_at": when,
    }


class TemperatureTests(TestCase):
    def test_whole_degrees_with_the_sign_and_never_minus_zero(self):
        cases = {
            -1.2: "-1 °C",
            -0.4: "0 °C",
            -0.0: "0 °C",
            0.4: "0 °C",
            -0.5: "-1 °C",
            2.5: "3 °C",
            21.49: "21 °C",
            -60: "-60 °C",
            55: "55 °C",
        }
        for celsius, text in cases.items():
            assert header.format_temperature(celsius, "C") == text, celsius

    def test_fahrenheit(self):
        cases = {-60: "-76 °F", 55: "131 °F", 0: "32 °F", -17.8: "0 °F", -18.1: "-1 °F"}
        for celsius, text in cases.items():
            assert header.format_temperature(celsius, "F") == text, celsius

    def test_not_a_number_shows_nothing(self):
        for value in (math.nan, math.inf, -math.inf, None, "12"):
            assert header.format_temperature(value, "C") == ""
            site = SiteSettings.load()
            assert header.weather_context(as_reading(value), site, timezone.now()) is None


class HeaderContextTests(TestCase):
    def setUp(self):
        cache.clear()
        self.site = SiteSettings.load()

    def test_fresh_reading(self):
        make_reading(minutes_old=5, temperature_c=-0.6)
        shown = header.header_context(self.site)["weather"]
        assert shown["display"] == "-1 °C"
        assert shown["condition"] == weather.SNOW
        assert shown["icon"] == header.ICONS[weather.SNOW]
        assert not shown["stale"]
        assert shown["as_of"] == ""
        assert shown["credit"]

    def test_the_newest_reading_wins(self):
        make_reading(minutes_old=30, temperature_c=1)
        make_reading(minutes_old=2, temperature_c=9)
        assert header.header_context(self.site)["weather"]["display"] == "9 °C"

    @override_settings(TIME_ZONE="UTC")
    def test_stale_after_an_hour_with_the_time_it_was_observed(self):
        observed = datetime(2024, 12, 23, 12, 30, tzinfo=UTC)  # 14:30 in București
        make_reading(observed_at=observed, fetched_at=observed)
        at = observed + timedelta(minutes=59)
        assert not header.header_context(self.site, at, refresh=False)["weather"]["stale"]
        at = observed + timedelta(minutes=61)
        with timezone.override("America/New_York"):
            shown = header.header_context(self.site, at, refresh=False)["weather"]
        assert shown["stale"]
        assert shown["as_of"] == romanian("as of %(time)s", None) % {"time": "14:30"}
        self.site.language = "en"
        shown = header.header_context(self.site, at, refresh=False)["weather"]
        assert shown["as_of"] == "as of 14:30"

    @override_settings(TIME_ZONE="UTC")
    def test_stale_from_another_day_names_the_day(self):
        observed = datetime(2024, 12, 23, 12, 30, tzinfo=UTC)
        make_reading(observed_at=observed, fetched_at=observed)
        at = observed + timedelta(days=1)
        shown = header.header_context(self.site, at, refresh=False)["weather"]
        assert shown["as_of"] == romanian("as of %(date_and_time)s", None) % {
            "date_and_time": "luni, 23 decembrie 2024 - 14:30"
        }
        self.site.language = "en"
        shown = header.header_context(self.site, at, refresh=False)["weather"]
        assert shown["as_of"] == "as of Monday, 23 December 2024 - 14:30"

    def test_no_reading_at_all(self):
        assert header.header_context(self.site)["weather"] is None

    def test_a_reading_for_another_place_is_not_shown(self):
        make_reading(latitude=Decimal("46.7667"), longitude=Decimal("23.6000"))
        assert header.header_context(self.site)["weather"] is None

    def test_the_last_reading_survives_a_flushed_cache(self):
        make_reading(minutes_old=3, temperature_c=12.2)
        header.header_context(self.site)
        cache.clear()
        assert header.header_context(self.site)["weather"]["display"] == "12 °C"

    def test_fahrenheit_site(self):
        make_reading(temperature_c=-60)
        self.site.temperature_unit = SiteSettings.Unit.FAHRENHEIT
        shown = header.header_context(self.site)["weather"]
        assert shown["display"] == "-76 °F"
        assert shown["unit"] == "°F"

    def test_credit_only_for_open_meteo_data(self):
        make_reading(provider="openweathermap")
        assert not header.header_context(self.site)["weather"]["credit"]

    def test_unknown_condition_has_no_icon_and_no_label(self):
        make_reading(condition="volcanic ash")
        shown = header.header_context(self.site)["weather"]
        assert (shown["condition"], shown["icon"], shown["label"]) == ("", "", "")
        assert shown["display"] == "-1 °C"

    def test_labels_follow_the_site_language(self):
        make_reading(condition=weather.RAIN)
        assert header.header_context(self.site)["weather"]["label"] == romanian("Rain")
        self.site.language = "en"
        assert header.header_context(self.site)["weather"]["label"] == "Rain"
        for condition in weather.CONDITIONS:
            assert header.condition_label(condition)
            assert condition in header.ICONS


@override_settings(TIME_ZONE="UTC")
class HeaderDateTests(TestCase):
    """The header's date and time in the site's zone and language, with the server in UTC."""

    CASES = [
        # (UTC instant, Romanian, English, offset)
        (
            datetime(2024, 12, 23, 21, 59, tzinfo=UTC),
            "luni, 23 decembrie 2024 - 23:59",
            "Monday, 23 December 2024 - 23:59",
            "+02:00",
        ),
        (
            datetime(2024, 12, 23, 22, 0, tzinfo=UTC),
            "marți, 24 decembrie 2024 - 0:00",
            "Tuesday, 24 December 2024 - 0:00",
            "+02:00",
        ),
        (
            datetime(2024, 12, 31, 21, 59, tzinfo=UTC),
            "marți, 31 decembrie 2024 - 23:59",
            "Tuesday, 31 December 2024 - 23:59",
            "+02:00",
        ),
        (
            datetime(2024, 12, 31, 22, 0, tzinfo=UTC),
            "miercuri, 1 ianuarie 2025 - 0:00",
            "Wednesday, 1 January 2025 - 0:00",
            "+02:00",
        ),
        (
            datetime(2024, 2, 29, 21, 30, tzinfo=UTC),
            "joi, 29 februarie 2024 - 23:30",
            "Thursday, 29 February 2024 - 23:30",
            "+02:00",
        ),
        (
            datetime(2024, 2, 29, 22, 30, tzinfo=UTC),
            "vineri, 1 martie 2024 - 0:30",
            "Friday, 1 March 2024 - 0:30",
            "+02:00",
        ),
        (
            datetime(2024, 4, 30, 21, 0, tzinfo=UTC),
            "miercuri, 1 mai 2024 - 0:00",
            "Wednesday, 1 May 2024 - 0:00",
            "+03:00",
        ),
        # Spring forward: 02:59 EET is followed by 04:00 EEST.
        (
            datetime(2024, 3, 31, 0, 59, tzinfo=UTC),
            "duminică, 31 martie 2024 - 2:59",
            "Sunday, 31 March 2024 - 2:59",
            "+02:00",
        ),
        (
            datetime(2024, 3, 31, 1, 0, tzinfo=UTC),
            "duminică, 31 martie 2024 - 4:00",
            "Sunday, 31 March 2024 - 4:00",
            "+03:00",
        ),
        # Fall back: 3:30 happens twice, first in summer time, then in winter time.
        (
            datetime(2024, 10, 27, 0, 30, tzinfo=UTC),
            "duminică, 27 octombrie 2024 - 3:30",
            "Sunday, 27 October 2024 - 3:30",
            "+03:00",
        ),
        (
            datetime(2024, 10, 27, 1, 30, tzinfo=UTC),
            "duminică, 27 octombrie 2024 - 3:30",
            "Sunday, 27 October 2024 - 3:30",
            "+02:00",
        ),
        (
            datetime(2024, 10, 26, 21, 0, tzinfo=UTC),
            "duminică, 27 octombrie 2024 - 0:00",
            "Sunday, 27 October 2024 - 0:00",
            "+03:00",
        ),
    ]

    def setUp(self):
        cache.clear()
        self.site = SiteSettings.load()

    def test_romanian(self):
        for instant, in_romanian, _english, offset in self.CASES:
            context = header.header_context(self.site, instant, refresh=False)
            assert context["display"] == in_romanian, instant
            assert context["now_iso"].endswith(offset), (instant, context["now_iso"])
            assert datetime.fromisoformat(context["now_iso"]) == instant

    def test_english(self):
        self.site.language = "en"
        for instant, _romanian, english, _offset in self.CASES:
            context = header.header_context(self.site, instant, refresh=False)
            assert context["display"] == english, instant

    def test_the_active_zone_and_language_do_not_matter(self):
        instant, in_romanian, _english, _offset = self.CASES[1]
        with timezone.override("Asia/Tokyo"), self.settings(LANGUAGE_CODE="en"):
            assert header.header_context(self.site, instant)["display"] == in_romanian

    def test_another_site_zone(self):
        self.site.time_zone = "America/New_York"
        self.site.language = "en"
        instant = datetime(2024, 3, 10, 7, 0, tzinfo=UTC)  # New York springs forward at 2:00
        context = header.header_context(self.site, instant, refresh=False)
        assert context["display"] == "Sunday, 10 March 2024 - 3:00"
        assert context["now_iso"] == "2024-03-10T03:00:00-04:00"


class HeaderHtmlTests(TestCase):
    def setUp(self):
        cache.clear()

    def test_reading_rendered_with_icon_label_and_credit(self):
        make_reading(temperature_c=-1.2, condition=weather.SNOW)
        html = render_header()
        assert '<span class="lh-temp">-1 °C</span>' in html
        assert f'<span class="lh-sr lh-label">{romanian("Snow")}</span>' in html
        assert header.ICONS[weather.SNOW] in html
        assert 'aria-hidden="true"' in html
        assert romanian("Weather data by Open-Meteo.com", None) in html
        assert "Open-Meteo.com" in html
        assert 'class="lh-credit" href="https://open-meteo.com/">' in html
        assert "data-live-header" in html
        assert 'data-url="/live/header.json"' in html
        assert 'data-zone="Europe/Bucharest"' in html
        assert 'data-lang="ro"' in html
        assert "data-lowercase" in html
        assert 'src="/static/js/live-header.js" defer' in html
        assert "<script>" not in html  # nothing inline: a strict CSP will come

    def test_never_none_nan_or_an_empty_unit(self):
        for reading in (None, "nan", "no condition", "OpenWeatherMap"):
            WeatherReading.objects.all().delete()
            cache.clear()
            if reading == "no condition":
                make_reading(condition="")
            elif reading == "OpenWeatherMap":
                make_reading(provider="openweathermap")
            elif reading == "nan":
                with mock.patch.object(header, "stored_reading", return_value=as_reading(math.nan)):
                    html = render_header()
                self.assert_clean(html, has_temperature=False)
                continue
            html = render_header()
            self.assert_clean(html, has_temperature=reading is not None)

    def assert_clean(self, html: str, has_temperature: bool):
        for bad in ("None", "nan", "NaN", "> °C", ">°C", "> °F", "undefined"):
            assert bad not in html, (bad, html)
        assert ("°C" in html) is has_temperature, html
        assert 'class="lh-weather" hidden' in html or has_temperature

    def test_no_reading_hides_the_weather_and_the_credit(self):
        html = render_header()
        assert "°C" not in html
        assert 'class="lh-weather" hidden' in html
        assert 'class="lh-credit" href="https://open-meteo.com/" hidden' in html
        assert "București" in html

    def test_openweathermap_data_has_no_open_meteo_credit(self):
        make_reading(provider="openweathermap")
        assert 'class="lh-credit" href="https://open-meteo.com/" hidden' in render_header()

    def test_stale_reading_is_marked(self):
        reading = make_reading(minutes_old=90)
        html = render_header()
        as_of = expected_as_of(reading)
        assert f'class="lh-weather lh-stale" title="{as_of}"' in html
        assert f'<span class="lh-sr lh-asof">{as_of}</span>' in html

    def test_city_is_escaped(self):
        site = SiteSettings.load()
        site.city = "<b>Iași</b>"
        assert "&lt;b&gt;Iași&lt;/b&gt;" in render_header(site)

    def test_one_query_when_cold_none_when_warm(self):
        make_reading()
        site = SiteSettings.load()
        cache.clear()
        with self.assertNumQueries(1):
            render_header(site)
        with self.assertNumQueries(0):
            render_header(site)

    def test_on_every_page(self):
        make_reading(temperature_c=4)
        response = self.client.get(reverse("home"))
        assert response.status_code == 200
        html = response.content.decode()
        assert '<span class="lh-temp">4 °C</span>' in html
        assert "css/live-header.css" in html

    def test_script_is_small(self):
        from django.contrib.staticfiles import finders

        with open(finders.find("js/live-header.js"), "rb") as handle:
            assert len(handle.read()) < 3 * 1024


class HeaderJsonTests(TestCase):
    def setUp(self):
        cache.clear()
        self.url = reverse("live-header")

    def test_everything_the_script_needs(self):
        make_reading(minutes_old=2, temperature_c=-0.6, condition=weather.SNOW)
        response = self.client.get(self.url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        assert "max-age=60" in response["Cache-Control"]
        data = response.json()
        now = datetime.fromisoformat(data["now"])
        assert now.utcoffset() in (timedelta(hours=2), timedelta(hours=3))
        assert abs(now - timezone.now()) < timedelta(seconds=5)
        assert data["display"] == header.dates.long_datetime(now, "ro", "Europe/Bucharest")
        assert data["city"] == "București"
        assert data["time_zone"] == "Europe/Bucharest"
        assert data["language"] == "ro"
        assert data["lowercase"] is True
        assert data["temperature"] == -1
        assert data["unit"] == "°C"
        assert data["temperature_display"] == "-1 °C"
        assert data["condition"] == "snow"
        assert data["condition_label"] == romanian("Snow")
        assert data["icon"] == header.ICONS[weather.SNOW]
        observed = datetime.fromisoformat(data["observed_at"])
        assert abs(observed - (timezone.now() - timedelta(minutes=2))) < timedelta(seconds=5)
        assert observed.utcoffset() == now.utcoffset()
        assert data["stale"] is False
        assert data["stale_title"] is None
        assert data["credit"] is True

    def test_no_reading(self):
        data = self.client.get(self.url).json()
        assert data["temperature"] is None
        assert data["temperature_display"] is None
        assert data["observed_at"] is None
        assert data["stale"] is False
        assert data["credit"] is False
        assert data["display"]

    def test_stale(self):
        reading = make_reading(minutes_old=75)
        data = self.client.get(self.url).json()
        assert data["stale"] is True
        assert data["stale_title"] == expected_as_of(reading)

    def test_english_fahrenheit_site(self):
        site = SiteSettings.load()
        site.language = "en"
        site.temperature_unit = SiteSettings.Unit.FAHRENHEIT
        site.save()
        make_reading(temperature_c=55)
        data = self.client.get(self.url).json()
        assert data["temperature_display"] == "131 °F"
        assert data["language"] == "en"
        assert data["lowercase"] is False
        assert data["display"][0].isupper()

    def test_no_query_when_warm(self):
        make_reading()
        self.client.get(self.url)
        with self.assertNumQueries(0):
            response = self.client.get(self.url)
        assert response.json()["temperature_display"] == "-1 °C"

    def test_only_get(self):
        assert self.client.post(self.url).status_code == 405


class BackgroundTriggerTests(TestCase):
    """When a request notices an old reading it starts one refresh, and waits for nothing."""

    def setUp(self):
        cache.clear()
        patcher = mock.patch.object(refresh, "start_background_refresh", return_value=True)
        self.start = patcher.start()
        self.addCleanup(patcher.stop)

    @override_settings(WEATHER_BACKGROUND_REFRESH=True)
    def test_fresh_reading_starts_nothing(self):
        make_reading(minutes_old=9)
        for _ in range(3):
            self.client.get(reverse("live-header"))
            render_header()
        assert self.start.call_count == 0

    @override_settings(WEATHER_BACKGROUND_REFRESH=True)
    def test_old_reading_starts_one_refresh_for_many_requests(self):
        make_reading(minutes_old=11)
        for _ in range(10):
            assert self.client.get(reverse("live-header")).status_code == 200
            render_header()
        assert self.start.call_count == 1

    @override_settings(WEATHER_BACKGROUND_REFRESH=True)
    def test_no_reading_ever_starts_a_refresh(self):
        render_header()
        assert self.start.call_count == 1

    @override_settings(WEATHER_BACKGROUND_REFRESH=True, WEATHER_REFRESH_MINUTES=30)
    def test_interval_is_a_setting(self):
        make_reading(minutes_old=20)
        render_header()
        assert self.start.call_count == 0

    @override_settings(WEATHER_BACKGROUND_REFRESH=False)
    def test_background_refresh_can_be_left_to_cron(self):
        make_reading(minutes_old=60)
        render_header()
        assert self.start.call_count == 0


@pytest.mark.usefixtures("fake_weather")
class RefreshTests(TestCase):
    """One refresh, run in the test's thread against the local fake provider."""

    fake: FakeWeather

    def setUp(self):
        cache.clear()
        self.enterContext(override_settings(WEATHER_URL=self.fake.url))

    def test_stores_and_caches_a_reading(self):
        self.fake.temperature = -7.4
        self.fake.weather_code = 61
        assert refresh.refresh() is Outcome.REFRESHED
        reading = WeatherReading.objects.get()
        assert reading.temperature_c == -7.4
        assert reading.condition == weather.RAIN
        assert (reading.latitude, reading.longitude) == BUCHAREST
        assert reading.provider == "open-meteo"
        with self.assertNumQueries(0):
            assert header.header_context(SiteSettings.load())["weather"]["display"] == "-7 °C"

    def test_fresh_reading_is_not_fetched_again(self):
        make_reading(minutes_old=2)
        assert refresh.refresh() is Outcome.FRESH
        assert self.fake.requests == []
        assert refresh.refresh(force=True) is Outcome.REFRESHED
        assert len(self.fake.requests) == 1

    @override_settings(WEATHER_PROVIDER="openweathermap", WEATHER_API_KEY="test-key")
    def test_openweathermap(self):
        self.fake.temperature = 21.6
        assert refresh.refresh() is Outcome.REFRESHED
        assert WeatherReading.objects.get().provider == "openweathermap"
        shown = header.header_context(SiteSettings.load(), refresh=False)["weather"]
        assert shown["display"] == "22 °C"
        assert not shown["credit"]

    def test_failure_keeps_the_last_reading_backs_off_and_logs_once(self):
        make_reading(minutes_old=20, temperature_c=5)
        self.fake.fault = "status"
        self.fake.fault_status = 503
        with self.assertLogs("newsroom.weather", "WARNING") as logs:
            assert refresh.refresh() is Outcome.FAILED
            # Until the pause is over nobody asks the provider again.
            assert refresh.refresh() is Outcome.BACKING_OFF
            cache.clear()  # even when the cache forgets
            assert refresh.refresh() is Outcome.BACKING_OFF
        assert len(logs.records) == 1
        assert "HTTP 503" in logs.output[0]
        assert len(self.fake.requests) == 1
        state = WeatherRefresh.objects.get()
        assert state.failures == 1
        assert state.last_error.endswith("answered HTTP 503")
        wait = (state.retry_at - state.last_attempt_at).total_seconds()
        assert wait == refresh.BACKOFF_FIRST_SECONDS
        shown = header.header_context(SiteSettings.load(), refresh=False)["weather"]
        assert shown["display"] == "5 °C"

    def test_backoff_grows_and_a_success_resets_it(self):
        make_reading(minutes_old=20)
        self.fake.fault = "body"
        self.fake.fault_body = b"garbage"
        with self.assertLogs("newsroom.weather", "WARNING"):
            for failures in (1, 2, 3):
                WeatherRefresh.objects.update(retry_at=timezone.now() - timedelta(seconds=1))
                assert refresh.refresh() is Outcome.FAILED
                state = WeatherRefresh.objects.get()
                assert state.failures == failures
                wait = (state.retry_at - state.last_attempt_at).total_seconds()
                assert wait == refresh.backoff_seconds(failures)
        assert [refresh.backoff_seconds(n) for n in (1, 2, 3, 4, 10)] == [
            60,
            120,
            240,
            480,
            1800,
        ]
        self.fake.fault = None
        WeatherRefresh.objects.update(retry_at=timezone.now() - timedelta(seconds=1))
        with self.assertLogs("newsroom.weather", "INFO") as logs:
            assert refresh.refresh() is Outcome.REFRESHED
        assert "works again after 3 failures" in logs.output[0]
        state = WeatherRefresh.objects.get()
        assert (state.failures, state.retry_at, state.last_error) == (0, None, "")

    def test_rate_limit_retry_after_is_respected(self):
        self.fake.fault = "status"
        self.fake.fault_status = 429
        self.fake.fault_headers = {"Retry-After": "900"}
        with self.assertLogs("newsroom.weather", "WARNING"):
            assert refresh.refresh() is Outcome.FAILED
        state = WeatherRefresh.objects.get()
        assert (state.retry_at - state.last_attempt_at).total_seconds() == 900

    def test_lock_held_elsewhere_means_no_request(self):
        WeatherRefresh.objects.create(
            pk=1, locked_until=timezone.now() + timedelta(seconds=20), lock_token="other"
        )
        assert refresh.refresh(force=True) is Outcome.LOCKED
        assert self.fake.requests == []

    def test_lock_of_a_crashed_process_expires(self):
        WeatherRefresh.objects.create(
            pk=1, locked_until=timezone.now() - timedelta(seconds=1), lock_token="crashed"
        )
        assert refresh.refresh() is Outcome.REFRESHED
        state = WeatherRefresh.objects.get()
        assert (state.locked_until, state.lock_token) == (None, "")

    def test_old_readings_are_pruned(self):
        old = make_reading(minutes_old=60 * 24 * 8)
        recent = make_reading(minutes_old=60 * 24 * 2)
        assert refresh.refresh() is Outcome.REFRESHED
        assert not WeatherReading.objects.filter(pk=old.pk).exists()
        assert WeatherReading.objects.filter(pk=recent.pk).exists()

    def test_new_city_gets_its_own_reading(self):
        make_reading(minutes_old=2)
        site = SiteSettings.load()
        site.latitude, site.longitude = Decimal("46.7667"), Decimal("23.6")
        site.save()
        assert refresh.refresh() is Outcome.REFRESHED
        _path, query = self.fake.requests[0]
        assert (query["latitude"], query["longitude"]) == (["46.7667"], ["23.6000"])
        assert WeatherReading.objects.count() == 2


@pytest.mark.usefixtures("fake_weather")
class ConcurrentRefreshTests(TransactionTestCase):
    """Real threads and their own database connections, as in a server under load."""

    fake: FakeWeather

    def setUp(self):
        cache.clear()
        SiteSettings.load()  # as in a running site, the settings row exists and is cached
        self.enterContext(
            override_settings(WEATHER_URL=self.fake.url, WEATHER_BACKGROUND_REFRESH=True)
        )

    def tearDown(self):
        refresh.wait_for_background_refresh()

    def run_together(self, count: int, work) -> list:
        barrier = threading.Barrier(count)
        results = [None] * count

        def run(index):
            try:
                barrier.wait()
                results[index] = work()
            finally:
                connection.close()

        threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(15)
        return results

    def test_only_one_refresh_across_processes(self):
        # Each thread stands for a process of its own: no shared memory, only the database.
        self.fake.delay = 0.5
        outcomes = self.run_together(8, refresh.refresh)
        assert outcomes.count(Outcome.REFRESHED) == 1, outcomes
        assert set(outcomes) == {Outcome.REFRESHED, Outcome.LOCKED}, outcomes
        assert self.fake.paths() == ["/v1/forecast"]
        assert WeatherReading.objects.count() == 1
        assert WeatherRefresh.objects.get().locked_until is None

    def test_many_requests_at_once_start_one_refresh(self):
        make_reading(minutes_old=30, temperature_c=1)
        self.fake.temperature = 8
        self.fake.delay = 0.3

        def request():
            from django.test import Client

            started = time.monotonic()
            response = Client().get(reverse("live-header"))
            return response.status_code, response.json()["temperature"], time.monotonic() - started

        results = self.run_together(12, request)
        refresh.wait_for_background_refresh()
        assert {status for status, _t, _s in results} == {200}
        # Everyone was served the stored reading at once, without waiting for the provider.
        assert {temperature for _s, temperature, _e in results} == {1}
        assert max(elapsed for _s, _t, elapsed in results) < 1.5
        assert self.fake.paths() == ["/v1/forecast"]
        assert header.header_context(SiteSettings.load())["weather"]["temperature"] == 8

    def test_pages_stay_fast_when_the_provider_is_unreachable(self):
        make_reading(minutes_old=90, temperature_c=-3)
        with (
            self.settings(WEATHER_URL="http://127.0.0.1:9"),
            self.assertLogs("newsroom.weather", "WARNING") as logs,
        ):
            for _ in range(20):
                started = time.monotonic()
                response = self.client.get(reverse("home"))
                assert response.status_code == 200
                assert time.monotonic() - started < 1
                html = response.content.decode()
                assert '<span class="lh-temp">-3 °C</span>' in html
                assert "lh-stale" in html
                refresh.wait_for_background_refresh()
        # Twenty requests, one attempt, one line in the log, then a pause.
        assert len(logs.records) == 1, logs.output
        assert "Connection refused" in logs.output[0]
        state = WeatherRefresh.objects.get()
        assert state.failures == 1
        assert state.retry_at > timezone.now()

    def test_slow_provider_never_holds_a_page(self):
        make_reading(minutes_old=30, temperature_c=2)
        self.fake.fault = "trickle-body"
        started = time.monotonic()
        with self.assertLogs("newsroom.weather", "WARNING") as logs:
            response = self.client.get(reverse("live-header"))
            assert time.monotonic() - started < 0.5
            assert response.json()["temperature"] == 2
            refresh.wait_for_background_refresh()
        # The background refresh itself gave up at the deadline.
        assert time.monotonic() - started < weather.DEADLINE_SECONDS + 1
        assert "did not finish answering" in logs.output[0]


@pytest.mark.usefixtures("fake_weather")
@pytest.mark.services
class SeparateProcessesTests(SimpleTestCase):
    """Gunicorn workers share nothing but the database, and still refresh one at a time (in the
    task worker, where production refreshes)."""

    fake: FakeWeather

    def setUp(self):
        self.directory = self.enterContext(tempfile.TemporaryDirectory())
        self.database = Path(self.directory) / "site.sqlite3"
        self.env = {
            **PRODUCTION_ENV,
            "DATABASE_URL": f"sqlite:///{self.database}",
            "CACHE_URL": "locmem://",  # one cache per worker: only the database is shared
            "WEATHER_BACKGROUND_REFRESH": "1",
        }
        for command in (
            ["migrate", "--noinput", "-v0"],
            ["shell", "-c", "from newsroom.chrome.models import SiteSettings; SiteSettings.load()"],
        ):
            subprocess.run(
                [sys.executable, "manage.py", *command],
                cwd=BASE_DIR,
                env={**os.environ, **self.env},
                check=True,
            )

    def get(self, url: str) -> tuple[requests.Response, float]:
        started = time.monotonic()
        response = requests.get(url, timeout=10)
        return response, time.monotonic() - started

    def warm_up(self, base_url: str) -> None:
        # A worker's first request loads the whole site (about a second); /healthz does that
        # without rendering the header, so no refresh starts yet.
        with ThreadPoolExecutor(12) as pool:
            list(pool.map(self.get, [f"{base_url}/healthz"] * 36))

    def task_worker(self, env: dict[str, str]) -> None:
        """The task worker beside the web workers, as in production: it runs the refresh."""
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--interval", "0.1", "--no-startup-delay"],
            cwd=BASE_DIR,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.addCleanup(worker.wait, 10)
        self.addCleanup(worker.terminate)

    def test_one_refresh_for_a_crowd_and_nobody_waits(self):
        fake = self.fake
        fake.delay = 0.6  # a slow provider, still inside the read timeout
        self.task_worker({**self.env, "WEATHER_URL": fake.url})
        with gunicorn({**self.env, "WEATHER_URL": fake.url}, workers=3) as base_url:
            self.warm_up(base_url)
            with ThreadPoolExecutor(24) as pool:
                answers = list(pool.map(self.get, [f"{base_url}/live/header.json"] * 48))
            assert {response.status_code for response, _elapsed in answers} == {200}
            assert max(elapsed for _response, elapsed in answers) < fake.delay
            # Soon every worker shows the one reading that was fetched.
            deadline = time.monotonic() + 15
            while True:
                with ThreadPoolExecutor(6) as pool:
                    answers = list(pool.map(self.get, [f"{base_url}/live/header.json"] * 12))
                shown = {response.json()["temperature"] for response, _elapsed in answers}
                if shown == {3} or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            assert shown == {3}
        assert fake.paths() == ["/v1/forecast"]

    def test_pages_answer_at_once_while_the_provider_trickles(self):
        with sqlite3.connect(self.database) as db:
            db.execute(
                "INSERT INTO newsroom_weatherreading (provider, temperature_c, condition, "
                "observed_at, fetched_at, latitude, longitude) VALUES "
                "('open-meteo', -2.6, 'fog', '2024-12-23 10:00:00', '2024-12-23 10:00:00', "
                "'44.4268', '26.1025')"
            )
        fake = self.fake
        fake.fault = "trickle-body"  # holds a refresh for the whole deadline
        self.task_worker({**self.env, "WEATHER_URL": fake.url})
        with gunicorn({**self.env, "WEATHER_URL": fake.url}, workers=2) as base_url:
            self.warm_up(base_url)
            for _ in range(10):
                response, elapsed = self.get(f"{base_url}/")
                assert response.status_code == 200
                # Waiting for the provider would take the whole deadline.
                assert elapsed < weather.DEADLINE_SECONDS * 0.75, elapsed
                assert '<span class="lh-temp">-3 °C</span>' in response.text
                as_of = romanian("as of %(date_and_time)s", None) % {
                    "date_and_time": "luni, 23 decembrie 2024 - 12:00"
                }
                assert f'title="{as_of}"' in response.text
            # One attempt (in the task worker), then the pause that follows a failure.
            deadline = time.monotonic() + weather.DEADLINE_SECONDS + 5
            while not fake.paths() and time.monotonic() < deadline:
                time.sleep(0.1)
        assert fake.paths() == ["/v1/forecast"]
