"""Sitemaps for search engines: stories, sections, tags, authors, and the Google News sitemap.

Only published stories appear, and a section, tag or author only when it has one. Each view
runs a fixed number of queries, however large the archive.
"""

import re
from datetime import datetime, timedelta
from functools import cached_property

from django.contrib.sitemaps import Sitemap
from django.core.paginator import Paginator
from django.db.models import Max, OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from taggit.models import Tag

from articles.models import Article, Author, Section

NEWS_WINDOW = timedelta(days=2)
NEWS_MAX_ITEMS = 1000

# Characters XML 1.0 forbids; one pasted into a headline would make the whole file invalid.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    return _XML_FORBIDDEN.sub("", text)


class PrimaryKeyPaginator(Paginator):
    """Pages by primary key range: page n holds ids ((n - 1) * per_page, n * per_page].

    Each page is one index range scan, as fast on page 900 as on page 1, and a page keeps its
    stories when new ones are published. A page may hold fewer items, or none, where ids are
    drafts or deleted. ``count`` is the highest id, which sizes the range of pages.
    """

    object_list: QuerySet

    @cached_property
    def count(self) -> int:
        return self.object_list.aggregate(last=Max("pk"))["last"] or 0

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = self.object_list.filter(pk__gt=bottom, pk__lte=bottom + self.per_page)
        return self._get_page(rows, number, self)


class PublicSitemap(Sitemap):
    def get_latest_lastmod(self) -> datetime | None:
        # The index would otherwise read every item of every sitemap to date itself; crawlers
        # read each item's lastmod in the sitemaps themselves.
        return None


def article_lastmod(article: Article) -> datetime:
    """When the story's page last changed: publication, a shown update, or an edit after it."""
    return max(
        moment
        for moment in (article.publish_at, article.updated_at, article.modified_at)
        if moment is not None
    )


class ArticleSitemap(PublicSitemap):
    limit = 1000

    def items(self) -> QuerySet:
        return (
            Article.objects.published()
            .only("pk", "slug", "publish_at", "updated_at", "modified_at")
            .order_by("pk")
        )

    @property
    def paginator(self) -> PrimaryKeyPaginator:
        return PrimaryKeyPaginator(self.items(), self.limit)

    def lastmod(self, article: Article) -> datetime:
        return article_lastmod(article)


def _latest_story(**match) -> Subquery:
    """The newest publication time among the published stories matching OuterRef lookups."""
    return Subquery(
        Article.objects.published().filter(**match).order_by("-publish_at").values("publish_at")[:1]
    )


def _latest_tagged() -> Subquery:
    """The newest publication time among the published stories carrying the outer tag."""
    stories = Article.objects.published().tagged(OuterRef(OuterRef("pk")))
    return Subquery(stories.order_by("-publish_at").values("publish_at")[:1])


class SectionSitemap(PublicSitemap):
    def items(self) -> QuerySet:
        return (
            Section.objects.annotate(latest=_latest_story(section=OuterRef("pk")))
            .filter(latest__isnull=False)
            .order_by("position", "name", "pk")
        )

    def lastmod(self, section: Section) -> datetime:
        return section.latest  # type: ignore[attr-defined]  # annotated by items()


class AuthorSitemap(PublicSitemap):
    def items(self) -> QuerySet:
        return (
            Author.objects.annotate(latest=_latest_story(authors=OuterRef("pk")))
            .filter(latest__isnull=False)
            .order_by("name", "pk")
        )

    def lastmod(self, author: Author) -> datetime:
        return author.latest  # type: ignore[attr-defined]  # annotated by items()


class TagSitemap(PublicSitemap):
    def items(self) -> QuerySet:
        return (
            # tagged(): an EXISTS per story on taggit's index (a join on tags would cast ids).
            Tag.objects.annotate(latest=_latest_tagged())
            .filter(latest__isnull=False)
            .order_by("name", "pk")
        )

    def location(self, tag: Tag) -> str:
        return reverse("articles:tag", kwargs={"slug": tag.slug})

    def lastmod(self, tag: Tag) -> datetime:
        return tag.latest


class NewsSitemap(PublicSitemap):
    """Google News: the stories of the last two days, newest first, at most 1000."""

    limit = NEWS_MAX_ITEMS

    def items(self) -> list[Article]:
        since = timezone.now() - NEWS_WINDOW
        return list(
            Article.objects.published()
            .filter(publish_at__gte=since)
            .only("pk", "slug", "headline", "publish_at", "updated_at", "modified_at", "language")
            .order_by("-publish_at", "-pk")[:NEWS_MAX_ITEMS]
        )

    def lastmod(self, article: Article) -> datetime:
        return article_lastmod(article)

    def get_urls(self, page=1, site=None, protocol=None) -> list[dict]:
        urls = super().get_urls(page=page, site=site, protocol=protocol)
        for url in urls:
            article = url["item"]
            url["title"] = xml_text(article.headline)
            url["language"] = article.language
            url["publication_date"] = timezone.localtime(article.publish_at).isoformat(
                timespec="seconds"
            )
        return urls


SITEMAPS = {
    "articles": ArticleSitemap,
    "sections": SectionSitemap,
    "tags": TagSitemap,
    "authors": AuthorSitemap,
}
NEWS_SITEMAPS = {"news": NewsSitemap}
