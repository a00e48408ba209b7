"""RSS 2.0 and Atom feeds of the latest stories: the whole site, each section, tag and author.

Django's `Feed` with its documented hooks, and generators that add full content, bylines,
pictures and the wire credit. The page cache keeps each feed whole (`feed_view`), until a story
it may list changes; responses carry a strong ETag and Last-Modified and answer conditional
requests with 304.
"""

import logging
import mimetypes
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import UTC, datetime
from functools import cache as once
from urllib.parse import urlsplit

import nh3
from django.conf import settings
from django.contrib.syndication.views import Feed, add_domain
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils import feedgenerator, timezone
from django.utils.cache import patch_cache_control, set_response_etag
from django.utils.html import escape, format_html
from django.utils.http import http_date, parse_http_date
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django_prose_editor.config import allowlist_from_extensions, expand_extensions
from taggit.models import Tag

from articles.invalidation import LISTINGS
from articles.models import Article, Author, Section, live_tag, load_tags
from articles.richtext import BODY_EXTENSIONS
from newsroom.pagecache import public_page, version

logger = logging.getLogger(__name__)

CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"
MEDIA_NS = "http://search.yahoo.com/mrss/"

# Readers may poll every 15 minutes; conditional GET makes polling more often cheap anyway.
TTL_MINUTES = 15
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


def _xml_safe_values(value):
    """`value` with every string in it (lists, dicts and the items' dataclasses too) XML-safe."""
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, list | tuple):
        return type(value)(_xml_safe_values(item) for item in value)
    if isinstance(value, dict):
        return {key: _xml_safe_values(item) for key, item in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _xml_safe_values(getattr(value, f.name)) for f in fields(value)}
        return replace(value, **changes)
    return value


