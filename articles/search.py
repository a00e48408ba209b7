"""Story search: PostgreSQL ranks a stored, weighted vector; other databases fall back to LIKE
over accent-folded text. Both also find a story by the names of its tags and authors, and put
stories holding the words exactly as typed (accents included) first.

The vector lives in ``Article.search_vector``. Saving a story refreshes it (see
``refresh_search_vector``, connected in ``ArticlesConfig.ready``); paths that skip ``save()``, such
as ``bulk_create`` or ``QuerySet.update()`` of the text, call ``update_search_vectors()`` after.
"""

import html
import re
import unicodedata
from typing import Any

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
)
from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    F,
    Func,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Concat
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe
from taggit.models import TaggedItem

# Romanian stemming over unaccented words, so "romania" finds "România" (migration 0004).
SEARCH_CONFIG = "newsroom_ro"
MAX_QUERY_LENGTH = 200
SEARCHED_FIELDS = frozenset({"headline", "standfirst", "body"})

# Private-use characters mark highlights while the snippet is still plain text, so that the
# text can be escaped after the database has chosen what to highlight. clean_query() keeps them
# out of queries; one pasted into a story could only move a highlight, never unbalance markup.
HIGHLIGHT_START = "\ue000"
HIGHLIGHT_STOP = "\ue001"
_HIGHLIGHT_SPLIT = re.compile(f"([{HIGHLIGHT_START}{HIGHLIGHT_STOP}])")

_TAG = re.compile(r"<[^>]*>")

RANKED_MATCHES = 500
FALLBACK_MAX_TERMS = 8
SNIPPET_WORDS = 30


class BodyText(Func):
    """The body as plain text: tags dropped and the entities the sanitizer writes decoded."""

    template = (
        "replace(replace(replace(replace(replace("
        "regexp_replace(%(expressions)s, '<[^>]*>', ' ', 'g'),"
        " '&nbsp;', ' '), '&lt;', '<'), '&gt;', '>'), '&quot;', '\"'), '&amp;', '&')"
    )
    output_field = TextField()


def search_vector() -> CombinedExpression:
    """The weighted vector stored per story: headline A, standfirst B, body C."""
    return (
        SearchVector("headline", weight="A", config=SEARCH_CONFIG)
        + SearchVector("standfirst", weight="B", config=SEARCH_CONFIG)
        + SearchVector(BodyText("body"), weight="C", config=SEARCH_CONFIG)
    )


def fold(text: str) -> str:
    """Lower case without accents: "Ștafetă" and "ştafeta" both become "stafeta"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _sql_fold(text: str | None) -> str | None:
    return None if text is None else fold(text)


def register_fold(sender, connection, **kwargs) -> None:
    """connection_created receiver: SQLite gets fold() as the SQL function newsroom_fold."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "newsroom_fold",
            1,
            lambda text: None if text is None else fold(text),
            deterministic=True,
        )


class Folded(Func):
    function = "newsroom_fold"
    output_field = TextField()


def uses_full_text(using: str = "default") -> bool:
    return connections[using].vendor == "postgresql"


def update_search_vectors(queryset: QuerySet) -> int:
    """Recompute the stored vectors of an unsliced queryset of stories; returns rows updated.

    Call it after loading stories without save() (bulk_create, imports, QuerySet.update() of
    headline, standfirst or body). Elsewhere than on PostgreSQL there is no vector: it does nothing.
    """
    if not uses_full_text(queryset.db):
        return 0
    return queryset.order_by().update(search_vector=search_vector())


def refresh_search_vector(sender, instance, using, update_fields=None, **kwargs) -> None:
    """post_save receiver: a saved story's text is searchable as it now stands."""
    if update_fields is not None and not SEARCHED_FIELDS.intersection(update_fields):
        return
    update_search_vectors(sender._base_manager.using(using).filter(pk=instance.pk))


def clean_query(raw: str) -> str:
    """The query as searched: printable characters only, spaces collapsed, length capped."""
    printable = "".join(ch if ch.isprintable() else " " for ch in raw[: MAX_QUERY_LENGTH * 2])
    return " ".join(printable.split())[:MAX_QUERY_LENGTH].strip()


