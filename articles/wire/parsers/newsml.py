"""NewsML-G2: a `newsMessage` carrying items, or one `newsItem` or `packageItem`.

Text items become wire items; picture items are attached to the text items a `packageItem`
groups them with (or, in a message without a package, to its text items). Elements are matched
by namespace URI, whatever prefix the agency uses.
"""

from xml.etree.ElementTree import Element, tostring

from django.utils.translation import gettext as _

from articles.wire.parsers import (
    NAR,
    XHTML,
    ParsedItem,
    Picture,
    Refused,
    local_name,
    moment,
    number,
    plain,
    pub_status,
    text_to_html,
    xhtml,
    xml_root,
)


def _q(name: str) -> str:
    return f"{{{NAR}}}{name}"


def _find(element: Element | None, path: str) -> Element | None:
    if element is None:
        return None
    return element.find("/".join(_q(part) for part in path.split("/")))


def _text(element: Element | None, path: str) -> str:
    found = _find(element, path)
    return "".join(found.itertext()) if found is not None else ""


def _qcode(element: Element | None, path: str) -> str:
    found = _find(element, path)
    return found.get("qcode", "") if found is not None else ""


def read(data: bytes) -> list[ParsedItem]:
    root = xml_root(data)
    name = local_name(root.tag)
    if name == "newsMessage":
        members = [
            child
            for item_set in root.iter(_q("itemSet"))
            for child in item_set
            if local_name(child.tag) in ("newsItem", "packageItem")
        ]
    else:
        members = [root]
    news_items = [m for m in members if local_name(m.tag) == "newsItem"]
    packages = [m for m in members if local_name(m.tag) == "packageItem"]
    pictures = {
        m.get("guid"): _picture(m) for m in news_items if _item_class(m) in ("picture", "graphic")
    }
    texts = [m for m in news_items if m.get("guid") not in pictures]
    parsed = {m.get("guid"): _item(m) for m in texts}
    for package in packages:
        refs = [ref.get("residref") for ref in package.iter(_q("itemRef"))]
        attached = [pictures[ref] for ref in refs if ref in pictures]
        for ref in refs:
            if ref in parsed:
                parsed[ref].pictures.extend(p for p in attached if p is not None)
    if not packages:
        for item in parsed.values():
            item.pictures.extend(p for p in pictures.values() if p is not None)
    if not parsed and pictures:
        # A picture sent alone is an item of its own on the desk.
        parsed = {m.get("guid"): _item(m) for m in news_items}
    if not parsed:
        raise Refused(_("a NewsML-G2 document with no news item"))
    return list(parsed.values())


def _item_class(item: Element) -> str:
    return _qcode(item, "itemMeta/itemClass").rpartition(":")[2]


def _body(item: Element) -> str:
    for inline in item.iter(_q("inlineXML")):
        html_root = next(iter(inline), None)
        if html_root is None:
            continue
        body = html_root.find(f".//{{{XHTML}}}body")
        container = body if body is not None else html_root
        return xhtml(container)
    for inline in item.iter(_q("inlineData")):
        return text_to_html(inline.text)
    return ""


def _picture(item: Element) -> Picture | None:
    remote = [r for r in item.iter(_q("remoteContent")) if r.get("href")]
    if not remote:
        return None
    best = max(remote, key=lambda r: number(r.get("width")) or 0)
    content = _find(item, "contentMeta")
    return Picture(
        href=best.get("href", ""),
        credit=plain(_text(content, "creditline"), 120),
        caption=plain(_text(content, "description") or _text(content, "headline"), 300),
        alt=plain(_text(content, "headline") or _text(content, "description"), 250),
        width=number(best.get("width")),
        height=number(best.get("height")),
        mimetype=best.get("contenttype", ""),
    )


def _item(item: Element) -> ParsedItem:
    meta = _find(item, "itemMeta")
    content = _find(item, "contentMeta")
    picture = _picture(item) if _item_class(item) in ("picture", "graphic") else None
    own_picture = [picture] if picture is not None else []
    signals = [
        signal.get("qcode", "").rpartition(":")[2].lower()
        for signal in (meta.iter(_q("signal")) if meta is not None else [])
    ]
    language = _find(content, "language")
    subjects = [
        {
            "name": plain(_text(subject, "name") or subject.get("qcode"), 100),
            "code": subject.get("qcode") or subject.get("uri") or "",
        }
        for subject in (content.findall(_q("subject")) if content is not None else [])
    ]
    keywords = [
        plain("".join(k.itertext()), 100)
        for k in (content.findall(_q("keyword")) if content is not None else [])
    ]
    return ParsedItem(
        guid=plain(item.get("guid"), 400),
        version=number(item.get("version")),
        pub_status=pub_status(_qcode(item, "itemMeta/pubStatus")),
        kind=_item_class(item) or "text",
        headline=plain(_text(content, "headline")),
        body=_body(item),
        byline=plain(_text(content, "by"), 300),
        dateline=plain(_text(content, "dateline") or _text(content, "located/name"), 200),
        language=plain(language.get("tag") if language is not None else "", 20),
        urgency=number(_text(content, "urgency")),
        embargo=moment(_text(meta, "embargoed")),
        first_created=moment(_text(meta, "firstCreated")),
        version_created=moment(_text(meta, "versionCreated")),
        subjects=[s for s in subjects if s["name"]],
        keywords=[k for k in keywords if k],
        pictures=own_picture,
        signals=sorted(set(filter(None, signals))),
        raw=tostring(item, encoding="unicode"),
    )
