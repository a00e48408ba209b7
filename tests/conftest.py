import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings

from tests.fake_weather import FakeWeather
from tests.helpers import CHROMIUM, CHROMIUM_ARGS, need_program


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Real hashing takes ~0.3 s a login; the tests prove behaviour, not hash strength.
    # PBKDF2 stays listed so users made before this fixture (setUpTestData) still log in.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


@pytest.fixture(autouse=True)
def pending_bumps_looked_for_once(settings):
    # Each process looks for page-cache bumps kept in the database every quarter second; in
    # tests, that query would come and go between counted requests. Looked for once, at the
    # first request; the takedown tests run their own servers with the real interval.
    settings.PAGE_CACHE_PENDING_CHECK_SECONDS = 3600


@pytest.fixture(autouse=True)
def weather_stays_local(settings):
    # Pages render the live header, and a header with no fresh reading starts a refresh: in
    # tests that would reach the real provider from a thread. Tests of the refresh switch it
    # back on per test (method decorator or `with self.settings(...)`) with a local fake.
    settings.WEATHER_URL = "http://127.0.0.1:9"
    settings.WEATHER_BACKGROUND_REFRESH = False


@pytest.fixture(autouse=True)
def empty_cache():
    # The cache outlives each test's rolled-back database: start every test without it.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="class", autouse=True)
def _class_media_root():
    # Function-scoped fixtures start after setUpClass: what a TestCase class stores before its
    # tests (setUpTestData) goes here, and each test starts from a copy of it (media_root).
    folder = tempfile.mkdtemp(prefix="newsroom-media-")
    with override_settings(MEDIA_ROOT=folder):
        yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def media_root(_class_media_root, settings) -> Iterator[Path]:
    """Each test's own temporary MEDIA_ROOT (settings.MEDIA_ROOT), removed after it.

    Files outlive the rolled-back database, so every test starts from what its class stored in
    setUpTestData, never from what an earlier test uploaded.
    """
    folder = tempfile.mkdtemp(prefix="newsroom-media-")
    shutil.copytree(_class_media_root, folder, dirs_exist_ok=True)
    settings.MEDIA_ROOT = folder
    yield Path(folder)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def fake_weather(request) -> Iterator[FakeWeather]:
    """A fake weather provider answering on 127.0.0.1 (tests/fake_weather.py), for one test.

    A TestCase class asks for it with `@pytest.mark.usefixtures("fake_weather")` and finds it as
    `self.fake`; a new one for every test, so each starts healthy and with no requests.
    """
    with FakeWeather() as fake:
        if request.instance is not None:
            request.instance.fake = fake
        yield fake


@pytest.fixture(scope="module")
def browser():
    """Chromium, one per module: Playwright's event loop must not outlive the module."""
    need_program(str(CHROMIUM))
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread while it lives; the ORM calls
    # that live-server TestCases make meanwhile are plain synchronous ones.
    async_unsafe = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if async_unsafe is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = async_unsafe


@pytest.fixture
def testcase_browser(request, browser):
    """The module's Chromium as `self.browser`, for a TestCase class that asks for it with
    `@pytest.mark.usefixtures("testcase_browser")`."""
    request.instance.browser = browser
    return browser


# --- NO_SKIPS: in CI a skipped test is a failed one --------------------------------------------

_skipped: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("NO_SKIPS") == "1" and _skipped:
        print(f"\n{len(_skipped)} skipped, and NO_SKIPS=1 counts a skip as a failure:")
        for nodeid in _skipped:
            print(f"  {nodeid}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
