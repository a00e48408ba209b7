"""Agency documents read into plain items: ninjs 1.x/2.x, NewsML-G2, RSS 2.0 and Atom.

`parse(data)` detects the format from the content (or takes the one a source names) and
returns the document's items, or raises `Refused` with the reason in plain words: too large,
not valid in its encoding, hostile XML (entity declarations, external entities), or not a
format we read. XML is read with defusedxml and matched on namespace URIs, never prefixes.
"""

import copy
import html
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.etree.ElementTree import tostring

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeTree
from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from articles.richtext import sanitize_body


class Refused(Exception):
    """The document (or one item) cannot be taken; the message says why."""


@dataclass
class Picture:
    href: str
    credit: str = ""
    caption: str = ""
    alt: str = ""
    width: int | None = None
    height: int | None = None
    mimetype: str = ""


@dataclass
class ParsedItem:
    guid: str
    version: int | None = None
    pub_status: str = "usable"
    kind: str = "text"
    headline: str = ""
    body: str = ""
    byline: str = ""
    dateline: str = ""
    language: str = ""
    urgency: int | None = None
    embargo: datetime | None = None
    first_created: datetime | None = None
    version_created: datetime | None = None
    subjects: list[dict] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    pictures: list[Picture] = field(default_factory=list)
    signals: list[str] = field(default_factory=list)
    raw: str = ""
    format: str = ""


def max_bytes() -> int:
    return settings.WIRE_MAX_BYTES


def detect(data: bytes) -> str:
    """ "ninjs", "newsml", "rss" or "atom", from the content; Refused when it is none of them."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head in (b"{", b"["):
        return "ninjs"
    if head == b"<":
        root = xml_root(data)
        name = local_name(root.tag)
        namespace = root.tag[1:].partition("}")[0] if root.tag.startswith("{") else ""
        if namespace == NAR and name in ("newsMessage", "newsItem", "packageItem"):
            return "newsml"
        if name == "rss":
            return "rss"
        if namespace == ATOM and name in ("feed", "entry"):
            return "atom"
        raise Refused(_("an XML document of a kind we do not read (<%(name)s>)") % {"name": name})
    raise Refused(_("neither JSON nor XML"))


def parse(data: bytes, format: str = "auto") -> list[ParsedItem]:
    """The document's items; Refused (with the reason) when the document cannot be read."""
    from articles.wire.parsers import feeds, newsml, ninjs

    if len(data) > max_bytes():
        raise Refused(_("larger than the limit of %(limit)s bytes") % {"limit": f"{max_bytes():,}"})
    if format in ("", "auto"):
        format = detect(data)
    readers = {
        "ninjs": ninjs.read,
        "newsml": newsml.read,
        "rss": feeds.read_rss,
        "atom": feeds.read_atom,
    }
    if format not in readers:
        raise Refused(_("unknown format %(format)s") % {"format": format})
    items = readers[format](data)
    for item in items:
        item.format = format
        if not item.guid:
            raise Refused(_("an item without an id"))
    return items


# --- Shared helpers ---------------------------------------------------------------------------

NAR = "http://iptc.org/std/nar/2006-10-01/"
XHTML = "http://www.w3.org/1999/xhtml"
ATOM = "http://www.w3.org/2005/Atom"


def xml_root(data: bytes):
    """The parsed document's root; entity declarations, external entities and DTDs refused."""
    try:
        return SafeTree.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise Refused(
            _("hostile XML refused (%(what)s): entity and DTD declarations are not read")
            % {"what": type(exc).__name__}
        ) from None
    except SafeTree.ParseError as exc:
        raise Refused(_("malformed XML or wrong encoding (%(error)s)") % {"error": exc}) from None


def read_json(data: bytes):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Refused(
            _("not valid UTF-8 (byte %(position)d): wrong encoding") % {"position": exc.start}
        ) from None
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise Refused(_("malformed JSON (%(error)s)") % {"error": exc}) from None


def local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


def xhtml(elements) -> str:
    """XHTML elements as plain HTML (no namespace prefixes for the sanitizer to drop)."""
    parts = []
    for element in elements:
        element = copy.deepcopy(element)
        for each in element.iter():
            if isinstance(each.tag, str):
                each.tag = local_name(each.tag)
        parts.append(tostring(element, encoding="unicode", method="html"))
    return body_html("".join(parts))


def plain(text: str | None, limit: int = 500) -> str:
    """Markup and runs of spaces out: what a headline or byline field holds."""
    cleaned = html.unescape(strip_tags(text or ""))
    return re.sub(r"\s+", " ", cleaned).strip()[:limit]


def body_html(markup: str | None) -> str:
    """The body with the story allowlist applied (the same as an editor's save)."""
    return sanitize_body(markup or "")


def text_to_html(text: str | None) -> str:
    """Plain text as paragraphs: one per blank-line-separated block."""
    blocks = [block.strip() for block in re.split(r"\n\s*\n", text or "") if block.strip()]
    return "".join(f"<p>{html.escape(block)}</p>" for block in blocks)


def moment(value) -> datetime | None:
    """An ISO 8601 time (naive ones are UTC); None when missing or not a time."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = parse_datetime(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed is None:
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)
    return parsed


def number(value) -> int | None:
    """A non-negative whole number from "3", 3 or 3.0; None otherwise."""
    try:
        result = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return result if 0 <= result < 10**18 else None


PUB_STATUSES = {"usable", "withheld", "canceled"}


def pub_status(value: str | None) -> str:
    """ "stat:canceled", "canceled" or "cancelled" → "canceled"; anything unknown is usable."""
    name = (value or "usable").rpartition(":")[2].strip().lower()
    if name == "cancelled":
        name = "canceled"
    return name if name in PUB_STATUSES else "usable"
