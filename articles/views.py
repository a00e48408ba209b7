"""The public site's story pages: a story, section, tag and author listings, date archives, search.

Every view evaluates its querysets here (templates only loop over lists) and reads what every
page shows from the cache, so each page costs a fixed, small number of queries however many
stories it lists. The front page is the chrome's (newsroom.chrome.views).
"""

from datetime import date, datetime, time
from functools import cached_property, wraps

from django.conf import settings
from django.core import signing
from django.core.paginator import InvalidPage, Page, Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
)
from django.middleware.csp import get_nonce
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django.views.generic.dates import DayArchiveView, MonthArchiveView, YearArchiveView
from taggit.models import Tag

from articles import around, seo
from articles.embeds.csp import header_for
from articles.invalidation import (
    LISTINGS,
    author_key,
    depends_on_stories,
    section_key,
    tag_key,
)
from articles.live.stream import address_of, stream
from articles.models import (
    PREVIEW_SALT,
    Article,
    Author,
    Section,
    Withdrawal,
    live_tag,
    load_bylines,
)
from articles.search import clean_query, highlight, match_limit, search_articles
from articles.slugs import ascii_slug
from articles.stories import languages, published_story, story_page_query
from articles.storybody import story_body
from newsroom.dates import LOWERCASE_NAMES, long_date
from newsroom.pagecache import depends_on, public_page, remembered

PAGE_SIZE = 20
# Lists go this deep (and count this far, no further); older stories are in the date archives.
MAX_PAGES = 50


def paginate(request: HttpRequest, paginator: Paginator) -> Page:
    """The requested page, evaluated; a page that is not a number or is out of range is a 404."""
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except InvalidPage as exc:
        raise Http404(_("No such page.")) from exc
    page.object_list = list(page.object_list)
    return page


class ListingPaginator(Paginator):
    """Pages of a list of stories that counts at most MAX_PAGES pages, once per change.

    `counted` is the list's own queryset, lean (no joins for teasers); the count is kept until
    a story joins or leaves the list (`count_keys`) or the clock changes it.
    """

    def __init__(self, object_list, counted, name: str, count_keys, **kwargs):
        super().__init__(object_list, PAGE_SIZE, **kwargs)
        self.counted = counted
        self.name = name
        self.count_keys = count_keys

    @cached_property
    def count(self) -> int:
        counted = self.counted.order_by().values("pk")[: MAX_PAGES * PAGE_SIZE]
        return remembered(f"count:{self.name}", self.count_keys, counted.count)


def listing_page(request: HttpRequest, queryset, keys, allow_empty: bool = True) -> Page:
    """A page of the stories in `queryset`, newest first; `keys` name the list for the cache."""
    depends_on(request, *keys)
    paginator = ListingPaginator(
        queryset.latest_first().teasers(),
        queryset,
        name=request.path,
        count_keys=keys or (LISTINGS,),
        allow_empty_first_page=allow_empty,
    )
    page = paginate(request, paginator)
    load_bylines(page.object_list)
    depends_on_stories(request, page.object_list)
    return page


def listing_meta(request: HttpRequest, page: Page, title: str, description: str = ""):
    """The page's heading and metadata; after the first page, its number is in the title."""
    url = request.path if page.number == 1 else f"{request.path}?page={page.number}"
    if page.number > 1:
        title = _("%(title)s, page %(number)s") % {"title": title, "number": page.number}
    return seo.PageMeta(
        title=title, description=seo.describe(description) or title, url=seo.absolute(request, url)
    )


def can_preview(request: HttpRequest) -> bool:
    """Staff who may read stories in the admin may read unpublished ones on the site."""
    user = request.user
    return user.is_active and user.is_staff and user.has_perm("articles.view_article")


def _previewed_story_id(token: str) -> int:
    """The id a signed preview link was made for; 404 when it is altered or expired."""
    try:
        value = signing.TimestampSigner(salt=PREVIEW_SALT).unsign(
            token, max_age=settings.PREVIEW_LINK_SECONDS
        )
        return int(value)
    except (signing.BadSignature, ValueError):  # SignatureExpired is a BadSignature
        raise Http404(_("This preview link is not valid, or has expired.")) from None


