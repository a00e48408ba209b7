"""The most-read beacon answered first, before sessions, the page cache and URL resolving: it is
the busiest address of the site and needs none of them."""

import re

from newsroom.mostread import views

BEACON = re.compile(r"^/live/read/(\d{1,10})/$")


class BeaconMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        match = BEACON.match(request.path_info)
        if match is None or request.method != "POST":
            return self.get_response(request)
        return views.read(request, int(match.group(1)))
