"""Stories kept between requests: a published story as its page prints it — its row with its
section, wire service, lead picture and translation, its byline with the authors' photos, its
corrections and its tags — is the same on every request until one of them changes."""

from django.conf import settings
from django.utils.html import format_html
from django.utils.translation import get_language

from articles.invalidation import article_key, author_key, tag_key
from articles.models import Article, ArticleQuerySet, bylines
from newsroom.pagecache import EVERY_PAGE, remembered


def story_page_query(queryset: ArticleQuerySet) -> ArticleQuerySet:
    """The story and what its page prints with it, in a fixed number of queries."""
    # The translation comes in the same query: the page links to it (hreflang, "Read in…").
    # No page prints a search vector.
    return (
        queryset.select_related("section", "wire_service", "translation", "picture")
        .defer("search_vector", "translation__body", "translation__search_vector")
        .prefetch_related(bylines(), "corrections")
    )


def story_keys(article: Article) -> list[str]:
    """What the story as kept shows, besides the site's sections and wire services (every
    page's): its row, its corrections and lead picture; its authors, their names and photos;
    its tags; its translation's address and headline."""
    keys = [article_key(article.pk)]
    keys += [author_key(author.pk) for author in article.byline]
    keys += [tag_key(tag.pk) for tag in article.tag_list]
    if article.translation_id is not None:
        keys.append(article_key(article.translation_id))
    return keys


def published_story(slug: str) -> Article:
    """The published story at `slug`, with its byline, corrections and tags, loaded
    (Article.DoesNotExist when there is none: that is not kept).

    The story is shared with the process's other requests: callers change nothing on it.
    """
    # A section's or wire service's change bumps EVERY_PAGE. Naming the story's keys reads its
    # byline and tags: a kept story has them.
    return remembered(
        f"story:{slug}",
        [EVERY_PAGE],
        lambda: story_page_query(Article.objects.published()).get(slug=slug),
        timeless=True,
        learnt=story_keys,
    )


def languages(article: Article) -> dict[str, str]:
    """The lang attributes of a story's own text and of the site's labels around it, for a
    story in another language than the site's; empty otherwise."""
    site = get_language() or settings.LANGUAGE_CODE
    if article.language == site:
        return {"text_lang": "", "site_lang": ""}
    return {
        "text_lang": format_html(' lang="{}"', article.language),
        "site_lang": format_html(' lang="{}"', site),
    }
