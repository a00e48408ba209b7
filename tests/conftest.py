import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Real hashing takes ~0.3 s a login; the tests prove behaviour, not hash strength.
    # PBKDF2 stays listed so users made before this fixture (setUpTestData) still log in.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
