from django.contrib import admin

from newsroom.models import AdSlot, Menu, MenuItem, SiteSettings


@admin.register(SiteSettings)
class SiteSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "city", "time_zone", "language"]

    def has_add_permission(self, request):
        return not SiteSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False


class MenuItemInline(admin.TabularInline):
    model = MenuItem
    extra = 1
    fields = ["label", "position", "parent", "section", "tag", "article", "url"]
    raw_id_fields = ["article", "tag"]


@admin.register(Menu)
class MenuAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]
    inlines = [MenuItemInline]


@admin.register(AdSlot)
class AdSlotAdmin(admin.ModelAdmin):
    list_display = ["name", "placement", "starts_at", "ends_at", "is_active"]
    list_filter = ["placement", "is_active"]
    search_fields = ["name"]
