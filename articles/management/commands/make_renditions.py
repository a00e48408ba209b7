"""Make the missing responsive renditions of lead images and author photos.

Saving a story or an author makes them; rows written in bulk (imports, `bulk_create`) skip
signals, so this command catches them up. It is safe to run again: rows that are up to date
are left alone.
"""

from django.core.management.base import BaseCommand
from django.db.models import F, Q
from django.db.models.fields.json import KT
from tqdm import tqdm

from articles import renditions
from articles.models import Article, Author


class Command(BaseCommand):
    help = "Make the missing responsive renditions of lead images and author photos."

    def handle(self, *args, **options):
        made = 0
        jobs = [
            (Article, "image", "image_renditions", renditions.refresh_article),
            (Author, "photo", "photo_renditions", renditions.refresh_author),
        ]
        for model, field, record, refresh in jobs:
            stale = (
                model.objects.exclude(**{field: ""})
                .annotate(rendered=KT(f"{record}__source"))
                .filter(Q(rendered__isnull=True) | ~Q(rendered=F(field)))
                .order_by("pk")
            )
            for instance in tqdm(
                stale.iterator(),
                total=stale.count(),
                desc=model._meta.verbose_name_plural.title(),
                disable=options["verbosity"] == 0,
            ):
                made += refresh(instance)
        self.stdout.write(f"Made renditions for {made} images.")
