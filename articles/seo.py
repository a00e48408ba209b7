"""What pages tell search engines and sharing previews: the <head>'s metadata and JSON-LD."""

from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import get_language

from articles.models import Article
from articles.renditions import best_jpeg

# The latest updates a live page names in its JSON-LD.
LIVE_UPDATES = 10
# The width of the rendition a sharing preview gets (Facebook asks for 1200 pixels).
SHARING_WIDTH = 1200
# Google asks for a story's picture in these shapes, each at least this wide.
CROP_SHAPES = ("16:9", "4:3", "1:1")
GOOGLE_MIN_WIDTH = 1200
# The width of an author's photo in JSON-LD.
PORTRAIT_WIDTH = 256


# The site's sharing picture, for pages and stories without one of their own.
DEFAULT_PICTURE = "img/social-default.png"
DEFAULT_PICTURE_SIZE = (1200, 630)
# Open Graph names a language with its region.
OG_LOCALES = {"ro": "ro_RO", "en": "en_GB"}


@dataclass(frozen=True)
class SocialPicture:
    """The picture a shared link shows, with its real size and its description."""

    url: str
    width: int | None
    height: int | None
    alt: str


@dataclass
class PageMeta:
    """What the <head> says about a page to search engines and sharing previews.

    `title` and `description` are for search results; sharing previews say `social_title` and
    `social_description` when set. `language` is the page's content, when it is not the site's.
    """

    title: str
    description: str
    url: str
    kind: str = "website"
    picture: SocialPicture | None = None
    noindex: bool = False
    social_title: str = ""
    social_description: str = ""
    language: str = ""
    # (language, absolute URL) of the page in every language it exists in, itself included.
    alternates: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self):
        self.social_title = self.social_title or self.title
        self.social_description = self.social_description or self.description

    @property
    def locale(self) -> str:
        return og_locale(self.language or get_language())

    @property
    def alternate_locales(self) -> list[str]:
        own = self.locale
        return [og_locale(code) for code, _url in self.alternates if og_locale(code) != own]


def og_locale(language: str | None) -> str:
    code = (language or settings.LANGUAGE_CODE).split("-")[0]
    return OG_LOCALES.get(code, code)


def absolute(request: HttpRequest, url: str) -> str:
    return request.build_absolute_uri(url)


def social_picture(request: HttpRequest, article: Article | None = None) -> SocialPicture:
    """What a shared link to the page shows: the story's lead picture at sharing size (its
    16:9 crop around the focal point once made, at the rendition's own size), or the site's
    picture."""
    picture = article.picture if article is not None and article.picture_id else None
    if picture is not None and picture.file:
        made = (picture.crop("16:9") or picture.crop("")).get("jpeg")
        if made:
            width, height, name = min(made, key=lambda e: (abs(e[0] - SHARING_WIDTH), -e[0]))
            url = default_storage.url(name)
        else:
            width, height, url = picture.width, picture.height, picture.file.url
        return SocialPicture(absolute(request, url), width, height, picture.alt)
    width, height = DEFAULT_PICTURE_SIZE
    return SocialPicture(absolute(request, static(DEFAULT_PICTURE)), width, height, "")


def story_meta(request: HttpRequest, article: Article, preview: bool = False) -> PageMeta:
    """A story's metadata: its Promovare fields where filled, else its headline and standfirst;
    its own address unless an editor names the original elsewhere."""
    description = seo_description(article)
    alternates = []
    translation = article.translation if article.translation_id else None
    if not preview and translation is not None and translation.is_published():
        alternates = [
            (article.language, absolute(request, article.get_absolute_url())),
            (translation.language, absolute(request, translation.get_absolute_url())),
        ]
    return PageMeta(
        title=article.seo_title or article.headline,
        description=description,
        url=article.canonical_url or absolute(request, article.get_absolute_url()),
        kind="article",
        picture=social_picture(request, article),
        noindex=preview,
        social_title=article.social_title or article.headline,
        social_description=article.social_description or description,
        language=article.language if article.language != get_language() else "",
        alternates=alternates,
    )


def seo_description(article: Article) -> str:
    return article.meta_description or describe(article.standfirst or article.body)


def describe(text: str, words: int = 40) -> str:
    return Truncator(strip_tags(text or "").strip()).words(words, truncate="…")


# schema.org's kinds of news article for the story labels; paid content is an advertiser's.
SCHEMA_TYPES: dict[str, str] = {
    Article.Label.OPINION: "OpinionNewsArticle",
    Article.Label.ANALYSIS: "AnalysisNewsArticle",
    Article.Label.REPORTAGE: "ReportageNewsArticle",
    Article.Label.PAID: "AdvertiserContentArticle",
}


