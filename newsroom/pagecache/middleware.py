from collections import OrderedDict

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from newsroom.pagecache import pieces
from newsroom.pagecache.keys import check_pending
from newsroom.pagecache.pages import (
    RenderLock,
    answer,
    find,
    has_session,
    now,
    page_key,
    public_reads,
    storable,
    store,
    take_turn,
    with_pieces,
)


class PageCacheMiddleware:
    """Serve stored public pages before sessions, auth or the view run; store new ones.

    Place it after WhiteNoise and before SessionMiddleware. Only views decorated with
    `public_page` are stored; everything else passes through untouched.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        # What each address's view reads (None: not a public page), learned once per address.
        self.reads: OrderedDict[str, tuple[str, ...] | None] = OrderedDict()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        check_pending()
        key = None
        lock = None
        if (
            settings.PAGE_CACHE
            and request.method in ("GET", "HEAD")
            and not has_session(request)
            and "preview" not in request.GET
            and (reads := self.reads_of(request.path_info)) is not None
        ):
            key = page_key(request, reads)
            moment = now()
            page, current = find(key, moment)
            if current and page is not None:
                return answer(request, page, moment, served="hit")
            if settings.PAGE_CACHE_COALESCE:
                turn = take_turn(request, key, page, moment)
                if isinstance(turn, HttpResponse):
                    return turn
                lock = turn
        try:
            return self.build(request, key)
        finally:
            if isinstance(lock, RenderLock):
                lock.release()

    def build(self, request: HttpRequest, key: str | None) -> HttpResponse:
        response = self.get_response(request)
        plan = getattr(request, "page_plan", None)
        if plan is None:
            return response
        if not storable(request, response):
            if plan.pieces and not response.streaming:
                response.content = pieces.fill(response.content, plan.pieces)
            return response
        page = with_pieces(store(response, plan, key), plan.pieces)
        finished = answer(request, page, now(), served="miss")
        if key is None or not page.versions:
            del finished.headers["X-Page-Cache"]
        return finished

    def reads_of(self, path: str) -> tuple[str, ...] | None:
        if path in self.reads:
            return self.reads[path]
        reads = self.reads[path] = public_reads(path)
        if len(self.reads) > 4096:
            self.reads.popitem(last=False)
        return reads
