"""The body's rich text: what the editor offers and what the sanitizer keeps are one list."""

import re

from django.utils.html import strip_tags
from django_prose_editor.fields import create_sanitizer

BODY_EXTENSIONS = {
    "Bold": True,
    "Italic": True,
    "Heading": {"levels": [2, 3, 4]},
    "BulletList": True,
    "OrderedList": True,
    "ListItem": True,
    "Blockquote": True,
    "HardBreak": True,
    "HorizontalRule": True,
    "Link": {"enableTarget": False, "protocols": ["http", "https", "mailto"]},
    # Tables with an optional header row; readers get them captioned and scrollable
    # (articles/tables.py).
    "Table": True,
    "TableRow": True,
    "TableHeader": True,
    "TableCell": True,
}

sanitize_body = create_sanitizer(BODY_EXTENSIONS)


def has_text(html: str) -> bool:
    """True when the markup holds words a reader would see, not only tags and spaces."""
    return bool(strip_tags(html).replace("&nbsp;", " ").strip())


_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(/?)>")
_VOID = {"br", "hr", "img", "wbr", "input", "source"}


def paragraph_ends(html: str) -> list[int]:
    """Offsets just after each top-level </p> (paragraphs inside quotes and lists don't count)."""
    ends = []
    depth = 0
    for match in _TAG.finditer(html):
        closing, name, self_closing = match.group(1), match.group(2).lower(), match.group(3)
        if name in _VOID or self_closing:
            continue
        if closing:
            depth = max(0, depth - 1)
            if depth == 0 and name == "p":
                ends.append(match.end())
        else:
            depth += 1
    return ends
