"""Stored pages: what a view says about its page, and how a page is kept and answered.

A view decorated with `public_page(*keys)` builds the same page for every anonymous reader; its
page depends on EVERY_PAGE (the chrome around it) and on `keys`, and the view adds what it finds
while building (`depends_on`). Requests that carry a session (staff) or a pending message are
never served from, or stored into, the cache and are marked private.

When a stored page is out of date, one request in all processes builds it again, under a short
lock in the shared cache; the others meanwhile get the previous page if the change it misses
began less than PAGE_CACHE_STALE_SECONDS ago and took nothing down, or else wait a moment
(PAGE_CACHE_WAIT_SECONDS) for the new one, then build it themselves. A lock whose holder died
lapses after PAGE_CACHE_LOCK_SECONDS.

Public responses get an ETag, Last-Modified, a short shared max-age with stale-while-revalidate
for a proxy or CDN, `Vary: Cookie, Accept-Encoding`, and a gzip copy made once when stored (the
pages carry no secret or CSRF token, so BREACH has nothing to find). With an edge in front
(settings.EDGE_PURGER), they also name their keys and the edge's own, longer lifetime (`edge`).
"""

import gzip
import hashlib
import logging
import math
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta, tzinfo
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.cache import (
    add_never_cache_headers,
    get_conditional_response,
    patch_cache_control,
    patch_vary_headers,
)
from django.utils.http import http_date, parse_http_date_safe

from newsroom.pagecache import clock, edge, pieces, reads
from newsroom.pagecache.keys import cache_is_down, missed_since, versions
from newsroom.pagecache.pieces import Placed, Rendered

logger = logging.getLogger(__name__)

# The key every public page depends on: what surrounds every page (menus, ad slots, site
# settings). Bumping it retires every stored page.
EVERY_PAGE = "every-page"

PAGE_SECONDS = clock.KEEP_SECONDS
# What a proxy or browser may keep without asking: short, so publishing shows within seconds
# there too; then it may serve the old copy while it revalidates in the background.
SHARED_MAX_AGE = 5
STALE_WHILE_REVALIDATE = 30
# A page depending on a key it found while building (a story's tags, say) is stored only if the
# key was last bumped before building started: a bump is written after its transaction commits,
# so the rows read were the new ones. This margin covers the clocks of app servers disagreeing
# (NTP keeps them within milliseconds); a page bumped closer to its start is served, not stored.
# (Keys known when building starts are compared with their versions at that moment: exact.)
SETTLE_NS = 50_000_000
# However the settings say otherwise, no reader gets a page that misses a change older than this.
PROMISED_STALE_SECONDS = 1.0
# How often a request waiting for another's build looks for the page.
WAIT_POLL_SECONDS = 0.005
GZIP_MIN_BYTES = 1024
# Each process keeps copies of the pages it serves most, up to this many bytes.
LOCAL_BYTES = 16 * 1024 * 1024

PREFIX = "pages:1:"
# Headers the cache sets itself on each answer; never stored.
_OWN_HEADERS = {"cache-control", "content-length", "etag", "last-modified", "set-cookie", "expires"}


@dataclass
class PagePlan:
    """A page being built for the public: what it depends on, and when building started."""

    keys: set[str]
    seconds: int
    # The query parameters the view reads; the page is the same whatever the others say.
    reads: tuple[str, ...] = ()
    started_ns: int = field(default_factory=time.time_ns)
    # The versions of the keys known before building started, read then.
    initial: dict[str, int] = field(default_factory=dict)
    # The site's zone while the view runs: local midnight is the site's, not the server's.
    zone: tzinfo = field(default_factory=timezone.get_current_timezone)
    # The pieces the page has marks for, as built with it (`pieces`).
    pieces: dict[Placed, Rendered] = field(default_factory=dict)


def has_session(request: HttpRequest) -> bool:
    """A session (staff) or a pending message: the page may be personal."""
    return session_in(request.COOKIES)


