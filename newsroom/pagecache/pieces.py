"""Pieces: parts of stored pages kept on their own and set into each page as it is served.

A part that changes far more often than the page around it (the rail of latest stories beside
every list, new with every story published anywhere; a story's previous, next and related
stories, new with every story published in its section) would retire the page at every change.
As a piece it is built once per change, kept as a remembered value under its own keys, and set
into the stored page when the page is served: the page stays stored. The first request after a
change that finds a piece not kept builds the piece alone, in the language and time zone of the
page it is set into.

An app registers a piece with the keys every instance depends on and how to render one
(`register()`): from an argument (a story's address, say) to its parts' HTML and the keys it
learnt while rendering (the stories it shows). A template prints a part with
`{% piece "name" arg=… part=… keys=… %}` (templatetags/pieces.py), `keys` naming what this
instance also depends on: in a page being built for the cache, a mark; anywhere else, the part.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import DatabaseError
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

# Modules, not names: pages uses this module too.
from newsroom.pagecache import pages, values

logger = logging.getLogger(__name__)

# A piece's parts by name, and the keys it learnt while rendering them.
Rendered = tuple[dict[str, str], tuple[str, ...]]
# A piece in a page: its name, its argument, and every key it depends on.
Placed = tuple[str, str, tuple[str, ...]]


@dataclass(frozen=True)
class Piece:
    # What every instance depends on, EVERY_PAGE included (the language and zone it is shown in).
    keys: frozenset[str]
    # The parts' HTML for an argument, in the language and time zone active when called.
    render: Callable[[str], Rendered]


_pieces: dict[str, Piece] = {}


def register(name: str, keys: Iterable[str], render: Callable[[str], Rendered]) -> None:
    _pieces[name] = Piece(frozenset({pages.EVERY_PAGE, *keys}), render)


def mark(name: str, arg: str = "", part: str = "") -> bytes:
    """Where a stored page has a part; story text never holds one (comments are stripped, and
    a headline spelling one is escaped)."""
    return f"<!--newsroom-piece:{name}:{arg}:{part}-->".encode()


def place(
    request: HttpRequest | None, name: str, arg: str = "", part: str = "", keys: Iterable[str] = ()
) -> SafeString:
    """What a template prints for a part: in a page being built for the cache, its mark (the
    plan records the piece as built now); elsewhere the part."""
    placed = (name, arg, tuple(sorted(_pieces[name].keys.union(keys))))
    plan = getattr(request, "page_plan", None)
    if plan is None or not settings.PAGE_CACHE:
        return mark_safe(built(placed)[0][part])  # noqa: S308  (rendered by a template)
    plan.pieces.setdefault(placed, built(placed))
    return mark_safe(mark(name, arg, part).decode())  # noqa: S308  (a fixed comment)


def built(placed: Placed) -> Rendered:
    name, arg, keys = placed
    render = _pieces[name].render
    return values.remembered(
        _value_name(placed), keys, lambda: render(arg), learnt=lambda rendered: rendered[1]
    )


def _value_name(placed: Placed) -> str:
    name, arg, _keys = placed
    return f"piece:{name}:{arg}"


def current(placed: Iterable[Placed], language: str, zone: str) -> dict[Placed, Rendered] | None:
    """Each piece for the current versions, kept or built now in `language` and `zone`; None
    when one cannot be had (a piece no longer registered, what it shows gone, the database
    down)."""
    found: dict[Placed, Rendered] = {}
    for each in placed:
        name, _arg, keys = each
        if name not in _pieces:
            return None
        ok, value = values.kept(_value_name(each), keys)
        if ok:
            found[each] = value  # type: ignore[assignment]  # what built() kept
            continue
        try:
            with translation.override(language or None), timezone.override(zone or None):
                found[each] = built(each)
        except ObjectDoesNotExist:
            return None  # what it shows is gone: the page is built again (and says so)
        except DatabaseError:
            logger.warning("piece %s could not be built", name, exc_info=True)
            return None
    return found


def keys_of(pieces: dict[Placed, Rendered]) -> set[str]:
    """Every key the pieces depend on, learnt ones included (for the edge)."""
    return {
        key for (_name, _arg, keys), (_parts, learnt) in pieces.items() for key in (*keys, *learnt)
    }


def fill(body: bytes, pieces: dict[Placed, Rendered]) -> bytes:
    """The page's body with each part set in at its mark."""
    for (name, arg, _keys), (parts, _learnt) in pieces.items():
        for part, text in parts.items():
            body = body.replace(mark(name, arg, part), text.encode(), 1)
    return body
