"""Every story's lead image becomes a picture in the library, with its description, caption,
credit, size and renditions; stories that shared one file with the same words share one
picture. Backwards, each story gets its picture's file and words again."""

from django.db import migrations


def to_library(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    Picture = apps.get_model("articles", "Picture")
    pictures = {}
    stories = Article._base_manager.exclude(image="").exclude(image__isnull=True).order_by("pk")
    for story in stories.iterator():
        key = (story.image.name, story.image_alt, story.image_caption, story.image_credit)
        picture = pictures.get(key)
        if picture is None:
            record = story.image_renditions or {}
            picture = pictures[key] = Picture.objects.create(
                file=story.image.name,
                width=story.image_width,
                height=story.image_height,
                alt=story.image_alt,
                caption=story.image_caption,
                credit=story.image_credit,
                renditions=record if record.get("source") == story.image.name else {},
                uploaded_by_id=story.created_by_id,
            )
        Article._base_manager.filter(pk=story.pk).update(picture=picture)


def from_library(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    stories = Article._base_manager.filter(picture__isnull=False).select_related("picture")
    for story in stories.iterator():
        picture = story.picture
        Article._base_manager.filter(pk=story.pk).update(
            image=picture.file.name,
            image_width=picture.width,
            image_height=picture.height,
            image_alt=picture.alt,
            image_caption=picture.caption,
            image_credit=picture.credit,
            # Only the uncropped renditions: the shape the old column knew.
            image_renditions={
                key: value
                for key, value in (picture.renditions or {}).items()
                if key in ("source", "width", "height", "webp", "jpeg")
            },
            picture=None,
        )


class Migration(migrations.Migration):
    dependencies = [("articles", "0017_picture_library_groups")]

    operations = [migrations.RunPython(to_library, from_library)]
