"""RSS 2.0 and Atom feeds, as smaller agencies send them: each entry is an item with no
version number (a later `updated`/`pubDate` is a newer version)."""

from email.utils import parsedate_to_datetime
from xml.etree.ElementTree import Element, tostring

from django.utils.translation import gettext as _

from articles.wire.parsers import (
    ATOM,
    ParsedItem,
    Picture,
    Refused,
    body_html,
    local_name,
    moment,
    number,
    plain,
    text_to_html,
    xhtml,
    xml_root,
)

CONTENT = "http://purl.org/rss/1.0/modules/content/"
DC = "http://purl.org/dc/elements/1.1/"
MEDIA = "http://search.yahoo.com/mrss/"


def _rfc822(value: str | None):
    if not value:
        return None
    try:
        return parsedate_to_datetime(value.strip())
    except (TypeError, ValueError):
        return moment(value)


def _child_text(element: Element, tag: str) -> str:
    found = element.find(tag)
    return "".join(found.itertext()) if found is not None else ""


def _markup(text: str) -> str:
    """A description may be HTML or plain text."""
    return body_html(text) if "<" in text else text_to_html(text)


def read_rss(data: bytes) -> list[ParsedItem]:
    root = xml_root(data)
    channel = root.find("channel")
    if channel is None:
        raise Refused(_("an RSS document without a channel"))
    language = plain(_child_text(channel, "language"), 20)
    items = []
    for entry in channel.findall("item"):
        published = _rfc822(_child_text(entry, "pubDate") or _child_text(entry, f"{{{DC}}}date"))
        encoded = _child_text(entry, f"{{{CONTENT}}}encoded")
        description = _child_text(entry, "description")
        pictures = [
            Picture(
                href=media.get("url", ""),
                credit=plain(_child_text(media, f"{{{MEDIA}}}credit"), 120),
                caption=plain(_child_text(media, f"{{{MEDIA}}}description"), 300),
                width=number(media.get("width")),
                height=number(media.get("height")),
                mimetype=media.get("type", ""),
            )
            for media in [*entry.iter(f"{{{MEDIA}}}content"), *entry.findall("enclosure")]
            if media.get("url") and media.get("type", "image/").startswith("image/")
        ]
        items.append(
            ParsedItem(
                guid=plain(_child_text(entry, "guid") or _child_text(entry, "link"), 400),
                headline=plain(_child_text(entry, "title")),
                body=_markup(encoded or description),
                byline=plain(
                    _child_text(entry, f"{{{DC}}}creator") or _child_text(entry, "author"), 300
                ),
                language=language,
                first_created=published,
                version_created=published,
                keywords=[plain(c.text, 100) for c in entry.findall("category") if c.text],
                pictures=pictures,
                raw=tostring(entry, encoding="unicode"),
            )
        )
    return items


def read_atom(data: bytes) -> list[ParsedItem]:
    root = xml_root(data)
    entries = [root] if local_name(root.tag) == "entry" else root.findall(f"{{{ATOM}}}entry")
    language = plain(root.get("{http://www.w3.org/XML/1998/namespace}lang"), 20)
    items = []
    for entry in entries:

        def text(name: str, element: Element = entry) -> str:
            return _child_text(element, f"{{{ATOM}}}{name}")

        content = entry.find(f"{{{ATOM}}}content")
        if content is None:
            content = entry.find(f"{{{ATOM}}}summary")
        if content is not None and content.get("type") == "xhtml":
            body = xhtml(content)
        elif content is not None and content.get("type") == "html":
            body = body_html("".join(content.itertext()))
        else:
            body = text_to_html("".join(content.itertext()) if content is not None else "")
        author = entry.find(f"{{{ATOM}}}author")
        pictures = [
            Picture(href=link.get("href", ""), mimetype=link.get("type", ""))
            for link in entry.findall(f"{{{ATOM}}}link")
            if link.get("rel") == "enclosure" and link.get("type", "").startswith("image/")
        ]
        items.append(
            ParsedItem(
                guid=plain(text("id"), 400),
                headline=plain(text("title")),
                body=body,
                byline=plain(text("name", author) if author is not None else "", 300),
                language=plain(
                    entry.get("{http://www.w3.org/XML/1998/namespace}lang") or language, 20
                ),
                first_created=moment(text("published")) or moment(text("updated")),
                version_created=moment(text("updated")) or moment(text("published")),
                keywords=[
                    plain(c.get("label") or c.get("term"), 100)
                    for c in entry.findall(f"{{{ATOM}}}category")
                    if c.get("term")
                ],
                pictures=pictures,
                raw=tostring(entry, encoding="unicode"),
            )
        )
    return items
