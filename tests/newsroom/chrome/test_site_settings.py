from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core.cache import cache
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone, translation

from newsroom.chrome.models import SiteSettings
from newsroom.weather import header, refresh
from newsroom.weather.models import WeatherReading, WeatherRefresh
from tests.factories import make_user
from tests.fake_weather import FakeWeather, unreachable_url
from tests.helpers import romanian

CHANGE_URL = reverse("admin:chrome_sitesettings_change", args=[1])


def post_data(site: SiteSettings, **changes) -> dict:
    """The change form as a browser sends it back, with the editor's changes."""
    data = {
        "city": site.city,
        "latitude": str(site.latitude),
        "longitude": str(site.longitude),
        "time_zone": site.time_zone,
        "temperature_unit": site.temperature_unit,
        "language": site.language,
    }
    return data | changes


@pytest.mark.usefixtures("fake_weather")
class SiteSettingsAdminTests(TestCase):
    fake: FakeWeather

    def setUp(self):
        cache.clear()
        self.enterContext(override_settings(WEATHER_URL=self.fake.url))
        self.site = SiteSettings.load()
        self.site.refresh_from_db()
        self.client.force_login(make_user("editor", group="Editor"))

    def save(self, **changes):
        return self.client.post(CHANGE_URL, post_data(self.site, **changes), follow=True)

    def geocoding_requests(self) -> list:
        return [query for path, query in self.fake.requests if path == "/v1/search"]

    def test_new_city_is_looked_up_once_on_save(self):
        response = self.save(city="Cluj-Napoca")
        assert response.status_code == 200
        site = SiteSettings.objects.get()
        assert site.city == "Cluj-Napoca"
        assert (site.latitude, site.longitude) == (Decimal("46.7667"), Decimal("23.6000"))
        assert site.time_zone == "Europe/Bucharest"
        assert [query["name"] for query in self.geocoding_requests()] == [["Cluj-Napoca"]]
        assert self.geocoding_requests()[0]["language"] == ["ro"]
        messages = [str(message) for message in response.context["messages"]]
        assert any("Cluj-Napoca, Romania" in m and "46.7667" in m for m in messages), messages
        # Nothing is looked up on page requests afterwards.
        self.client.get(reverse("live-header"))
        assert len(self.geocoding_requests()) == 1

    def test_time_zone_comes_with_the_city(self):
        self.save(city="New York")
        site = SiteSettings.objects.get()
        assert site.time_zone == "America/New_York"
        assert (site.latitude, site.longitude) == (Decimal("40.7143"), Decimal("-74.0060"))

    def test_same_city_is_not_looked_up_again(self):
        self.save(temperature_unit="F")
        assert SiteSettings.objects.get().temperature_unit == "F"
        assert self.geocoding_requests() == []

    def test_coordinates_typed_by_hand_are_kept(self):
        self.save(city="Sulina", latitude="45.1560", longitude="29.6530")
        site = SiteSettings.objects.get()
        assert (site.city, site.latitude, site.longitude) == (
            "Sulina",
            Decimal("45.1560"),
            Decimal("29.6530"),
        )
        assert self.geocoding_requests() == []

    def test_editor_corrects_the_looked_up_coordinates(self):
        self.save(city="Cluj-Napoca")
        self.site = SiteSettings.objects.get()
        self.save(latitude="46.7700", longitude="23.5900")
        site = SiteSettings.objects.get()
        assert (site.latitude, site.longitude) == (Decimal("46.7700"), Decimal("23.5900"))
        assert len(self.geocoding_requests()) == 1

    def test_time_zone_chosen_by_hand_is_kept(self):
        self.save(city="New York", time_zone="Europe/London")
        site = SiteSettings.objects.get()
        assert site.time_zone == "Europe/London"
        assert site.latitude == Decimal("40.7143")

    def test_unknown_city_is_a_clear_error_and_nothing_is_saved(self):
        response = self.save(city="Atlantis")
        assert response.status_code == 200
        message = romanian(
            "No place called “%(city)s” was found. Check the spelling, or enter the latitude "
            "and longitude yourself.",
            None,
        ) % {"city": "Atlantis"}
        assert response.context["adminform"].form.errors["city"] == [message]
        assert SiteSettings.objects.get().city == "București"

    def test_provider_down_is_a_clear_error_and_nothing_is_saved(self):
        with self.settings(WEATHER_URL=unreachable_url()):
            response = self.save(city="Cluj-Napoca")
        [message] = response.context["adminform"].form.errors["city"]
        assert "Cluj-Napoca" in message
        assert "Connection refused" in message
        assert SiteSettings.objects.get().city == "București"

    def test_provider_garbage_is_a_clear_error(self):
        self.fake.fault = "body"
        self.fake.fault_body = b"<html>oops</html>"
        response = self.save(city="Cluj-Napoca")
        [message] = response.context["adminform"].form.errors["city"]
        assert "not JSON" in message
        assert SiteSettings.objects.get().city == "București"

    @override_settings(WEATHER_PROVIDER="openweathermap", WEATHER_API_KEY="test-key")
    def test_openweathermap_geocoding_keeps_the_time_zone(self):
        self.save(city="Cluj-Napoca", time_zone="Europe/Bucharest")
        site = SiteSettings.objects.get()
        assert site.latitude == Decimal("46.7667")
        assert site.time_zone == "Europe/Bucharest"
        assert self.fake.paths() == ["/geo/1.0/direct"]

    def test_coordinates_out_of_range(self):
        response = self.save(latitude="91", longitude="-181")
        errors = response.context["adminform"].form.errors
        assert set(errors) == {"latitude", "longitude"}
        assert SiteSettings.objects.get().latitude == Decimal("44.4268")

    def test_not_a_number(self):
        response = self.save(latitude="north")
        assert "latitude" in response.context["adminform"].form.errors

    def test_new_place_refreshes_the_weather_at_once(self):
        with mock.patch.object(refresh, "refresh_soon") as refresh_soon:
            self.save(city="Cluj-Napoca")
            assert refresh_soon.call_count == 1
            self.site = SiteSettings.objects.get()
            self.save(language="en")
            assert refresh_soon.call_count == 1

    def test_header_follows_the_new_city(self):
        WeatherReading.objects.create(
            provider="open-meteo",
            temperature_c=2,
            observed_at=timezone.now(),
            latitude=Decimal("44.4268"),
            longitude=Decimal("26.1025"),
        )
        assert self.client.get(reverse("live-header")).json()["temperature"] == 2
        self.save(city="Cluj-Napoca")
        data = self.client.get(reverse("live-header")).json()
        assert data["city"] == "Cluj-Napoca"
        # București's reading is not shown under Cluj's name.
        assert data["temperature"] is None


