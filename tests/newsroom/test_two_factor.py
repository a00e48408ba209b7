"""Two-factor login for staff (STAFF_2FA_REQUIRED): the code after the password, recovery codes,
setting up an app before reaching the admin, and who the rule covers."""

import os
import re
import subprocess
import sys
import time

from axes.models import AccessFailureLog
from django.contrib.auth.models import User
from django.test import SimpleTestCase, TestCase, override_settings
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from articles.models import Article
from newsroom import twofactor
from newsroom.chrome.models import SiteSettings
from tests.factories import make_article, make_user
from tests.helpers import BASE_DIR, PRODUCTION_ENV

LOGIN = reverse("admin:login")
INDEX = reverse("admin:index")
SETUP = reverse("two-factor-setup")


def app_for(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def code_of(device: TOTPDevice, *, steps_ago: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() - steps_ago * device.step
    return f"{totp.token():06d}"


def wait_out_throttling(user: User) -> None:
    """As if the seconds a device waits after a wrong code had passed."""
    for model in (TOTPDevice, StaticDevice):
        model.objects.filter(user=user).update(throttling_failure_timestamp=None)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@override_settings(STAFF_2FA_REQUIRED="editors")
class TwoFactorLoginTests(TestCase):
    def setUp(self):
        SiteSettings(pk=1, language="en").save()
        self.editor = make_user("editor", group="Editor", password="right-password")
        self.app = app_for(self.editor)

    def login(self, code: str | None = None, *, username="editor", address="203.0.113.7"):
        data = {"username": username, "password": "right-password", "next": INDEX}
        if code is not None:
            data["otp_token"] = code
        return self.client.post(LOGIN, data, REMOTE_ADDR=address)

    def test_the_login_page_asks_for_the_code(self):
        html = self.client.get(LOGIN).content.decode()
        assert 'name="otp_token"' in html
        assert 'autocomplete="one-time-code"' in html

    def test_the_password_alone_is_refused(self):
        response = self.login()
        assert response.status_code == 200
        assert not logged_in(self.client)
        assert "verification code" in response.content.decode()
        assert self.client.get(INDEX).status_code == 302  # to the login page

    def test_a_wrong_code_is_refused_and_counted_as_a_failed_login(self):
        wrong = f"{(int(code_of(self.app)) + 1) % 1_000_000:06d}"
        response = self.login(wrong)
        assert response.status_code == 200
        assert not logged_in(self.client)
        assert AccessFailureLog.objects.filter(username="editor").count() == 1
        # The message does not tell a right password with a wrong code from a wrong password.
        wrong_password = self.client.post(
            LOGIN, {"username": "editor", "password": "nope", "otp_token": wrong}
        )
        assert response.context["form"].non_field_errors() == (
            wrong_password.context["form"].non_field_errors()
        )

    def test_the_app_code_lets_the_editor_in(self):
        response = self.login(code_of(self.app))
        assert response.status_code == 302
        assert response["Location"] == INDEX
        assert self.client.get(INDEX).status_code == 200

    def test_an_app_code_works_once(self):
        code = code_of(self.app)
        assert self.login(code).status_code == 302
        self.client.logout()
        assert self.login(code).status_code == 200
        assert not logged_in(self.client)

    def test_each_recovery_code_works_once(self):
        first, second, *_rest = twofactor.new_recovery_codes(self.editor)
        assert self.login(first.upper()).status_code == 302  # as typed from paper
        assert self.client.get(INDEX).status_code == 200
        self.client.logout()
        assert self.login(first).status_code == 200
        assert not logged_in(self.client)
        wait_out_throttling(self.editor)
        assert self.login(f" {second} ").status_code == 302

    def test_a_superuser_needs_the_code_too(self):
        chief = make_user("chief", superuser=True, password="right-password")
        app = app_for(chief)
        assert self.login(username="chief").status_code == 200
        assert self.login(code_of(app), username="chief").status_code == 302

    def test_a_session_opened_without_the_code_is_closed(self):
        # A session from before the rule, or opened by other means than the login form.
        self.client.force_login(self.editor)
        response = self.client.get(INDEX)
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)
        assert not logged_in(self.client)

    def test_an_editor_without_an_app_is_led_to_set_one_up(self):
        newcomer = make_user("newcomer", group="Editor", password="right-password")
        draft = make_article(status=Article.Status.DRAFT, headline="Embargoed budget")
        response = self.login(username="newcomer")
        assert response.status_code == 302
        # Every admin page leads to the setup page, and back afterwards.
        response = self.client.get(reverse("admin:articles_article_changelist"))
        assert response.status_code == 302
        assert response["Location"].startswith(SETUP + "?next=")
        # On the public site the account is a reader until then: no draft preview.
        assert self.client.get(draft.get_absolute_url()).status_code == 404

        page = self.client.get(response["Location"])
        assert page.status_code == 200
        html = page.content.decode()
        device = TOTPDevice.objects.get(user=newcomer, confirmed=False)
        secret = twofactor.b32encode(device.bin_key).decode()
        assert twofactor.grouped(secret) in html  # the secret as text
        assert "<svg" in html and "<title>" in html  # the QR code, drawn in the page
        # Nothing comes from another site, and the admin's strict policy holds.
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
        policy = page["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "unsafe-inline" not in policy
        # Reloading keeps the same secret (the phone may have scanned it already).
        assert twofactor.grouped(secret) in self.client.get(SETUP).content.decode()

        wrong = f"{(int(code_of(device)) + 1) % 1_000_000:06d}"
        response = self.client.post(SETUP, {"code": wrong, "next": "/admin/articles/article/"})
        assert response.status_code == 200
        assert not TOTPDevice.objects.get(pk=device.pk).confirmed
        wait_out_throttling(newcomer)

        response = self.client.post(
            SETUP, {"code": code_of(device), "next": "/admin/articles/article/"}
        )
        assert response.status_code == 200
        codes = response.context["codes"]
        assert len(codes) == 10 and len(set(codes)) == 10
        html = response.content.decode()
        assert all(code in html for code in codes)
        assert 'href="/admin/articles/article/"' in html
        assert "no-store" in response["Cache-Control"]
        assert TOTPDevice.objects.get(pk=device.pk).confirmed
        assert StaticDevice.objects.get(user=newcomer).token_set.count() == 10
        # This session has given the code: the admin opens.
        assert self.client.get(reverse("admin:articles_article_changelist")).status_code == 200
        # The next login asks for it.
        self.client.logout()
        assert self.login(username="newcomer").status_code == 200
        assert self.login(codes[0], username="newcomer").status_code == 302

    def test_new_recovery_codes_replace_the_old_ones(self):
        old = twofactor.new_recovery_codes(self.editor)
        assert self.login(code_of(self.app)).status_code == 302
        overview = self.client.get(reverse("two-factor"))
        assert "9 recovery codes left" in overview.content.decode() or (
            "10 recovery codes left" in overview.content.decode()
        )
        response = self.client.post(reverse("two-factor"))
        new = response.context["codes"]
        assert set(new).isdisjoint(old)
        self.client.logout()
        assert self.login(old[1]).status_code == 200
        wait_out_throttling(self.editor)
        assert self.login(new[0]).status_code == 302

    def test_a_superuser_resets_a_lost_phone(self):
        chief = make_user("chief", superuser=True)
        twofactor.new_recovery_codes(self.editor)
        with self.settings(STAFF_2FA_REQUIRED="off"):
            self.client.force_login(chief)
            changelist = reverse("admin:auth_user_changelist")
            response = self.client.post(
                changelist, {"action": "reset_two_factor", "_selected_action": [self.editor.pk]}
            )
        assert response.status_code == 302
        assert not TOTPDevice.objects.filter(user=self.editor).exists()
        assert not StaticDevice.objects.filter(user=self.editor).exists()
        self.client.logout()
        # The password lets the editor in as far as setting up a new app.
        assert self.login().status_code == 302
        assert self.client.get(INDEX)["Location"].startswith(SETUP)


@override_settings(STAFF_2FA_REQUIRED="editors")
class WhoTheRuleCoversTests(TestCase):
    def setUp(self):
        SiteSettings(pk=1, language="en").save()
        self.reporter = make_user("reporter", group="Reporter", password="pw")

    def login(self, username: str, code: str | None = None):
        data = {"username": username, "password": "pw", "next": INDEX}
        if code is not None:
            data["otp_token"] = code
        return self.client.post(LOGIN, data)

    def test_editors_rule_leaves_reporters_alone(self):
        assert twofactor.must_use(make_user("editor", group="Editor"))
        assert twofactor.must_use(make_user("chief", superuser=True))
        assert not twofactor.must_use(self.reporter)
        assert self.login("reporter").status_code == 302
        assert self.client.get(reverse("admin:articles_article_changelist")).status_code == 200

    def test_a_reporter_who_set_up_an_app_is_asked_for_it(self):
        app = app_for(self.reporter)
        assert self.login("reporter").status_code == 200
        assert self.login("reporter", code_of(app)).status_code == 302

    @override_settings(STAFF_2FA_REQUIRED="staff")
    def test_staff_rule_covers_reporters(self):
        assert twofactor.must_use(self.reporter)
        assert self.login("reporter").status_code == 302
        response = self.client.get(reverse("admin:articles_article_changelist"))
        assert response["Location"].startswith(SETUP)

    @override_settings(STAFF_2FA_REQUIRED="off")
    def test_off_asks_no_one(self):
        editor = make_user("editor", group="Editor", password="pw")
        app_for(editor)
        html = self.client.get(LOGIN).content.decode()
        assert 'name="otp_token"' not in html
        assert self.login("editor").status_code == 302
        assert self.client.get(reverse("admin:articles_article_changelist")).status_code == 200

    def test_the_pages_speak_romanian(self):
        SiteSettings(pk=1, language="ro").save()
        editor = make_user("editor", group="Editor", password="pw")
        html = self.client.get(LOGIN).content.decode()
        assert "Cod de verificare" in html
        assert self.login("editor").status_code == 302
        html = self.client.get(SETUP).content.decode()
        assert "autentificare în doi pași" in html
        assert "Set up two-factor login" not in html
        del editor


# Production settings as they come, without the rule the browser journeys turn off.
PRODUCTION = {k: v for k, v in PRODUCTION_ENV.items() if k != "STAFF_2FA_REQUIRED"}


class DefaultRuleTests(SimpleTestCase):
    def rule(self, **env) -> subprocess.CompletedProcess:
        environment = {k: v for k, v in os.environ.items() if k != "STAFF_2FA_REQUIRED"}
        return subprocess.run(
            [
                sys.executable,
                "-c",
                "from newsroom import settings; print(settings.STAFF_2FA_REQUIRED)",
            ],
            cwd=BASE_DIR,
            env={**environment, **env},
            capture_output=True,
            text=True,
            timeout=60,
        )

    def test_on_for_editors_in_production_off_in_development(self):
        assert self.rule(**PRODUCTION).stdout.strip() == "editors"
        assert self.rule(DEBUG="1").stdout.strip() == "off"
        assert self.rule(**PRODUCTION, STAFF_2FA_REQUIRED="staff").stdout.strip() == "staff"
        assert self.rule(**PRODUCTION, STAFF_2FA_REQUIRED="off").stdout.strip() == "off"
        refused = self.rule(**PRODUCTION, STAFF_2FA_REQUIRED="maybe")
        assert refused.returncode != 0
        assert "STAFF_2FA_REQUIRED must be editors, staff or off" in refused.stderr
