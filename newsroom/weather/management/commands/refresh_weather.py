from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from newsroom.weather import header, refresh, site
from newsroom.weather.models import WeatherRefresh


class Command(BaseCommand):
    help = (
        "Fetch the current weather for the header and store it. Meant for cron (e.g. every "
        "10 minutes with -v 0); exits with an error when the provider fails."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-due",
            action="store_true",
            help="Keep a reading younger than the refresh interval and respect the pause after "
            "failures, as page requests do.",
        )

    def handle(self, *args, if_due: bool = False, verbosity: int = 1, **options):
        outcome = refresh.refresh(force=not if_due)
        if outcome is refresh.Outcome.FAILED:
            state = WeatherRefresh.objects.get(pk=1)
            raise CommandError(
                f"Weather refresh failed: {state.last_error} "
                f"({state.failures} in a row; the site keeps showing the last reading)."
            )
        if verbosity < 1:
            return
        settings = site.current()
        shown = header.header_context(settings, refresh=False)["weather"]
        if outcome not in (refresh.Outcome.REFRESHED, refresh.Outcome.FRESH) or not shown:
            self.stdout.write(f"Weather not refreshed: {outcome}.")
            return
        observed = timezone.localtime(shown["observed_at"], ZoneInfo(settings.time_zone))
        condition = f", {shown['label'].lower()}" if shown["label"] else ""
        self.stdout.write(
            f"{settings.city}: {shown['display']}{condition}, observed at {observed:%H:%M} "
            f"({outcome})."
        )
