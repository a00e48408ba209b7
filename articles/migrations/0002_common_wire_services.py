from django.db import migrations

AGENCIES = [
    ("Reuters", "reuters", "Reuters", "https://www.reuters.com/"),
    ("Associated Press", "associated-press", "AP", "https://apnews.com/"),
    ("AFP", "afp", "AFP", "https://www.afp.com/"),
    ("Bloomberg", "bloomberg", "Bloomberg", "https://www.bloomberg.com/"),
    ("dpa", "dpa", "dpa", "https://www.dpa.com/"),
    ("Agerpres", "agerpres", "Agerpres", "https://www.agerpres.ro/"),
]


def add_agencies(apps, schema_editor):
    WireService = apps.get_model("articles", "WireService")
    for name, slug, credit, website in AGENCIES:
        WireService.objects.get_or_create(slug=slug, defaults={"name": name, "credit": credit, "website": website})


def remove_agencies(apps, schema_editor):
    WireService = apps.get_model("articles", "WireService")
    WireService.objects.filter(slug__in=[slug for _name, slug, _credit, _site in AGENCIES], articles=None).delete()


class Migration(migrations.Migration):
    dependencies = [("articles", "0001_content_model")]

    operations = [migrations.RunPython(add_agencies, remove_agencies)]
