from django.apps import AppConfig


class NewsroomConfig(AppConfig):
    name = "newsroom"
    verbose_name = "Site"

    def ready(self):
        from axes.signals import user_locked_out

        from newsroom.auth import log_lockout

        user_locked_out.connect(log_lockout, dispatch_uid="newsroom-log-lockout")