class LoadTests(TestCase):
    def test_without_its_row_the_defaults_are_read_and_kept(self):
        """A database emptied since the migration made the row: reading the settings must not
        make it again (saving it would bump the key they are kept under, so they never were)."""
        SiteSettings.objects.all().delete()
        assert SiteSettings.load().city == "București"
        with self.assertNumQueries(0):
            assert SiteSettings.load().time_zone == "Europe/Bucharest"
        assert not SiteSettings.objects.exists()


class SiteSettingsAdminPagesTests(TestCase):
    def setUp(self):
        cache.clear()
        self.client.force_login(make_user("root", superuser=True))

    def test_the_settings_page_makes_its_row_again_if_it_is_missing(self):
        SiteSettings.objects.all().delete()
        assert self.client.get(CHANGE_URL).status_code == 200
        assert SiteSettings.objects.filter(pk=1).exists()
        other = reverse("admin:chrome_sitesettings_change", args=[2])
        assert self.client.get(other).status_code == 302  # no second row is made
        assert SiteSettings.objects.count() == 1

    def test_changelist_and_change_pages(self):
        SiteSettings.load()
        assert self.client.get(reverse("admin:chrome_sitesettings_changelist")).status_code == 200
        response = self.client.get(CHANGE_URL)
        assert response.status_code == 200
        assert romanian("No reading yet for these coordinates.", None) in response.content.decode()

    def test_weather_status_shows_the_reading_and_failures(self):
        SiteSettings.load()
        WeatherReading.objects.create(
            provider="open-meteo",
            temperature_c=-3.6,
            observed_at=timezone.now(),
            latitude=Decimal("44.4268"),
            longitude=Decimal("26.1025"),
        )
        WeatherRefresh.objects.create(
            pk=1,
            failures=2,
            last_error="api.open-meteo.com answered HTTP 500",
            retry_at=timezone.now() + timedelta(minutes=2),
        )
        html = self.client.get(CHANGE_URL).content.decode()
        assert "-4 °C" in html
        assert "(api.open-meteo.com answered HTTP 500)" in html
        with translation.override("en"):
            status = header.status(SiteSettings.load())
        assert status.startswith("Last reading: -4 °C, observed ")
        assert "The last 2 refreshes failed (api.open-meteo.com answered HTTP 500)" in status

    def test_there_is_only_ever_one_row(self):
        # Every request loads (and if need be creates) the one row, so there is nothing to add.
        self.client.get(reverse("admin:index"))
        assert SiteSettings.objects.count() == 1
        assert self.client.get(reverse("admin:chrome_sitesettings_add")).status_code == 403

    def test_settings_cannot_be_deleted(self):
        SiteSettings.load()
        url = reverse("admin:chrome_sitesettings_delete", args=[1])
        assert self.client.get(url).status_code == 403

    def test_reporters_cannot_change_settings(self):
        SiteSettings.load()
        self.client.force_login(make_user("reporter", group="Reporter"))
        assert self.client.get(CHANGE_URL).status_code == 403
