from django.contrib.auth.management import create_permissions
from django.db import migrations

# Editors take agency copy from the wire desk and manage where it comes from.
EDITOR = [
    "articles.view_wireitem",
    "articles.change_wireitem",
    "articles.view_wireversion",
    "articles.view_wiresource",
    "articles.add_wiresource",
    "articles.change_wiresource",
    "articles.delete_wiresource",
]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Editor").first()
    if group is None:
        return
    for dotted in EDITOR:
        app_label, codename = dotted.split(".")
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    group = apps.get_model("auth", "Group").objects.filter(name="Editor").first()
    if group is not None:
        codenames = [dotted.split(".")[1] for dotted in EDITOR]
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="articles", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [("articles", "0011_wire_desk"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(grant, revoke)]
