"""The body's rich text: what the editor offers and what the sanitizer keeps are one list."""

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
}

sanitize_body = create_sanitizer(BODY_EXTENSIONS)


def has_text(html: str) -> bool:
    """True when the markup holds words a reader would see, not only tags and spaces."""
    return bool(strip_tags(html).replace("&nbsp;", " ").strip())
