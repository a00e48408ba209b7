"""RSS 2.0 and Atom feeds of the latest stories: the whole site, each section, tag and author.

Each feed is rendered once and kept in the cache under the version of the pages' "listings"
dependency key, which every change to a story, byline, tag, section, author or wire service that
a list shows bumps (`newsroom.page_cache` wires it); an entry also expires by itself when the
next scheduled story in it goes live. Responses carry a strong ETag and Last-Modified, and
answer conditional requests with 304.
"""

import hashlib
import logging
import math
import mimetypes
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache as once
from urllib.parse import urlsplit

import nh3
from django.conf import settings
from django.contrib.syndication.views import Feed, add_domain
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db.models import Min, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.templatetags.static import static
from django.urls import reverse
from django.utils import feedgenerator, timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.html import escape, format_html
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.utils.xmlutils import SimplerXMLGenerator
from django_prose_editor.config import allowlist_from_extensions, expand_extensions
from taggit.models import Tag

from articles.models import Article, Author, Section, load_tags
from articles.richtext import BODY_EXTENSIONS
from newsroom import page_cache
from newsroom.models import SiteSettings

logger = logging.getLogger(__name__)

CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"
MEDIA_NS = "http://search.yahoo.com/mrss/"

# Readers may poll every 15 minutes; conditional GET makes polling more often cheap anyway.
TTL_MINUTES = 15
# A cached feed lives at most this long, and never past the next scheduled story's time.
CACHE_SECONDS = 600
LOGO = "img/feed-logo.png"
LOGO_SIZE = 144

# What XML 1.0 cannot carry: C0 controls other than tab, newline and carriage return, lone
# surrogates, and the non-characters U+FFFE and U+FFFF. One of them pasted from a word
# processor would otherwise make Django's generator raise and the feed answer 500.
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """The text without the characters XML 1.0 forbids."""
    return XML_FORBIDDEN.sub("", text)


# --- Generators -------------------------------------------------------------------------------


class FeedXMLGenerator(SimplerXMLGenerator):
    """Drops characters XML forbids from text and attributes instead of failing the feed."""

    def characters(self, content):
        super().characters(xml_safe(content) if content else content)

    def startElement(self, name, attrs):
        super().startElement(
            name,
            {
                key: xml_safe(value) if isinstance(value, str) else value
                for key, value in attrs.items()
            },
        )


class RssXMLGenerator(FeedXMLGenerator):
    """Character data with "&", "<" and ">" as hexadecimal references.

    The RSS Best Practices Profile recommends this form: it is what the widest range of
    aggregators decode correctly in plain-text elements such as titles.
    """

    def characters(self, content):
        if content:
            text = xml_safe(content)
            text = text.replace("&", "&#x26;").replace("<", "&#x3C;").replace(">", "&#x3E;")
            # ignorableWhitespace() is the SAX generator's public way to write text unescaped.
            self.ignorableWhitespace(text)


def _latest(dates: Iterable[datetime | None]) -> datetime | None:
    known = [date for date in dates if date is not None]
    return max(known) if known else None


