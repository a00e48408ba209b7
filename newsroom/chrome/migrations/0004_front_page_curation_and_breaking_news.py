"""The front page's curation (lead and top stories, section pins, dropped stories) and the
breaking-news banner. The pinned lead of the site settings becomes the front page's lead, and
editors may curate both."""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

EDITOR_MODELS = ["frontpage", "frontpagestory", "sectionpin", "breakingnews"]


def curate_from_settings(apps, schema_editor):
    FrontPage = apps.get_model("chrome", "FrontPage")
    front = FrontPage.objects.get_or_create(pk=1)[0]
    settings = apps.get_model("chrome", "SiteSettings").objects.filter(pk=1).first()
    if settings is not None and settings.lead_article_id:
        apps.get_model("chrome", "FrontPageStory").objects.get_or_create(
            front_page=front, article_id=settings.lead_article_id, defaults={"position": 0}
        )


def let_editors_curate(apps, schema_editor):
    # Permissions are normally made after migrating; the group needs them now.
    config = apps.get_app_config("chrome")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors = Group.objects.filter(name="Editor").first()
    if editors is None:
        return
    editors.permissions.add(
        *Permission.objects.filter(content_type__app_label="chrome", content_type__model__in=EDITOR_MODELS)
        .exclude(codename__in=["add_frontpage", "delete_frontpage"])
    )


class Migration(migrations.Migration):

    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('articles', '0006_withdrawn_stories'),
        ('chrome', '0003_menu_item_targets_named'),
    ]

    operations = [
        migrations.CreateModel(
            name='BreakingNews',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('text', models.CharField(max_length=200, verbose_name='text')),
                ('url', models.CharField(blank=True, help_text='Or any other address.', max_length=300, verbose_name='address')),
                ('starts_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='starts')),
                ('ends_at', models.DateTimeField(blank=True, help_text='The banner goes by itself at this time.', null=True, verbose_name='ends')),
                ('is_active', models.BooleanField(default=True, verbose_name='active')),
                ('article', models.ForeignKey(blank=True, help_text='The story or live page the banner leads to.', limit_choices_to={'status': 'published'}, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='articles.article', verbose_name='story')),
            ],
            options={
                'verbose_name': 'breaking news',
                'verbose_name_plural': 'breaking news',
                'ordering': ['-starts_at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='FrontPage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('top_count', models.PositiveSmallIntegerField(default=4, help_text='Shown under the lead. Places no story is chosen for fill with the newest.', validators=[django.core.validators.MaxValueValidator(12)], verbose_name='number of top stories')),
                ('dropped', models.ManyToManyField(blank=True, help_text='These stories stay published but are not shown on the home page: not as lead, top story, in the latest or in a section block.', related_name='+', to='articles.article', verbose_name='dropped from the front page')),
            ],
            options={
                'verbose_name': 'front page',
                'verbose_name_plural': 'front page',
            },
        ),
        migrations.CreateModel(
            name='FrontPageStory',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveSmallIntegerField(default=0, help_text='The lowest is the lead; the others follow in order.', verbose_name='position')),
                ('until', models.DateTimeField(blank=True, help_text='Leaves its place by itself at this time.', null=True, verbose_name='until')),
                ('article', models.ForeignKey(limit_choices_to={'status': 'published'}, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='articles.article', verbose_name='story')),
                ('front_page', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='stories', to='chrome.frontpage')),
            ],
            options={
                'verbose_name': 'lead or top story',
                'verbose_name_plural': 'lead and top stories',
                'ordering': ['position', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='SectionPin',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveSmallIntegerField(default=0, verbose_name='position')),
                ('until', models.DateTimeField(blank=True, help_text='The pin ends by itself at this time.', null=True, verbose_name='until')),
                ('article', models.ForeignKey(limit_choices_to={'status': 'published'}, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='articles.article', verbose_name='story')),
                ('front_page', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='pins', to='chrome.frontpage')),
                ('section', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='articles.section', verbose_name='section')),
            ],
            options={
                'verbose_name': 'section pin',
                'verbose_name_plural': 'section pins',
                'ordering': ['section', 'position', 'pk'],
            },
        ),
        migrations.AddConstraint(
            model_name='frontpage',
            constraint=models.CheckConstraint(condition=models.Q(('pk', 1)), name='frontpage_single_row'),
        ),
        migrations.AddConstraint(
            model_name='frontpagestory',
            constraint=models.UniqueConstraint(fields=('front_page', 'article'), name='frontpage_story_once'),
        ),
        migrations.AddConstraint(
            model_name='sectionpin',
            constraint=models.UniqueConstraint(fields=('section', 'article'), name='section_pin_once'),
        ),
        migrations.RunPython(curate_from_settings, migrations.RunPython.noop),
        migrations.RunPython(let_editors_curate, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='sitesettings',
            name='lead_article',
        ),
    ]
