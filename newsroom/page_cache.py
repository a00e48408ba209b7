"""Whole public pages for anonymous readers, kept in the shared cache and dropped exactly.

A cached page records the versions of the dependency keys it was built from: "chrome" (menus,
ad slots, sections, site settings, wire services: every page), "listings" (anything a site-wide
list shows: home, archives, search, sitemaps, feeds), "section:<pk>", "tag:<pk>", "author:<pk>"
(the stories a section, tag or author lists, and its own name) and "article:<pk>" (one story as
printed anywhere). Every write bumps the versions of the keys it affects (`connect_signals`), so
the next request finds the page's recorded versions out of date and renders it afresh: one
`get_many` per request decides, in every process that shares the cache, and nothing is flushed.

A page also expires by itself when the clock alone changes it: at the next scheduled story's
go-live, the next start or end of an ad slot, and local midnight (teasers say "14:05" for today).

Requests that carry a session (staff) are never served from, or stored into, the cache and are
marked private; so are previews. Public responses get an ETag, Last-Modified, a short shared
max-age with stale-while-revalidate for a proxy or CDN, `Vary: Cookie, Accept-Encoding`, and a
gzip copy made once when stored (the pages carry no secret or CSRF token, so BREACH has nothing
to find).
"""

import gzip
import hashlib
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from functools import wraps

from django.conf import settings
from django.core.cache import cache, caches
from django.db import transaction
from django.db.models import Subquery
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import (
    add_never_cache_headers,
    get_conditional_response,
    patch_cache_control,
    patch_vary_headers,
)
from django.utils.http import http_date, parse_http_date_safe

logger = logging.getLogger(__name__)

CHROME = "chrome"
LISTINGS = "listings"

# The longest a page stays cached when nothing it shows changes.
PAGE_SECONDS = 600
# What a proxy or browser may keep without asking: short, so publishing shows within seconds
# there too; then it may serve the old copy while it revalidates in the background.
SHARED_MAX_AGE = 5
STALE_WHILE_REVALIDATE = 30
# A page whose dependencies were bumped this recently is served but not stored: its rows may
# have been read before the change committed. Also covers clock skew between app servers.
SETTLE_NS = 500_000_000
GZIP_MIN_BYTES = 1024
# Each process keeps copies of the pages it serves most, up to this many bytes.
LOCAL_BYTES = 16 * 1024 * 1024

_ENTRY_PREFIX = "pages:1:"
_VERSION_PREFIX = "pages:v:"
_NEXT_CHANGE_PREFIX = "pages:next:"
_SECONDS_PER_DAY = 86400
# Headers the cache sets itself on each answer; never stored.
_OWN_HEADERS = {"cache-control", "content-length", "etag", "last-modified", "set-cookie", "expires"}


def article_key(pk) -> str:
    return f"article:{pk}"


def section_key(pk) -> str:
    return f"section:{pk}"


def tag_key(pk) -> str:
    return f"tag:{pk}"


def author_key(pk) -> str:
    return f"author:{pk}"


# --- Versions ----------------------------------------------------------------------------------


def versions(keys: Iterable[str]) -> dict[str, int] | None:
    """The current version of each key (one get_many), or None when the cache cannot tell.

    A key never seen (or evicted) gets a new, negative version: unlike a bump it is no sign of a
    recent write, and it differs from anything recorded before, so nothing stale matches it.
    """
    names = {_VERSION_PREFIX + key: key for key in keys}
    if _cache_is_down():
        return None
    near = settings.PAGE_CACHE_NEAR_SECONDS
    found = near_versions.recent(names, near) if near and _shared_cache_is_remote() else {}
    wanted = [name for name in names if name not in found]
    if wanted:
        try:
            fetched = cache.get_many(wanted)
            missing = [name for name in wanted if name not in fetched]
            if missing:
                for name in missing:
                    cache.add(name, -time.time_ns(), None)
                fetched.update(cache.get_many(missing))
        except Exception:
            logger.warning("page cache unavailable", exc_info=True)
            return None
        near_versions.remember(fetched)
        found.update(fetched)
    if len(found) < len(names):  # dummy cache, or an outage
        return None
    return {names[name]: value for name, value in found.items()}


