import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Real hashing takes ~0.3 s a login; the tests prove behaviour, not hash strength.
    # PBKDF2 stays listed so users made before this fixture (setUpTestData) still log in.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


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
