from django.conf import settings


def site(request):
    return {
        "site_name": settings.SITE_NAME,
        "site_settings": getattr(request, "site_settings", None),
    }
