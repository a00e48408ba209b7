"""A reading stored by another process (cron's refresh_weather, a worker, another app server)
reaches this process's header within a minute, whatever the cache: no hour-long memory of a
reading, or of there being none."""

import time
from datetime import timedelta
from unittest import mock

from django.core.cache import cache
from django.test import TestCase
from django.utils import timezone

from newsroom.chrome.models import SiteSettings
from newsroom.weather import refresh
from newsroom.weather.models import WeatherReading


def seconds_later(seconds: float):
    """The cache's clock moved on (locmem reads time.time() for its expiry)."""
    return mock.patch(
        "django.core.cache.backends.locmem.time.time", return_value=time.time() + seconds
    )


class StoredReadingTests(TestCase):
    def setUp(self):
        cache.clear()
        self.site = SiteSettings(pk=1, language="ro")
        self.site.save()

    def store_elsewhere(self, celsius: float) -> None:
        """What another process does: a row in the database, nothing in our cache."""
        now = timezone.now()
        WeatherReading.objects.create(
            provider="open-meteo",
            temperature_c=celsius,
            observed_at=now,
            fetched_at=now + timedelta(seconds=celsius),
            latitude=self.site.latitude,
            longitude=self.site.longitude,
        )

    def test_no_reading_is_not_remembered_for_long(self):
        assert refresh.stored_reading(self.site) is None
        self.store_elsewhere(4)
        assert refresh.stored_reading(self.site) is None  # within the minute: trusted
        with seconds_later(refresh.READING_CACHE_SECONDS + 1):
            assert refresh.stored_reading(self.site)["temperature_c"] == 4

    def test_a_newer_reading_shows_within_a_minute(self):
        self.store_elsewhere(4)
        assert refresh.stored_reading(self.site)["temperature_c"] == 4
        self.store_elsewhere(7)
        with seconds_later(refresh.READING_CACHE_SECONDS + 1):
            assert refresh.stored_reading(self.site)["temperature_c"] == 7
        assert refresh.READING_CACHE_SECONDS <= 60
