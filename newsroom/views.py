import sys

from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_safe


@require_safe
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
    """The 500 page, or a 503 with Retry-After while the database is out of reach (a lost
    connection; a refused value is a bug to fix, not a reason to come back later)."""
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response.headers["Retry-After"] = "10"
        return response
    return HttpResponse(loader.get_template("500.html").render(), status=500)
