"""Around a story: its section's previous and next stories, and the related ones.

They change with every story published in the section or under one of its tags, the story's
page seldom: on a story's public page they are a piece (newsroom.pagecache.pieces), its "nav"
and "related" parts, built again alone after such a change instead of the whole page.
"""

from django.template.loader import render_to_string
from taggit.models import Tag

from articles.invalidation import article_key, section_key, stories_keys, tag_key
from articles.models import Article
from articles.stories import languages, published_story
from newsroom.pagecache import pieces, remembered

AROUND = "story-around"
PARTS = ("nav", "related")


def around(article: Article, tags: list[Tag], preview: bool) -> tuple[list, object, object]:
    """Related stories and the section's previous and next ones, as teasers.

    Which stories they are is kept until a story joins or leaves the section or one of the tags
    (or the clock publishes one); the teasers themselves are read fresh, in one query.
    """
    published = Article.objects.published()

    def choose() -> tuple[list[int], int | None, int | None]:
        return published.related_to(article, [tag.pk for tag in tags]), *published.neighbours(
            article
        )

    related_ids, previous_id, next_id = remembered(
        f"around:{article.pk}:{article.publish_at}", lists(article, tags), choose
    )
    if preview:
        previous_id = next_id = None
    wanted = [pk for pk in (*related_ids, previous_id, next_id) if pk is not None]
    # Unordered: the ids say the order.
    found = published.teasers().order_by().in_bulk(wanted) if wanted else {}
    related = [found[pk] for pk in related_ids if pk in found]
    previous = found.get(previous_id) if previous_id else None
    return related, previous, found.get(next_id) if next_id else None


def lists(article: Article, tags: list[Tag]) -> list[str]:
    """The keys of the lists the stories around come from."""
    return [section_key(article.section_id), *(tag_key(tag.pk) for tag in tags)]


def piece_keys(article: Article, tags: list[Tag]) -> list[str]:
    """What the piece of a published story depends on: the lists, and the story itself (its
    place in them)."""
    return [article_key(article.pk), *lists(article, tags)]


def render(slug: str) -> pieces.Rendered:
    """The piece of the published story at `slug`: its parts, and the stories they show."""
    article = published_story(slug)
    related, previous, following = around(article, article.tag_list, preview=False)
    values = {
        "article": article,
        "related": related,
        "previous": previous,
        "next": following,
        **languages(article),
    }
    parts: dict[str, str] = {
        part: render_to_string(f"articles/includes/story_{part}.html", values) for part in PARTS
    }
    return parts, tuple(stories_keys([*related, previous, following]))


def register() -> None:
    pieces.register(AROUND, [], render)