class NewsRssFeed(feedgenerator.Rss201rev2Feed):
    """RSS 2.0 plus content:encoded, dc:creator, media:content, a channel image and the wire."""

    def write(self, outfile, encoding):
        handler = RssXMLGenerator(outfile, encoding, short_empty_elements=True)
        handler.startDocument()
        self.add_stylesheets(handler)
        handler.startElement("rss", self.rss_attributes())
        handler.startElement("channel", self.root_attributes())
        self.add_root_elements(handler)
        self.write_items(handler)
        self.endChannelElement(handler)
        handler.endElement("rss")

    def rss_attributes(self):
        return {
            **super().rss_attributes(),
            "xmlns:content": CONTENT_NS,
            "xmlns:dc": DC_NS,
            "xmlns:media": MEDIA_NS,
        }

    def latest_post_date(self):
        return self.feed["build_date"]

    def add_root_elements(self, handler):
        # Readers show a channel's description as HTML, like an item's: a section description
        # or an author's name is text, so it is escaped (Atom's subtitle is typed as text).
        self.feed["description"] = escape(self.feed["description"])
        super().add_root_elements(handler)
        handler.startElement("image", {})
        handler.addQuickElement("url", self.feed["logo"])
        handler.addQuickElement("title", self.feed["title"])
        handler.addQuickElement("link", self.feed["link"])
        handler.addQuickElement("width", str(LOGO_SIZE))
        handler.addQuickElement("height", str(LOGO_SIZE))
        handler.endElement("image")

    def add_item_elements(self, handler, item):
        handler.addQuickElement("title", item["title"])
        handler.addQuickElement("link", item["link"])
        if item["description"]:
            handler.addQuickElement("description", item["description"])
        handler.addQuickElement("content:encoded", item["content"])
        for name, _link in item["creators"]:
            handler.addQuickElement("dc:creator", name)
        handler.addQuickElement("pubDate", feedgenerator.rfc2822_date(item["pubdate"]))
        handler.addQuickElement(
            "guid", item["unique_id"], {"isPermaLink": str(item["unique_id_is_permalink"]).lower()}
        )
        for category in item["categories"]:
            handler.addQuickElement("category", category)
        for enclosure in item["enclosures"]:
            handler.addQuickElement(
                "enclosure",
                None,
                {"url": enclosure.url, "length": enclosure.length, "type": enclosure.mime_type},
            )
        add_media_content(handler, item["media"])
        if wire := item["wire"]:
            handler.addQuickElement("dc:contributor", wire.name)
            if wire.website:
                handler.addQuickElement("source", wire.name, {"url": wire.website})


class NewsAtomFeed(feedgenerator.Atom1Feed):
    """Atom 1.0 with full content, every author, media:content, a logo and the wire credited."""

    def write(self, outfile, encoding):
        handler = FeedXMLGenerator(outfile, encoding, short_empty_elements=True)
        handler.startDocument()
        handler.startElement("feed", self.root_attributes())
        self.add_root_elements(handler)
        self.write_items(handler)
        handler.endElement("feed")

    def root_attributes(self):
        return {**super().root_attributes(), "xmlns:media": MEDIA_NS}

    def latest_post_date(self):
        return self.feed["build_date"]

    def add_root_elements(self, handler):
        super().add_root_elements(handler)
        handler.addQuickElement("icon", self.feed["logo"])
        handler.addQuickElement("logo", self.feed["logo"])

    def add_item_elements(self, handler, item):
        handler.addQuickElement("title", item["title"])
        handler.addQuickElement(
            "link", None, {"rel": "alternate", "type": "text/html", "href": item["link"]}
        )
        handler.addQuickElement("id", item["unique_id"])
        handler.addQuickElement("published", feedgenerator.rfc3339_date(item["pubdate"]))
        handler.addQuickElement("updated", feedgenerator.rfc3339_date(item["updateddate"]))
        for name, link in item["creators"]:
            handler.startElement("author", {})
            handler.addQuickElement("name", name)
            handler.addQuickElement("uri", link)
            handler.endElement("author")
        if wire := item["wire"]:
            handler.startElement("contributor", {})
            handler.addQuickElement("name", wire.name)
            if wire.website:
                handler.addQuickElement("uri", wire.website)
            handler.endElement("contributor")
        if item["description"]:
            handler.addQuickElement("summary", item["description"], {"type": "html"})
        handler.addQuickElement("content", item["content"], {"type": "html"})
        for category in item["categories"]:
            handler.addQuickElement("category", None, {"term": category})
        for enclosure in item["enclosures"]:
            handler.addQuickElement(
                "link",
                None,
                {
                    "rel": "enclosure",
                    "href": enclosure.url,
                    "length": enclosure.length,
                    "type": enclosure.mime_type,
                },
            )
        add_media_content(handler, item["media"])


