"""Make the missing responsive renditions of library pictures.

Saving a picture enqueues the task that makes them; rows written in bulk (imports,
`bulk_create`, the lead images and author photos moved into the library by migrations) skip
signals, so this command catches them up, here and now (not through the task worker), refreshing
the pages that show each picture as the task does. It is safe to run again: pictures that are up
to date are left alone.
"""

from django.core.management.base import BaseCommand
from tqdm import tqdm

from articles import renditions, tasks
from articles.models import Picture


class Command(BaseCommand):
    help = "Make the missing responsive renditions of library pictures."

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
        self.stdout.write(f"Made renditions for {made} images.")