def match_limit(using: str = "default") -> int | None:
    """How many matches a search returns at most, if it is capped on this database."""
    return RANKED_MATCHES if uses_full_text(using) else None


def search_articles(queryset: QuerySet, query: str) -> QuerySet:
    """The stories of ``queryset`` matching ``query``, best match first.

    On PostgreSQL, the newest RANKED_MATCHES matches ranked by relevance, each row carrying
    ``headline_marked`` and ``snippet_marked``: plain text with highlight markers, which
    ``highlight()`` turns into safe HTML. Elsewhere, every match, newest first.
    """
    if uses_full_text(queryset.db):
        return _full_text(queryset, query)
    return _fallback(queryset, query)


def _full_text(queryset: QuerySet, query: str) -> QuerySet:
    tsquery = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
    marks: dict[str, Any] = {
        "start_sel": HIGHLIGHT_START,
        "stop_sel": HIGHLIGHT_STOP,
        "config": SEARCH_CONFIG,
    }
    # Ranking scores every candidate, and a common word matches half the archive: rank only the
    # newest matches, so a search costs the same at a thousand stories or a million.
    newest_matches = (
        queryset.filter(search_vector=tsquery)
        .order_by("-publish_at", "-pk")
        .values("pk")[:RANKED_MATCHES]
    )
    words = re.findall(r"\w+", query)
    if words:
        # Stories whose tags or authors hold every word: found apart, so that the vector's
        # match keeps its index.
        named = Q()
        for word in words:
            named &= _named(queryset, word)
        by_name = queryset.filter(named).order_by("-publish_at", "-pk").values("pk")
        newest_matches = newest_matches.union(by_name[:RANKED_MATCHES], all=True)
    return (
        _exact_first(queryset.filter(pk__in=newest_matches), query)
        .annotate(
            rank=SearchRank(F("search_vector"), tsquery),
            # PostgreSQL defers these costly expressions past ORDER BY … LIMIT: only the page's
            # rows get a headline.
            headline_marked=SearchHeadline("headline", tsquery, highlight_all=True, **marks),
            snippet_marked=SearchHeadline(
                Concat("standfirst", Value(" "), BodyText("body"), output_field=TextField()),
                tsquery,
                max_words=SNIPPET_WORDS,
                min_words=SNIPPET_WORDS // 2,
                max_fragments=2,
                fragment_delimiter=" … ",
                **marks,
            ),
        )
        .order_by("-exact", "-rank", "-publish_at", "-pk")
        # The page shows the snippet, not the body; neither needs the vector itself.
        .defer("body", "search_vector")
    )


def fallback_terms(query: str) -> list[str]:
    """The query's distinct words; single letters only when there is nothing else."""
    words = list(dict.fromkeys(word.casefold() for word in re.findall(r"\w+", query)))
    return ([word for word in words if len(word) > 1] or words)[:FALLBACK_MAX_TERMS]


def _named(queryset: QuerySet, word: str) -> Q:
    """Stories with a tag or an author whose name holds `word`, accents and case aside.

    Read from the small tag and author tables outwards (ids in), so the archive's size does not
    matter."""
    from articles.models import ArticleAuthor, content_type_of

    tags = TaggedItem.objects.filter(content_type=content_type_of(queryset.model))
    authors = ArticleAuthor.objects.all()
    if uses_full_text(queryset.db):
        tags = tags.filter(tag__name__unaccent__icontains=word)
        authors = authors.filter(author__name__unaccent__icontains=word)
    else:
        tags = tags.alias(folded=Folded("tag__name")).filter(folded__contains=fold(word))
        authors = authors.alias(folded=Folded("author__name")).filter(folded__contains=fold(word))
    return Q(pk__in=tags.values("object_id")) | Q(pk__in=authors.values("article_id"))


def _exactly(words: list[str]) -> Q:
    """Every word in the headline, standfirst or body as typed, accents included (any case)."""
    condition = Q()
    for word in words:
        condition &= (
            Q(headline__icontains=word) | Q(standfirst__icontains=word) | Q(body__icontains=word)
        )
    return condition


