"""The most-read beacon answered in front of Django's WSGI handler (newsroom/wsgi.py).

Every story page view sends one, so it is the busiest address of the site, and it needs nothing
of Django's request: counting is a few dictionary operations in memory (counting.py). Through
BeaconMiddleware, Django's handler around it (the request object, the request_started and
request_finished signals, the middleware before it, the response object and its cache headers)
took 120-200 µs a beacon in process against about 20 µs for all of this module. Measured in the
gunicorn sync workers behind nginx (benchmarks/mostread.py, 2 cores), a beacon cost the workers
about 0.6 ms of CPU flat out and 1.2 ms at 200 a second; answered here, 0.29 and 0.70 ms, most
of which is gunicorn's own reading, answering and closing of the connection (0.2 ms flat out
for an application that does nothing).

Behind the shipped nginx no beacon gets here: nginx answers and logs them (readslog.py). This
path serves deployments without it (`make run`, an edge straight to gunicorn).

Only a POST to /live/read/<id>/ that can be counted without the database is answered here.
Everything else goes to Django unchanged, including a beacon arriving while this process's list
of countable stories is stale (once every counting.CANDIDATES_SECONDS: Django reads it inside
its own request, with its database connection handling) and a plain-HTTP beacon while
SECURE_SSL_REDIRECT is on (Django redirects it). The answer and who counts are those of
views.read; the request metrics count it as RequestMetricsMiddleware would have.
"""

import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.http.cookie import parse_cookie

from newsroom.auth import client_address
from newsroom.mostread import counting
from newsroom.pagecache import session_in

BEACON = re.compile(r"^/live/read/(\d{1,10})/$")
# What views.read answers (add_never_cache_headers; a 204 has no body to describe).
HEADERS = [("Cache-Control", "max-age=0, no-cache, no-store, must-revalidate, private")]

StartResponse = Callable[..., object]
# Django's handler, typed by django-stubs as returning its response object (an iterable of bytes).
Application = Callable[..., Any]
# newsroom.metrics.count_request(path, status, cache outcome, seconds), given by newsroom/wsgi.py
# (the metrics belong to the project's layer, above this app).
CountRequest = Callable[[str, int, str, float], None]


def _secure(environ: dict) -> bool:
    """HttpRequest.is_secure() from the environ (SECURE_PROXY_SSL_HEADER, else the scheme)."""
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_header:
        header, secure_value = proxy_header
        value = environ.get(header)
        if value is not None:
            return value.split(",", 1)[0].strip() == secure_value
    return environ.get("wsgi.url_scheme") == "https"


def _reader(environ: dict) -> bool:
    """Not staff (a session) and not a bot: a reading views.read would count."""
    cookies = environ.get("HTTP_COOKIE")
    # parse_cookie is what request.COOKIES uses; it takes any text without raising.
    if cookies and session_in(parse_cookie(cookies)):
        return False
    return not counting.is_bot(environ.get("HTTP_USER_AGENT", ""))


class BeaconApplication:
    """Wraps Django's WSGI application; answers the beacons it can, passes on the rest."""

    def __init__(self, application: Application, count_request: CountRequest | None = None):
        self.application = application
        self.count_request = count_request

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return self.application(environ, start_response)
        path = environ.get("PATH_INFO", "")
        match = BEACON.match(path)
        now = time.time()
        if (
            match is None
            or not counting.knows_candidates(now)
            or (settings.SECURE_SSL_REDIRECT and not _secure(environ))
        ):
            return self.application(environ, start_response)
        started = time.perf_counter()
        if _reader(environ):
            address = client_address(
                environ.get("REMOTE_ADDR", ""), environ.get("HTTP_X_FORWARDED_FOR", "")
            )
            counting.record(int(match.group(1)), address, now)
        start_response("204 No Content", list(HEADERS))
        if self.count_request is not None:
            self.count_request(path, 204, "none", time.perf_counter() - started)
        return []