class NearVersions:
    """Versions read from a remote cache, reused for a fraction of a second in this process.

    Off unless PAGE_CACHE_NEAR_SECONDS is set (deploy/gunicorn.conf.py sets half a second): a
    bump made here is seen here at once, one made by another process within that time. That
    keeps invalidation within the promised second while a busy page costs no round trip to
    Redis on most requests. (With the local-memory cache it is never used: reads are free.)
    """

    def __init__(self):
        self.values: dict[str, tuple[int, float]] = {}
        self.lock = threading.Lock()

    def recent(self, names, seconds: float) -> dict[str, int]:
        fresh_after = time.monotonic() - seconds
        values = self.values
        found = {}
        for name in names:
            entry = values.get(name)
            if entry is not None and entry[1] > fresh_after:
                found[name] = entry[0]
        return found

    def remember(self, values: dict[str, int]) -> None:
        now = time.monotonic()
        with self.lock:
            if len(self.values) > 50_000:
                self.values.clear()
            for name, value in values.items():
                self.values[name] = (value, now)


near_versions = NearVersions()


def _shared_cache_is_remote() -> bool:
    backend = settings.CACHES["default"]["BACKEND"]
    return not backend.endswith(("LocMemCache", "DummyCache"))


def _cache_is_down() -> bool:
    """The resilient Redis cache is pausing after a failure: nothing cached can be checked."""
    return getattr(caches["default"], "_down_until", 0.0) > time.monotonic()


def version(key: str) -> int:
    """One key's version; a fresh value each call when the cache is unavailable."""
    current = versions([key])
    return current[key] if current else time.time_ns()


def _write_versions(keys: frozenset[str]) -> None:
    stamp = time.time_ns()
    values = {_VERSION_PREFIX + key: stamp for key in keys}
    try:
        cache.set_many(values, None)
    except Exception:
        logger.warning("cannot invalidate cached pages", exc_info=True)
    near_versions.remember(values)


def bump(*keys: str) -> None:
    """Make every cached page that depends on one of these keys stale, in every process.

    Bumped at once and again when the transaction commits, so a page rebuilt from the old rows
    meanwhile is not kept.
    """
    if not keys:
        return
    bumped = frozenset(keys)
    _write_versions(bumped)
    transaction.on_commit(lambda: _write_versions(bumped), robust=True)


def invalidate_all() -> None:
    """Every page depends on the chrome: for bulk loads, where the affected pages are unknown."""
    bump(CHROME, LISTINGS)


# --- When the clock alone changes pages -----------------------------------------------------------


def _next_scheduled_change(now: datetime) -> datetime | None:
    """The next go-live of a scheduled story, or start or end of an ad slot: one query."""
    from articles.models import Article
    from newsroom.models import AdSlot, SiteSettings

    def first(queryset, field_name: str) -> Subquery:
        return Subquery(queryset.order_by(field_name).values(field_name)[:1])

    slots = AdSlot.objects.filter(is_active=True)
    row = (
        SiteSettings.objects.filter(pk=1)
        .values(
            story=first(Article.objects.scheduled(), "publish_at"),
            ad_start=first(slots.filter(starts_at__gt=now), "starts_at"),
            ad_end=first(slots.filter(ends_at__gt=now), "ends_at"),
        )
        .first()
    )
    if row is None:  # no settings row yet: ask separately
        times = [
            Article.objects.scheduled().order_by("publish_at").values_list("publish_at").first(),
            slots.filter(starts_at__gt=now).order_by("starts_at").values_list("starts_at").first(),
            slots.filter(ends_at__gt=now).order_by("ends_at").values_list("ends_at").first(),
        ]
        moments = [moment[0] for moment in times if moment and moment[0] is not None]
    else:
        moments = [moment for moment in row.values() if isinstance(moment, datetime)]
    return min(moments, default=None)


# Next changes this process has read, by the versions they were computed for (they never
# change for those versions, except by the clock, which is checked on every use).
_next_changes: dict[str, tuple] = {}


