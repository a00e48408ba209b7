from typing import TYPE_CHECKING, cast

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.db.models import ForeignObjectRel
from django.db.models.fields.related import RelatedField
from django.utils.translation import gettext_lazy as _

from newsroom import live_header, weather
from newsroom.models import AdSlot, Menu, MenuItem, SiteSettings

# The lookups Django's own list filters and date hierarchy write into a changelist's address.
FILTER_LOOKUPS = ("exact", "isnull", "isempty", "gte", "lt", "year", "month", "day")


# The mixin goes before a ModelAdmin; the type checker is told so.
if TYPE_CHECKING:
    _ModelAdminBase = admin.ModelAdmin
else:
    _ModelAdminBase = object


class AllowlistedLookupsMixin(_ModelAdminBase):
    """Changelist filters only as the admin's own filters write them; no NUL in search terms.

    Django lets any lookup on a model's own fields through (`?headline__regex=(` reaches the
    database and fails there, with a 500); here a parameter must belong to a list filter or the
    date hierarchy and hold no NUL byte, or the request is refused with 400.
    """

    def filter_parameters(self, request) -> set[str]:
        names: set[str] = set()
        paths = [self.date_hierarchy] if self.date_hierarchy else []
        for item in self.get_list_filter(request):
            if isinstance(item, type) and issubclass(item, admin.SimpleListFilter):
                if item.parameter_name is not None:  # Django refuses a filter without one
                    names.add(item.parameter_name)
            else:
                # The admin's checks allow a field path here, alone or with its filter class.
                paths.append(cast(str, item[0] if isinstance(item, list | tuple) else item))
        for path in paths:
            names |= {f"{path}__{lookup}" for lookup in FILTER_LOOKUPS}
            field = get_fields_from_path(self.model, path)[-1]
            if isinstance(field, RelatedField | ForeignObjectRel):  # what is_relation means
                names.add(f"{path}__{field.target_field.name}__exact")
        return names

    def lookup_allowed(self, lookup, value, request):
        return (
            "\x00" not in str(value)
            and lookup in self.filter_parameters(request)
            and super().lookup_allowed(lookup, value, request)
        )

    def get_search_results(self, request, queryset, search_term):
        # PostgreSQL refuses NUL in a string; other control characters match nothing anyway.
        printable = "".join(ch if ch.isprintable() else " " for ch in search_term)
        return super().get_search_results(request, queryset, printable)


class SiteSettingsForm(forms.ModelForm):
    """Looks a new city up once, on save, unless the editor typed its coordinates too."""

    place: weather.Place | None = None

    class Meta:
        model = SiteSettings
        fields = [
            "city",
            "latitude",
            "longitude",
            "time_zone",
            "temperature_unit",
            "language",
            "lead_article",
        ]

    def clean(self):
        cleaned = super().clean()
        changed = set(self.changed_data)
        city = (cleaned.get("city") or "").strip()
        if not city or "city" not in changed or changed & {"latitude", "longitude"}:
            return cleaned
        try:
            place = weather.get_provider().geocode(city, cleaned.get("language") or "en")
        except weather.WeatherError as exc:
            self.add_error(
                "city",
                _(
                    "Could not look up “%(city)s” (%(error)s). Try again later, or enter the "
                    "latitude and longitude yourself."
                )
                % {"city": city, "error": exc},
            )
            return cleaned
        if place is None:
            self.add_error(
                "city",
                _(
                    "No place called “%(city)s” was found. Check the spelling, or enter the "
                    "latitude and longitude yourself."
                )
                % {"city": city},
            )
            return cleaned
        cleaned["latitude"], cleaned["longitude"] = place.latitude, place.longitude
        if place.time_zone and "time_zone" not in changed:
            cleaned["time_zone"] = place.time_zone
        self.place = place
        return cleaned


@admin.register(SiteSettings)
class SiteSettingsAdmin(AllowlistedLookupsMixin, admin.ModelAdmin):
    form = SiteSettingsForm
    list_display = ["__str__", "city", "time_zone", "language"]
    fieldsets = [
        (
            _("Place"),
            {
                "fields": ["city", "latitude", "longitude", "time_zone"],
                "description": _(
                    "Type a city and save: its coordinates and time zone are looked up once. "
                    "Correct them here if they are wrong; coordinates you type are kept."
                ),
            },
        ),
        (_("Display"), {"fields": ["temperature_unit", "language"]}),
        (_("Home page"), {"fields": ["lead_article"]}),
        (_("Weather"), {"fields": ["weather_status"], "classes": ["collapse"]}),
    ]
    raw_id_fields = ["lead_article"]
    readonly_fields = ["weather_status"]

    def has_add_permission(self, request):
        return not SiteSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        place = form.place
        if place is not None:
            found = ", ".join(part for part in (place.name, place.country) if part)
            self.message_user(
                request,
                _(
                    "Found %(place)s: latitude %(latitude)s, longitude %(longitude)s, time zone "
                    "%(time_zone)s. Correct them if they are wrong."
                )
                % {
                    "place": found,
                    "latitude": obj.latitude,
                    "longitude": obj.longitude,
                    "time_zone": obj.time_zone,
                },
            )
        if {"city", "latitude", "longitude"} & set(form.changed_data):
            live_header.refresh_soon()

    @admin.display(description=_("weather"))
    def weather_status(self, obj: SiteSettings) -> str:
        return live_header.status(obj)


class MenuItemInline(admin.TabularInline):
    model = MenuItem
    extra = 1
    fields = ["label", "position", "parent", "section", "tag", "article", "url"]
    raw_id_fields = ["article", "tag"]


@admin.register(Menu)
class MenuAdmin(AllowlistedLookupsMixin, admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]
    inlines = [MenuItemInline]


@admin.register(AdSlot)
class AdSlotAdmin(AllowlistedLookupsMixin, admin.ModelAdmin):
    list_display = ["name", "placement", "starts_at", "ends_at", "is_active"]
    list_filter = ["placement", "is_active"]
    search_fields = ["name"]


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
