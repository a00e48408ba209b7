from django.test import TestCase
from django.urls import reverse

from tests.factories import make_user

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
