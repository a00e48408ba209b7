"""Pieces: parts of stored pages kept on their own and set into each page as it is served.

A part that many pages print and that changes far more often than they do (the rail of latest
stories, new with every story published anywhere) would retire all of those pages at every
change. As a piece it is built once per change, kept as a remembered value under its own keys,
and set into each stored page when the page is served: the pages stay stored. The first
request after a change that finds a piece not kept builds the piece alone, in the language and
time zone of the page it is set into.

An app registers a piece with the keys it depends on and how to render it (`register()`); a
template prints it with `{% piece "name" %}` (templatetags/pieces.py), which leaves a mark in a
page being built for the cache and the piece itself anywhere else.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

# Modules, not names: pages uses this module too.
from newsroom.pagecache import pages, values


@dataclass(frozen=True)
class Piece:
    name: str
    # What it depends on besides EVERY_PAGE (the site's language and time zone it is shown in).
    keys: frozenset[str]
    # The piece as HTML, in the language and time zone active when called.
    render: Callable[[], str]

    def value_name(self) -> str:
        return f"piece:{self.name}"


logger = logging.getLogger(__name__)

_pieces: dict[str, Piece] = {}


def register(name: str, keys: Iterable[str], render: Callable[[], str]) -> None:
    _pieces[name] = Piece(name, frozenset({pages.EVERY_PAGE, *keys}), render)


def mark(name: str) -> bytes:
    """Where a stored page has the piece; story text never holds one (comments are stripped)."""
    return f"<!--newsroom-piece:{name}-->".encode()


def place(request: HttpRequest | None, name: str) -> SafeString:
    """What a template prints: in a page being built for the cache, the piece's mark (the plan
    records the piece as built now); elsewhere the piece."""
    piece = _pieces[name]
    plan = getattr(request, "page_plan", None)
    if plan is None or not settings.PAGE_CACHE:
        return mark_safe(piece.render())  # noqa: S308  (rendered by a template, escaped there)
    plan.pieces[name] = built(piece)
    return mark_safe(mark(name).decode())  # noqa: S308  (a fixed comment)


def built(piece: Piece) -> str:
    return values.remembered(piece.value_name(), piece.keys, piece.render)


def current(names: Iterable[str], language: str, zone: str) -> dict[str, str] | None:
    """The HTML of each piece for the current versions, kept or built now in `language` and
    `zone`; None when one cannot be had (an unknown piece, the database down)."""
    found: dict[str, str] = {}
    for name in names:
        piece = _pieces.get(name)
        if piece is None:
            return None
        ok, value = values.kept(piece.value_name(), piece.keys)
        if not ok:
            try:
                with translation.override(language or None), timezone.override(zone or None):
                    value = built(piece)
            except DatabaseError:
                logger.warning("piece %s could not be built", name, exc_info=True)
                return None
        found[name] = str(value)
    return found


def keys_of(names: Iterable[str]) -> set[str]:
    return {key for name in names if name in _pieces for key in _pieces[name].keys}


def fill(body: bytes, texts: dict[str, str]) -> bytes:
    """The page's body with each piece set in at its mark."""
    for name, text in texts.items():
        body = body.replace(mark(name), text.encode(), 1)
    return body
