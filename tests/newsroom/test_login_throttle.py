import os
import subprocess
import sys
from datetime import timedelta

from axes.models import AccessFailureLog
from django.conf import settings
from django.db.models import F
from django.test import RequestFactory, TestCase
from django.urls import reverse
from django.utils import timezone

from newsroom.auth import UntrustedProxyWarningMiddleware, client_ip
from tests.factories import make_user
from tests.helpers import BASE_DIR

LOGIN_URL = reverse("admin:login")


class AdminLoginThrottleTests(TestCase):
    def setUp(self):
        self.editor = make_user("editor", group="Editor", password="right-password")

    def attempt(self, password, address="203.0.113.7"):
        return self.client.post(
            LOGIN_URL,
            {"username": "editor", "password": password, "next": "/admin/"},
            REMOTE_ADDR=address,
        )

    def test_repeated_failures_lock_the_account_at_that_address(self):
        for _ in range(4):
            assert self.attempt("wrong").status_code == 200
        with self.assertLogs("newsroom.auth", "WARNING") as logs:
            response = self.attempt("wrong")
        assert response.status_code == 429
        self.assertTemplateUsed(response, "lockout.html")
        assert any("locked out" in line.lower() for line in logs.output)
        # Even the right password is refused while locked out.
        assert self.attempt("right-password").status_code == 429

    def test_another_address_is_not_locked_out(self):
        for _ in range(5):
            self.attempt("wrong")
        response = self.attempt("right-password", address="198.51.100.9")
        assert response.status_code == 302
        assert response.headers["Location"] == "/admin/"

    def test_a_success_resets_the_count(self):
        for _ in range(4):
            self.attempt("wrong")
        assert self.attempt("right-password").status_code == 302
        self.client.logout()
        for _ in range(4):
            assert self.attempt("wrong").status_code == 200

    def test_test_client_login_still_works(self):
        assert self.client.login(username="editor", password="right-password")


