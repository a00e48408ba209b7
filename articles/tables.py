"""Tables in a story's body, as readers get them: captioned, with a real header, scrollable.

The editor makes a table with an optional header row (a first row of <th> inside <tbody>); it has
no caption of its own, so the convention is the one print uses: a paragraph wholly in italics
right before the table is its caption. Each table is wrapped in a region that scrolls sideways on
a phone; it takes the keyboard focus (so it can be scrolled without a mouse) and is named by its
caption, or "Table N" without one.
"""

import re

from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

TABLE = re.compile(
    r"(?:<p><em>(?P<caption>(?:(?!</em>|</?p>|<p ).)*)</em></p>\s*)?<table>(?P<inner>.*?)</table>",
    re.DOTALL,
)
FIRST_ROW = re.compile(r"^<tbody>(?P<row><tr>(?:(?!</tr>).)*</tr>)", re.DOTALL)
HEADER_CELL = re.compile(r"<th(?=[ >])")
SPAN_ONE = re.compile(r' (?:colspan|rowspan)="1"')


def _header(inner: str) -> str:
    """A first row of header cells moved into <thead>; every header cell given its scope."""
    inner = SPAN_ONE.sub("", inner)
    found = FIRST_ROW.match(inner)
    if found is None or "<td" in found["row"]:
        return HEADER_CELL.sub('<th scope="row"', inner)
    rest = HEADER_CELL.sub('<th scope="row"', inner[found.end() :])
    # Nothing left of <tbody> when the header was the only row.
    rest = "" if rest == "</tbody>" else "<tbody>" + rest
    head = HEADER_CELL.sub('<th scope="col"', found["row"])
    return f"<thead>{head}</thead>{rest}"


def captioned(body: str) -> str:
    """The body with each table captioned, given its header and wrapped to scroll."""
    number = 0

    def wrap(match: re.Match) -> str:
        nonlocal number
        if "<table" in match["inner"]:
            return match[0]  # a table pasted inside another: left as it came
        number += 1
        ident = f"story-table-{number}"
        inner = _header(match["inner"])
        if match["caption"] is not None:
            return format_html(
                '<div class="table-scroll" role="region" tabindex="0" aria-labelledby="{}">'
                '<table><caption id="{}">{}</caption>{}</table></div>',
                ident,
                ident,
                mark_safe(match["caption"]),  # noqa: S308 - the sanitized body's own markup
                mark_safe(inner),  # noqa: S308
            )
        return format_html(
            '<div class="table-scroll" role="region" tabindex="0" aria-label="{}">'
            "<table>{}</table></div>",
            _("Table %(number)s") % {"number": number},
            mark_safe(inner),  # noqa: S308
        )

    return TABLE.sub(wrap, body)
