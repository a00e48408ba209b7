from collections.abc import Iterable

from django import template
from django.utils.safestring import SafeString

from newsroom.pagecache import pieces

register = template.Library()


@register.simple_tag(takes_context=True)
def piece(context, name: str, arg="", part: str = "", keys: Iterable[str] = ()) -> SafeString:
    """A part of a registered piece (newsroom.pagecache.pieces): its mark in a page built for
    the cache, the part itself elsewhere."""
    return pieces.place(context.get("request"), name, str(arg), part, keys)
