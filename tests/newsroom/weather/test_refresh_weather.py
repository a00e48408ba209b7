from datetime import timedelta
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.tasks import TaskResultStatus
from django.test import TestCase, TransactionTestCase, override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from newsroom.chrome.models import SiteSettings
from newsroom.weather import header, refresh
from newsroom.weather.models import WeatherReading, WeatherRefresh
from tests.fake_weather import FakeWeather
from tests.helpers import DATABASE_TASKS, romanian


@pytest.mark.usefixtures("fake_weather")
class RefreshWeatherCommandTests(TestCase):
    fake: FakeWeather

    def setUp(self):
        cache.clear()
        self.enterContext(override_settings(WEATHER_URL=self.fake.url))

    def run_command(self, *args) -> str:
        out = StringIO()
        call_command("refresh_weather", *args, stdout=out, stderr=StringIO())
        return out.getvalue()

    def test_fetches_stores_and_reports(self):
        self.fake.temperature = -4.5
        self.fake.weather_code = 73
        output = self.run_command()
        snow = romanian("Snow").lower()
        assert output.startswith(f"București: -5 °C, {snow}, observed at "), output
        assert "(refreshed)" in output
        reading = WeatherReading.objects.get()
        assert reading.temperature_c == -4.5
        # The header shows it at once, without a query.
        with self.assertNumQueries(0):
            shown = header.header_context(SiteSettings.load(), refresh=False)["weather"]
        assert shown["display"] == "-5 °C"

    def test_always_fetches_unless_asked_to_respect_the_interval(self):
        self.run_command()
        self.run_command()
        assert len(self.fake.requests) == 2
        output = self.run_command("--if-due")
        assert "(already fresh)" in output
        assert len(self.fake.requests) == 2

    def test_failure_is_an_error_for_cron_and_keeps_the_last_reading(self):
        self.run_command()
        self.fake.fault = "status"
        self.fake.fault_status = 500
        with (
            self.assertLogs("newsroom.weather", "WARNING"),
            self.assertRaisesMessage(CommandError, "answered HTTP 500 (1 in a row"),
        ):
            self.run_command()
        assert WeatherReading.objects.count() == 1
        assert WeatherRefresh.objects.get().failures == 1

    def test_if_due_respects_the_backoff(self):
        WeatherRefresh.objects.create(
            pk=1, failures=2, retry_at=timezone.now() + timedelta(seconds=60)
        )
        assert "waiting after a failure" in self.run_command("--if-due")
        assert self.fake.requests == []

    def test_another_refresh_running(self):
        WeatherRefresh.objects.create(
            pk=1, locked_until=timezone.now() + timedelta(seconds=20), lock_token="x"
        )
        assert "another refresh is running" in self.run_command()
        assert self.fake.requests == []

    def test_quiet_for_cron(self):
        assert self.run_command("-v", "0") == ""
        assert WeatherReading.objects.count() == 1

    @override_settings(WEATHER_PROVIDER="openweathermap", WEATHER_API_KEY="test-key")
    def test_openweathermap(self):
        self.fake.temperature = 30.5
        site = SiteSettings.load()
        site.temperature_unit = SiteSettings.Unit.FAHRENHEIT
        site.save()
        cloudy = romanian("Cloudy").lower()
        assert self.run_command().startswith(f"București: 87 °F, {cloudy}, observed at ")
        assert self.fake.paths() == ["/data/2.5/weather"]


@pytest.mark.usefixtures("fake_weather")
class RefreshTaskTests(TransactionTestCase):
    """Where a worker runs tasks, a due reading is refreshed by a task, not a thread of the web
    process; a failure is a failed task with the provider's error, for staff to see. (The worker
    closes its connections between tasks, so these run outside a test transaction.)"""

    fake: FakeWeather

    def setUp(self):
        cache.clear()
        self.enterContext(
            override_settings(
                WEATHER_URL=self.fake.url, TASKS=DATABASE_TASKS, WEATHER_BACKGROUND_REFRESH=True
            )
        )

    def test_a_due_reading_enqueues_one_task_and_the_worker_stores_the_reading(self):
        assert refresh.start_refresh_if_due(None, timezone.now())
        assert not refresh.start_refresh_if_due(None, timezone.now())  # gated meanwhile
        assert refresh._thread is None or not refresh._thread.is_alive()
        queued = DBTaskResult.objects.get()
        assert queued.task_path == "newsroom.weather.tasks.refresh_weather"
        assert self.fake.requests == []
        call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO())
        queued.refresh_from_db()
        assert queued.status == TaskResultStatus.SUCCESSFUL
        assert queued.return_value == "refreshed"
        assert WeatherReading.objects.count() == 1

    def test_a_failed_fetch_is_a_failed_task_with_the_providers_error(self):
        self.fake.fault = "status"
        self.fake.fault_status = 503
        refresh.start_refresh_if_due(None, timezone.now())
        with self.assertLogs("newsroom.weather", "WARNING"):
            call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO())
        failed = DBTaskResult.objects.get()
        assert failed.status == TaskResultStatus.FAILED
        assert "503" in failed.exception_class_path + failed.traceback
        assert WeatherReading.objects.count() == 0
