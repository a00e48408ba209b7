"""The counting endpoint (a beacon from the story page) and the ranked fragment pages fetch."""

import time

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import get_language
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from articles.invalidation import LISTINGS, article_key
from articles.models import Article
from newsroom.auth import client_ip
from newsroom.mostread import counting
from newsroom.pagecache import has_session, remembered

# Readers' browsers and proxies may keep the fragment this long.
FRAGMENT_MAX_AGE = 60


@csrf_exempt  # a beacon carries no token, and no cookie is read or set
@require_POST
def read(request: HttpRequest, pk: int) -> HttpResponse:
    """One reading of story `pk`; staff (a session) and bots are not counted."""
    if not has_session(request) and not counting.is_bot(request.headers.get("User-Agent", "")):
        counting.record(pk, client_ip(request), time.time())
    response = HttpResponse(status=204)
    add_never_cache_headers(response)
    return response


def _render(ids: list[int]) -> str:
    found = {story.pk: story for story in Article.objects.published().teasers().filter(pk__in=ids)}
    stories = [found[pk] for pk in ids if pk in found]
    return render_to_string("includes/most_read.html", {"stories": stories})


@require_safe
def most_read(request: HttpRequest) -> HttpResponse:
    """The ranked list as an HTML fragment; empty while nothing has been read."""
    ids = counting.ranking(time.time())
    html = remembered(
        f"most-read:{ids}:{get_language()}",
        [LISTINGS, *(article_key(pk) for pk in ids)],
        lambda: _render(ids),
    )
    response = HttpResponse(html)
    patch_cache_control(response, public=True, max_age=FRAGMENT_MAX_AGE)
    return response