def next_change(now: datetime, current: dict[str, int], zone: tzinfo) -> datetime:
    """The next moment a page may change with nobody saving anything, cached per version."""
    key = f"{_NEXT_CHANGE_PREFIX}{current[LISTINGS]}:{current[CHROME]}"
    cached = _next_changes.get(key)  # this process's copy first: no round trip
    if cached is None:
        try:
            cached = cache.get(key)
        except Exception:
            cached = None
    if cached is not None and (cached[0] is None or cached[0] > now):
        moment = cached[0]
        if len(_next_changes) > 256:
            _next_changes.clear()
        _next_changes[key] = cached
    else:
        moment = _next_scheduled_change(now)
        seconds = _SECONDS_PER_DAY if moment is None else (moment - now).total_seconds()
        try:
            cache.set(key, (moment,), max(1, min(_SECONDS_PER_DAY, math.ceil(seconds))))
        except Exception:
            logger.warning("page cache unavailable", exc_info=True)
    local = timezone.localtime(now, zone)
    midnight = timezone.make_aware(
        datetime.combine(local.date() + timedelta(days=1), datetime.min.time()), zone
    )
    return min(moment, midnight) if moment else midnight


def remembered(name: str, keys: Iterable[str], compute: Callable[[], object]):
    """compute(), kept in the cache until one of `keys` is bumped or the clock changes pages.

    For costly facts a page prints, such as how many stories a list holds: computed once per
    change instead of on every render of a page that is not (or cannot be) cached whole.
    """
    keys = set(keys)
    current = versions(keys | {LISTINGS, CHROME})
    if current is None:
        return compute()
    stamp = ":".join(f"{key}={current[key]}" for key in sorted(keys))
    cache_key = (
        "pages:value:" + hashlib.blake2b(f"{name}|{stamp}".encode(), digest_size=20).hexdigest()
    )
    now = timezone.now()
    try:
        found = cache.get(cache_key)
    except Exception:
        found = None
    if found is not None and found[1] > now:
        return found[0]
    value = compute()
    until = min(now + timedelta(seconds=PAGE_SECONDS), next_change(now, current, _zone()))
    timeout = math.floor((until - now).total_seconds())
    if timeout >= 1:
        try:
            cache.set(cache_key, (value, until), timeout)
        except Exception:
            logger.warning("page cache unavailable", exc_info=True)
    return value


def _zone() -> tzinfo:
    return timezone.get_current_timezone()


@dataclass(frozen=True)
class ChromeState:
    """What the chrome (menus, ad slots, sections, site settings) is now, and until when."""

    version: int
    until: datetime


def chrome_state(request: HttpRequest | None) -> ChromeState | None:
    """The chrome's version and how long it holds, read once per request; None if unknown."""
    state = getattr(request, "_chrome_state", None) if request is not None else None
    if state is not None:
        return state
    current = versions([CHROME, LISTINGS])
    if current is None:
        return None
    now = timezone.now()
    until = min(now + timedelta(seconds=PAGE_SECONDS), next_change(now, current, _zone()))
    state = ChromeState(current[CHROME], until)
    if request is not None:
        request._chrome_state = state  # type: ignore[attr-defined]  # per-request memo
    return state


# --- What a view says about its page -----------------------------------------------------------


@dataclass
class PagePlan:
    """A page being built for the public: what it depends on, and when building started."""

    keys: set[str]
    seconds: int
    started_ns: int = field(default_factory=time.time_ns)
    # When the view knows the page's own next change (feeds do), the general one is not asked.
    until: datetime | None = None
    # The site's zone while the view runs: local midnight is the site's, not the server's.
    zone: tzinfo = field(default_factory=timezone.get_current_timezone)


def has_session(request: HttpRequest) -> bool:
    """A session (staff) or a pending message: the page may be personal."""
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies


def depends_on(request: HttpRequest, *keys: str) -> None:
    """Record keys the page being built depends on (no-op outside a public page)."""
    plan = getattr(request, "page_plan", None)
    if plan is not None:
        plan.keys.update(keys)


def depends_on_stories(request: HttpRequest, stories: Iterable) -> None:
    """The page prints these stories: their text, and the bylines prefetched with them."""
    plan = getattr(request, "page_plan", None)
    if plan is None:
        return
    for story in stories:
        if story is None:
            continue
        plan.keys.add(article_key(story.pk))
        prefetched = getattr(story, "_prefetched_objects_cache", {})
        for link in prefetched.get("bylines", ()):
            plan.keys.add(author_key(link.author_id))


