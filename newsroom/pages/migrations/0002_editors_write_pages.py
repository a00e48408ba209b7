"""Editors write the site's pages."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def let_editors_write(apps, schema_editor):
    # Permissions are normally made after migrating; the group needs them now.
    config = apps.get_app_config("pages")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    editors = apps.get_model("auth", "Group").objects.filter(name="Editor").first()
    if editors is not None:
        Permission = apps.get_model("auth", "Permission")
        editors.permissions.add(*Permission.objects.filter(content_type__app_label="pages"))


class Migration(migrations.Migration):
    dependencies = [
        ("pages", "0001_static_pages"),
        ("articles", "0003_reporter_and_editor_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(let_editors_write, migrations.RunPython.noop)]
