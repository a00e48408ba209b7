"""Tag slugs in ASCII, like stories' and sections': "războiul-din-ucraina" becomes
"razboiul-din-ucraina" (the old address answers 301 to it). Two tags that would meet get a
suffix, as taggit gives a new tag, never a silent merge."""

from django.db import migrations
from django.utils.text import slugify
from unidecode import unidecode


def transliterate(apps, schema_editor):
    Tag = apps.get_model("taggit", "Tag")
    taken = set(Tag.objects.values_list("slug", flat=True))
    for tag in Tag.objects.order_by("pk"):
        plain = slugify(unidecode(tag.slug)) or slugify(unidecode(tag.name))
        if not plain or plain == tag.slug:
            continue
        candidate, n = plain, 1
        while candidate in taken:
            candidate, n = f"{plain}_{n}", n + 1
        taken.discard(tag.slug)
        taken.add(candidate)
        Tag.objects.filter(pk=tag.pk).update(slug=candidate)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0008_story_locks"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]

    operations = [migrations.RunPython(transliterate, migrations.RunPython.noop)]
