"""The one row of site settings exists from the start, with the defaults a new site shows."""

from django.db import migrations


def create_row(apps, schema_editor):
    apps.get_model("chrome", "SiteSettings").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("chrome", "0001_site_chrome_from_newsroom")]

    operations = [migrations.RunPython(create_row, migrations.RunPython.noop)]
