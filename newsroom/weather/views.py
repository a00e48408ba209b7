from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from newsroom.weather import header, site


@require_safe
@cache_control(public=True, max_age=60)
def live_header_json(request: HttpRequest) -> JsonResponse:
    """The live header's data for its script; no database query while the cache is warm."""
    context = header.header_context(getattr(request, "site_settings", None) or site.current())
    return JsonResponse(header.as_json(context), json_dumps_params={"ensure_ascii": False})
