from django.contrib.auth.management import create_permissions
from django.db import migrations

REPORTER = [
    "articles.add_article",
    "articles.change_article",
    "articles.view_article",
    "articles.add_articleauthor",
    "articles.change_articleauthor",
    "articles.delete_articleauthor",
    "articles.view_articleauthor",
    "articles.view_author",
    "articles.view_section",
    "articles.view_wireservice",
    "articles.view_correction",
    "taggit.view_tag",
]

EDITOR = REPORTER + [
    "articles.publish_article",
    "articles.delete_article",
    "articles.add_author",
    "articles.change_author",
    "articles.add_section",
    "articles.change_section",
    "articles.delete_section",
    "articles.add_wireservice",
    "articles.change_wireservice",
    "articles.add_correction",
    "articles.change_correction",
    "articles.delete_correction",
    "taggit.add_tag",
    "taggit.change_tag",
    "taggit.delete_tag",
    "newsroom.view_sitesettings",
    "newsroom.change_sitesettings",
    "newsroom.add_menu",
    "newsroom.change_menu",
    "newsroom.delete_menu",
    "newsroom.view_menu",
    "newsroom.add_menuitem",
    "newsroom.change_menuitem",
    "newsroom.delete_menuitem",
    "newsroom.view_menuitem",
    "newsroom.add_adslot",
    "newsroom.change_adslot",
    "newsroom.delete_adslot",
    "newsroom.view_adslot",
]


def create_groups(apps, schema_editor):
    # Permissions are normally made after migrating; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in [("Reporter", REPORTER), ("Editor", EDITOR)]:
        group, _created = Group.objects.get_or_create(name=name)
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Reporter", "Editor"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0002_common_wire_services"),
        ("newsroom", "0001_site_chrome"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
