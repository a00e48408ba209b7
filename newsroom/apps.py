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
        use_translated_boolean_icons()


def use_translated_boolean_icons() -> None:
    """The admin's yes/no icons with alt text in the site's language.

    Django writes the Python literal (alt="True") into every boolean column and read-only field,
    which screen readers read out in English; the one function that makes the icon (the others
    import it when called) is swapped for one that says "Da"/"Nu" from Django's own catalog.
    """
    from django.contrib.admin.templatetags import admin_list
    from django.templatetags.static import static
    from django.utils.html import format_html
    from django.utils.translation import gettext

    def boolean_icon(value: bool | None) -> str:
        name, alt = {True: ("yes", "Yes"), False: ("no", "No"), None: ("unknown", "Unknown")}[value]
        return format_html(
            '<img src="{}" alt="{}">', static(f"admin/img/icon-{name}.svg"), gettext(alt)
        )

    admin_list._boolean_icon = boolean_icon  # type: ignore[attr-defined]
