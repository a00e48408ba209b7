from pathlib import Path

from django.core.management.base import BaseCommand

from newsroom.mostread import counting, readslog


class Command(BaseCommand):
    help = (
        "Count the most-read beacons nginx answers and logs (deploy/nginx.conf, the "
        "newsroom_reads log): follows the log until stopped, as a service beside gunicorn."
    )

    def add_arguments(self, parser):
        parser.add_argument("log", type=Path, help="The log nginx writes the beacons to.")
        parser.add_argument(
            "--every",
            type=float,
            default=counting.FLUSH_SECONDS,
            help="Seconds between reads of the log (default %(default)s).",
        )
        parser.add_argument(
            "--from-start",
            action="store_true",
            help="Count what the log already holds (by default only what is added from now).",
        )
        parser.add_argument(
            "--once", action="store_true", help="Count what is there now, then stop."
        )

    def handle(self, *args, log: Path, every: float, from_start: bool, once: bool, **options):
        readslog.follow(log, every, from_start=from_start, once=once)
