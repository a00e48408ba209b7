"""Read agency files (ninjs, NewsML-G2, RSS/Atom) into the wire desk.

One line per item: new, updated, unchanged, killed, withheld or refused, and why. A bad file
never stops the others; the command exits non-zero only when a path could not be read at all.
Running it again on the same files changes nothing.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from articles.models import WireService
from articles.wire.polling import read_file


class Command(BaseCommand):
    help = "Read agency files (ninjs, NewsML-G2, RSS or Atom) into the wire desk."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
        parser.add_argument("--service", metavar="SLUG", help="the agency (a wire service's slug)")
        parser.add_argument(
            "--format",
            default="auto",
            choices=["auto", "ninjs", "newsml", "rss", "atom"],
            help="detected from the content by default",
        )

    def handle(self, *args, paths, service, format, **options):
        agency = self.agency(service)
        unreadable = 0
        for name in paths:
            path = Path(name)
            if path.is_dir():
                files = sorted(p for p in path.iterdir() if p.is_file())
            elif path.is_file():
                files = [path]
            else:
                self.stderr.write(f"unreadable {name}: no such file or folder")
                unreadable += 1
                continue
            for file in files:
                for outcome in read_file(file, agency, format):
                    line = outcome.line(str(file))
                    self.stdout.write(
                        self.style.WARNING(line) if outcome.action == "refused" else line
                    )
        if unreadable:
            raise CommandError(f"{unreadable} path(s) could not be read")

    def agency(self, slug: str | None) -> WireService:
        if slug:
            found = WireService.objects.filter(slug=slug).first()
            if found is None:
                raise CommandError(f"No wire service with the slug {slug!r}.")
            return found
        services = list(WireService.objects.all()[:2])
        if len(services) == 1:
            return services[0]
        known = ", ".join(WireService.objects.values_list("slug", flat=True))
        raise CommandError(f"Name the agency with --service SLUG (one of: {known}).")
