from django.conf import settings
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone, translation

from newsroom.chrome.models import SiteSettings


class SiteLocaleMiddleware:
    """Serve every request in the language and time zone editors chose, not the server's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            site = SiteSettings.load()
        except DatabaseError:
            # The view will answer 503; /healthz still reports what is wrong.
            site = SiteSettings()
        request.site_settings = site
        translation.activate(site.language)
        request.LANGUAGE_CODE = site.language
        timezone.activate(site.time_zone)
        try:
            response = self.get_response(request)
        finally:
            timezone.deactivate()
        response.headers.setdefault("Content-Language", site.language)
        return response


class AdminContentSecurityPolicyMiddleware:
    """Give admin pages settings.SECURE_CSP_ADMIN instead of the public SECURE_CSP.

    The admin needs a per-request nonce (its scripts, and django-prose-editor's inline import
    map) and the hash of the one style block the editor injects. Public pages, which are cached
    whole and shared by every reader, keep a policy with neither. Listed after Django's
    ContentSecurityPolicyMiddleware, so that middleware builds the header from this choice.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(reverse("admin:index")):
            response._csp_config = settings.SECURE_CSP_ADMIN
        return response
