"""Click-to-load placeholders: a paragraph holding only a link we recognise becomes a box.

The box shows what we already know (provider, title, our own copy of the thumbnail) and a link to
the original, which works without JavaScript. The provider's markup waits in an inert
<template>: nothing is requested from the provider until the reader presses the button, when
static/js/embeds.js inserts it and loads that provider's script, if it has one.
"""

import html
import re
from dataclasses import dataclass, field

from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from articles.embeds.models import Embed
from articles.embeds.providers import Item, Provider, recognise

# A paragraph holding one link and nothing else (the sanitizer's output: double-quoted
# attributes, no attributes on <p>), or one bare address.
LINK_PARAGRAPH = re.compile(
    r'<p>\s*(?:<a href="(?P<href>[^"]*)"[^>]*>(?P<text>[^<]*)</a>|(?P<bare>https?://[^\s<]+))\s*</p>'
)


@dataclass
class Placeholders:
    html: str
    providers: list[Provider] = field(default_factory=list)


def items_in(body: str) -> dict[str, Item]:
    """The recognised embeds in a body, by the address as written."""
    found = {}
    for match in LINK_PARAGRAPH.finditer(body):
        address = html.unescape(match["href"] if match["href"] is not None else match["bare"])
        if (item := recognise(address)) is not None:
            found[address] = item
    return found


def placeholders(body: str) -> Placeholders:
    """The body with each recognised embed as a placeholder, and the providers it needs."""
    items = items_in(body)
    if not items:
        return Placeholders(body)
    known = {
        embed.url: embed
        for embed in Embed.objects.filter(url__in={item.url for item in items.values()})
    }
    providers: list[Provider] = []

    def replace(match: re.Match) -> str:
        address = html.unescape(match["href"] if match["href"] is not None else match["bare"])
        item = items.get(address)
        if item is None:
            return match[0]
        if item.provider not in providers:
            providers.append(item.provider)
        text = html.unescape(match["text"] or "").strip()
        return placeholder(item, known.get(item.url), text)

    return Placeholders(LINK_PARAGRAPH.sub(replace, body), providers)


def placeholder(item: Item, embed: Embed | None, text: str = "") -> SafeString:
    """One embed's box, as readers get it before they choose to load it."""
    provider = item.provider
    title = (embed.title if embed else "") or (text if text and text != item.url else "")
    thumbnail = ""
    if embed is not None and embed.thumbnail:
        thumbnail = format_html(
            '<img class="embed__thumb" src="{}" alt="" width="{}" height="{}" loading="lazy"'
            ' decoding="async">',
            embed.thumbnail.url,
            embed.thumbnail_width or "",
            embed.thumbnail_height or "",
        )
    return format_html(
        '<figure class="embed embed--{slug}" data-embed="{slug}"{script}>'
        '<figcaption class="embed__caption"><span class="embed__provider">{name}</span> '
        '<a class="embed__title" href="{url}">{label}</a>{author}</figcaption>'
        "{thumbnail}"
        '<p class="embed__note">{note}</p>'
        '<button type="button" class="embed__load" hidden>{load}</button>'
        '<template class="embed__code">{code}</template>'
        "</figure>",
        slug=provider.slug,
        script=format_html(' data-embed-script="{}"', provider.script) if provider.script else "",
        name=provider.name,
        url=item.url,
        label=title or item.url,
        author=format_html(' <span class="embed__author">{}</span>', embed.author_name)
        if embed is not None and embed.author_name
        else "",
        thumbnail=thumbnail,
        note=_("Loading it sends %(provider)s data about your visit, such as your IP address.")
        % {"provider": provider.name},
        load=_("Load the content from %(provider)s") % {"provider": provider.name},
        code=item.code(title),
    )
