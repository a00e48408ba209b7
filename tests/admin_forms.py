"""Helpers for the admin tests: send back an admin form the way a browser would."""

import shutil
import tempfile

from django.forms import CheckboxInput, ClearableFileInput, MultiWidget
from django.test import override_settings
from django.utils import formats, timezone, translation

# The change lists editors work in (users and groups are the superuser's).
EDITORIAL_CHANGELISTS = [
    "articles_article",
    "articles_section",
    "articles_author",
    "articles_wireservice",
    "taggit_tag",
    "chrome_menu",
    "chrome_adslot",
]


def _form_fields(form) -> dict:
    data = {}
    for bound in form:
        widget, value, name = bound.field.widget, bound.value(), bound.html_name
        if isinstance(widget, ClearableFileInput):
            continue  # a browser sends no file unless one is chosen
        if isinstance(widget, MultiWidget):
            parts = value if isinstance(value, list) else widget.decompress(value)
            assert parts is not None  # a multi-value field's widget decompresses to a list
            # MultiWidget sets widgets_names in __init__; the stubs leave it out.
            names = widget.widgets_names  # type: ignore[attr-defined]
            for suffix, subwidget, part in zip(names, widget.widgets, parts, strict=True):
                data[name + suffix] = subwidget.format_value(part) or ""
        elif isinstance(widget, CheckboxInput):
            if widget.check_test(value):
                data[name] = "on"
        else:
            formatted = widget.format_value(value)
            data[name] = "" if formatted is None else formatted
    return data


def form_data(response) -> dict:
    """The POST data of the admin change form in `response`, with its inlines, as rendered."""
    with translation.override(response.wsgi_request.LANGUAGE_CODE):
        data = _form_fields(response.context["adminform"].form)
        for inline in response.context["inline_admin_formsets"]:
            formset = inline.formset
            data |= _form_fields(formset.management_form)
            for form in formset.forms:
                data |= _form_fields(form)
    return data


def errors(response) -> dict[str, list[str]]:
    """The error codes on the admin form and its inlines, by field ("__all__" for the form)."""
    form = response.context["adminform"].form
    found = {
        field: [error.code for error in field_errors]
        for field, field_errors in form.errors.as_data().items()
    }
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        if formset.non_form_errors():
            found[formset.prefix] = [error.code for error in formset.non_form_errors().as_data()]
        for inline_form in formset.forms:
            for field, field_errors in inline_form.errors.as_data().items():
                found[f"{inline_form.prefix}-{field}"] = [error.code for error in field_errors]
    return found


class TempMediaMixin:
    """Uploaded files and renditions go to a temporary MEDIA_ROOT, removed afterwards."""

    @classmethod
    def setUpClass(cls):
        cls._media_root = tempfile.mkdtemp(prefix="newsroom-media-")
        cls._media_override = override_settings(MEDIA_ROOT=cls._media_root)
        cls._media_override.enable()
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls._media_override.disable()
        shutil.rmtree(cls._media_root, ignore_errors=True)


def datetime_data(response, name: str, value) -> dict:
    """A date and time typed into the admin's split widget, in the form's own language."""
    local = timezone.localtime(value)
    with translation.override(response.wsgi_request.LANGUAGE_CODE):
        return {
            f"{name}_0": formats.localize_input(local.date()),
            f"{name}_1": formats.localize_input(local.time().replace(microsecond=0)),
        }
