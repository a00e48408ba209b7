"""Changelist filters only as the admin's own filters write them (every model admin uses it)."""

from typing import TYPE_CHECKING, cast

from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.widgets import (
    AutocompleteMixin,
    AutocompleteSelect,
    AutocompleteSelectMultiple,
)
from django.core.exceptions import BadRequest, ValidationError
from django.db.models import ForeignObjectRel
from django.db.models.fields.related import RelatedField

# The lookups Django's own list filters and date hierarchy write into a changelist's address.
FILTER_LOOKUPS = ("exact", "isnull", "isempty", "gte", "lt", "year", "month", "day")
DATE_PARTS = ("year", "month", "day")


# The mixin goes before a ModelAdmin; the type checker is told so.
if TYPE_CHECKING:
    _ModelAdminBase = admin.ModelAdmin
    _AnyAdminBase = admin.options.BaseModelAdmin
else:
    _ModelAdminBase = _AnyAdminBase = object


class KeyChecking(AutocompleteMixin):
    """Django's search box for related objects, minus a crash: a submitted value the key cannot
    be (a word where a number goes, a number too large) is shown as nothing chosen, with the
    field's own error, instead of reaching the database, where it raised a 500."""

    def optgroups(self, name, value, attr=None):
        target = self.field.target_field
        kept = []
        for item in value:
            try:
                # Its type, and its range (a number past what the column holds, too).
                target.run_validators(target.to_python(item))
            except ValidationError:
                continue
            kept.append(item)
        return super().optgroups(name, kept, attr)


class KeyCheckingAutocompleteSelect(KeyChecking, AutocompleteSelect):
    pass


class KeyCheckingAutocompleteSelectMultiple(KeyChecking, AutocompleteSelectMultiple):
    pass


class CheckedAutocompleteMixin(_AnyAdminBase):
    """Autocomplete fields (inlines' too) through the KeyChecking widgets."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = KeyCheckingAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = KeyCheckingAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class AllowlistedLookupsMixin(CheckedAutocompleteMixin, _ModelAdminBase):
    """Changelist filters only as the admin's own filters write them; no NUL in search terms.

    Django lets any lookup on a model's own fields through (`?headline__regex=(` reaches the
    database and fails there, with a 500); here a parameter must belong to a list filter or the
    date hierarchy and hold no NUL byte, or the request is refused with 400. So is a date no
    calendar has, which Django leaves to crash.
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

    def get_changelist_instance(self, request):
        # A year, month or day past what Python's dates hold (?publish_at__year=99999999999, or
        # the year after 9999) raises OverflowError or ValueError where Django expects neither.
        try:
            return super().get_changelist_instance(request)
        except (OverflowError, ValueError) as error:
            if not any(name.rsplit("__", 1)[-1] in DATE_PARTS for name in request.GET):
                raise
            raise BadRequest("A date the calendar does not have.") from error

    def get_search_results(self, request, queryset, search_term):
        # PostgreSQL refuses NUL in a string; other control characters match nothing anyway.
        printable = "".join(ch if ch.isprintable() else " " for ch in search_term)
        return super().get_search_results(request, queryset, printable)
