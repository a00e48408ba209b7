"""The live header in a real browser: the clock ticks, the weather updates without a reload."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import Browser, expect

from newsroom.chrome.models import SiteSettings
from newsroom.dates import long_datetime
from newsroom.weather import refresh
from newsroom.weather.header import ICONS
from newsroom.weather.models import WeatherReading
from tests.fake_weather import FakeWeather
from tests.helpers import expected_as_of, romanian

pytestmark = pytest.mark.e2e

# One second before the spring change in București: 02:59:59 EET, then 04:00 EEST.
BEFORE_SPRING_FORWARD = datetime(2024, 3, 31, 0, 59, 30, tzinfo=UTC)


@pytest.mark.usefixtures("testcase_browser", "fake_weather")
class LiveHeaderBrowserTests(StaticLiveServerTestCase):
    browser: Browser
    fake: FakeWeather

    def setUp(self):
        cache.clear()
        self.enterContext(
            override_settings(WEATHER_URL=self.fake.url, WEATHER_BACKGROUND_REFRESH=True)
        )
        self.site = SiteSettings.load()
        self.context = self.browser.new_context()
        self.addCleanup(self.context.close)
        self.page = self.context.new_page()
        self.errors = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on(
            "console", lambda message: message.type == "error" and self.errors.append(message.text)
        )

    def tearDown(self):
        refresh.wait_for_background_refresh()
        assert self.errors == []

    def store_reading(self, celsius: float, minutes_old: float = 1, condition: str = "cloudy"):
        when = timezone.now() - timedelta(minutes=minutes_old)
        return WeatherReading.objects.create(
            provider="open-meteo",
            temperature_c=celsius,
            condition=condition,
            observed_at=when,
            fetched_at=when,
            latitude=Decimal("44.4268"),
            longitude=Decimal("26.1025"),
        )

    def open_home(self):
        self.page.goto(self.live_server_url + "/")
        header = self.page.locator("[data-live-header]")
        expect(header).to_be_visible()
        return header

    def test_clock_follows_the_minute_in_the_site_zone_and_language(self):
        self.store_reading(3.4)
        self.page.clock.install(time=BEFORE_SPRING_FORWARD)
        header = self.open_home()
        clock = header.locator(".lh-now")
        # The server rendered today's date; the script corrects it at once, as it must for a
        # page served from a full-page cache.
        expect(clock).to_have_text("duminică, 31 martie 2024 - 2:59")
        assert clock.inner_text() == long_datetime(BEFORE_SPRING_FORWARD, "ro", "Europe/Bucharest")
        expect(header.locator(".lh-temp")).to_have_text("3 °C")
        expect(header.locator(".lh-city")).to_have_text("București")
        expect(header.locator(".lh-credit")).to_be_visible()

        self.page.clock.fast_forward(30_000)
        expect(clock).to_have_text("duminică, 31 martie 2024 - 4:00")
        self.page.clock.fast_forward("01:00")
        later = BEFORE_SPRING_FORWARD + timedelta(seconds=90)
        expect(clock).to_have_text(long_datetime(later, "ro", "Europe/Bucharest"))
        assert clock.get_attribute("datetime").startswith("2024-03-31T01:01")

    def test_english_site_and_midnight(self):
        self.site.language = "en"
        self.site.save()
        before_midnight = datetime(2024, 12, 31, 21, 59, 10, tzinfo=UTC)
        self.page.clock.install(time=before_midnight)
        clock = self.open_home().locator(".lh-now")
        expect(clock).to_have_text("Tuesday, 31 December 2024 - 23:59")
        self.page.clock.fast_forward("01:00")
        expect(clock).to_have_text("Wednesday, 1 January 2025 - 0:00")

    def test_new_temperature_appears_without_a_reload(self):
        self.store_reading(3.4)
        self.page.clock.install()
        header = self.open_home()
        temperature = header.locator(".lh-temp")
        expect(temperature).to_have_text("3 °C")
        self.page.evaluate("window.sameDocument = true")
        city_box = header.locator(".lh-city").bounding_box()

        # The provider now reports snow at -7.2 °C, and the stored reading has aged past the
        # refresh interval: the script's next poll makes the server refresh in the background.
        self.fake.temperature = -7.2
        self.fake.weather_code = 71
        WeatherReading.objects.update(fetched_at=timezone.now() - timedelta(minutes=11))
        cache.clear()
        with self.page.expect_response(lambda r: r.url.endswith("/live/header.json")):
            self.page.clock.fast_forward("10:00")
        refresh.wait_for_background_refresh()
        assert self.fake.paths() == ["/v1/forecast"]

        # Coming back to the tab asks again, and gets the new reading.
        self.page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        expect(temperature).to_have_text("-7 °C")
        expect(header.locator(".lh-label")).to_have_text(romanian("Snow"))
        icon = header.locator(".lh-icon path").get_attribute("d")
        assert icon == ICONS["snow"]
        assert self.page.evaluate("window.sameDocument") is True
        # The temperature's box is reserved: the city did not move.
        assert header.locator(".lh-city").bounding_box() == city_box

    def test_no_reading_yet_then_one_arrives(self):
        self.page.clock.install()
        response = self.page.goto(self.live_server_url + "/")
        served = response.text()
        assert '<span class="lh-weather" hidden>' in served
        assert "°C" not in served
        # The page's own request started the first refresh; the script picks its result up.
        refresh.wait_for_background_refresh()
        self.page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        header = self.page.locator("[data-live-header]")
        expect(header.locator(".lh-temp")).to_have_text("3 °C")
        expect(header.locator(".lh-weather")).to_be_visible()
        assert "None" not in header.inner_text()

    def test_stale_reading_is_marked_and_the_page_works_without_the_provider(self):
        reading = self.store_reading(-1, minutes_old=90)
        as_of = expected_as_of(reading)
        with self.settings(WEATHER_URL="http://127.0.0.1:9"):
            self.page.clock.install()
            header = self.open_home()
            weather = header.locator(".lh-weather")
            expect(header.locator(".lh-temp")).to_have_text("-1 °C")
            expect(weather).to_have_class("lh-weather lh-stale")
            expect(weather).to_have_attribute("title", as_of)
            # The refresh the page started fails; the script asks again and keeps the mark.
            refresh.wait_for_background_refresh()
            self.page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
            expect(header.locator(".lh-temp")).to_have_text("-1 °C")
            expect(weather).to_have_class("lh-weather lh-stale")
            expect(weather).to_have_attribute("title", as_of)
            expect(header.locator(".lh-asof")).to_have_text(as_of)
