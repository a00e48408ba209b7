"""The public site: home, story, section, tag and author listings, and the date archives.

Every view evaluates its querysets here (templates only loop over lists) and reads the site's
chrome (sections, menus, ad slots) from the cache, so each page costs a fixed, small number of
queries however many stories it lists.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.core.paginator import InvalidPage, Page, Paginator
from django.db import connections
from django.db.models import (
    Count,
    F,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Window,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce, RowNumber
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from taggit.models import Tag, TaggedItem

from articles.models import PREVIEW_SALT, Article, ArticleAuthor, Author
from articles.renditions import best_jpeg
from articles.search import clean_query, highlight, match_limit, search_articles
from newsroom import menus, page_cache
from newsroom.dates import LOWERCASE_NAMES, long_date
from newsroom.models import SiteSettings
from newsroom.page_cache import LISTINGS, public_page

PAGE_SIZE = 20
HOME_TOP = 4
HOME_LATEST = 10
HOME_CANDIDATES = 24
SECTION_BLOCK = 4
RELATED = 4
# Related stories are ranked among this many of the newest sharing a tag: a cost that does not
# grow with the archive.
RELATED_CANDIDATES = 40
# Lists go this deep (and count this far, no further); older stories are in the date archives.
MAX_PAGES = 50


@dataclass
class PageMeta:
    """What the <head> says about a page to search engines and sharing previews."""

    title: str
    description: str
    url: str
    kind: str = "website"
    image: str = ""
    image_alt: str = ""
    noindex: bool = False


def _absolute(request: HttpRequest, url: str) -> str:
    return request.build_absolute_uri(url)


def _image_url(request: HttpRequest, article: Article) -> str:
    """An absolute URL of the lead image at sharing size, or ""."""
    if not article.image:
        return ""
    return _absolute(request, best_jpeg(article.image_renditions) or article.image.url)


def _describe(text: str, words: int = 40) -> str:
    return Truncator(strip_tags(text or "").strip()).words(words, truncate="…")


def _site(request: HttpRequest) -> SiteSettings:
    return getattr(request, "site_settings", None) or SiteSettings.load()


def paginate(request: HttpRequest, queryset, allow_empty: bool = True, paginator=None) -> Page:
    """The requested page, evaluated; a page that is not a number or is out of range is a 404."""
    paginator = paginator or Paginator(queryset, PAGE_SIZE, allow_empty_first_page=allow_empty)
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except InvalidPage as exc:
        raise Http404(_("No such page.")) from exc
    page.object_list = list(page.object_list)
    return page


class ListingPaginator(Paginator):
    """Pages of a list of stories that counts at most MAX_PAGES pages, once per change.

    `counted` is the list's own queryset, lean (no joins for teasers); the count is kept in the
    cache, under `name`, until a story joins or leaves the list (`count_keys`) or the clock
    changes it.
    """

    def __init__(self, object_list, counted, name: str, count_keys, **kwargs):
        super().__init__(object_list, PAGE_SIZE, **kwargs)
        self.counted = counted
        self.name = name
        self.count_keys = count_keys

    @cached_property
    def count(self) -> int:
        counted = self.counted.order_by().values("pk")[: MAX_PAGES * PAGE_SIZE]
        return page_cache.remembered(f"count:{self.name}", self.count_keys, counted.count)


def _page_url(request: HttpRequest, page: Page) -> str:
    """The page's canonical address: the path, plus ?page=N after the first page."""
    if page.number > 1:
        return _absolute(request, f"{request.path}?page={page.number}")
    return _absolute(request, request.path)


def can_preview(request: HttpRequest) -> bool:
    """Staff who may read stories in the admin may read unpublished ones on the site."""
    user = request.user
    return user.is_active and user.is_staff and user.has_perm("articles.view_article")


def _bylines(teaser: bool = False) -> Prefetch:
    """The byline in order; a teaser prints only the names (no photo or bio to load)."""
    links = ArticleAuthor.objects.select_related("author").order_by("position")
    if teaser:
        links = links.only("article", "position", "author__name", "author__slug")
    return Prefetch("bylines", queryset=links)


# What a teaser prints; the body (and anything else heavy) stays in the database.
TEASER_FIELDS = (
    "headline",
    "slug",
    "standfirst",
    "section",
    "wire_service",
    "wire_attribution",
    "image",
    "image_width",
    "image_height",
    "image_alt",
    "image_renditions",
    "status",
    "publish_at",
)


def _teasers(queryset):
    """Stories as teasers: the fields a teaser prints, with section and wire service."""
    return queryset.select_related("section", "wire_service").only(*TEASER_FIELDS)


