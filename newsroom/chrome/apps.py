from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChromeConfig(AppConfig):
    name = "newsroom.chrome"
    label = "chrome"
    verbose_name = _("Site")

    def ready(self):
        from newsroom.chrome import invalidation
        from newsroom.chrome.models import SiteSettings
        from newsroom.weather import site

        invalidation.connect()
        # The header's weather is for the place these settings name.
        site.use(SiteSettings.load, SiteSettings)
