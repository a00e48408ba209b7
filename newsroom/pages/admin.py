from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from newsroom.admin_lookups import AllowlistedLookupsMixin
from newsroom.pages.models import Page


@admin.register(Page)
class PageAdmin(AllowlistedLookupsMixin, admin.ModelAdmin):
    list_display = ["title", "slug", "is_published", "in_footer", "position", "updated_at"]
    list_filter = ["is_published", "in_footer"]
    search_fields = ["title", "body"]
    prepopulated_fields = {"slug": ["title"]}
    fieldsets = [
        (None, {"fields": ["title", "slug", "body"]}),
        (_("Publishing"), {"fields": ["is_published", "in_footer", "position"]}),
    ]
