"""Make the missing responsive renditions of lead images and author photos.

Saving a story or an author enqueues the task that makes them; rows written in bulk (imports,
`bulk_create`) skip signals, so this command catches them up, here and now (not through the task
worker), refreshing the pages that show each picture as the task does. It is safe to run again:
rows that are up to date are left alone.
"""

from django.core.management.base import BaseCommand
from django.db.models import F, Q
from django.db.models.fields.json import KT
from tqdm import tqdm

from articles import tasks
from articles.models import Article, Author


class Command(BaseCommand):
    help = "Make the missing responsive renditions of lead images and author photos."

    def handle(self, *args, **options):
        made = 0
        jobs = [
            (Article, "image", "image_renditions", tasks.make_article_renditions),
            (Author, "photo", "photo_renditions", tasks.make_author_renditions),
        ]
        for model, field, record, task in jobs:
            stale = (
                model.objects.exclude(**{field: ""})
                .annotate(rendered=KT(f"{record}__source"))
                .filter(Q(rendered__isnull=True) | ~Q(rendered=F(field)))
                .order_by("pk")
            )
            for pk in tqdm(
                stale.values_list("pk", flat=True).iterator(),
                total=stale.count(),
                desc=model._meta.verbose_name_plural.title(),
                disable=options["verbosity"] == 0,
            ):
                made += task.call(pk)
        self.stdout.write(f"Made renditions for {made} images.")
