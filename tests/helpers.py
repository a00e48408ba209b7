"""What several test modules share: admin forms as a browser sends them, pages as readers read
them, programs outside Python, the site in its own gunicorn, and the Romanian live header.

Test data comes from tests/factories.py; running services (the fake weather provider, Chromium, a
temporary MEDIA_ROOT) are fixtures in tests/conftest.py.
"""

import functools
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from unittest import mock

import pytest
from django.forms import CheckboxInput, ClearableFileInput, MultiWidget
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import formats, timezone, translation
from django.utils.translation import gettext, pgettext

from benchmarks.serve import free_port
from newsroom.chrome.models import SiteSettings
from newsroom.pagecache import pages
from newsroom.weather import header
from newsroom.weather import providers as weather
from newsroom.weather.models import WeatherReading

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Admin forms, sent back the way a browser would ---------------------------------------------

# The change lists editors work in (users and groups are the superuser's).
EDITORIAL_CHANGELISTS = [
    "articles_article",
    "articles_section",
    "articles_author",
    "articles_picture",
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


def datetime_data(response, name: str, value) -> dict:
    """A date and time typed into the admin's split widget, in the form's own language."""
    local = timezone.localtime(value)
    form = response.context["adminform"].form
    if name in form.fields and not isinstance(form.fields[name].widget, MultiWidget):
        return {name: local.strftime("%Y-%m-%dT%H:%M:%S")}  # one box: the browser's picker
    with translation.override(response.wsgi_request.LANGUAGE_CODE):
        return {
            f"{name}_0": formats.localize_input(local.date()),
            f"{name}_1": formats.localize_input(local.time().replace(microsecond=0)),
        }


# --- Public pages ---------------------------------------------------------------------------------

SKIP_PREFIXES = ("admin/", "media/", "static/", "__")


def use_midday_zone(test) -> None:
    """Make the site's zone (and the test's) one where it is about noon now. Pages expire at the
    site's midnight: a test of their hour-long lifetimes must not fall in the last hour of a day.
    The test's zone follows, so a story's address carries the date the site gives it."""
    offset = (12 - datetime.now(UTC).hour + 12) % 24 - 12
    zone = f"Etc/GMT{-offset:+d}"  # the Etc zones' signs are POSIX's: GMT+9 is UTC-9
    SiteSettings(pk=1, time_zone=zone).save()
    test.enterContext(timezone.override(zone))


def text_of(response) -> str:
    """The page's visible words, tags stripped and whitespace squeezed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def listing_text(response) -> str:
    """The words of a listing's own stories: its page without the rail of the site's latest."""
    html = response.content.decode()
    main = html.split('<aside class="listing-aside"', 1)[0]
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", main)))


def public_patterns() -> list[str]:
    """Every route of the site (admin, media and static aside), as a path template."""
    found: list[str] = []

    def walk(patterns, prefix=""):
        for entry in patterns:
            route = prefix + str(entry.pattern).lstrip("^").rstrip("$")
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern) and not route.startswith(SKIP_PREFIXES):
                found.append(route)

    walk(get_resolver().url_patterns)
    return found


class StoresPagesAtOnce:
    """Pages (and values naming keys of their own) built right after a write are not kept
    (their rows may predate the commit); a test's writes all happen before it asks for the
    page, so no delay is needed."""

    def setUp(self):
        super().setUp()
        settle = mock.patch.object(pages, "SETTLE_NS", 0)
        settle.start()
        self.addCleanup(settle.stop)


# --- Programs outside Python ----------------------------------------------------------------------


def need_program(path_or_name: str) -> str:
    """The program's path; skips the test when it is missing, or fails it when running in CI."""
    found = shutil.which(path_or_name)
    if found:
        return found
    message = f"{path_or_name} is not installed"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}, and CI must run this test.")
    pytest.skip(message)


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# --- The site in its own gunicorn process, as production runs it ----------------------------------

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "test-only-" + "x" * 60,
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "0",
    # The browser journeys log in with a password only; two-factor login (on by default in
    # production) has its own tests, tests/newsroom/test_two_factor.py.
    "STAFF_2FA_REQUIRED": "off",
}