def add_media_content(handler, media: "MediaImage | None") -> None:
    if media is None:
        return
    attrs = {"url": media.url, "medium": "image", "type": media.mime_type}
    if media.width and media.height:
        attrs.update(width=str(media.width), height=str(media.height))
    if media.length is not None:
        attrs["fileSize"] = str(media.length)
    handler.startElement("media:content", attrs)
    if media.description:
        handler.addQuickElement("media:description", media.description, {"type": "plain"})
    if media.credit:
        handler.addQuickElement("media:credit", media.credit)
    handler.endElement("media:content")


# --- What goes in an item ---------------------------------------------------------------------


@dataclass(frozen=True)
class Wire:
    name: str
    website: str


@dataclass(frozen=True)
class MediaImage:
    url: str
    mime_type: str
    width: int | None
    height: int | None
    length: int | None
    description: str
    credit: str


@dataclass(frozen=True)
class FeedItem:
    """One story as a feed prints it, every URL absolute."""

    title: str
    link: str
    guid: str
    description: str
    content: str
    pubdate: datetime
    updateddate: datetime
    creators: list[tuple[str, str]]
    categories: list[str]
    wire: Wire | None
    media: MediaImage | None


@dataclass
class FeedScope:
    """A feed being built: its subject (None for the whole site) and the request it answers."""

    request: HttpRequest
    subject: Section | Tag | Author | None = None
    articles: list[Article] = field(default_factory=list)

    def absolute(self, url: str) -> str:
        return add_domain(self.request.get_host(), url, self.request.is_secure())

    def subject_as[S](self, kind: type[S]) -> S:
        """The subject of a section's, tag's or author's feed, which get_subject() found."""
        assert isinstance(self.subject, kind)
        return self.subject


@once
def body_allowlist() -> dict:
    """The body sanitizer's allowlist: what an editor may write is what a feed carries."""
    return allowlist_from_extensions(expand_extensions(BODY_EXTENSIONS))


def absolute_body(html: str, base_url: str) -> str:
    """The sanitized body with every relative link and image address resolved against the story."""
    cleaner = nh3.Cleaner(**body_allowlist(), url_relative=("rewrite_with_base", base_url))
    return cleaner.clean(html)


def guid(scope: FeedScope, article: Article) -> str:
    """A tag: URI that never changes: the story's row and the day it was created."""
    host = urlsplit(f"//{scope.request.get_host()}").hostname or "localhost"
    created = timezone.localtime(article.created_at, UTC)
    return f"tag:{host},{created:%Y-%m-%d}:article:{article.pk}"


def lead_image(scope: FeedScope, article: Article) -> MediaImage | None:
    """The lead image as subscribers get it: the largest JPEG rendition, else the original."""
    if not article.image:
        return None
    record = article.image_renditions or {}
    jpegs = record.get("jpeg") if record.get("source") == article.image.name else None
    if jpegs:
        width, height, name = max(jpegs, key=lambda rendition: rendition[0])
    else:
        width, height, name = article.image_width, article.image_height, article.image.name
    storage = article.image.storage if not jpegs else default_storage
    try:
        length = storage.size(name)
    except OSError:  # The file is gone from storage: keep the picture, drop the enclosure.
        logger.warning("feed image %s is missing from storage", name)
        length = None
    mime_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return MediaImage(
        url=scope.absolute(storage.url(name)),
        mime_type=mime_type,
        width=width,
        height=height,
        length=length,
        description=article.image_caption or article.image_alt,
        credit=article.image_credit,
    )


def item_content(article: Article, link: str, byline: list[str], image: MediaImage | None) -> str:
    """Byline and wire credit, the lead image with its caption, then the full body."""
    parts: list[str] = []
    credit_line = [*byline, str(article.wire_credit)] if article.wire_credit else byline
    if credit_line:
        parts.append(format_html("<p>{}</p>", " · ".join(credit_line)))
    if image is not None:
        caption = " · ".join(text for text in (article.image_caption, article.image_credit) if text)
        size = (
            format_html(' width="{}" height="{}"', image.width, image.height)
            if image.width and image.height
            else ""
        )
        parts.append(
            format_html(
                '<figure><img src="{}" alt="{}"{}>{}</figure>',
                image.url,
                article.image_alt,
                size,
                format_html("<figcaption>{}</figcaption>", caption) if caption else "",
            )
        )
    parts.append(absolute_body(article.body, link))
    return "".join(parts)


