"""The stored weather: readings the provider gave, and the refresh every process shares."""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class TemperatureUnit(models.TextChoices):
    CELSIUS = "C", "°C"
    FAHRENHEIT = "F", "°F"


class WeatherReading(models.Model):
    """A temperature the provider reported; the newest good one feeds the header."""

    provider = models.CharField(max_length=32)
    temperature_c = models.FloatField()
    condition = models.CharField(max_length=32, blank=True)
    observed_at = models.DateTimeField()
    fetched_at = models.DateTimeField(default=timezone.now)
    # Where it was measured: a reading for the previous city never shows under a new one.
    latitude = models.DecimalField(max_digits=8, decimal_places=4, null=True, blank=True)
    longitude = models.DecimalField(max_digits=8, decimal_places=4, null=True, blank=True)

    class Meta:
        db_table = "newsroom_weatherreading"
        ordering = ["-fetched_at"]
        get_latest_by = "fetched_at"

    def __str__(self) -> str:
        return f"{self.temperature_c} °C at {self.observed_at:%Y-%m-%d %H:%M}"


class WeatherRefresh(models.Model):
    """One row that every process shares: the refresh lock and the backoff after failures."""

    locked_until = models.DateTimeField(null=True, blank=True)
    lock_token = models.CharField(max_length=32, blank=True)
    failures = models.PositiveIntegerField(
        default=0, help_text="Failed refreshes in a row; the wait before the next one grows."
    )
    retry_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        db_table = "newsroom_weatherrefresh"
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="weatherrefresh_single_row")]

    def __str__(self) -> str:
        return f"weather refresh: {self.failures} failures"
