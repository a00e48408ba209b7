"""The weather's tables, until now the newsroom app's: adopted as they are."""

import django.utils.timezone
from django.db import migrations, models


MODELS = ['weatherreading', 'weatherrefresh']


def _move(apps, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not ContentType.objects.filter(app_label=target, model=model).exists():
            ContentType.objects.filter(app_label=source, model=model).update(app_label=target)


def move_content_types(apps, schema_editor):
    _move(apps, "newsroom", "weather")


def move_content_types_back(apps, schema_editor):
    _move(apps, "weather", "newsroom")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('newsroom', '0002_weather_place_and_refresh_state'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        # The tables stay where they are (db_table): only Django's idea of which app owns them
        # moves, with their content types, so permissions and the Editor group follow.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='WeatherReading',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('provider', models.CharField(max_length=32)),
                        ('temperature_c', models.FloatField()),
                        ('condition', models.CharField(blank=True, max_length=32)),
                        ('observed_at', models.DateTimeField()),
                        ('fetched_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('latitude', models.DecimalField(blank=True, decimal_places=4, max_digits=8, null=True)),
                        ('longitude', models.DecimalField(blank=True, decimal_places=4, max_digits=8, null=True)),
                    ],
                    options={
                        'db_table': 'newsroom_weatherreading',
                        'ordering': ['-fetched_at'],
                        'get_latest_by': 'fetched_at',
                    },
                ),
                migrations.CreateModel(
                    name='WeatherRefresh',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('locked_until', models.DateTimeField(blank=True, null=True)),
                        ('lock_token', models.CharField(blank=True, max_length=32)),
                        ('failures', models.PositiveIntegerField(default=0, help_text='Failed refreshes in a row; the wait before the next one grows.')),
                        ('retry_at', models.DateTimeField(blank=True, null=True)),
                        ('last_attempt_at', models.DateTimeField(blank=True, null=True)),
                        ('last_error', models.CharField(blank=True, max_length=200)),
                    ],
                    options={
                        'db_table': 'newsroom_weatherrefresh',
                        'constraints': [models.CheckConstraint(condition=models.Q(('pk', 1)), name='weatherrefresh_single_row')],
                    },
                ),
            ],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
