"""Make the missing responsive renditions of library pictures and author photos.

Saving a picture or an author enqueues the task that makes them; rows written in bulk (imports,
`bulk_create`, the lead images moved into the library by a migration) skip signals, so this
command catches them up, here and now (not through the task worker), refreshing the pages that
show each picture as the task does. It is safe to run again: rows that are up to date are left
alone.
"""

from django.core.management.base import BaseCommand
from django.db.models import F, Q
from django.db.models.fields.json import KT
from tqdm import tqdm

from articles import renditions, tasks
from articles.models import Author, Picture


class Command(BaseCommand):
    help = "Make the missing responsive renditions of library pictures and author photos."

    def handle(self, *args, **options):
        made = 0
        quiet = options["verbosity"] == 0
        # A picture's record also depends on its focal point: each one is checked here.
        pictures = Picture.objects.exclude(file="").order_by("pk")
        stale_pictures = [
            picture.pk
            for picture in pictures.only("file", "focal_x", "focal_y", "renditions").iterator()
            if not renditions.picture_is_current(picture)
        ]
        for pk in tqdm(stale_pictures, desc="Pictures", disable=quiet):
            made += tasks.make_picture_renditions.call(pk)
        stale = (
            Author.objects.exclude(photo="")
            .annotate(rendered=KT("photo_renditions__source"))
            .filter(Q(rendered__isnull=True) | ~Q(rendered=F("photo")))
            .order_by("pk")
        )
        for pk in tqdm(
            stale.values_list("pk", flat=True).iterator(),
            total=stale.count(),
            desc="Authors",
            disable=quiet,
        ):
            made += tasks.make_author_renditions.call(pk)
        self.stdout.write(f"Made renditions for {made} images.")