class XMLSafeFeed(feedgenerator.SyndicationFeed):
    """Drops the characters XML forbids from whatever it is given, instead of failing the feed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*_xml_safe_values(args), **_xml_safe_values(kwargs))

    def add_item(self, *args, **kwargs):
        super().add_item(*_xml_safe_values(args), **_xml_safe_values(kwargs))


def _latest(dates: Iterable[datetime | None]) -> datetime | None:
    known = [date for date in dates if date is not None]
    return max(known) if known else None


class NewsRssFeed(XMLSafeFeed, feedgenerator.Rss201rev2Feed):
    """RSS 2.0 plus content:encoded, dc:creator, media:content, a channel image and the wire."""

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
        handler.addQuickElement("url", xml_safe(self.feed["logo"]))
        handler.addQuickElement("title", self.feed["title"])
        handler.addQuickElement("link", self.feed["link"])
        handler.addQuickElement("width", str(LOGO_SIZE))
        handler.addQuickElement("height", str(LOGO_SIZE))
        handler.endElement("image")

    def add_item_elements(self, handler, item):
        def text(name: str, value: str, attrs: dict | None = None) -> None:
            # "&", "<" and ">" as hexadecimal references: the RSS Best Practices Profile's
            # advice, the form the widest range of aggregators decode in plain-text elements.
            # ignorableWhitespace() is the SAX generator's public way to write text unescaped.
            handler.startElement(name, attrs or {})
            handler.ignorableWhitespace(
                value.replace("&", "&#x26;").replace("<", "&#x3C;").replace(">", "&#x3E;")
            )
            handler.endElement(name)

        text("title", item["title"])
        text("link", item["link"])
        if item["description"]:
            text("description", item["description"])
        text("content:encoded", item["content"])
        for name, _link in item["creators"]:
            text("dc:creator", name)
        text("pubDate", feedgenerator.rfc2822_date(item["pubdate"]))
        text(
            "guid", item["unique_id"], {"isPermaLink": str(item["unique_id_is_permalink"]).lower()}
        )
        for category in item["categories"]:
            text("category", category)
        for enclosure in item["enclosures"]:
            handler.addQuickElement(
                "enclosure",
                None,
                {"url": enclosure.url, "length": enclosure.length, "type": enclosure.mime_type},
            )
        add_media_content(handler, item["media"])
        if item.get("language", self.feed["language"]) != self.feed["language"]:
            # RSS has no language per item: Dublin Core's element says a story's own.
            text("dc:language", item["language"])
        if wire := item["wire"]:
            text("dc:contributor", wire.name)
            # <source> names the channel the item came from: the agency's own copy only.
            if wire.website and wire.is_source:
                text("source", wire.name, {"url": wire.website})


class NewsAtomFeed(XMLSafeFeed, feedgenerator.Atom1Feed):
    """Atom 1.0 with full content, every author, media:content, a logo and the wire credited."""

    def root_attributes(self):
        return {**super().root_attributes(), "xmlns:media": MEDIA_NS}

    def item_attributes(self, item):
        # An entry in another language than the feed's says so; xml:lang is inherited otherwise.
        attributes = super().item_attributes(item)
        if item.get("language", self.feed["language"]) != self.feed["language"]:
            attributes["xml:lang"] = item["language"]
        return attributes

    def latest_post_date(self):
        return self.feed["build_date"]

    def add_root_elements(self, handler):
        super().add_root_elements(handler)
        handler.addQuickElement("icon", xml_safe(self.feed["logo"]))
        handler.addQuickElement("logo", xml_safe(self.feed["logo"]))

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
    # The agency's own copy: the agency is the item's source, not only credited.
    is_source: bool = True


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
    language: str = ""


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
    """The lead picture as subscribers get it: the largest JPEG rendition of its own shape,
    else the original."""
    picture = article.picture if article.picture_id else None
    if picture is None or not picture.file:
        return None
    jpegs = picture.crop("").get("jpeg")
    if jpegs:
        width, height, name = max(jpegs, key=lambda rendition: rendition[0])
    else:
        width, height, name = picture.width, picture.height, picture.file.name
    storage = picture.file.storage if not jpegs else default_storage
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
        description=picture.caption or picture.alt,
        credit=picture.credit,
    )


def item_content(article: Article, link: str, byline: list[str], image: MediaImage | None) -> str:
    """Byline and wire credit, the lead image with its caption, then the full body."""
    parts: list[str] = []
    credit_line = [*byline, str(article.wire_credit)] if article.wire_credit else byline
    if credit_line:
        parts.append(format_html("<p>{}</p>", " · ".join(credit_line)))
    picture = article.picture if article.picture_id else None
    if image is not None and picture is not None:
        caption = " · ".join(text for text in (picture.caption, picture.credit) if text)
        size = (
            format_html(' width="{}" height="{}"', image.width, image.height)
            if image.width and image.height
            else ""
        )
        parts.append(
            format_html(
                '<figure><img src="{}" alt="{}"{}>{}</figure>',
                image.url,
                picture.alt,
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
    label = article.get_label_display() if article.label else ""
    return FeedItem(
        # A label is part of the title a feed reader shows: paid content is never unlabelled.
        title=f"{label}: {article.headline}" if label else article.headline,
        link=link,
        guid=guid(scope, article),
        description=escape(article.standfirst),
        content=item_content(article, link, [author.name for author in authors], image),
        pubdate=published,
        updateddate=max(published, updated),
        creators=[(author.name, scope.absolute(author.get_absolute_url())) for author in authors],
        categories=[
            *([label] if label else []),
            article.section.name,
            *(tag.name for tag in article.tag_list),
        ],
        wire=Wire(wire.credit, wire.website, article.is_wire_copy) if wire else None,
        media=image,
        language=article.language,
    )


# --- Feeds -----------------------------------------------------------------------------------


def last_change() -> datetime:
    """When a story last joined, left or changed in a list (the "listings" key's version)."""
    return datetime.fromtimestamp(abs(version(LISTINGS)) / 1e9, UTC)


class LatestStoriesFeed(Feed):
    """The latest published stories of the whole site, newest first (RSS 2.0)."""

    feed_type: type[NewsRssFeed | NewsAtomFeed] = NewsRssFeed
    ttl = TTL_MINUTES
    allow_empty = True

    # Subclasses name their subject and how it narrows the stories.

    def get_subject(self, slug: str):
        return None

    def scope_filter(self, scope: FeedScope) -> dict:
        return {}

    def get_object(self, request: HttpRequest, slug: str = "") -> FeedScope:
        return FeedScope(request=request, subject=self.get_subject(slug))

    def get_feed(self, obj: FeedScope, request: HttpRequest):
        generator = super().get_feed(obj, request)
        generator.feed["language"] = get_language()
        generator.feed["id"] = generator.feed["feed_url"]
        generator.feed["logo"] = obj.absolute(static(LOGO))
        # The channel changed when a story in it last did; an empty one, at the last change.
        changed = _latest(
            moment
            for article in obj.articles
            for moment in (article.modified_at, article.publish_at)
        )
        generator.feed["build_date"] = timezone.localtime(changed or last_change()).replace(
            microsecond=0
        )
        return generator

    # Channel.

    def title(self, obj: FeedScope) -> str:
        if obj.subject is None:
            return settings.SITE_NAME
        return f"{settings.SITE_NAME} · {obj.subject.name}"

    def link(self, obj: FeedScope) -> str:
        return reverse("home")

    def description(self, obj: FeedScope) -> str:
        return _("The latest stories from %(site)s.") % {"site": settings.SITE_NAME}

    def author_name(self, obj: FeedScope) -> str:
        # Atom needs an author for entries without a byline, such as wire copy.
        return settings.SITE_NAME

    def author_link(self, obj: FeedScope) -> str:
        return obj.absolute(reverse("home"))

    # Items.

    def items(self, obj: FeedScope) -> list[FeedItem]:
        obj.articles = list(
            Article.objects.published()
            .filter(**self.scope_filter(obj))
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
            "language": item.language or get_language(),
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
        tag = live_tag(slug)
        if tag is None:  # no such tag, or one on drafts only: not public (yet)
            raise Http404("No such tag.")
        return tag

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


def feed_view(feed: Feed):
    """The feed as the site serves it: GET and HEAD, kept whole by the page cache, with a strong
    ETag; caches may keep a copy but must ask again each time (a 304 makes asking cheap)."""

    def view(request: HttpRequest, **kwargs) -> HttpResponse:
        response = feed(request, **kwargs)
        # Removals (an unpublished story, a dropped tag) leave no date in the feed itself: the
        # time of the last change to any list keeps Last-Modified moving forward with them.
        changed = max(parse_http_date(response["Last-Modified"]), last_change().timestamp())
        response.headers["Last-Modified"] = http_date(changed)
        set_response_etag(response)
        patch_cache_control(response, public=True, no_cache=True)
        return response

    return require_safe(public_page(LISTINGS)(view))
