"""Poll every due wire source (drop folders and HTTP(S) addresses) into the wire desk.

For cron (`poll_wires` every minute) or a worker (`poll_wires --loop`). One line per item, as
ingest_wire prints; exits non-zero when a source could not be read at all (cron mails it), after
reading all the others. With `--enqueue` the due sources are handed to the task worker instead
(articles/wire/tasks.py): it reads them, and a failure shows among the tasks staff see.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from articles.wire.models import WireSource
from articles.wire.polling import SourceUnreadable, due_sources, poll


class Command(BaseCommand):
    help = "Poll every due wire source into the wire desk; --loop keeps polling."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep polling until stopped")
        parser.add_argument(
            "--pause", type=float, default=10.0, help="seconds between rounds with --loop"
        )
        parser.add_argument("--all", action="store_true", help="poll every active source now")
        parser.add_argument(
            "--enqueue", action="store_true", help="queue the due sources for the task worker"
        )

    def handle(self, *args, loop, pause, all, enqueue, **options):
        while True:
            failed = self.enqueue() if enqueue else self.round(every=all)
            if not loop:
                break
            close_old_connections()
            time.sleep(pause)
        if failed:
            raise CommandError(f"{failed} source(s) could not be read")

    def enqueue(self) -> int:
        from articles.wire.tasks import poll_wire_source

        for source in due_sources():
            poll_wire_source.enqueue(source.pk)
            self.stdout.write(f"queued {source.name}")
        return 0

    def round(self, every: bool = False) -> int:
        sources = (
            list(WireSource.objects.filter(active=True).select_related("service"))
            if every
            else due_sources()
        )
        failed = 0
        for source in sources:
            try:
                for arrival in poll(source):
                    for outcome in arrival.outcomes:
                        line = outcome.line(f"{source.name}/{arrival.name}")
                        self.stdout.write(
                            self.style.WARNING(line) if outcome.action == "refused" else line
                        )
            except SourceUnreadable as exc:
                failed += 1
                self.stderr.write(f"unreadable {source.name}: {exc}")
        return failed
