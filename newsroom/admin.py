"""The admin site's own doors: login, view on site; accounts and groups, the superuser's alone."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static import admin as otp_static_admin
from django_otp.plugins.otp_totp import admin as otp_totp_admin
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from newsroom import twofactor

admin.site.unregister(User)
admin.site.unregister(Group)
# django-otp's device pages would list every account's devices; a superuser resets a user's
# two-factor login from the user list instead, and the user sets up a new app.
admin.site.unregister(otp_totp_admin.TOTPDevice)
admin.site.unregister(otp_static_admin.StaticDevice)

# The password, then the second factor where STAFF_2FA_REQUIRED asks for one.
admin.site.login_form = twofactor.LoginForm

# The outlet's name and its newsroom on the login, in the header and the title: not Django's.
admin.site.site_header = format_lazy(_("{site} · newsroom"), site=settings.SITE_NAME)
admin.site.site_title = admin.site.site_header
admin.site.index_title = _("The desk")
# Its first page is the desk (articles' templatetags), the admin's sections beside it.
admin.site.index_template = "admin/desk.html"


def usable_next(request: HttpRequest, url: str) -> bool:
    """Whether `url` is a page of this site that exists (a route by name, not a catch-all)."""
    if not url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return False
    try:
        return resolve(urlsplit(url).path).url_name is not None
    except Resolver404:
        return False


def login(request: HttpRequest) -> HttpResponse:
    """The admin's login; a `next` that leads nowhere leads to the admin's index instead."""
    for method in ("GET", "POST"):
        data = getattr(request, method)
        if REDIRECT_FIELD_NAME in data and not usable_next(request, data[REDIRECT_FIELD_NAME]):
            data = data.copy()
            del data[REDIRECT_FIELD_NAME]
            setattr(request, method, data)
    return admin.site.login(request)


def view_on_site(request: HttpRequest, content_type_id: int, object_id: str) -> HttpResponse:
    """Django's "view on site" redirect, for what the user may see in the admin, else 404.

    Django's own checks only that the user is staff, so any staff account could learn the
    address (slug and date) of every draft and scheduled story from it.
    """
    try:
        model = ContentType.objects.get_for_id(content_type_id).model_class()
    except ContentType.DoesNotExist:
        raise Http404 from None
    model_admin = admin.site._registry.get(model) if model else None
    if model_admin is None:
        raise Http404
    try:
        obj = model_admin.get_queryset(request).filter(pk=object_id).first()
    except (ValueError, ValidationError):
        raise Http404 from None
    if obj is None or not model_admin.has_view_or_change_permission(request, obj):
        raise Http404
    return shortcut(request, content_type_id, object_id)


class SuperuserOnlyAdmin:
    """Accounts, groups and permissions are the superuser's alone.

    A staff user who may change users could otherwise make themselves superuser, whatever
    permissions a group was given by mistake.
    """

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    has_add_permission = has_module_permission
    has_change_permission = has_view_permission
    has_delete_permission = has_view_permission


@admin.register(User)
class NewsroomUserAdmin(SuperuserOnlyAdmin, UserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "is_staff", "uses_two_factor"]
    actions = ["reset_two_factor"]

    def get_queryset(self, request):
        apps = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
        return super().get_queryset(request).annotate(has_two_factor_app=Exists(apps))

    @admin.display(description=_("two-factor login"), boolean=True)
    def uses_two_factor(self, user) -> bool:
        return user.has_two_factor_app

    @admin.action(description=_("Reset two-factor login (a lost phone)"))
    def reset_two_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            twofactor.forget_devices(user)
        self.message_user(
            request,
            _("Their authenticator apps and recovery codes are removed."),
            messages.SUCCESS,
        )


@admin.register(Group)
class NewsroomGroupAdmin(SuperuserOnlyAdmin, GroupAdmin):
    pass


admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(DBTaskResultAdmin):
    """django-tasks-db's task results, its two computed fields named in the site's language."""

    @admin.display(description=_("traceback"))
    def formatted_traceback(self, obj: DBTaskResult) -> str:
        return super().formatted_traceback(obj)

    @admin.display(description=_("run after"))
    def display_run_after(self, obj: DBTaskResult):
        return super().display_run_after(obj)
