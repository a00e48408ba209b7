"""Production settings: `check --deploy` is clean, and the site refuses to start half-configured."""

import os
import secrets
import subprocess
import sys
import tempfile

import pytest
import requests
from django.test import SimpleTestCase, TestCase, override_settings
from django.urls import reverse

from tests.factories import make_user
from tests.helpers import BASE_DIR, gunicorn

STRONG_KEY = secrets.token_urlsafe(64)


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run manage.py in a fresh process with only the given production variables set."""
    base = {
        name: value
        for name, value in os.environ.items()
        if name
        not in {
            "DEBUG",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "SECURE_SSL_REDIRECT",
            "SECURE_PROXY_SSL_HEADER",
            "SECURE_HSTS_SECONDS",
            "CSP_REPORT_URI",
        }
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


class DeployCheckTests(SimpleTestCase):
    def test_production_settings_pass_check_deploy_without_a_warning(self):
        result = manage(
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
            DEBUG="0",
            SECRET_KEY=STRONG_KEY,
            ALLOWED_HOSTS="news.example.org",
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "System check identified no issues (0 silenced)." in result.stdout

    def test_behind_a_proxy_that_redirects_to_https_itself(self):
        result = manage(
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
            DEBUG="0",
            SECRET_KEY=STRONG_KEY,
            ALLOWED_HOSTS="news.example.org",
            SECURE_SSL_REDIRECT="0",
            SECURE_PROXY_SSL_HEADER="1",
        )
        assert result.returncode == 0, result.stdout + result.stderr
        # Only the redirect warning is silenced, and only because it was turned off on purpose.
        assert "no issues (1 silenced)" in result.stdout

    def test_development_settings_would_be_flagged(self):
        # The check is not vacuous: the development defaults fail it.
        result = manage("check", "--deploy", "--fail-level", "WARNING", DEBUG="1")
        assert result.returncode != 0
        for check in ["security.W018", "security.W012", "security.W016"]:  # DEBUG, cookies
            assert check in result.stdout + result.stderr, check


class RefusesToStartTests(SimpleTestCase):
    def assert_refused(self, message: str, **env: str):
        result = manage("check", DEBUG="0", **env)
        assert result.returncode != 0
        assert "ImproperlyConfigured" in result.stderr
        assert message in result.stderr

    def test_without_a_secret_key(self):
        self.assert_refused("SECRET_KEY must be set", ALLOWED_HOSTS="news.example.org")

    def test_with_a_weak_or_default_secret_key(self):
        for weak in ["secret", "x" * 49, "django-insecure-" + "y" * 60]:
            self.assert_refused(
                "SECRET_KEY must be set", SECRET_KEY=weak, ALLOWED_HOSTS="news.example.org"
            )

    def test_without_allowed_hosts(self):
        for hosts in ["", " , "]:
            self.assert_refused(
                "ALLOWED_HOSTS must be set", SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS=hosts
            )

    def test_gunicorn_cannot_load_the_application_either(self):
        result = subprocess.run(
            [sys.executable, "-c", "import newsroom.wsgi"],
            cwd=BASE_DIR,
            env={**os.environ, "DEBUG": "0", "SECRET_KEY": "", "ALLOWED_HOSTS": "x"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


@pytest.mark.services
class ProductionHeadersTests(SimpleTestCase):
    """A real gunicorn with production settings: HTTPS enforced, strict cookies and headers."""

    def test_https_is_enforced_and_cookies_are_secure(self):
        # No database is needed to see the headers: pages answer 503, with every header set.
        with (
            tempfile.TemporaryDirectory() as folder,
            gunicorn(
                {
                    "DATABASE_URL": f"sqlite:///{folder}/missing/db.sqlite3",
                    "SECURE_SSL_REDIRECT": "1",
                    "SECURE_PROXY_SSL_HEADER": "1",
                    "ALLOWED_HOSTS": "127.0.0.1",
                }
            ) as base_url,
        ):
            plain = requests.get(f"{base_url}/", allow_redirects=False, timeout=10)
            assert plain.status_code == 301
            assert plain.headers["Location"].startswith("https://127.0.0.1")

            proxied = {"X-Forwarded-Proto": "https"}
            login = requests.get(f"{base_url}/admin/login/", headers=proxied, timeout=10)
            hsts = login.headers["Strict-Transport-Security"]
            assert "max-age=31536000" in hsts and "includeSubDomains" in hsts
            assert login.headers["X-Content-Type-Options"] == "nosniff"
            assert login.headers["X-Frame-Options"] == "DENY"
            assert login.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
            assert "frame-ancestors 'none'" in login.headers["Content-Security-Policy"]
            csrf = login.raw.headers.getlist("Set-Cookie")
            assert csrf, "the login form sets its CSRF cookie"
            for cookie in csrf:
                flags = {part.strip().lower() for part in cookie.split(";")}
                assert "secure" in flags and "httponly" in flags, cookie

            wrong_host = requests.get(
                f"{base_url}/", headers={**proxied, "Host": "evil.example"}, timeout=10
            )
            assert wrong_host.status_code == 400


class LoginThrottlingBehindTheProxyTests(TestCase):
    """Behind nginx every request comes from 127.0.0.1: throttling must still tell clients apart."""

    def setUp(self):
        make_user("editor", group="Editor", password="right-password")

    def attempt(self, password: str, forwarded_for: str, remote: str = "127.0.0.1"):
        return self.client.post(
            reverse("admin:login"),
            {"username": "editor", "password": password, "next": "/admin/"},
            REMOTE_ADDR=remote,
            HTTP_X_FORWARDED_FOR=forwarded_for,
        )

    @override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
    def test_an_attacker_locks_out_only_their_own_address(self):
        for _ in range(5):
            # A forged first entry changes nothing: nginx appends the real address last.
            self.attempt("wrong", "198.51.100.9, 203.0.113.66")
        assert self.attempt("right-password", "203.0.113.66").status_code == 429
        # The editor, from their own address through the same proxy, still gets in.
        response = self.attempt("right-password", "198.51.100.9")
        assert response.status_code == 302 and response["Location"] == "/admin/"

    def test_without_the_proxy_the_header_is_ignored(self):
        # Not behind a proxy: X-Forwarded-For is whatever the client says, so it is not used.
        for number in range(5):
            self.attempt("wrong", f"203.0.113.{number}", remote="192.0.2.10")
        assert (
            self.attempt("right-password", "203.0.113.99", remote="192.0.2.10").status_code == 429
        )
        response = self.attempt("right-password", "203.0.113.99", remote="192.0.2.11")
        assert response.status_code == 302
