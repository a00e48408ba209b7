"""Accounts and groups in the admin: the superuser's alone."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User

admin.site.unregister(User)
admin.site.unregister(Group)


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
    pass


@admin.register(Group)
class NewsroomGroupAdmin(SuperuserOnlyAdmin, GroupAdmin):
    pass
