"""Two-factor login for staff (django-otp): who needs it, the login form, the setup pages.

STAFF_2FA_REQUIRED says who must give a code from an authenticator app (TOTP) after their
password: "editors" (superusers and whoever may publish), "staff" (every staff account) or
"off". Unless it is "off", whoever has set up an app is asked for its code too. A recovery
code (django-otp's static device) stands in for the app's code, once each.

Someone who must use it and has no app yet is let in only as far as the setup page, which shows
a QR code (drawn here, as inline SVG) and the secret as text; nothing comes from another site.
A session opened without the code by someone who has an app (before the rule, or by other
means) is closed.
"""

import re
from base64 import b32encode

import django_otp
import segno
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp.middleware import is_verified
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from newsroom.auth import account_wait, client_ip, past_ceiling

RECOVERY_CODES = 10
# What an authenticator app shows; a recovery code is eight letters and digits.
APP_CODE = re.compile(r"\d{6}")


def enabled() -> bool:
    return settings.STAFF_2FA_REQUIRED != "off"


def must_use(user) -> bool:
    """Whether this account must log in with a second factor (STAFF_2FA_REQUIRED)."""
    rule = settings.STAFF_2FA_REQUIRED
    if rule == "off" or not (user.is_active and user.is_staff):
        return False
    if rule == "staff":
        return True
    return user.is_superuser or user.has_perm("articles.publish_article")


