from django import forms
from django.contrib import admin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from articles.images import ImageUploadField
from newsroom.admin_lookups import AllowlistedLookupsMixin, CheckedAutocompleteMixin
from newsroom.chrome.models import (
    AdSlot,
    BreakingNews,
    FrontPage,
    FrontPageStory,
    Menu,
    MenuItem,
    SectionPin,
    SiteSettings,
)
from newsroom.weather import header, providers, refresh


class OneRowAdmin(admin.ModelAdmin):
    """The page of a model with one row (pk 1), which reading it never makes: the row is made
    again here if a database was emptied since its migration made it."""

    def get_object(self, request, object_id, from_field=None):
        if object_id == "1":
            self.model.objects.get_or_create(pk=1)
        return super().get_object(request, object_id, from_field)


class SiteSettingsForm(forms.ModelForm):
    """Looks a new city up once, on save, unless the editor typed its coordinates too."""

    place: providers.Place | None = None

    class Meta:
        model = SiteSettings
        fields = [
            "city",
            "latitude",
            "longitude",
            "time_zone",
            "temperature_unit",
            "language",
        ]

    def clean(self):
        cleaned = super().clean()
        changed = set(self.changed_data)
        city = (cleaned.get("city") or "").strip()
        if not city or "city" not in changed or changed & {"latitude", "longitude"}:
            return cleaned
        try:
            place = providers.get_provider().geocode(city, cleaned.get("language") or "en")
        except providers.WeatherError as exc:
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
class SiteSettingsAdmin(OneRowAdmin, AllowlistedLookupsMixin, admin.ModelAdmin):
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
        (_("Weather"), {"fields": ["weather_status"], "classes": ["collapse"]}),
    ]
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
            refresh.refresh_soon()

    @admin.display(description=_("weather"))
    def weather_status(self, obj: SiteSettings) -> str:
        return header.status(obj)


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
    # An ad's picture is served to every reader: the same upload rules as a story's lead image
    # (honest raster formats only, bounded, no page code inside, stored without metadata).
    formfield_overrides = {models.ImageField: {"form_class": ImageUploadField}}


class FrontPageStoryInline(CheckedAutocompleteMixin, admin.TabularInline):
    model = FrontPageStory
    extra = 1
    fields = ["position", "article", "until"]
    # Stories are found by typing part of the headline.
    autocomplete_fields = ["article"]


class SectionPinInline(CheckedAutocompleteMixin, admin.TabularInline):
    model = SectionPin
    extra = 1
    fields = ["section", "position", "article", "until"]
    autocomplete_fields = ["section", "article"]


@admin.register(FrontPage)
class FrontPageAdmin(OneRowAdmin, AllowlistedLookupsMixin, admin.ModelAdmin):
    """One page for the whole curation: lead and top stories, section pins, dropped stories."""

    fields = ["top_count", "dropped"]
    autocomplete_fields = ["dropped"]
    inlines = [FrontPageStoryInline, SectionPinInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BreakingNews)
class BreakingNewsAdmin(AllowlistedLookupsMixin, admin.ModelAdmin):
    list_display = ["text", "showing", "starts_at", "ends_at", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["text"]
    fields = ["text", "article", "url", "starts_at", "ends_at", "is_active"]
    autocomplete_fields = ["article"]

    @admin.display(description=_("showing now"), boolean=True)
    def showing(self, obj: BreakingNews) -> bool:
        now = timezone.now()
        return obj.is_active and obj.starts_at <= now and (obj.ends_at is None or obj.ends_at > now)