@require_safe
# A preview link (?preview=…) is never stored: PageCacheMiddleware skips it. A live page reads
# the page of its updates and their order.
@public_page(reads=("page", "order", "update"))
def detail(request: HttpRequest, year: int, month: int, day: int, slug: str) -> HttpResponse:
    # Unpublished stories are shown through this same view to staff who may read them in the
    # admin, and to anyone holding a signed preview link of that one story (?preview=…).
    token = request.GET.get("preview")
    previewer = token is not None or can_preview(request)
    lookup: dict[str, str | int] = {"slug": slug}
    if token is not None:
        lookup["pk"] = _previewed_story_id(token)
    try:
        if previewer:
            article = story_page_query(Article.objects.all()).get(**lookup)
        else:
            # Kept between requests, and shared with them: nothing here changes it.
            article = published_story(slug)
    except Article.DoesNotExist:
        withdrawn = Withdrawal.objects.filter(path=request.path).first()
        if withdrawn is None or token is not None:
            raise Http404(_("No such story.")) from None
        return gone(request, withdrawn)
    preview = not article.is_published()
    if token is not None and not preview:
        # Published since the link was made: send its holder to the public address.
        redirect = HttpResponseRedirect(article.get_absolute_url())
        add_never_cache_headers(redirect)
        return redirect
    if not preview and request.path != article.get_absolute_url():
        # The date in the address is the first publication's; a wrong one finds the story.
        target = article.get_absolute_url()
        if request.META.get("QUERY_STRING"):
            target += "?" + request.META["QUERY_STRING"]
        return HttpResponsePermanentRedirect(target)

    tags = article.tag_list
    # The story, its byline and its tags' names. The stories around it are a piece of the
    # stored page (articles.around), except in a preview, which is never stored.
    depends_on(request, *(tag_key(tag.pk) for tag in tags))
    depends_on_stories(request, [article, article.translation])
    related, previous, following = (
        around.around(article, tags, preview=True) if preview else ([], None, None)
    )
    if article.is_live_coverage and "update" in request.GET and not preview:
        depends_on_stories(request, [article])
        return HttpResponseRedirect(address_of(request, article, request.GET["update"]))
    live = stream(request, article) if article.is_live_coverage else None
    body = story_body(article.body)
    meta = seo.story_meta(request, article, preview)
    response = render(
        request,
        "articles/article_detail.html",
        {
            "article": article,
            "byline": article.byline,
            "tags": tags,
            "corrections": list(article.corrections.all()),
            "related": related,
            "previous": previous,
            "next": following,
            "around_keys": around.piece_keys(article, tags),
            "preview": preview,
            "meta": meta,
            "json_ld": seo.news_article(request, article, seo.story_images(request, article), live),
            "live": live,
            "live_poll_seconds": settings.LIVE_POLL_SECONDS,
            "translation": article.translation if meta.alternates else None,
            "share_url": seo.absolute(request, article.get_absolute_url()),
            **languages(article),
            "body": body,
        },
    )
    if body.providers:
        # Stored with the page by the page cache, and replayed with every copy of it.
        response.headers["Content-Security-Policy"] = header_for(body.providers)
    if preview or previewer:
        # A preview must never be stored by a browser or a shared cache, indexed, or leak its
        # link to another site through the Referer header.
        add_never_cache_headers(response)
        patch_vary_headers(response, ["Cookie"])
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


def unsaved_preview(
    request: HttpRequest, article: Article, byline: list[Author], tags: list[Tag], corrections
) -> HttpResponse:
    """A story as the form holds it, before (or without) saving: the page readers would get,
    with no related stories, never stored or indexed. The admin checks who may ask."""
    meta = seo.story_meta(request, article, preview=True)
    # Not stored yet: no address of its own.
    meta.url = seo.absolute(request, request.path)
    context = {
        "article": article,
        "byline": byline,
        "tags": tags,
        "corrections": corrections,
        "related": [],
        "preview": True,
        "meta": meta,
        **languages(article),
        "body": story_body(article.body),
    }
    response = render(request, "articles/article_detail.html", context)
    if providers := context["body"].providers:
        # The admin's own policy (with its nonce), opened for the embeds being previewed.
        response.headers["Content-Security-Policy"] = header_for(
            providers, settings.SECURE_CSP_ADMIN, get_nonce(request)
        )
    add_never_cache_headers(response)
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def gone(request: HttpRequest, withdrawn: Withdrawal) -> HttpResponse:
    """410 Gone: a short notice in the site's language; staff also see why and when."""
    # Another story may take the address: publishing it changes the lists.
    depends_on(request, LISTINGS)
    meta = seo.PageMeta(
        title=_("This story has been withdrawn"),
        description=_("This story has been withdrawn."),
        url=seo.absolute(request, request.path),
        noindex=True,
    )
    return render(
        request,
        "articles/gone.html",
        {"withdrawn": withdrawn, "meta": meta, "for_staff": request.user.is_staff},
        status=410,
    )


