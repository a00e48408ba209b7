"""The chrome's and the weather's models now belong to their own apps; their tables stay."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('chrome', '0001_site_chrome_from_newsroom'),
        ('weather', '0001_weather_from_newsroom'),
        ('newsroom', '0002_weather_place_and_refresh_state'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name='AdSlot',
                ),
                migrations.RemoveField(
                    model_name='menuitem',
                    name='menu',
                ),
                migrations.RemoveField(
                    model_name='menuitem',
                    name='article',
                ),
                migrations.RemoveField(
                    model_name='menuitem',
                    name='parent',
                ),
                migrations.RemoveField(
                    model_name='menuitem',
                    name='section',
                ),
                migrations.RemoveField(
                    model_name='menuitem',
                    name='tag',
                ),
                migrations.RemoveConstraint(
                    model_name='sitesettings',
                    name='sitesettings_single_row',
                ),
                migrations.DeleteModel(
                    name='WeatherReading',
                ),
                migrations.RemoveConstraint(
                    model_name='weatherrefresh',
                    name='weatherrefresh_single_row',
                ),
                migrations.DeleteModel(
                    name='WeatherRefresh',
                ),
                migrations.DeleteModel(
                    name='Menu',
                ),
                migrations.DeleteModel(
                    name='MenuItem',
                ),
                migrations.DeleteModel(
                    name='SiteSettings',
                ),
            ],
        ),
    ]
