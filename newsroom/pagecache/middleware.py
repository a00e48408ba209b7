from collections import OrderedDict

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from newsroom.pagecache.keys import check_pending
from newsroom.pagecache.pages import answer, has_session, lookup, now, page_key, storable, store


class PageCacheMiddleware:
    """Serve stored public pages before sessions, auth or the view run; store new ones.

    Place it after WhiteNoise and before SessionMiddleware. Only views decorated with
    `public_page` are stored; everything else passes through untouched.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        # Addresses whose view is not a public page (the admin, the header's JSON…): no lookup.
        self.not_public: OrderedDict[str, None] = OrderedDict()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        check_pending()
        enabled = settings.PAGE_CACHE
        if (
            request.method not in ("GET", "HEAD")
            or has_session(request)
            or "preview" in request.GET
            or request.path in self.not_public
        ):
            enabled = False
        key = page_key(request) if enabled else None
        if key is not None:
            moment = now()
            page = lookup(key, moment)
            if page is not None:
                return answer(request, page, moment, hit=True)
        response = self.get_response(request)
        plan = getattr(request, "page_plan", None)
        if plan is None and key is not None and response.status_code == 200:
            self.not_public[request.path] = None
            if len(self.not_public) > 4096:
                self.not_public.popitem(last=False)
        if plan is None or not storable(request, response):
            return response
        page = store(response, plan, key)
        finished = answer(request, page, now(), hit=False)
        if key is None or not page.versions:
            del finished.headers["X-Page-Cache"]
        return finished