@functools.cache
def collected_static() -> str:
    """Static files collected once per test run, as a deployment does before starting."""
    root = tempfile.mkdtemp(prefix="newsroom-static-")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=BASE_DIR,
        env={**os.environ, **PRODUCTION_ENV, "STATIC_ROOT": root},
        check=True,
    )
    return root


@contextmanager
def gunicorn(env: dict[str, str], workers: int = 1):
    """Yield the base URL of a gunicorn serving the site with the given environment."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "newsroom.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
        ],
        cwd=BASE_DIR,
        env={**os.environ, **PRODUCTION_ENV, "STATIC_ROOT": collected_static(), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    assert process.stderr is not None  # stderr=PIPE
                    raise RuntimeError(process.stderr.read().decode()) from None
                time.sleep(0.1)
        yield base_url
    finally:
        process.terminate()
        process.wait(10)


# --- The live header's weather, as the Romanian site shows it -------------------------------------

BUCHAREST = (Decimal("44.4268"), Decimal("26.1025"))


def make_reading(minutes_old: float = 1, **fields) -> WeatherReading:
    """A reading for București fetched and observed `minutes_old` minutes ago."""
    when = timezone.now() - timedelta(minutes=minutes_old)
    fields.setdefault("provider", "open-meteo")
    fields.setdefault("temperature_c", -1.2)
    fields.setdefault("condition", weather.SNOW)
    fields.setdefault("observed_at", when)
    fields.setdefault("fetched_at", when)
    fields.setdefault("latitude", BUCHAREST[0])
    fields.setdefault("longitude", BUCHAREST[1])
    return WeatherReading.objects.create(**fields)


def romanian(message: str, context: str | None = "weather") -> str:
    """A message as the Romanian site shows it (translated once the catalog has it)."""
    with translation.override("ro"):
        return pgettext(context, message) if context else gettext(message)


def expected_as_of(reading: WeatherReading) -> str:
    """The "as of" note for a reading, as the Romanian site words it right now."""
    observed = timezone.localtime(reading.observed_at)
    if observed.date() == timezone.localdate():
        return romanian("as of %(time)s", None) % {"time": f"{observed.hour}:{observed.minute:02d}"}
    return romanian("as of %(date_and_time)s", None) % {
        "date_and_time": header.dates.long_datetime(reading.observed_at, "ro")
    }


# --- Tasks, as the database backend keeps them ----------------------------------------------------

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def queued_task(picture_id: int = 1):
    """One task row, queued as production queues it (the database backend), not yet run."""
    from django.test import override_settings
    from django_tasks_db.models import DBTaskResult

    from articles import tasks

    with override_settings(TASKS=DATABASE_TASKS):
        result = tasks.make_picture_renditions.enqueue(picture_id)
    return DBTaskResult.objects.get(pk=result.id)


# --- Forms as a browser sends them ---------------------------------------------------------------


class FormFields(HTMLParser):
    """The fields a browser would send for the forms on a page (files and buttons aside)."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}
        self.select: str | None = None
        self.textarea: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        name = found.get("name") or ""
        if "__prefix__" in name:
            return  # the template rows of the admin's inlines
        if tag == "input" and name:
            kind = found.get("type", "text")
            if kind in {"file", "submit", "button", "image", "reset"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in found:
                return
            self.fields[name] = found.get("value") or ("on" if kind == "checkbox" else "")
        elif tag == "textarea" and name:
            self.textarea, self.text = name, []
        elif tag == "select" and name:
            self.select = name
            self.fields.setdefault(name, "")
        elif tag == "option" and self.select and "selected" in found:
            self.fields[self.select] = found.get("value") or ""

    def handle_data(self, data):
        if self.textarea:
            self.text.append(data)

    def handle_endtag(self, tag):
        if tag == "textarea" and self.textarea:
            self.fields[self.textarea] = "".join(self.text).removeprefix("\n")
            self.textarea = None
        elif tag == "select":
            self.select = None


def fields_of(html: str) -> dict[str, str]:
    parser = FormFields()
    parser.feed(html)
    return parser.fields
