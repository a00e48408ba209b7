"""Story search: PostgreSQL ranks a stored, weighted vector; other databases fall back to LIKE.

The vector lives in ``Article.search_vector``. Saving a story refreshes it (see
``refresh_search_vector``, connected in ``ArticlesConfig.ready``); paths that skip ``save()``, such
as ``bulk_create`` or ``QuerySet.update()`` of the text, call ``update_search_vectors()`` after.
"""

import html
import re
from typing import Any

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
)
from django.db import connections
from django.db.models import F, Func, Q, QuerySet, TextField, Value
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Concat
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe

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
    return (
        queryset.filter(pk__in=newest_matches)
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
        .order_by("-rank", "-publish_at", "-pk")
        # The page shows the snippet, not the body; neither needs the vector itself.
        .defer("body", "search_vector")
    )


def fallback_terms(query: str) -> list[str]:
    """The query's distinct words; single letters only when there is nothing else."""
    words = list(dict.fromkeys(word.casefold() for word in re.findall(r"\w+", query)))
    return ([word for word in words if len(word) > 1] or words)[:FALLBACK_MAX_TERMS]


def _fallback(queryset: QuerySet, query: str) -> QuerySet:
    terms = fallback_terms(query)
    if not terms:
        return queryset.none()
    for term in terms:
        queryset = queryset.filter(
            Q(headline__icontains=term) | Q(standfirst__icontains=term) | Q(body__icontains=term)
        )
    return queryset.order_by("-publish_at", "-pk")


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
    words = _plain(f"{article.standfirst} {html.unescape(strip_tags(article.body))}").split()
    lowered = [word.casefold() for word in words]
    folded_terms = [term.casefold() for term in terms]
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
    text = _plain(text)
    if not terms:
        return text
    pattern = re.compile("|".join(re.escape(term) for term in terms), re.IGNORECASE)
    return pattern.sub(lambda match: HIGHLIGHT_START + match.group(0) + HIGHLIGHT_STOP, text)