def _listed(queryset):
    """A listing's stories with what a teaser prints: section, wire credit, byline."""
    return _teasers(queryset).prefetch_related(_bylines(teaser=True))


def _section_block_ids(published, sections, shown: list[int]) -> list[int]:
    """Ids of the newest SECTION_BLOCK stories of each section, not counting those shown.

    On PostgreSQL, one query of per-section index scans (UNION ALL of LIMITed branches): the
    cost stays flat however many stories a section holds. Elsewhere, a window function.
    """
    stories = published.exclude(pk__in=shown).only("section", "publish_at")
    if connections[stories.db].features.supports_slicing_ordering_in_compound:
        branches = [
            stories.filter(section=section.pk).latest_first()[:SECTION_BLOCK]
            for section in sections
        ]
        ranked = list(branches[0].union(*branches[1:], all=True))
        ranked.sort(key=lambda story: (story.publish_at, story.pk), reverse=True)
        return [story.pk for story in ranked]
    return [
        story.pk
        for story in stories.filter(section__in=[section.pk for section in sections])
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("section_id")],
                order_by=[F("publish_at").desc(), F("pk").desc()],
            )
        )
        .filter(rank__lte=SECTION_BLOCK)
        .order_by("section_id", "rank")
    ]


def _section_blocks(published, sections, shown: list[int]) -> list[Article]:
    """The teasers of _section_block_ids(). Which stories they are is kept in the cache until a
    story joins or leaves one of the sections (or the clock publishes one), since building
    the per-section query costs more than running it; the teasers are read fresh, in one
    query."""
    section_ids = [section.pk for section in sections]
    ids = page_cache.remembered(
        f"home-blocks:{section_ids}:{shown}",
        [page_cache.section_key(pk) for pk in section_ids],
        lambda: _section_block_ids(published, sections, shown),
    )
    found = {story.pk: story for story in _teasers(published).filter(pk__in=ids)}
    return [found[pk] for pk in ids if pk in found]


@require_GET
@public_page(LISTINGS)
def index(request: HttpRequest) -> HttpResponse:
    published = Article.objects.published()
    candidates = list(_teasers(published).latest_first()[:HOME_CANDIDATES])

    lead = None
    pinned_id = _site(request).lead_article_id
    if pinned_id:
        lead = next((story for story in candidates if story.pk == pinned_id), None)
        if lead is None:
            lead = _teasers(published).filter(pk=pinned_id).first()
    if lead is None and candidates:
        lead = candidates[0]
    rest = [story for story in candidates if story != lead]
    # Top stories are the newest ones with a picture; the rest of the newest are "Latest".
    top = [story for story in rest if story.image][:HOME_TOP]
    if len(top) < HOME_TOP:
        top += [story for story in rest if story not in top][: HOME_TOP - len(top)]
    latest = [story for story in rest if story not in top][:HOME_LATEST]

    shown = [story.pk for story in [lead, *top] if story]
    home_sections = [section for section in menus.sections() if section.show_on_home]
    blocks = []
    if home_sections:
        by_section: dict[int, list[Article]] = {}
        for story in _section_blocks(published, home_sections, shown):
            by_section.setdefault(story.section_id, []).append(story)
        blocks = [
            (section, by_section[section.pk])
            for section in home_sections
            if by_section.get(section.pk)
        ]

    stories = [story for story in [lead, *top, *latest] if story]
    stories += [story for _section, block in blocks for story in block]
    prefetch_related_objects(stories, _bylines(teaser=True))

    site_name = settings.SITE_NAME
    meta = PageMeta(
        title=site_name,
        description=_("News, analysis and opinion from %(site)s.") % {"site": site_name},
        url=_absolute(request, reverse("articles:index")),
        image=_image_url(request, lead) if lead else "",
        image_alt=lead.image_alt if lead else "",
    )
    return render(
        request,
        "articles/index.html",
        {"lead": lead, "top": top, "latest": latest, "blocks": blocks, "meta": meta},
    )