def _exact_first(queryset: QuerySet, query: str) -> QuerySet:
    words = [word for word in re.findall(r"\w+", query) if len(word) > 1]
    if not words:
        return queryset.annotate(exact=Value(True, output_field=BooleanField()))
    return queryset.annotate(
        exact=Case(When(_exactly(words), then=True), default=False, output_field=BooleanField())
    )


def _fallback(queryset: QuerySet, query: str) -> QuerySet:
    terms = [fold(term) for term in fallback_terms(query)]
    if not terms:
        return _exact_first(queryset, query).none()
    folded = queryset.annotate(
        folded_headline=Folded("headline"),
        folded_standfirst=Folded("standfirst"),
        folded_body=Folded("body"),
    )
    for term in terms:
        folded = folded.filter(
            Q(folded_headline__contains=term)
            | Q(folded_standfirst__contains=term)
            | Q(folded_body__contains=term)
            | _named(queryset, term)
        )
    return _exact_first(folded, query).order_by("-exact", "-publish_at", "-pk")


def highlight(articles, query: str) -> None:
    """Give each found story ``headline_html`` and ``snippet_html``: escaped, matches in <mark>."""
    terms = fallback_terms(query)
    for article in articles:
        headline = getattr(article, "headline_marked", None)
        snippet = getattr(article, "snippet_marked", None)
        if headline is None:
            headline = _mark_terms(article.headline, terms)
        if snippet is None:
            snippet = _mark_terms(_excerpt(article, terms), terms)
        article.headline_html = marked_to_html(headline.strip())
        article.snippet_html = marked_to_html(" ".join(snippet.split()))


def marked_to_html(marked: str) -> SafeString:
    """Escape plain text, turning highlight markers into balanced <mark> elements."""
    parts = []
    open_mark = False
    for piece in _HIGHLIGHT_SPLIT.split(marked):
        if piece == HIGHLIGHT_START:
            if not open_mark:
                parts.append("<mark>")
                open_mark = True
        elif piece == HIGHLIGHT_STOP:
            if open_mark:
                parts.append("</mark>")
                open_mark = False
        else:
            parts.append(escape(piece))
    if open_mark:
        parts.append("</mark>")
    return mark_safe("".join(parts))  # every piece above was escaped


def _plain(text: str) -> str:
    return _HIGHLIGHT_SPLIT.sub("", text)


def _excerpt(article, terms: list[str]) -> str:
    """About SNIPPET_WORDS words of standfirst and body around the first matched term."""
    # Paragraphs and other blocks part words: "ani.</p><p>Ce" is "ani. Ce", not "ani.Ce".
    body = html.unescape(strip_tags(_TAG.sub(" ", article.body)))
    words = _plain(f"{article.standfirst} {body}").split()
    lowered = [fold(word) for word in words]
    folded_terms = [fold(term) for term in terms]
    first = next(
        (i for i, word in enumerate(lowered) if any(term in word for term in folded_terms)), 0
    )
    start = max(0, first - SNIPPET_WORDS // 3)
    excerpt = " ".join(words[start : start + SNIPPET_WORDS])
    if start > 0:
        excerpt = "… " + excerpt
    if start + SNIPPET_WORDS < len(words):
        excerpt += " …"
    return excerpt


def _mark_terms(text: str, terms: list[str]) -> str:
    """Mark the terms in `text`, accents and case aside ("romania" marks "România")."""
    text = _plain(text)
    if not terms:
        return text
    # fold() keeps one character per letter of these texts (a letter and its accent marks
    # fold to one), so positions in the folded text are positions in the text.
    folded = fold(text)
    if len(folded) != len(text):
        folded = text.casefold()
    pattern = re.compile("|".join(re.escape(fold(term)) for term in terms))
    pieces, last = [], 0
    for match in pattern.finditer(folded):
        pieces += [text[last : match.start()], HIGHLIGHT_START, text[match.start() : match.end()]]
        pieces.append(HIGHLIGHT_STOP)
        last = match.end()
    pieces.append(text[last:])
    return "".join(pieces)