def has_app(user) -> bool:
    """Whether this account has set up an authenticator app."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def verified_device(user, code: str) -> Device | None:
    """The device that accepts this code (an app's, or an unused recovery code), if any.

    A recovery code is used up by being accepted; an app's code cannot be given twice.
    """
    code = "".join(code.split()).lower()
    if not code:
        return None
    model = TOTPDevice if APP_CODE.fullmatch(code) else StaticDevice
    for device in model.objects.devices_for_user(user, confirmed=True):
        verified = django_otp.verify_token(user, device.persistent_id, code)
        if verified is not None:
            return verified
    return None


def new_recovery_codes(user) -> list[str]:
    """Replace this account's recovery codes with new ones, and return them."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def forget_devices(user) -> None:
    """Remove this account's app and recovery codes: it sets up a new app at its next login."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


class LoginForm(AdminAuthenticationForm):
    """The admin's login: the account ceiling, the password, then the second factor if any."""

    otp_token = forms.CharField(
        label=_("Verification code"),
        required=False,
        max_length=32,
        help_text=_("From your authenticator app, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login_or_code": _(
            "Please enter the correct %(username)s and password for a staff account, and the "
            "verification code if your account uses two-factor login. Note that the fields may "
            "be case-sensitive."
        ),
        "account_wait": ngettext_lazy(
            "There have been too many failed logins for this account. Wait %(seconds)s second "
            "and try again.",
            "There have been too many failed logins for this account. Wait %(seconds)s seconds "
            "and try again.",
            "seconds",
        ),
    }

    def asks_for_code(self) -> bool:
        return enabled()

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if self.request is None or not past_ceiling(username):
            self.judge()
            return self.cleaned_data
        # Past the account's ceiling: one transaction, the account locked while this try is
        # judged, so that simultaneous tries cannot all slip through the same opening.
        refused = None
        with transaction.atomic():
            wait = account_wait(username, client_ip(self.request))
            if wait:
                refused = ValidationError(
                    self.error_messages["account_wait"],
                    code="account_wait",
                    params={"seconds": wait},
                )
            else:
                try:
                    self.judge()
                except ValidationError as error:  # raised once the failure is recorded
                    refused = error
        if refused is not None:
            raise refused
        return self.cleaned_data

    def judge(self) -> None:
        super().clean()
        self.check_second_factor()

    def check_second_factor(self) -> None:
        user = self.get_user()
        if not enabled() or not has_app(user):
            return  # one who must use it is led to the setup page (TwoFactorMiddleware)
        device = verified_device(user, self.cleaned_data.get("otp_token") or "")
        if device is None:
            # A failed login like any other: django-axes counts it.
            user_login_failed.send(
                sender=__name__,
                credentials={"username": user.get_username()},
                request=self.request,
            )
            self.user_cache = None
            raise self.get_invalid_login_error()
        # django-otp marks the session verified when it logs this user in.
        user.otp_device = device  # type: ignore[attr-defined]

    def get_invalid_login_error(self):
        if not enabled():
            return super().get_invalid_login_error()
        return ValidationError(
            self.error_messages["invalid_login_or_code"],
            code="invalid_login",
            params={"username": self.username_field.verbose_name},
        )


class TwoFactorMiddleware:
    """Staff who must use a second factor are logged in only once they have given it.

    Without an app yet, the admin leads them to the setup page, and the public site treats
    them as a reader; with an app but a session opened without its code, they are logged out.
    After django-otp's OTPMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if enabled():
            response = self.confine(request)
            if response is not None:
                return response
        return self.get_response(request)

    def confine(self, request: HttpRequest) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or is_verified(user):
            return None
        if has_app(user):
            logout(request)
            return None
        if not must_use(user):
            return None
        if not request.path.startswith(reverse("admin:index")):
            request.user = AnonymousUser()
            return None
        if request.path in {reverse("two-factor-setup"), reverse("admin:logout")}:
            return None
        query = urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(f"{reverse('two-factor-setup')}?{query}")


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def next_page(request: HttpRequest) -> str:
    """Where to go once done: a `next` on this site, or the admin's index."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("admin:index")


def grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def admin_page(request: HttpRequest, template: str, title, **context) -> HttpResponse:
    context = {**admin.site.each_context(request), "title": title, **context}
    return render(request, f"admin/two_factor/{template}", context)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the code (or type the secret), confirm one of its codes.

    The app's secret stays the same until it is confirmed, so reloading the page changes
    nothing; once confirmed, the page shows the account's recovery codes, once.
    """
    user = request.user
    if not enabled() or has_app(user):
        return redirect("two-factor")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=False)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid() and not device.verify_is_allowed()[0]:
        form.add_error("code", _("Too many wrong codes: wait a few seconds and try again."))
    elif form.is_valid():
        if device.verify_token("".join(form.cleaned_data["code"].split())):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            request.session.cycle_key()  # the session now carries more rights
            django_otp.login(request, device)
            return admin_page(
                request,
                "recovery_codes.html",
                _("Your recovery codes"),
                codes=new_recovery_codes(user),
                next=next_page(request),
            )
        form.add_error(
            "code",
            _("That code is not the one the app shows now. Check that the phone's clock is right."),
        )
    secret = b32encode(device.bin_key).decode()
    qr = segno.make(device.config_url, error="m").svg_inline(
        scale=4, light="#fff", title=str(_("QR code for your authenticator app"))
    )
    return admin_page(
        request,
        "setup.html",
        _("Set up two-factor login"),
        form=form,
        qr=qr,
        secret=grouped(secret),
        next=next_page(request),
        required=must_use(user),
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def overview(request: HttpRequest) -> HttpResponse:
    """Two-factor login for one's own account: whether it is on, new recovery codes."""
    user = request.user
    if request.method == "POST" and enabled() and has_app(user):
        return admin_page(
            request,
            "recovery_codes.html",
            _("Your recovery codes"),
            codes=new_recovery_codes(user),
            next=reverse("two-factor"),
        )
    left = StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
    return admin_page(
        request,
        "overview.html",
        _("Two-factor login"),
        enabled=enabled(),
        has_app=has_app(user),
        required=must_use(user),
        codes_left=left,
    )


urlpatterns = [
    path("", admin.site.admin_view(overview), name="two-factor"),
    path("setup/", admin.site.admin_view(setup), name="two-factor-setup"),
]
