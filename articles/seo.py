"""What pages tell search engines and sharing previews: the <head>'s metadata and JSON-LD."""

from dataclasses import dataclass

from django.conf import settings
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


def absolute(request: HttpRequest, url: str) -> str:
    return request.build_absolute_uri(url)


def image_url(request: HttpRequest, article: Article) -> str:
    """An absolute URL of the lead image at sharing size, or ""."""
    if not article.image:
        return ""
    return absolute(request, best_jpeg(article.image_renditions) or article.image.url)


def describe(text: str, words: int = 40) -> str:
    return Truncator(strip_tags(text or "").strip()).words(words, truncate="…")


# schema.org's kinds of news article for the story labels; paid content is an advertiser's.
SCHEMA_TYPES: dict[str, str] = {
    Article.Label.OPINION: "OpinionNewsArticle",
    Article.Label.ANALYSIS: "AnalysisNewsArticle",
    Article.Label.REPORTAGE: "ReportageNewsArticle",
    Article.Label.PAID: "AdvertiserContentArticle",
}


def news_article(request: HttpRequest, article: Article, image: str, live=None) -> dict:
    """schema.org NewsArticle for the story page; LiveBlogPosting for a live page, with its
    coverage times and latest updates (Google's live blog markup)."""
    data: dict = {
        "@context": "https://schema.org",
        "@type": "LiveBlogPosting" if live else SCHEMA_TYPES.get(article.label, "NewsArticle"),
        "headline": article.headline,
        "description": article.standfirst,
        "mainEntityOfPage": absolute(request, article.get_absolute_url()),
        "inLanguage": get_language(),
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
    if image:
        data["image"] = [image]
    authors = [
        {
            "@type": "Person",
            "name": author.name,
            "url": absolute(request, author.get_absolute_url()),
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
    if article.label:
        data["genre"] = str(article.get_label_display())
    keywords = [tag.name for tag in article.tag_list]
    if keywords:
        data["keywords"] = keywords
    if live:
        add_live_coverage(request, data, article, live)
    return data


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
