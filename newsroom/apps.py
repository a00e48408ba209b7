from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class NewsroomConfig(AppConfig):
    name = "newsroom"
    verbose_name = "Site"

    def ready(self):
        from axes.signals import user_locked_out

        from newsroom.auth import log_lockout

        user_locked_out.connect(log_lockout, dispatch_uid="newsroom-log-lockout")
        # The admin's headings for two packages that name themselves in English only.
        apps.get_app_config("axes").verbose_name = _("Login attempts")
        apps.get_app_config("django_tasks_database").verbose_name = _("Background tasks")
