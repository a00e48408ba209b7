import sys

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET

from newsroom import live_header


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception:
        database = "unavailable"
    status = 200 if database == "ok" else 503
    return JsonResponse(
        {"status": "ok" if status == 200 else "degraded", "database": database}, status=status
    )


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page, or a 503 with Retry-After while the database is out of reach."""
    if isinstance(sys.exc_info()[1], DatabaseError):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response.headers["Retry-After"] = "10"
        return response
    return HttpResponse(loader.get_template("500.html").render(), status=500)


@require_GET
@cache_control(public=True, max_age=60)
def live_header_json(request: HttpRequest) -> JsonResponse:
    """The live header's data for its script; no database query while the cache is warm."""
    # Set on every request by SiteLocaleMiddleware.
    context = live_header.header_context(request.site_settings)  # type: ignore[attr-defined]
    return JsonResponse(live_header.as_json(context), json_dumps_params={"ensure_ascii": False})
