from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PagesConfig(AppConfig):
    name = "newsroom.pages"
    label = "pages"
    verbose_name = _("Pages")

    def ready(self):
        from newsroom.pages import invalidation

        invalidation.connect()
