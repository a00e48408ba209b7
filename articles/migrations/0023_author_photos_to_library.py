"""Every author's photo becomes a picture in the library, described by the author's name (as
pages described it), with its size and renditions: the square ones it had become the picture's
square crop. Authors who shared one file share one picture, as does a picture already in the
library with the same file and words. Backwards, each author gets their picture's file again."""

from django.db import migrations


def to_library(apps, schema_editor):
    Author = apps.get_model("articles", "Author")
    Picture = apps.get_model("articles", "Picture")
    authors = Author.objects.exclude(photo="").exclude(photo__isnull=True).order_by("pk")
    for author in authors.iterator():
        name = author.photo.name
        words = {"alt": author.name[:250], "caption": "", "credit": ""}
        picture = Picture.objects.filter(file=name, **words).order_by("pk").first()
        if picture is None:
            record = author.photo_renditions or {}
            square = {
                key: value
                for key, value in record.items()
                if key in ("width", "height", "webp", "jpeg")
            }
            picture = Picture.objects.create(
                file=name,
                width=author.photo_width,
                height=author.photo_height,
                # A square cut from the middle: the crop around the default focal point.
                renditions=(
                    {"source": name, "crops": {"1:1": square}}
                    if record.get("source") == name and square.get("jpeg")
                    else {}
                ),
                uploaded_by_id=author.user_id,
                **words,
            )
        Author.objects.filter(pk=author.pk).update(picture=picture)


def from_library(apps, schema_editor):
    Author = apps.get_model("articles", "Author")
    authors = Author.objects.filter(picture__isnull=False).select_related("picture")
    for author in authors.iterator():
        picture = author.picture
        square = (picture.renditions or {}).get("crops", {}).get("1:1") or {}
        # Only the widths the old column knew (the square crop's larger ones are the picture's).
        kept = {
            fmt: [entry for entry in square.get(fmt, []) if entry[0] <= 256]
            for fmt in ("webp", "jpeg")
        }
        record = {}
        if (picture.renditions or {}).get("source") == picture.file.name and kept["jpeg"]:
            width, height, _name = kept["jpeg"][-1]
            record = {"source": picture.file.name, "width": width, "height": height, **kept}
        Author.objects.filter(pk=author.pk).update(
            photo=picture.file.name,
            photo_width=picture.width,
            photo_height=picture.height,
            photo_renditions=record,
            picture=None,
        )


class Migration(migrations.Migration):
    dependencies = [("articles", "0022_author_picture")]

    operations = [migrations.RunPython(to_library, from_library)]