def story_images(request: HttpRequest, article: Article) -> list[dict]:
    """The lead picture for search engines: cut to 16:9, 4:3 and 1:1 around its focal point,
    each at least GOOGLE_MIN_WIDTH wide where the original allows (Google's advice for
    articles), or its one uncropped rendition (or the original) until the crops are made."""
    picture = article.picture if article.picture_id else None
    if picture is None or not picture.file:
        return []
    images = []
    for shape in CROP_SHAPES:
        made = picture.crop(shape).get("jpeg")
        if made:
            wide = [entry for entry in made if entry[0] >= GOOGLE_MIN_WIDTH]
            width, height, name = min(wide) if wide else max(made)
            images.append(_image_object(request, default_storage.url(name), width, height))
    if not images:
        shared = social_picture(request, article)
        images.append(_image_object(request, shared.url, shared.width, shared.height))
    return images


def _image_object(request: HttpRequest, url: str, width, height) -> dict:
    data = {"@type": "ImageObject", "url": absolute(request, url)}
    if width and height:
        data |= {"width": width, "height": height}
    return data


def news_article(request: HttpRequest, article: Article, images: list, live=None) -> dict:
    """schema.org NewsArticle for the story page; LiveBlogPosting for a live page, with its
    coverage times and latest updates (Google's live blog markup)."""
    data: dict = {
        "@context": "https://schema.org",
        "@type": "LiveBlogPosting" if live else SCHEMA_TYPES.get(article.label, "NewsArticle"),
        "headline": article.headline,
        "description": article.meta_description or article.standfirst,
        "mainEntityOfPage": absolute(request, article.get_absolute_url()),
        "inLanguage": article.language,
        "articleSection": article.section.name,
        "publisher": {
            "@type": "NewsMediaOrganization",
            "name": settings.SITE_NAME,
            "url": absolute(request, reverse("home")),
            "logo": {"@type": "ImageObject", "url": absolute(request, static("img/logo.svg"))},
        },
    }
    if article.publish_at:
        data["datePublished"] = article.publish_at.isoformat()
        data["dateModified"] = (article.updated_at or article.publish_at).isoformat()
    if images:
        data["image"] = images
    authors = [person(request, author) for author in article.byline]
    if article.seo_title:
        data["name"] = article.seo_title
    wire = article.wire_service if article.wire_service_id else None
    if authors:
        data["author"] = authors
    elif wire is not None and article.is_wire_copy:
        data["author"] = [{"@type": "Organization", "name": wire.name}]
    else:
        data["author"] = [{"@type": "Organization", "name": settings.SITE_NAME}]
    if wire is not None:
        # Only the agency's own copy is from it; "according to" an agency is a credit, and
        # "with reporting by" one makes it a contributor, not the source.
        data["creditText"] = str(article.wire_credit)
        if article.is_wire_copy:
            data["sourceOrganization"] = agency(wire)
        elif article.wire_attribution == Article.Attribution.ADDITIONAL_REPORTING:
            data["contributor"] = [agency(wire)]
    if article.label:
        data["genre"] = str(article.get_label_display())
    keywords = [tag.name for tag in article.tag_list]
    if keywords:
        data["keywords"] = keywords
    if live:
        add_live_coverage(request, data, article, live)
    return data


def person(request: HttpRequest, author) -> dict:
    """A byline's author, with their photo (loaded with the byline): its square crop, or the
    original until the crops are made."""
    data = {
        "@type": "Person",
        "name": author.name,
        "url": absolute(request, author.get_absolute_url()),
    }
    picture = author.picture if author.picture_id else None
    if picture is not None and picture.file:
        url = best_jpeg(picture.crop("1:1"), PORTRAIT_WIDTH) or picture.file.url
        data["image"] = absolute(request, url)
    return data


def agency(wire) -> dict:
    found: dict = {"@type": "NewsMediaOrganization", "name": wire.name}
    if wire.website:
        found["url"] = wire.website
    return found


def add_live_coverage(request: HttpRequest, data: dict, article: Article, live) -> None:
    url = data["mainEntityOfPage"]
    if article.coverage_started_at:
        data["coverageStartTime"] = article.coverage_started_at.isoformat()
    if article.coverage_ended_at:
        data["coverageEndTime"] = article.coverage_ended_at.isoformat()
    if live.newest and article.publish_at and live.newest > article.publish_at:
        data["dateModified"] = max(live.newest, article.updated_at or live.newest).isoformat()
    updates = []
    for entry in live.entries[:LIVE_UPDATES]:
        update: dict = {
            "@type": "BlogPosting",
            "headline": entry.title or Truncator(strip_tags(entry.body)).chars(110),
            "datePublished": entry.posted_at.isoformat(),
            "url": f"{url}#{entry.anchor()}",
            "articleBody": strip_tags(entry.body),
        }
        if entry.edited_at:
            update["dateModified"] = entry.edited_at.isoformat()
        authors = entry.authors.all()
        update["author"] = [
            {"@type": "Person", "name": a.name, "url": absolute(request, a.get_absolute_url())}
            for a in authors
        ] or [{"@type": "Organization", "name": settings.SITE_NAME}]
        updates.append(update)
    if updates:
        data["liveBlogUpdate"] = updates