def public_page(*keys: str, seconds: int = PAGE_SECONDS) -> Callable:
    """Decorate a view whose page is the same for every anonymous reader.

    The page depends on the chrome and on `keys`; the view adds what it finds while building
    (`depends_on`, `depends_on_stories`). `PageCacheMiddleware` stores and serves it.
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
            # Read back with getattr() by the middleware and the views that extend the plan.
            request.page_plan = PagePlan(keys={CHROME, *keys}, seconds=seconds)  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


# --- Stored pages ------------------------------------------------------------------------------


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


def page_key(request: HttpRequest) -> str:
    parts = "\n".join(
        [
            request.scheme,  # type: ignore[list-item]  # always a str; the stubs say str | None
            request.get_host().lower(),
            request.path,
            request.META.get("QUERY_STRING", ""),
        ]
    )
    return _ENTRY_PREFIX + hashlib.blake2b(parts.encode(), digest_size=20).hexdigest()


def _now() -> float:
    # Django's clock (not time.time()), so that tests can move it past a go-live.
    return timezone.now().timestamp()


def _accepts_gzip(request: HttpRequest) -> bool:
    return "gzip" in request.META.get("HTTP_ACCEPT_ENCODING", "")


def _cache_control(response: HttpResponse, remaining: float) -> None:
    max_age = max(0, min(SHARED_MAX_AGE, int(remaining)))
    stale = max(0, min(STALE_WHILE_REVALIDATE, int(remaining) - max_age))
    patch_cache_control(response, public=True, max_age=max_age)
    if stale:
        patch_cache_control(response, stale_while_revalidate=stale)


def _finish(request: HttpRequest, page: CachedPage, now: float, hit: bool) -> HttpResponse:
    """The stored page as an answer to this request: gzip if asked for, or 304."""
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
    response.headers["X-Page-Cache"] = "hit" if hit else "miss"
    if page.cache_control:
        response.headers["Cache-Control"] = page.cache_control
    else:
        _cache_control(response, page.expires_at - now)
    # Given a response, it returns that or a 304/412: never None, as the stubs allow.
    return get_conditional_response(  # type: ignore[return-value]
        request, etag=etag, last_modified=page.last_modified, response=response
    )


def _storable(request: HttpRequest, response: HttpResponse) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
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


def _lookup(request: HttpRequest, key: str, now: float) -> CachedPage | None:
    page = local_pages.get(key)
    shared = page is None
    if shared:
        try:
            page = cache.get(key)
        except Exception:
            logger.warning("page cache unavailable", exc_info=True)
            return None
    if page is None:
        return None
    if page.expires_at <= now or versions(page.versions) != page.versions:
        local_pages.drop(key)
        return None
    if shared:
        local_pages.put(key, page)
    return page


def _store(
    request: HttpRequest, response: HttpResponse, plan: PagePlan, key: str | None
) -> CachedPage:
    """The response as a CachedPage; kept in the cache when `key` is given and it is safe."""
    moment = timezone.now()
    now = moment.timestamp()
    body = response.content
    headers = [
        (name, value) for name, value in response.items() if name.lower() not in _OWN_HEADERS
    ]
    # A view's own validators (feeds compute theirs) are kept.
    last_modified = parse_http_date_safe(response.get("Last-Modified", ""))
    page = CachedPage(
        status=response.status_code,
        headers=headers,
        body=body,
        gzipped=None,
        etag=response.get("ETag") or f'W/"{hashlib.blake2b(body, digest_size=16).hexdigest()}"',
        last_modified=int(now) if last_modified is None else last_modified,
        expires_at=now + min(plan.seconds, SHARED_MAX_AGE),
        versions={},
        cache_control=response.get("Cache-Control", ""),
    )
    if key is None:
        return page
    current = versions(plan.keys | ({LISTINGS} if plan.until is None else set()))
    if current is None:
        return page
    settled = plan.started_ns - SETTLE_NS
    if any(current[name] > settled for name in plan.keys):
        return page  # changed while (or just before) this page was built
    changes = plan.until or next_change(moment, current, plan.zone)
    expires = min(moment + timedelta(seconds=plan.seconds), changes)
    page.expires_at = now + (expires - moment).total_seconds()
    timeout = math.floor(page.expires_at - now)
    if timeout < 1:
        page.expires_at = now
        return page
    page.versions = {name: current[name] for name in plan.keys}
    if len(body) >= GZIP_MIN_BYTES:
        page.gzipped = gzip.compress(body, compresslevel=6, mtime=0)
    try:
        cache.set(key, page, timeout)
    except Exception:
        logger.warning("page cache unavailable", exc_info=True)
    local_pages.put(key, page)
    return page


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
            now = _now()
            page = _lookup(request, key, now)
            if page is not None:
                return _finish(request, page, now, hit=True)
        response = self.get_response(request)
        plan = getattr(request, "page_plan", None)
        if plan is None and key is not None and response.status_code == 200:
            self.not_public[request.path] = None
            if len(self.not_public) > 4096:
                self.not_public.popitem(last=False)
        if plan is None or response.status_code != 200:
            return response
        if not _storable(request, response):
            return response
        page = _store(request, response, plan, key)
        finished = _finish(request, page, _now(), hit=False)
        if key is None or not page.versions:
            del finished.headers["X-Page-Cache"]
        return finished


# --- What each write bumps --------------------------------------------------------------------


def _published(status) -> bool:
    from articles.models import Article

    return status == Article.Status.PUBLISHED


def _story_is_published(article_id) -> bool:
    from articles.models import Article

    return Article.objects.filter(pk=article_id, status=Article.Status.PUBLISHED).exists()


def _membership_keys(article) -> set[str]:
    """The lists a story belongs to: its section, tags and authors."""
    from articles.models import ArticleAuthor

    keys = {section_key(article.section_id)}
    keys.update(tag_key(pk) for pk in _tag_ids(article.pk))
    authors = ArticleAuthor.objects.filter(article_id=article.pk).values_list(
        "author_id", flat=True
    )
    keys.update(author_key(pk) for pk in authors)
    return keys


def _tag_ids(*article_ids) -> list[int]:
    from django.contrib.contenttypes.models import ContentType
    from taggit.models import TaggedItem

    from articles.models import Article

    content_type = ContentType.objects.get_for_model(Article)
    return list(
        TaggedItem.objects.filter(content_type=content_type, object_id__in=article_ids)
        .values_list("tag_id", flat=True)
        .distinct()
    )


def _linked_from_menu(article_id) -> bool:
    from newsroom.models import MenuItem

    return MenuItem.objects.filter(article_id=article_id).exists()


def _remember_article(sender, instance, raw=False, **kwargs) -> None:
    """pre_save/pre_delete: what the story was, to tell which lists it leaves."""
    if raw or instance.pk is None or instance._state.adding:
        instance._page_cache_before = None
        return
    instance._page_cache_before = (
        sender._base_manager.filter(pk=instance.pk)
        .values("status", "publish_at", "section_id")
        .first()
    )


def _article_changed(sender, instance, created=False, raw=False, **kwargs) -> None:
    if raw:
        return
    before = instance.__dict__.pop("_page_cache_before", None)
    deleted = kwargs.get("signal") is post_delete
    keys = {article_key(instance.pk)}
    was_public = before is not None and _published(before["status"])
    is_public = not deleted and _published(instance.status)
    if was_public or is_public:
        keys.add(LISTINGS)
        now = {
            "status": instance.status,
            "publish_at": instance.publish_at,
            "section_id": instance.section_id,
        }
        if created or deleted or before is None or before != now:
            # It joins, leaves or moves within lists: every list it is or was in is stale.
            keys |= _membership_keys(instance)
            if before is not None:
                keys.add(section_key(before["section_id"]))
        if _linked_from_menu(instance.pk):
            keys.add(CHROME)  # a menu link to it appears, moves or goes
    bump(*keys)


def _byline_changed(sender, instance, raw=False, **kwargs) -> None:
    if raw:
        return
    keys = [article_key(instance.article_id), author_key(instance.author_id)]
    if _story_is_published(instance.article_id):
        keys.append(LISTINGS)
    bump(*keys)


def _tagging_changed(sender, instance, raw=False, **kwargs) -> None:
    if raw:
        return
    from django.contrib.contenttypes.models import ContentType

    from articles.models import Article

    if instance.content_type_id != ContentType.objects.get_for_model(Article).pk:
        return
    keys = [article_key(instance.object_id), tag_key(instance.tag_id)]
    if _story_is_published(instance.object_id):
        keys.append(LISTINGS)
    bump(*keys)


def _correction_changed(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        bump(article_key(instance.article_id))


def _keyed(make_key: Callable[[int], str], *extra: str) -> Callable:
    def receiver(sender, instance, raw=False, **kwargs) -> None:
        if not raw:
            bump(make_key(instance.pk), *extra)

    return receiver


def _chrome_changed(sender, raw=False, **kwargs) -> None:
    if not raw:
        bump(CHROME)


def connect_signals() -> None:
    """Wire every write the public pages show to the keys it bumps (ArticlesConfig.ready)."""
    from taggit.models import Tag, TaggedItem

    from articles.models import Article, ArticleAuthor, Author, Correction, Section, WireService
    from newsroom.models import AdSlot, Menu, MenuItem, SiteSettings

    def on_save_and_delete(receiver, model, name):
        post_save.connect(receiver, sender=model, dispatch_uid=f"pages-save-{name}")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"pages-delete-{name}")

    pre_save.connect(_remember_article, sender=Article, dispatch_uid="pages-before-article")
    pre_delete.connect(_remember_article, sender=Article, dispatch_uid="pages-before-delete")
    on_save_and_delete(_article_changed, Article, "article")
    on_save_and_delete(_byline_changed, ArticleAuthor, "byline")
    on_save_and_delete(_tagging_changed, TaggedItem, "tagging")
    on_save_and_delete(_correction_changed, Correction, "correction")
    # A section's name is in every page's footer; a wire credit can be anywhere.
    on_save_and_delete(_keyed(section_key, CHROME, LISTINGS), Section, "section")
    on_save_and_delete(_keyed(author_key, LISTINGS), Author, "author")
    on_save_and_delete(_keyed(tag_key, LISTINGS), Tag, "tag")
    on_save_and_delete(_keyed(lambda pk: CHROME, LISTINGS), WireService, "wire")
    for model in (Menu, MenuItem, AdSlot, SiteSettings):
        on_save_and_delete(_chrome_changed, model, model.__name__)


def stories_updating(queryset, fields: Iterable[str]) -> list[tuple] | None:
    """Before QuerySet.update() of stories: the rows it touches, when pages show its fields."""
    if not set(fields) - INVISIBLE_FIELDS:
        return None
    return list(queryset.values_list("pk", "status", "section_id"))


def stories_updated(rows: list[tuple] | None, fields: dict) -> None:
    """After QuerySet.update(): the keys a save() of each story would bump."""
    if not rows:
        return
    from articles.models import ArticleAuthor
    from newsroom.models import MenuItem

    pks = [pk for pk, _status, _section in rows]
    keys = {article_key(pk) for pk in pks}
    public = [pk for pk, status, _section in rows if _published(status)]
    if public or _published(fields.get("status")):
        keys.add(LISTINGS)
        if set(fields) & MEMBERSHIP_FIELDS:
            if len(rows) > BULK_ROWS:
                keys.add(CHROME)  # too many lists to name: every page
            else:
                keys.update(section_key(section) for _pk, _status, section in rows)
                new_section = fields.get("section_id", fields.get("section"))
                if new_section is not None:
                    keys.add(section_key(getattr(new_section, "pk", new_section)))
                keys.update(tag_key(pk) for pk in _tag_ids(*pks))
                authors = ArticleAuthor.objects.filter(article_id__in=pks).values_list(
                    "author_id", flat=True
                )
                keys.update(author_key(pk) for pk in authors)
        if MenuItem.objects.filter(article_id__in=pks[:BULK_ROWS]).exists():
            keys.add(CHROME)
    bump(*keys)


# Fields no page prints; updating only these leaves every page as it was. (The search vector
# is not one: it decides what search pages find.)
INVISIBLE_FIELDS = frozenset(
    {"version", "modified_by", "modified_by_id", "created_by", "created_by_id"}
)
MEMBERSHIP_FIELDS = frozenset({"status", "publish_at", "section", "section_id"})
BULK_ROWS = 1000
