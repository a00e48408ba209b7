"""Every author's photo becomes a picture in the library, described by the author's name (as
pages described it), with its size and renditions: the square ones it had become the picture's
square crop. Authors who shared one file share one picture, as does a picture already in the
library with the same file and words. Backwards, each author gets their picture's file again.

Rows are read as values: an image field with no recorded size reads it from the file whenever
its model is loaded, and a file may be gone (a database restored without its media)."""

from django.db import migrations


def to_library(apps, schema_editor):
    Author = apps.get_model("articles", "Author")
    Picture = apps.get_model("articles", "Picture")
    authors = (
        Author.objects.exclude(photo="")
        .exclude(photo__isnull=True)
        .order_by("pk")
        .values("pk", "name", "user_id", "photo", "photo_width", "photo_height", "photo_renditions")
    )
    for author in authors.iterator():
        name = author["photo"]
        words = {"alt": author["name"][:250], "caption": "", "credit": ""}
        found = Picture.objects.filter(file=name, **words).order_by("pk").values_list("pk", flat=True)
        picture_id = found.first()
        if picture_id is None:
            record = author["photo_renditions"] or {}
            square = {
                key: value
                for key, value in record.items()
                if key in ("width", "height", "webp", "jpeg")
            }
            fields = {
                "width": author["photo_width"],
                "height": author["photo_height"],
                # A square cut from the middle: the crop around the default focal point.
                "renditions": (
                    {"source": name, "crops": {"1:1": square}}
                    if record.get("source") == name and square.get("jpeg")
                    else {}
                ),
                "uploaded_by_id": author["user_id"],
                **words,
            }
            try:
                # The file's size is read here when it was never recorded.
                picture_id = Picture.objects.create(file=name, **fields).pk
            except OSError:
                # The file is gone: the picture names it all the same, as the author did.
                picture_id = Picture.objects.create(file="", **fields).pk
                Picture.objects.filter(pk=picture_id).update(file=name)
        Author.objects.filter(pk=author["pk"]).update(picture_id=picture_id)


def from_library(apps, schema_editor):
    Author = apps.get_model("articles", "Author")
    authors = Author.objects.filter(picture__isnull=False).values(
        "pk", "picture__file", "picture__width", "picture__height", "picture__renditions"
    )
    for author in authors.iterator():
        name = author["picture__file"]
        renditions = author["picture__renditions"] or {}
        square = (renditions.get("crops") or {}).get("1:1") or {}
        # Only the widths the old column knew (the square crop's larger ones are the picture's).
        kept = {
            fmt: [entry for entry in square.get(fmt, []) if entry[0] <= 256]
            for fmt in ("webp", "jpeg")
        }
        record = {}
        if renditions.get("source") == name and kept["jpeg"]:
            # The square's own size, as the old record had it (not its largest rendition's).
            size = {key: square.get(key) for key in ("width", "height")}
            record = {"source": name, **size, **kept}
        Author.objects.filter(pk=author["pk"]).update(
            photo=name,
            photo_width=author["picture__width"],
            photo_height=author["picture__height"],
            photo_renditions=record,
            picture=None,
        )


class Migration(migrations.Migration):
    dependencies = [("articles", "0022_author_picture")]

    operations = [migrations.RunPython(to_library, from_library)]