def _related(article: Article, tag_ids: list[int]) -> list[int]:
    """Ids of the stories sharing the most tags, then from the same section, newest first.

    Ranked among the newest RELATED_CANDIDATES stories sharing a tag and the newest of the
    section, each found by an index walk: one query, whatever the size of the archive.
    """
    others = Article.objects.published().exclude(pk=article.pk).latest_first()
    same_section = others.filter(section=article.section_id).values("pk")[:RELATED]
    if not tag_ids:
        return [row["pk"] for row in same_section]
    sharing = others.tagged(*tag_ids).values("pk")[:RELATED_CANDIDATES]
    if connections[sharing.db].features.supports_slicing_ordering_in_compound:
        chosen = Q(pk__in=sharing.union(same_section, all=True))
    else:
        chosen = Q(pk__in=sharing) | Q(pk__in=same_section)
    items = TaggedItem.objects.filter(
        content_type=ContentType.objects.get_for_model(Article),
        object_id=OuterRef("pk"),
        tag__in=tag_ids,
    )
    shared = items.order_by().values("object_id").annotate(count=Count("pk")).values("count")
    candidates = (
        Article.objects.filter(chosen)
        .annotate(shared=Coalesce(Subquery(shared), 0))
        .order_by("-shared", "-publish_at", "-pk")
    )
    return list(candidates.values_list("pk", flat=True)[:RELATED])


def _neighbours(article: Article) -> tuple[int | None, int | None]:
    """Ids of the previous (older) and next (newer) published stories in the story's section."""
    if article.publish_at is None:
        return None, None
    in_section = (
        Article.objects.published()
        .filter(section=article.section_id)
        .values_list("pk", "publish_at")
    )
    moment = article.publish_at
    # A plain range on publish_at (ties ruled out after), so the index scan starts at the story.
    older = (
        in_section.filter(publish_at__lte=moment)
        .exclude(publish_at=moment, pk__gte=article.pk)
        .order_by("-publish_at", "-pk")
    )
    newer = (
        in_section.filter(publish_at__gte=moment)
        .exclude(publish_at=moment, pk__lte=article.pk)
        .order_by("publish_at", "pk")
    )
    if connections[older.db].features.supports_slicing_ordering_in_compound:
        found = list(older[:1].union(newer[:1], all=True))  # one round trip for both
    else:
        found = [row for row in (older.first(), newer.first()) if row]
    here = (moment, article.pk)
    before = [pk for pk, when in found if (when, pk) < here]
    after = [pk for pk, when in found if (when, pk) > here]
    return (before[0] if before else None), (after[0] if after else None)


def _around(article: Article, tags: list[Tag], preview: bool) -> tuple[list, object, object]:
    """Related stories and the section's previous and next ones, as teasers.

    Which stories they are is kept in the cache until a story joins or leaves the section or
    one of the tags (or the clock publishes one); the teasers themselves are read fresh, in
    one query.
    """

    def choose() -> tuple[list[int], int | None, int | None]:
        return _related(article, [tag.pk for tag in tags]), *_neighbours(article)

    keys = [page_cache.section_key(article.section_id), *(page_cache.tag_key(t.pk) for t in tags)]
    related_ids, previous_id, next_id = page_cache.remembered(
        f"around:{article.pk}:{article.publish_at}", keys, choose
    )
    if preview:
        previous_id = next_id = None
    wanted = [pk for pk in (*related_ids, previous_id, next_id) if pk is not None]
    found = {}
    if wanted:
        found = {
            story.pk: story for story in _teasers(Article.objects.published()).filter(pk__in=wanted)
        }
    related = [found[pk] for pk in related_ids if pk in found]
    return related, found.get(previous_id), found.get(next_id)


def news_article_json_ld(request: HttpRequest, article: Article, image: str) -> dict:
    """schema.org NewsArticle for the story page."""
    data: dict = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.headline,
        "description": article.standfirst,
        "mainEntityOfPage": _absolute(request, article.get_absolute_url()),
        "inLanguage": _site(request).language,
        "articleSection": article.section.name,
        "publisher": {
            "@type": "NewsMediaOrganization",
            "name": settings.SITE_NAME,
            "url": _absolute(request, reverse("articles:index")),
            "logo": {"@type": "ImageObject", "url": _absolute(request, static("img/logo.svg"))},
        },
    }
    if article.publish_at:
        data["datePublished"] = article.publish_at.isoformat()
        data["dateModified"] = (article.updated_at or article.publish_at).isoformat()
    if image:
        data["image"] = [image]
    authors = [
        {
            "@type": "Person",
            "name": author.name,
            "url": _absolute(request, author.get_absolute_url()),
        }
        for author in article.byline
    ]
    wire = article.wire_service if article.wire_service_id else None
    if authors:
        data["author"] = authors
    elif wire is not None:
        data["author"] = [{"@type": "Organization", "name": wire.name}]
    if wire is not None:
        agency: dict = {"@type": "NewsMediaOrganization", "name": wire.name}
        if wire.website:
            agency["url"] = wire.website
        data["sourceOrganization"] = agency
    keywords = [tag.name for tag in article.tag_list]
    if keywords:
        data["keywords"] = keywords
    return data


