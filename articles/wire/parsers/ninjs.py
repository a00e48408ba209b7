"""ninjs 1.x and 2.x (IPTC's News in JSON): one document, a list of them, or {"items": [...]}.

1.x has `headline`, `body_html`/`body_text`, `byline`, `subject`, `keywords`; 2.x has
`headlines`, `bodies` and `descriptions` as arrays of objects with a `role`, `by` and
`subjects`. Both have `uri`, `version`, `pubstatus`, `associations` for pictures.
"""

import json

from django.utils.translation import gettext as _

from articles.wire.parsers import (
    ParsedItem,
    Picture,
    Refused,
    body_html,
    moment,
    number,
    plain,
    pub_status,
    read_json,
    text_to_html,
)


def read(data: bytes) -> list[ParsedItem]:
    document = read_json(data)
    if isinstance(document, dict) and isinstance(document.get("items"), list):
        document = document["items"]
    documents = document if isinstance(document, list) else [document]
    items = []
    for each in documents:
        if not isinstance(each, dict) or not isinstance(each.get("uri"), str):
            raise Refused(_("a ninjs item without a uri"))
        parsed = item(each)
        parsed.raw = json.dumps(each, ensure_ascii=False, indent=1)
        items.append(parsed)
    return items


def _first(values, role: str = "main") -> dict:
    """The object with this role in a 2.x array, else the first one."""
    values = [value for value in values or [] if isinstance(value, dict)]
    for value in values:
        if value.get("role") == role:
            return value
    return values[0] if values else {}


def _body(document: dict) -> str:
    if "bodies" in document:  # 2.x
        bodies = [b for b in document["bodies"] or [] if isinstance(b, dict)]
        html = [b for b in bodies if "html" in str(b.get("contenttype", "text/html"))]
        if html:
            return body_html(str(_first(html).get("value", "")))
        return text_to_html(str(_first(bodies).get("value", "")))
    if document.get("body_html"):
        return body_html(str(document["body_html"]))
    return text_to_html(str(document.get("body_text") or ""))


def _pictures(document: dict) -> list[Picture]:
    associations = document.get("associations") or {}
    # 1.x: an object keyed by name; 2.x: an array of objects with a name.
    values = associations.values() if isinstance(associations, dict) else associations
    pictures = []
    for value in values:
        if not isinstance(value, dict) or value.get("type") not in ("picture", "graphic"):
            continue
        renditions = value.get("renditions") or {}
        renditions = renditions.values() if isinstance(renditions, dict) else renditions
        best = max(
            (r for r in renditions if isinstance(r, dict) and r.get("href")),
            key=lambda r: number(r.get("width")) or 0,
            default=None,
        )
        if best is None:
            continue
        caption = value.get("description_text") or _first(value.get("descriptions")).get("value")
        pictures.append(
            Picture(
                href=str(best["href"]),
                credit=plain(
                    value.get("copyrightholder") or value.get("byline") or value.get("by"), 120
                ),
                caption=plain(caption, 300),
                alt=plain(value.get("body_text") or caption, 250),
                width=number(best.get("width")),
                height=number(best.get("height")),
                mimetype=str(best.get("mimetype") or best.get("contenttype") or ""),
            )
        )
    return pictures


def _subjects(document: dict) -> list[dict]:
    subjects = document.get("subjects", document.get("subject")) or []
    return [
        {"name": plain(s.get("name"), 100), "code": str(s.get("uri") or s.get("code") or "")}
        for s in subjects
        if isinstance(s, dict) and s.get("name")
    ]


def _signals(document: dict) -> list[str]:
    signals = [str(s).rpartition(":")[2].lower() for s in document.get("signals") or []]
    if str(document.get("ednote") or "").strip().lower().startswith("correct"):
        signals.append("correction")
    return sorted(set(signals))


def item(document: dict) -> ParsedItem:
    headline = document.get("headline") or _first(document.get("headlines")).get("value")
    byline = document.get("byline") or document.get("by")
    return ParsedItem(
        guid=plain(document["uri"], 400),
        version=number(document.get("version")),
        pub_status=pub_status(document.get("pubstatus")),
        kind=str(document.get("type") or "text")[:20],
        headline=plain(headline),
        body=_body(document),
        byline=plain(byline, 300),
        dateline=plain(document.get("located"), 200),
        language=plain(document.get("language"), 20),
        urgency=number(document.get("urgency")),
        embargo=moment(document.get("embargoed")),
        first_created=moment(document.get("firstcreated")),
        version_created=moment(document.get("versioncreated")),
        subjects=_subjects(document),
        keywords=[plain(k, 100) for k in document.get("keywords") or [] if isinstance(k, str)],
        pictures=_pictures(document),
        signals=_signals(document),
    )