def feed_item(scope: FeedScope, article: Article) -> FeedItem:
    link = scope.absolute(article.get_absolute_url())
    authors = article.byline
    image = lead_image(scope, article)
    wire = article.wire_service
    # Whole seconds: RSS dates carry no more, and both formats should say the same.
    published = timezone.localtime(article.publish_at).replace(microsecond=0)
    updated = timezone.localtime(article.updated_at or published).replace(microsecond=0)
    return FeedItem(
        title=article.headline,
        link=link,
        guid=guid(scope, article),
        description=escape(article.standfirst),
        content=item_content(article, link, [author.name for author in authors], image),
        pubdate=published,
        updateddate=max(published, updated),
        creators=[(author.name, scope.absolute(author.get_absolute_url())) for author in authors],
        categories=[article.section.name, *(tag.name for tag in article.tag_list)],
        wire=Wire(wire.credit, wire.website) if wire else None,
        media=image,
    )


# --- Caching ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedFeed:
    body: bytes
    etag: str
    last_modified: int
    expires_at: datetime


def feeds_version() -> int:
    """The current version of every feed: that of the pages' "listings" key (a time in ns)."""
    return abs(page_cache.version(page_cache.LISTINGS))


def invalidate_feeds(**_signal_kwargs) -> None:
    """Make every cached feed stale (and every other page listing stories)."""
    page_cache.bump(page_cache.LISTINGS)


def _cache_get(key: str):
    try:
        return cache.get(key)
    except Exception:
        logger.warning("feed cache unavailable", exc_info=True)
        return None


def _cache_set(key: str, value, timeout: int) -> None:
    try:
        cache.set(key, value, timeout)
    except Exception:
        logger.warning("feed cache unavailable", exc_info=True)


# --- Feeds -----------------------------------------------------------------------------------


def site_settings(request: HttpRequest) -> SiteSettings:
    return getattr(request, "site_settings", None) or SiteSettings.load()