def _previewed_story_id(token: str) -> int:
    """The id a signed preview link was made for; 404 when it is altered or expired."""
    try:
        value = signing.TimestampSigner(salt=PREVIEW_SALT).unsign(
            token, max_age=settings.PREVIEW_LINK_SECONDS
        )
        return int(value)
    except (signing.BadSignature, ValueError):  # SignatureExpired is a BadSignature
        raise Http404(_("This preview link is not valid, or has expired.")) from None


@require_GET
@public_page()
def detail(request: HttpRequest, year: int, month: int, day: int, slug: str) -> HttpResponse:
    # Unpublished stories are shown through this same view to staff who may read them in the
    # admin, and to anyone holding a signed preview link of that one story (?preview=…).
    token = request.GET.get("preview")
    previewer = token is not None or can_preview(request)
    queryset = Article.objects.all() if previewer else Article.objects.published()
    lookup: dict[str, str | int] = {"slug": slug}
    if token is not None:
        lookup["pk"] = _previewed_story_id(token)
    article = get_object_or_404(
        queryset.select_related("section", "wire_service").prefetch_related(
            _bylines(), "corrections"
        ),
        **lookup,
    )
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
    related, previous, following = _around(article, tags, preview)
    # The story, its byline, and the lists its related and neighbouring stories come from.
    page_cache.depends_on(
        request,
        page_cache.section_key(article.section_id),
        *(page_cache.tag_key(tag.pk) for tag in tags),
    )
    page_cache.depends_on_stories(request, [article, *related, previous, following])
    image = _image_url(request, article)
    meta = PageMeta(
        title=article.headline,
        description=_describe(article.standfirst or article.body),
        url=_absolute(request, article.get_absolute_url()),
        kind="article",
        image=image,
        image_alt=article.image_alt,
        noindex=preview,
    )
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
            "preview": preview,
            "meta": meta,
            "json_ld": news_article_json_ld(request, article, image),
        },
    )
    if preview or previewer:
        # A preview must never be stored by a browser or a shared cache, indexed, or leak its
        # link to another site through the Referer header.
        add_never_cache_headers(response)
        patch_vary_headers(response, ["Cookie"])
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _listing(
    request: HttpRequest,
    queryset,
    *,
    title: str,
    description: str = "",
    allow_empty: bool = True,
    template: str = "articles/article_list.html",
    keys: tuple[str, ...] = (),
    **context,
) -> HttpResponse:
    """A page of stories; `keys` name the list for the page cache (who joins or leaves it)."""
    page_cache.depends_on(request, *keys)
    paginator = ListingPaginator(
        _listed(queryset.latest_first()),
        queryset,
        name=request.path,
        count_keys=keys or (LISTINGS,),
        allow_empty_first_page=allow_empty,
    )
    page = paginate(request, None, paginator=paginator)
    page_cache.depends_on_stories(request, page.object_list)
    heading = title
    if page.number > 1:
        title = _("%(title)s, page %(number)s") % {"title": title, "number": page.number}
    meta = PageMeta(
        title=title,
        description=_describe(description) or title,
        url=_page_url(request, page),
    )
    context.setdefault("show_section", "section" not in context)
    return render(request, template, {"heading": heading, "page": page, "meta": meta, **context})


@require_GET
@public_page()
def section(request: HttpRequest, slug: str) -> HttpResponse:
    section = menus.section_by_slug(slug)
    if section is None:
        raise Http404(_("No such section."))
    return _listing(
        request,
        Article.objects.published().filter(section=section.pk),
        keys=(page_cache.section_key(section.pk),),
        title=section.name,
        description=section.description,
        section=section,
        feed_section=section,
        feed_url=reverse("articles:section-feed", kwargs={"slug": section.slug}),
    )


@require_GET
@public_page()
def tag(request: HttpRequest, slug: str) -> HttpResponse:
    tag = get_object_or_404(Tag, slug=slug)
    # A tag with no live story is not public yet (it may only be on drafts): 404.
    return _listing(
        request,
        Article.objects.published().tagged(tag),
        keys=(page_cache.tag_key(tag.pk),),
        title=tag.name,
        allow_empty=False,
        tag=tag,
        feed_tag=tag,
        feed_url=reverse("articles:tag-feed", kwargs={"slug": tag.slug}),
    )


@require_GET
@public_page()
def author(request: HttpRequest, slug: str) -> HttpResponse:
    author = get_object_or_404(Author, slug=slug)
    return _listing(
        request,
        Article.objects.published().filter(bylines__author=author),
        keys=(page_cache.author_key(author.pk),),
        title=author.name,
        description=author.bio,
        template="articles/author_detail.html",
        author=author,
        feed_author=author,
        feed_url=reverse("articles:author-feed", kwargs={"slug": author.slug}),
    )