def _listing(
    request: HttpRequest,
    queryset,
    key: str,
    *,
    title: str,
    description: str = "",
    allow_empty: bool = True,
    template: str = "articles/article_list.html",
    **context,
) -> HttpResponse:
    """A page of stories; `key` names the list for the page cache (who joins or leaves it)."""
    page = listing_page(request, queryset, (key,), allow_empty)
    context.setdefault("show_section", "section" not in context)
    meta = listing_meta(request, page, title, description)
    return render(request, template, {"heading": title, "page": page, "meta": meta, **context})


@require_safe
@public_page(reads=("page",))
def section(request: HttpRequest, slug: str) -> HttpResponse:
    section = next((each for each in Section.objects.in_order() if each.slug == slug), None)
    if section is None:
        raise Http404(_("No such section."))
    return _listing(
        request,
        Article.objects.published().filter(section=section.pk),
        section_key(section.pk),
        title=section.name,
        description=section.description,
        section=section,
        feed_section=section,
        feed_url=reverse("articles:section-feed", kwargs={"slug": section.slug}),
    )


def ascii_tag_address(view):
    """A tag address from before tags were transliterated ("războiul-…", its feeds too)
    answers 301 with its ASCII one, when a live story carries that tag."""

    @wraps(view)
    def answer(request: HttpRequest, slug: str, **kwargs) -> HttpResponse:
        plain = ascii_slug(slug)
        if plain and plain != slug and live_tag(slug) is None and live_tag(plain):
            target = request.path.replace(f"/tag/{slug}/", f"/tag/{plain}/", 1)
            return HttpResponsePermanentRedirect(target)
        return view(request, slug=slug, **kwargs)

    return answer


@ascii_tag_address
@require_safe
@public_page(reads=("page",))
def tag(request: HttpRequest, slug: str) -> HttpResponse:
    tag = live_tag(slug)
    if tag is None:  # no such tag, or one on drafts only: not public (yet)
        raise Http404(_("No such tag."))
    return _listing(
        request,
        Article.objects.published().tagged(tag),
        tag_key(tag.pk),
        title=tag.name,
        allow_empty=False,
        tag=tag,
        feed_tag=tag,
        feed_url=reverse("articles:tag-feed", kwargs={"slug": tag.slug}),
    )


@require_safe
@public_page(reads=("page",))
def author(request: HttpRequest, slug: str) -> HttpResponse:
    author = get_object_or_404(Author.objects.select_related("picture"), slug=slug)
    return _listing(
        request,
        Article.objects.published().filter(bylines__author=author),
        author_key(author.pk),
        title=author.name,
        description=author.bio,
        template="articles/author_detail.html",
        author=author,
        feed_author=author,
        feed_url=reverse("articles:author-feed", kwargs={"slug": author.slug}),
    )


# --- Date archives ---------------------------------------------------------------------------
# Days and months are the site's, not UTC's: Django's date views bound them by midnights in the
# active time zone, which is the site's.


def month_name(moment: date) -> str:
    text = dateformat.format(moment, "F Y")
    return text.lower() if (get_language() or "").split("-")[0] in LOWERCASE_NAMES else text


