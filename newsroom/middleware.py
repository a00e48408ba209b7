from django.db import DatabaseError
from django.utils import timezone, translation

from newsroom.models import SiteSettings


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