def session_in(cookies: dict[str, str]) -> bool:
    """has_session() from the request's cookies alone."""
    return settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies


def depends_on(request: HttpRequest, *keys: str) -> None:
    """Record keys the page being built depends on (no-op outside a public page)."""
    plan = getattr(request, "page_plan", None)
    if plan is not None:
        plan.keys.update(keys)


def depends_on_before_reading(request: HttpRequest, *keys: str) -> None:
    """Record keys the page depends on, learnt before the rows they guard are read: their
    versions now are the ones to compare when storing, so the page is kept at once unless they
    change meanwhile (no settle wait — what a page polled by thousands right after each change
    needs)."""
    plan = getattr(request, "page_plan", None)
    if plan is None:
        return
    plan.keys.update(keys)
    if settings.PAGE_CACHE:
        plan.initial.update(versions(keys, fresh=True) or {})


def public_page(*keys: str, seconds: int = PAGE_SECONDS, reads: tuple[str, ...] = ()) -> Callable:
    """Decorate a view whose page is the same for every anonymous reader.

    The page depends on EVERY_PAGE and on `keys`; `reads` names the query parameters the view
    reads. `PageCacheMiddleware` stores and serves it.
    """

    def decorate(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if has_session(request):
                response = view(request, *args, **kwargs)
                # Staff may see drafts, previews and their own state: never shared, never stored.
                add_never_cache_headers(response)
                patch_vary_headers(response, ["Cookie"])
                return response
            plan = PagePlan({EVERY_PAGE, *keys}, seconds, reads)
            if settings.PAGE_CACHE:
                plan.initial = versions(plan.keys, fresh=True) or {}
            # Read back with getattr() by the middleware and by depends_on().
            request.page_plan = plan  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        # How PageCacheMiddleware knows, before the view runs, which parameters make the page.
        wrapper.page_reads = reads
        return wrapper

    return decorate


@dataclass
class CachedPage:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    gzipped: bytes | None
    etag: str
    last_modified: int
    expires_at: float
    versions: dict[str, int]
    # The view's own Cache-Control, if it set one (feeds: "public, no-cache"); else max-age.
    cache_control: str = ""
    # The keys the page was built from, named to the edge; until when the edge may keep it
    # (a purge tells it sooner): set only for a page stored from current versions.
    keys: tuple[str, ...] = ()
    edge_until: float = 0.0
    # The pieces it has marks for (`pieces`): served only with them set in (`assemble`), built
    # when need be in its language and the site's zone when it was built.
    pieces: tuple[Placed, ...] = ()
    zone: str = ""
    # This process's last assembly of it: (the pieces, the page with them set in).
    assembled: tuple[dict[Placed, Rendered], "CachedPage"] | None = None


def page_key(request: HttpRequest, reads: tuple[str, ...]) -> str:
    """The page's key: its address and the query parameters its view reads, no others (a
    `?utm_x=…` is the same page, not one more to keep)."""
    query = sorted((name, value) for name in reads for value in request.GET.getlist(name))
    parts = "\n".join(
        [
            request.scheme,  # type: ignore[list-item]  # always a str; the stubs say str | None
            request.get_host().lower(),
            request.path,
            urlencode(query),
        ]
    )
    return PREFIX + hashlib.blake2b(parts.encode(), digest_size=20).hexdigest()


def public_reads(path: str) -> tuple[str, ...] | None:
    """The query parameters the public page at `path` reads; None when it is not one."""
    try:
        view = resolve(path).func
    except Resolver404:
        return None
    if view_class := getattr(view, "view_class", None):  # a class-based view's dispatch()
        view = view_class.dispatch
    return getattr(view, "page_reads", None)


def now() -> float:
    # Django's clock (not time.time()), so that tests can move it past a go-live.
    return timezone.now().timestamp()


def _accepts_gzip(request: HttpRequest) -> bool:
    """Whether Accept-Encoding allows gzip: named, or "*", with a quality above 0."""
    qualities = {}
    for part in request.META.get("HTTP_ACCEPT_ENCODING", "").split(","):
        name, *params = (item.strip() for item in part.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        qualities[name.lower()] = quality
    return qualities.get("gzip", qualities.get("*", 0.0)) > 0


def _cache_control(response: HttpResponse, remaining: float) -> None:
    max_age = max(0, min(SHARED_MAX_AGE, int(remaining)))
    stale = max(0, min(STALE_WHILE_REVALIDATE, int(remaining) - max_age))
    patch_cache_control(response, public=True, max_age=max_age)
    if stale:
        patch_cache_control(response, stale_while_revalidate=stale)


def answer(request: HttpRequest, page: CachedPage, moment: float, served: str) -> HttpResponse:
    """The stored page as an answer to this request: gzip if asked for, or 304. `served` is
    how (X-Page-Cache): "hit", "miss" (built for this request) or "stale" (standing in)."""
    body = page.body
    response = HttpResponse(status=page.status)
    for name, value in page.headers:
        response.headers[name] = value
    etag = page.etag
    if page.gzipped is not None and _accepts_gzip(request):
        body = page.gzipped
        response.headers["Content-Encoding"] = "gzip"
        if not etag.startswith("W/"):
            etag = "W/" + etag  # another encoding of the same page: the same weak validator
    response.content = body
    response.headers["Content-Length"] = str(len(body))
    response.headers["ETag"] = etag
    response.headers["Last-Modified"] = http_date(page.last_modified)
    patch_vary_headers(response, ("Cookie", "Accept-Encoding"))
    response.headers["X-Page-Cache"] = served
    if page.cache_control:
        response.headers["Cache-Control"] = page.cache_control
    else:
        _cache_control(response, page.expires_at - moment)
    # A page standing in for the one being built is for this moment only.
    edge_until = 0.0 if served == "stale" else page.edge_until
    edge.annotate(response, page.keys, edge_until, moment)
    # Given a response, it returns that or a 304/412: never None, as the stubs allow.
    conditional: HttpResponse = get_conditional_response(  # type: ignore[assignment]
        request, etag=etag, last_modified=page.last_modified, response=response
    )
    if conditional is not response:
        # An edge revalidating its copy keeps the 304's headers: the lifetime and keys of now,
        # not of when it first fetched the page.
        edge.annotate(conditional, page.keys, edge_until, moment)
    return conditional


# What a public page may answer and have stored: a page, or the notice that it is gone.
STORED_STATUSES = {200, 410}


def storable(request: HttpRequest, response: HttpResponse) -> bool:
    if response.status_code not in STORED_STATUSES or response.streaming or response.cookies:
        return False
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):  # the page holds a CSRF token
        return False
    # "no-cache" (revalidate each time) is fine: this cache is the origin's, checked every time.
    control = response.get("Cache-Control", "")
    return not any(word in control for word in ("private", "no-store"))


class LocalPages:
    """This process's copies of recently served pages, least recently used dropped first.

    A copy is served only after the same check as a page from the shared cache (its versions
    against the shared ones, one get_many), so invalidation stays exact across processes; it
    saves fetching (and unpickling) the page from the shared cache on every request.
    """

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.pages: OrderedDict[str, CachedPage] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    @staticmethod
    def weight(page: CachedPage) -> int:
        return len(page.body) + len(page.gzipped or b"") + 1024

    def get(self, key: str) -> CachedPage | None:
        with self.lock:
            page = self.pages.get(key)
            if page is not None:
                self.pages.move_to_end(key)
            return page

    def put(self, key: str, page: CachedPage) -> None:
        with self.lock:
            old = self.pages.pop(key, None)
            if old is not None:
                self.size -= self.weight(old)
            self.pages[key] = page
            self.size += self.weight(page)
            while self.size > self.max_bytes and self.pages:
                _key, dropped = self.pages.popitem(last=False)
                self.size -= self.weight(dropped)

    def drop(self, key: str) -> None:
        with self.lock:
            old = self.pages.pop(key, None)
            if old is not None:
                self.size -= self.weight(old)


local_pages = LocalPages(LOCAL_BYTES)


def _current(page: CachedPage, moment: float) -> bool:
    return page.expires_at > moment and versions(page.versions) == page.versions


def find(key: str, moment: float) -> tuple[CachedPage | None, bool]:
    """The stored page under `key`, with its pieces set in, and whether it is current (its
    versions still the current ones); an out-of-date page is returned too, as a candidate to
    stand in, its pieces set in only if it does. A current page whose pieces cannot be had (the
    database down) is not found."""
    page, current = _stored(key, moment)
    if page is None or not page.pieces or not current:
        return page, current
    filled = assemble(page)
    return (filled, True) if filled is not None else (None, False)


def assemble(page: CachedPage) -> CachedPage | None:
    """The page with its pieces as they are now set in; None when one cannot be had."""
    if not page.pieces:
        return page
    language = next((v for k, v in page.headers if k.lower() == "content-language"), "")
    texts = pieces.current(page.pieces, language, page.zone)
    return None if texts is None else with_pieces(page, texts)


def with_pieces(page: CachedPage, texts: dict[Placed, Rendered]) -> CachedPage:
    """The page with `texts` set in at its pieces' marks. This process keeps its last copy of
    each page so filled."""
    if not page.pieces:
        return page
    if page.assembled is not None and page.assembled[0] == texts:
        return page.assembled[1]
    body = pieces.fill(page.body, texts)
    filled = replace(
        page,
        body=body,
        gzipped=gzip.compress(body, compresslevel=6, mtime=0)
        if len(body) >= GZIP_MIN_BYTES and page.versions
        else None,
        etag=f'W/"{hashlib.blake2b(body, digest_size=16).hexdigest()}"',
        # The pieces may be newer than the page: a copy made now is modified now.
        last_modified=max(page.last_modified, int(now())),
        keys=tuple(sorted({*page.keys, *pieces.keys_of(texts)})),
        pieces=(),
        assembled=None,
    )
    page.assembled = (texts, filled)
    return filled


def _stored(key: str, moment: float) -> tuple[CachedPage | None, bool]:
    local = local_pages.get(key)
    if local is not None and _current(local, moment):
        return local, True
    try:
        page = cache.get(key)
    except Exception:
        logger.warning("page cache unavailable", exc_info=True)
        return None, False
    if page is None:
        if local is not None and local.expires_at <= moment:
            local_pages.drop(key)
            return None, False
        return local, False
    if _current(page, moment):
        local_pages.put(key, page)
        return page, True
    if local is not None:
        local_pages.drop(key)
    return page, False


def lookup(key: str, moment: float) -> CachedPage | None:
    """The stored page under `key`, if its versions are still the current ones."""
    page, current = find(key, moment)
    return page if current else None


def may_stand_in(page: CachedPage, moment: float) -> bool:
    """Whether an out-of-date page may be served while its replacement is built: what it misses
    began at most PAGE_CACHE_STALE_SECONDS ago (never more than a second) and took nothing
    down."""
    limit = min(settings.PAGE_CACHE_STALE_SECONDS, PROMISED_STALE_SECONDS)
    if limit <= 0 or not page.versions or page.expires_at <= moment:
        return False
    since = missed_since(page.versions)
    return since is not None and time.time_ns() - since <= limit * 1e9


class RenderLock:
    """The right to build one page, held in the shared cache; it lapses by itself."""

    def __init__(self, key: str):
        self.name = key + ":building"
        self.token = uuid.uuid4().hex

    def acquire(self) -> bool:
        timeout = max(1, math.ceil(settings.PAGE_CACHE_LOCK_SECONDS))
        try:
            return bool(cache.add(self.name, self.token, timeout))
        except Exception:
            logger.warning("page cache unavailable", exc_info=True)
            return False

    def release(self) -> None:
        try:
            if cache.get(self.name) == self.token:
                cache.delete(self.name)
        except Exception:
            logger.warning("page cache unavailable", exc_info=True)


def take_turn(
    request: HttpRequest, key: str, page: CachedPage | None, moment: float
) -> HttpResponse | RenderLock | None:
    """For a page not current in the cache: a lock to build it under, or an answer (the previous
    page standing in, or the new one another request built meanwhile), or None: build it
    without the lock (the wait ran out, or the cache cannot hold locks)."""
    lock = RenderLock(key)
    if lock.acquire():
        return lock
    if cache_is_down():
        return None
    if page is not None and may_stand_in(page, moment) and (filled := assemble(page)) is not None:
        return answer(request, filled, moment, served="stale")
    deadline = time.monotonic() + settings.PAGE_CACHE_WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(WAIT_POLL_SECONDS)
        try:
            found = cache.get_many([key, lock.name])
        except Exception:
            return None
        built = found.get(key)
        moment = now()
        if (
            built is not None
            and _current(built, moment)
            and (filled := assemble(built)) is not None
        ):
            local_pages.put(key, built)
            return answer(request, filled, moment, served="hit")
        if lock.name not in found and lock.acquire():
            return lock  # its holder gave up, or could not store what it built
    return None


def _consistent(plan: PagePlan, current: dict[str, int]) -> bool:
    """Nothing the page depends on changed while it was built (as far as can be told)."""
    settled = plan.started_ns - SETTLE_NS
    for name in plan.keys:
        if name in plan.initial:
            if current[name] != plan.initial[name]:
                return False
        elif current[name] > settled:
            return False
    return True


def store(response: HttpResponse, plan: PagePlan, key: str | None) -> CachedPage:
    """The response as a CachedPage; kept in the cache when `key` is given and it is safe."""
    moment = timezone.now()
    stamp = moment.timestamp()
    body = response.content
    headers = [
        (name, value) for name, value in response.items() if name.lower() not in _OWN_HEADERS
    ]
    # A view's own validators (feeds set theirs) are kept.
    last_modified = parse_http_date_safe(response.get("Last-Modified", ""))
    page = CachedPage(
        status=response.status_code,
        headers=headers,
        body=body,
        gzipped=None,
        etag=response.get("ETag") or f'W/"{hashlib.blake2b(body, digest_size=16).hexdigest()}"',
        last_modified=int(stamp) if last_modified is None else last_modified,
        expires_at=stamp + min(plan.seconds, SHARED_MAX_AGE),
        versions={},
        cache_control=response.get("Cache-Control", ""),
        keys=tuple(sorted(plan.keys)),
        pieces=tuple(plan.pieces),
        zone=getattr(plan.zone, "key", "") if plan.pieces else "",
    )
    if key is None:
        return page
    current = versions(plan.keys | clock.watched_keys(), fresh=True)
    if current is None:
        return page
    if not _consistent(plan, current) or not reads.complete(current):
        return page  # changed while (or just before) this page was built, or read from behind
    changes = clock.next_change(moment, current, plan.zone)
    expires = min(moment + timedelta(seconds=plan.seconds), changes)
    page.expires_at = expires.timestamp()
    timeout = math.floor(page.expires_at - stamp)
    if timeout < 1:
        page.expires_at = stamp
        return page
    page.versions = {name: current[name] for name in plan.keys}
    # The edge is purged when a key changes, so it may keep the page longer than this cache:
    # up to EDGE_MAX_AGE (or the view's own shorter bound), never past the clock's next change.
    edge_seconds = settings.EDGE_MAX_AGE if plan.seconds >= PAGE_SECONDS else plan.seconds
    page.edge_until = min(moment + timedelta(seconds=edge_seconds), changes).timestamp()
    if len(body) >= GZIP_MIN_BYTES and not page.pieces:  # else made as it is served
        page.gzipped = gzip.compress(body, compresslevel=6, mtime=0)
    try:
        cache.set(key, page, timeout)
    except Exception:
        logger.warning("page cache unavailable", exc_info=True)
    local_pages.put(key, page)
    return page