class ArchiveMixin:
    """What the year, month and day archives share: live stories, newest first, 20 a page,
    with links to the nearest earlier and later periods that have stories."""

    kind: str
    date_field: str | None = "publish_at"
    month_format = "%m"
    day_format = "%d"
    # published() leaves the future out already; allowing it spares Django a second filter.
    allow_future = True
    # An empty period is a 404 all the same: its first page does not exist.
    allow_empty = False
    make_object_list = True
    template_name: str | None = "articles/archive.html"

    @method_decorator(require_safe)
    @method_decorator(public_page(LISTINGS, reads=("page",)))
    def dispatch(self, request, *args, **kwargs):
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        if not 1000 <= int(kwargs["year"]) <= 9998:
            raise Http404(_("No such date."))
        canonical = reverse(f"articles:archive-{self.kind}", kwargs=kwargs)
        if request.path != canonical:  # "2024/3/" is "2024/03/"
            query = request.META.get("QUERY_STRING")
            return HttpResponsePermanentRedirect(canonical + (f"?{query}" if query else ""))
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        # Django reads the neighbouring periods' first stories through this: their dates only.
        return Article.objects.published().only("publish_at")

    def get_dated_queryset(self, **lookup):
        # No emptiness query of its own: an empty period's first page is a 404 (allow_empty).
        return self.get_queryset().filter(**lookup)

    def get_date_list(self, queryset, date_type=None, ordering="ASC"):
        if self.kind != "year":
            return None
        months = remembered(
            f"months:{self.get_year()}:{timezone.get_current_timezone_name()}",
            [LISTINGS],
            lambda: list(queryset.datetimes("publish_at", "month")),
        )
        if not months:
            raise Http404(_("No stories in this period."))
        return months

    def paginate_queryset(self, queryset, page_size):
        page = listing_page(self.request, queryset, (), allow_empty=False)
        return page.paginator, page, page.object_list, page.has_other_pages()

    def get_paginate_by(self, queryset):
        return PAGE_SIZE

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = context["page_obj"]
        title = self.title(context)
        context.update(
            heading=title,
            page=page,
            meta=listing_meta(self.request, page, title),
            archive_kind=self.kind,
            show_section=True,
            previous_period=self.link(context[f"previous_{self.kind}"]),
            next_period=self.link(context[f"next_{self.kind}"]),
        )
        if self.kind == "year":
            context["months"] = [
                (month_name(month), self.link(month, "month")) for month in context["date_list"]
            ]
        return context

    def link(self, moment: date | datetime | None, kind: str = "") -> str:
        """The archive of the `kind` (by default this one's) of period holding `moment`."""
        if moment is None:
            return ""
        if isinstance(moment, datetime):
            moment = timezone.localtime(moment).date()
        kind = kind or self.kind
        parts = {"year": moment.year, "month": moment.month, "day": moment.day}
        names = {"year": ["year"], "month": ["year", "month"], "day": ["year", "month", "day"]}
        return reverse(f"articles:archive-{kind}", kwargs={n: parts[n] for n in names[kind]})

    def title(self, context) -> str:
        raise NotImplementedError


class YearArchive(ArchiveMixin, YearArchiveView):
    kind = "year"

    def title(self, context) -> str:
        return _("Stories from %(year)s") % {"year": context["year"].year}


class MonthArchive(ArchiveMixin, MonthArchiveView):
    kind = "month"

    def title(self, context) -> str:
        return _("Stories from %(month)s") % {"month": month_name(context["month"])}


class DayArchive(ArchiveMixin, DayArchiveView):
    kind = "day"

    # A day's page links to the neighbouring days only: Django need not look for the months.
    def get_previous_month(self, date):
        return None

    def get_next_month(self, date):
        return None

    def title(self, context) -> str:
        moment = timezone.make_aware(datetime.combine(context["day"], time.min))
        return _("Stories from %(date)s") % {"date": long_date(moment)}


@require_safe
@public_page(LISTINGS, seconds=60, reads=("q", "page"))
def search(request: HttpRequest) -> HttpResponse:
    query = clean_query(request.GET.get("q", ""))
    page = None
    exact_count = None
    if query:
        found = search_articles(Article.objects.published().with_byline(), query)
        paginator = Paginator(found, PAGE_SIZE)
        # The count runs the whole match again: kept until a story changes, like a list's.
        paginator.count = remembered(f"search:{query}", [LISTINGS], found.count)
        # How many hold the words as typed, accents included (they come first).
        exact_count = remembered(
            f"search-exact:{query}", [LISTINGS], found.filter(exact=True).count
        )
        page = paginate(request, paginator)
        highlight(page.object_list, query)
        title = _("Search results for “%(query)s”") % {"query": query}
    else:
        title = _("Search")
    # Result pages are for readers, not for search engines' indexes.
    meta = seo.PageMeta(
        title=title,
        description=title,
        url=seo.absolute(request, request.get_full_path()),
        noindex=True,
    )
    return render(
        request,
        "articles/search.html",
        {
            "query": query,
            "page": page,
            "exact_count": exact_count,
            "meta": meta,
            "match_limit": match_limit(),
        },
    )