# --- Date archives ---------------------------------------------------------------------------
# Days and months are the site's, not UTC's: the bounds are midnights in the active time zone.


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _month_name(moment: date) -> str:
    text = dateformat.format(moment, "F Y")
    return text.lower() if (get_language() or "").split("-")[0] in LOWERCASE_NAMES else text


def _archive_link(kind: str, moment: datetime | None) -> str:
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    kwargs = {"year": local.year}
    if kind in {"month", "day"}:
        kwargs["month"] = local.month
    if kind == "day":
        kwargs["day"] = local.day
    return reverse(f"articles:archive-{kind}", kwargs=kwargs)


def _archive(request: HttpRequest, kind: str, first: date, after: date, title: str, **context):
    parts = {"year": first.year, "month": first.month, "day": first.day}
    fields = {"year": ["year"], "month": ["year", "month"], "day": ["year", "month", "day"]}
    canonical = reverse(
        f"articles:archive-{kind}", kwargs={name: parts[name] for name in fields[kind]}
    )
    if request.path != canonical:
        query = request.META.get("QUERY_STRING")
        return HttpResponsePermanentRedirect(canonical + (f"?{query}" if query else ""))
    start, end = _midnight(first), _midnight(after)
    published = Article.objects.published()
    in_period = published.filter(publish_at__gte=start, publish_at__lt=end)
    if kind == "year":
        months = page_cache.remembered(
            f"months:{start.isoformat()}",
            [LISTINGS],
            lambda: list(in_period.datetimes("publish_at", "month")),
        )
        if not months:
            raise Http404(_("No stories in this period."))
        context["months"] = [(_month_name(m), _archive_link("month", m)) for m in months]
    older = published.filter(publish_at__lt=start).order_by("-publish_at")
    newer = published.filter(publish_at__gte=end).order_by("publish_at")
    context["previous_period"] = _archive_link(
        kind, older.values_list("publish_at", flat=True).first()
    )
    context["next_period"] = _archive_link(kind, newer.values_list("publish_at", flat=True).first())
    return _listing(
        request,
        in_period,
        title=title,
        allow_empty=False,
        template="articles/archive.html",
        archive_kind=kind,
        **context,
    )


def _checked_date(year: int, month: int = 1, day: int = 1) -> date:
    """The date, or a 404 for an impossible one (2024/13/45) or a year out of range."""
    if not 1000 <= year <= 9998:
        raise Http404(_("No such date."))
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise Http404(_("No such date.")) from exc


@require_GET
@public_page(LISTINGS)
def archive_year(request: HttpRequest, year: int) -> HttpResponse:
    first = _checked_date(year)
    title = _("Stories from %(year)s") % {"year": year}
    return _archive(request, "year", first, date(year + 1, 1, 1), title)


@require_GET
@public_page(LISTINGS)
def archive_month(request: HttpRequest, year: int, month: int) -> HttpResponse:
    first = _checked_date(year, month)
    after = date(year + (month == 12), month % 12 + 1, 1)
    title = _("Stories from %(month)s") % {"month": _month_name(first)}
    return _archive(request, "month", first, after, title)


@require_GET
@public_page(LISTINGS)
def archive_day(request: HttpRequest, year: int, month: int, day: int) -> HttpResponse:
    first = _checked_date(year, month, day)
    title = _("Stories from %(date)s") % {"date": long_date(_midnight(first))}
    return _archive(request, "day", first, first + timedelta(days=1), title)


@require_GET
@public_page(LISTINGS, seconds=60)
def search(request: HttpRequest) -> HttpResponse:
    query = clean_query(request.GET.get("q", ""))
    page = None
    if query:
        found = search_articles(Article.objects.published().with_byline(), query)
        paginator = Paginator(found, PAGE_SIZE)
        # The count runs the whole match again: kept until a story changes, like a list's.
        paginator.count = page_cache.remembered(f"search:{query}", [LISTINGS], found.count)
        page = paginate(request, found, paginator=paginator)
        highlight(page.object_list, query)
        title = _("Search results for “%(query)s”") % {"query": query}
    else:
        title = _("Search")
    # Result pages are for readers, not for search engines' indexes.
    meta = PageMeta(
        title=title,
        description=title,
        url=_absolute(request, request.get_full_path()),
        noindex=True,
    )
    return render(
        request,
        "articles/search.html",
        {"query": query, "page": page, "meta": meta, "match_limit": match_limit()},
    )