class LatestStoriesFeed(Feed):
    """The latest published stories of the whole site, newest first (RSS 2.0)."""

    feed_type: type[NewsRssFeed | NewsAtomFeed] = NewsRssFeed
    ttl = TTL_MINUTES
    allow_empty = True

    def __call__(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        # Stored whole by the page cache too, so a poll costs no more than a cached page.
        return page_cache.public_page(page_cache.LISTINGS)(self.respond)(request, **kwargs)

    def respond(self, request: HttpRequest, **kwargs) -> HttpResponse:
        rendered, hit = self.cached_or_rendered(request, **kwargs)
        if plan := getattr(request, "page_plan", None):
            plan.until = rendered.expires_at  # the next go-live in this feed
        response = get_conditional_response(
            request, etag=rendered.etag, last_modified=rendered.last_modified
        )
        if response is None:
            response = HttpResponse(rendered.body, content_type=self.feed_type.content_type)
        response.headers["ETag"] = rendered.etag
        response.headers["Last-Modified"] = http_date(rendered.last_modified)
        if not page_cache.has_session(request):  # staff get private headers from public_page
            # Caches may keep a copy but must ask again each time; a 304 makes asking cheap.
            patch_cache_control(response, public=True, no_cache=True)
            if settings.PAGE_CACHE:
                response.headers["X-Page-Cache"] = "hit" if hit else "miss"
        return response

    def cache_key(self, request: HttpRequest, version: int, slug: str) -> str:
        site = site_settings(request)
        parts: list[str] = [
            type(self).__name__,
            slug,
            request.scheme,  # type: ignore[list-item]  # always a str; the stubs say str | None
            request.get_host(),
            site.language,
            site.time_zone,
            str(settings.FEED_ITEMS),
        ]
        digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
        return f"feeds:{version}:{digest}"

    def rendered(self, request: HttpRequest, slug: str = "") -> RenderedFeed:
        return self.cached_or_rendered(request, slug)[0]

    def cached_or_rendered(self, request: HttpRequest, slug: str = "") -> tuple[RenderedFeed, bool]:
        """The feed, and whether it came from the cache."""
        version = feeds_version()
        key = self.cache_key(request, version, slug)
        rendered = _cache_get(key) if settings.PAGE_CACHE else None
        now = timezone.now()
        if rendered is not None and rendered.expires_at > now:
            return rendered, True

        scope = self.get_object(request, slug=slug)
        generator = self.get_feed(scope, request)
        body = generator.writeString("utf-8").encode()
        # Removals (an unpublished story, a dropped tag) leave no date in the feed itself: the
        # time of the last change anywhere keeps Last-Modified moving forward with them.
        last_modified = max(
            math.floor(generator.feed["build_date"].timestamp()), version // 1_000_000_000
        )
        if scope.articles:
            next_publish = scope.articles[0].next_go_live  # type: ignore[attr-defined]  # items()
        else:
            next_publish = self.next_go_live(scope).aggregate(next=Min("publish_at"))["next"]
        expires_at = now + timedelta(seconds=CACHE_SECONDS)
        if next_publish is not None:
            expires_at = min(expires_at, next_publish)
        rendered = RenderedFeed(
            body=body,
            etag=f'"{hashlib.sha256(body).hexdigest()[:40]}"',
            last_modified=last_modified,
            expires_at=expires_at,
        )
        if settings.PAGE_CACHE:
            _cache_set(key, rendered, max(1, math.ceil((expires_at - now).total_seconds())))
        return rendered, False

    # Subclasses name their subject and how it narrows the stories.

    def get_subject(self, slug: str):
        return None

    def scope_filter(self, scope: FeedScope) -> dict:
        return {}

    def get_object(self, request: HttpRequest, slug: str = "") -> FeedScope:
        return FeedScope(request=request, subject=self.get_subject(slug))

    def get_feed(self, obj: FeedScope, request: HttpRequest):
        generator = super().get_feed(obj, request)
        generator.feed["language"] = site_settings(request).language
        generator.feed["id"] = generator.feed["feed_url"]
        generator.feed["logo"] = obj.absolute(static(LOGO))
        # The channel changed when a story in it last did; an empty one, at the last change.
        changed = _latest(
            moment
            for article in obj.articles
            for moment in (article.modified_at, article.publish_at)
        )
        generator.feed["build_date"] = timezone.localtime(
            changed or datetime.fromtimestamp(feeds_version() / 1e9, UTC)
        ).replace(microsecond=0)
        return generator

    # Channel.

    def title(self, obj: FeedScope) -> str:
        if obj.subject is None:
            return settings.SITE_NAME
        return f"{settings.SITE_NAME} · {obj.subject.name}"

    def link(self, obj: FeedScope) -> str:
        return reverse("articles:index")

    def description(self, obj: FeedScope) -> str:
        return _("The latest stories from %(site)s.") % {"site": settings.SITE_NAME}

    def author_name(self, obj: FeedScope) -> str:
        # Atom needs an author for entries without a byline, such as wire copy.
        return settings.SITE_NAME

    def author_link(self, obj: FeedScope) -> str:
        return obj.absolute(reverse("articles:index"))

    # Items.

    def next_go_live(self, scope: FeedScope):
        return Article.objects.scheduled().filter(**self.scope_filter(scope))

    def items(self, obj: FeedScope) -> list[FeedItem]:
        # The next scheduled story's time rides along as an uncorrelated subquery (evaluated
        # once by the database), which saves a query.
        next_go_live = self.next_go_live(obj).order_by("publish_at").values("publish_at")[:1]
        obj.articles = list(
            Article.objects.published()
            .filter(**self.scope_filter(obj))
            .annotate(next_go_live=Subquery(next_go_live))
            .with_byline()
            .latest_first()[: settings.FEED_ITEMS]
        )
        if not obj.articles and not self.allow_empty:
            raise Http404("Nothing published here yet.")
        load_tags(obj.articles)
        return [feed_item(obj, article) for article in obj.articles]

    def item_title(self, item: FeedItem) -> str:
        return item.title

    def item_link(self, item: FeedItem) -> str:
        return item.link

    def item_description(self, item: FeedItem) -> str:
        return item.description

    def item_guid(self, item: FeedItem) -> str:
        return item.guid

    def item_guid_is_permalink(self, item: FeedItem) -> bool:
        return False

    def item_pubdate(self, item: FeedItem) -> datetime:
        return item.pubdate

    def item_updateddate(self, item: FeedItem) -> datetime:
        return item.updateddate

    def item_categories(self, item: FeedItem) -> list[str]:
        return item.categories

    def item_enclosures(self, item: FeedItem) -> list[feedgenerator.Enclosure]:
        media = item.media
        if media is None or media.length is None:
            return []
        return [feedgenerator.Enclosure(media.url, str(media.length), media.mime_type)]

    def item_extra_kwargs(self, item: FeedItem) -> dict:
        return {
            "content": item.content,
            "creators": item.creators,
            "wire": item.wire,
            "media": item.media,
        }


class LatestStoriesAtomFeed(LatestStoriesFeed):
    feed_type = NewsAtomFeed

    def subtitle(self, obj: FeedScope) -> str:
        return self.description(obj)


class SectionFeed(LatestStoriesFeed):
    """The latest stories in one section."""

    def get_subject(self, slug: str) -> Section:
        try:
            return Section.objects.get(slug=slug)
        except Section.DoesNotExist as exc:
            raise Http404("No such section.") from exc

    def scope_filter(self, scope: FeedScope) -> dict:
        return {"section": scope.subject}

    def link(self, obj: FeedScope) -> str:
        return obj.subject_as(Section).get_absolute_url()

    def description(self, obj: FeedScope) -> str:
        subject = obj.subject_as(Section)
        return subject.description or _("The latest stories in %(section)s from %(site)s.") % {
            "section": subject.name,
            "site": settings.SITE_NAME,
        }


class SectionAtomFeed(SectionFeed, LatestStoriesAtomFeed):
    pass


class TagFeed(LatestStoriesFeed):
    """The latest stories with one tag."""

    # Like the tag's page: a tag no live story carries (it may be on drafts only) is not public.
    allow_empty = False

    def get_subject(self, slug: str) -> Tag:
        try:
            return Tag.objects.get(slug=slug)
        except Tag.DoesNotExist as exc:
            raise Http404("No such tag.") from exc

    def scope_filter(self, scope: FeedScope) -> dict:
        return {"pk__in": Article.objects.tagged(scope.subject).values("pk")}

    def link(self, obj: FeedScope) -> str:
        return reverse("articles:tag", kwargs={"slug": obj.subject_as(Tag).slug})

    def description(self, obj: FeedScope) -> str:
        subject = obj.subject_as(Tag)
        return _("The latest stories tagged “%(tag)s” from %(site)s.") % {
            "tag": subject.name,
            "site": settings.SITE_NAME,
        }


class TagAtomFeed(TagFeed, LatestStoriesAtomFeed):
    pass


class AuthorFeed(LatestStoriesFeed):
    """The latest stories by one author."""

    def get_subject(self, slug: str) -> Author:
        try:
            return Author.objects.get(slug=slug)
        except Author.DoesNotExist as exc:
            raise Http404("No such author.") from exc

    def scope_filter(self, scope: FeedScope) -> dict:
        return {"bylines__author": scope.subject}

    def link(self, obj: FeedScope) -> str:
        return obj.subject_as(Author).get_absolute_url()

    def description(self, obj: FeedScope) -> str:
        subject = obj.subject_as(Author)
        return _("The latest stories by %(author)s from %(site)s.") % {
            "author": subject.name,
            "site": settings.SITE_NAME,
        }


class AuthorAtomFeed(AuthorFeed, LatestStoriesAtomFeed):
    pass
