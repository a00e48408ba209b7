from django.contrib.auth.management import create_permissions
from django.db import migrations

# Reporters upload videos and describe them; editors also delete them.
REPORTER = ["articles.add_video", "articles.change_video", "articles.view_video"]
EDITOR = [*REPORTER, "articles.delete_video"]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, dotted_names in (("Reporter", REPORTER), ("Editor", EDITOR)):
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        for dotted in dotted_names:
            app_label, codename = dotted.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    codenames = [dotted.split(".")[1] for dotted in EDITOR]
    permissions = Permission.objects.filter(content_type__app_label="articles", codename__in=codenames)
    for group in apps.get_model("auth", "Group").objects.filter(name__in=["Reporter", "Editor"]):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0020_video_library"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