class TrustedProxyTests(TestCase):
    """Proxy trust is its own setting (TRUSTED_PROXIES), not a side effect of TLS settings."""

    def setUp(self):
        self.editor = make_user("editor", group="Editor", password="right-password")
        UntrustedProxyWarningMiddleware.warned = False

    def attempt(self, password, forwarded_for, remote="127.0.0.1"):
        return self.client.post(
            LOGIN_URL,
            {"username": "editor", "password": password, "next": "/admin/"},
            REMOTE_ADDR=remote,
            HTTP_X_FORWARDED_FOR=forwarded_for,
        )

    def client_of(self, remote: str, forwarded_for: str | None = None) -> str:
        request = RequestFactory().get("/", REMOTE_ADDR=remote)
        if forwarded_for is not None:
            request.META["HTTP_X_FORWARDED_FOR"] = forwarded_for
        return client_ip(request)

    def test_behind_a_plain_http_proxy_an_attacker_locks_out_only_themselves(self):
        assert settings.SECURE_PROXY_SSL_HEADER is None  # no TLS settings at all
        for _ in range(5):
            self.attempt("wrong", "198.51.100.9, 203.0.113.66")
        assert self.attempt("right-password", "203.0.113.66").status_code == 429
        response = self.attempt("right-password", "198.51.100.9")
        assert response.status_code == 302 and response["Location"] == "/admin/"

    def test_the_client_is_the_last_address_no_trusted_proxy_wrote(self):
        assert self.client_of("127.0.0.1", "192.0.2.1, 203.0.113.5") == "203.0.113.5"
        assert self.client_of("::1", "203.0.113.5") == "203.0.113.5"
        with self.settings(TRUSTED_PROXIES=["127.0.0.1", "10.0.0.0/8"]):
            # A CDN or load balancer in 10/8 in front of the local nginx.
            chain = "192.0.2.1, 203.0.113.5, 10.1.2.3"
            assert self.client_of("127.0.0.1", chain) == "203.0.113.5"
            assert self.client_of("10.9.9.9", "203.0.113.5") == "203.0.113.5"
        # Not from a trusted proxy: the header is the client's own word, and ignored.
        assert self.client_of("192.0.2.10", "203.0.113.5") == "192.0.2.10"
        with self.settings(TRUSTED_PROXIES=[]):
            assert self.client_of("127.0.0.1", "203.0.113.5") == "127.0.0.1"
        # Junk in the header stops the walk at the last proxy that wrote an address.
        assert self.client_of("127.0.0.1", "203.0.113.5, not-an-address") == "127.0.0.1"
        assert self.client_of("127.0.0.1", "") == "127.0.0.1"
        assert self.client_of("127.0.0.1") == "127.0.0.1"

    def test_a_forwarded_request_from_an_untrusted_proxy_is_logged_once(self):
        with self.assertLogs("newsroom.auth", "WARNING") as logs:
            self.client.get("/healthz", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4")
        assert "TRUSTED_PROXIES" in logs.output[0] and "10.0.0.5" in logs.output[0]
        with self.assertNoLogs("newsroom.auth", "WARNING"):
            self.client.get("/healthz", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4")

    def test_requests_through_a_trusted_proxy_or_without_the_header_say_nothing(self):
        with self.assertNoLogs("newsroom.auth", "WARNING"):
            self.client.get("/healthz", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4")
            self.client.get("/healthz", REMOTE_ADDR="192.0.2.10")

    def test_a_setting_that_is_not_an_address_stops_start_up(self):
        result = subprocess.run(
            [sys.executable, "-c", "import newsroom.settings"],
            cwd=BASE_DIR,
            env={**os.environ, "TRUSTED_PROXIES": "127.0.0.1,nginx"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode != 0 and "TRUSTED_PROXIES" in result.stderr


class IPv6ClientTests(TestCase):
    def setUp(self):
        make_user("editor", group="Editor", password="right-password")

    def attempt(self, password, address):
        return self.client.post(
            LOGIN_URL,
            {"username": "editor", "password": password, "next": "/admin/"},
            REMOTE_ADDR=address,
        )

    def test_an_ipv6_client_is_its_64(self):
        def of(address: str) -> str:
            return client_ip(RequestFactory().get("/", REMOTE_ADDR=address))

        assert of("2001:db8:1:2:aaaa:bbbb:cccc:dddd") == "2001:db8:1:2::"
        assert of("2001:db8:1:2::1") == of("2001:db8:1:2:ffff::9")
        assert of("2001:db8:1:3::1") != of("2001:db8:1:2::1")
        assert of("::ffff:203.0.113.7") == "203.0.113.7"
        assert of("203.0.113.7") == "203.0.113.7"

    def test_rotating_addresses_within_a_64_gets_no_fresh_guesses(self):
        for host in range(1, 6):
            self.attempt("wrong", f"2001:db8:1:2::{host:x}")
        assert self.attempt("right-password", "2001:db8:1:2::99").status_code == 429
        response = self.attempt("right-password", "2001:db8:1:3::1")
        assert response.status_code == 302


class AccountCeilingTests(TestCase):
    """Beyond 20 failures an hour for one account, from anywhere, each try waits longer."""

    def setUp(self):
        self.editor = make_user("editor", group="Editor", password="right-password")

    def attempt(self, password, address):
        return self.client.post(
            LOGIN_URL,
            {"username": "editor", "password": password, "next": "/admin/"},
            REMOTE_ADDR=address,
        )

    def fail_from_many_addresses(self, count: int) -> None:
        # One failure per address: the per-address lockout never starts.
        for n in range(count):
            assert self.attempt("wrong", f"198.18.{n // 250}.{n % 250 + 1}").status_code == 200

    def wait_asked(self, response) -> int | None:
        errors = response.context["form"].errors.as_data().get("__all__", [])
        waits = [e.params["seconds"] for e in errors if e.code == "account_wait"]
        return waits[0] if waits else None

    def let_time_pass(self, seconds: float) -> None:
        AccessFailureLog.objects.update(attempt_time=F("attempt_time") - timedelta(seconds=seconds))

    def test_each_try_past_the_ceiling_waits_longer_and_the_owner_still_gets_in(self):
        self.fail_from_many_addresses(20)
        assert AccessFailureLog.objects.filter(username="editor").count() == 20
        waits = []
        for _ in range(4):
            response = self.attempt("wrong", "203.0.113.200")
            waits.append(self.wait_asked(response))
            # Refused without looking at the password, and not counted as a failure.
            assert not AccessFailureLog.objects.filter(ip_address="203.0.113.200").exists()
            self.let_time_pass(waits[-1])
            assert self.wait_asked(self.attempt("wrong", "203.0.113.201")) is None
        assert waits == [1, 2, 4, 8]
        # The owner, from anywhere, waits like anyone; the right password then works.
        response = self.attempt("right-password", "192.0.2.77")
        assert self.wait_asked(response) == 16
        assert "_auth_user_id" not in self.client.session
        assert "16" in response.content.decode()
        self.let_time_pass(16)
        response = self.attempt("right-password", "192.0.2.77")
        assert response.status_code == 302 and response["Location"] == "/admin/"

    def test_the_wait_is_capped(self):
        now = timezone.now()
        AccessFailureLog.objects.bulk_create(
            AccessFailureLog(
                username="editor", ip_address=f"198.18.1.{n}", attempt_time=now, user_agent="x"
            )
            for n in range(1, 61)
        )
        assert self.wait_asked(self.attempt("right-password", "192.0.2.77")) == 300
        self.let_time_pass(300)
        assert self.attempt("right-password", "192.0.2.77").status_code == 302

    def test_failures_older_than_an_hour_do_not_count(self):
        self.fail_from_many_addresses(20)
        self.let_time_pass(3601)
        assert self.attempt("right-password", "192.0.2.77").status_code == 302

    def test_the_owners_usual_address_does_not_wait(self):
        assert self.attempt("right-password", "192.0.2.50").status_code == 302
        self.client.logout()
        self.fail_from_many_addresses(25)
        assert self.wait_asked(self.attempt("right-password", "192.0.2.51")) is not None
        response = self.attempt("right-password", "192.0.2.50")
        assert response.status_code == 302

    def test_other_accounts_are_not_slowed(self):
        make_user("reporter", group="Reporter", password="pw")
        self.fail_from_many_addresses(25)
        response = self.client.post(
            LOGIN_URL,
            {"username": "reporter", "password": "pw", "next": "/admin/"},
            REMOTE_ADDR="198.18.0.1",
        )
        assert response.status_code == 302
