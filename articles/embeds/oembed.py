"""What we learn of an embed once, when a story holding it is saved: its title, author and a
thumbnail, from the provider's documented oEmbed endpoint (settings.EMBED_OEMBED_ENDPOINTS).

The fetch runs in the save itself, not as a background task: the editor must hear at once when
a provider could not be read (a warning on the form they just saved), the story's page must not
be kept by the page cache before the details are stored, and it costs at most
settings.EMBED_FETCH_SECONDS, once per new address (a later save tries again only the ones that
failed). It is never done on a page view. Facebook and Instagram need an app token for oEmbed,
Telegram has none: their boxes show the link's own text.

The thumbnail is read within settings.EMBED_THUMBNAIL_MAX_BYTES, must be a picture Pillow reads,
and is stored re-encoded as a JPEG in our own storage (readers' browsers never ask the provider).
"""

import hashlib
import html
import io
import json
import re
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from articles.embeds.models import Embed
from articles.embeds.providers import Item
from articles.embeds.render import items_in

OEMBED_MAX_BYTES = 256 * 1024
THUMBNAIL_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
THUMBNAIL_SIZE = (1280, 1280)
FIRST_PARAGRAPH = re.compile(r"<p\b[^>]*>(.*?)</p>", re.DOTALL | re.IGNORECASE)


class Unreadable(Exception):
    """The provider's answer could not be used; the message says why, for the editor."""


def fetch(url: str, *, max_bytes: int, deadline: float) -> bytes:
    """The body at `url` within `deadline` seconds overall and `max_bytes`; Unreadable if not.

    The socket's timeout bounds each read, not their sum: at the deadline a timer shuts the
    connection down, which ends a read however slowly the server trickles its answer."""
    if not url.startswith(("http://", "https://")):
        raise Unreadable(_("not an http(s) address"))
    ends = time.monotonic() + deadline
    expired = _("no complete answer within %(seconds)s s") % {"seconds": f"{deadline:.1f}"}
    try:
        with requests.get(url, stream=True, timeout=deadline) as response:
            timer = threading.Timer(max(0.0, ends - time.monotonic()), response.raw.shutdown)
            timer.daemon = True
            timer.start()
            try:
                if response.status_code != 200:
                    raise Unreadable(_("HTTP status %(status)s") % {"status": response.status_code})
                too_large = _("larger than the limit of %(limit)s bytes") % {
                    "limit": f"{max_bytes:,}"
                }
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise Unreadable(too_large)
                body = bytearray()
                for chunk in response.iter_content(64 * 1024):
                    body += chunk
                    if len(body) > max_bytes:
                        raise Unreadable(too_large)
            finally:
                timer.cancel()
    except requests.RequestException as exc:
        if time.monotonic() >= ends:
            raise Unreadable(expired) from None
        raise Unreadable(type(exc).__name__) from None
    if time.monotonic() >= ends:
        raise Unreadable(expired)  # a body cut short by the deadline is not a whole one
    return bytes(body)


@dataclass
class Problem:
    url: str
    provider: str
    reason: str


def resolve(body: str) -> list[Problem]:
    """Fetch the details of the embeds in `body` that we do not have yet; what went wrong."""
    wanted = {item.url: item for item in items_in(body).values() if item.provider.oembed}
    if not wanted:
        return []
    known = {embed.url: embed for embed in Embed.objects.filter(url__in=wanted)}
    ends = time.monotonic() + settings.EMBED_FETCH_SECONDS
    problems = []
    for url, item in wanted.items():
        embed = known.get(url)
        if embed is not None and not embed.error:
            continue
        embed = embed or Embed(url=url, provider=item.provider.slug)
        embed.error = ""
        try:
            _read(item, embed, ends)
        except Unreadable as exc:
            embed.error = str(exc)[:300]
            problems.append(Problem(url, item.provider.name, embed.error))
        embed.fetched_at = timezone.now()
        embed.save()
    return problems


def _remaining(ends: float) -> float:
    left = ends - time.monotonic()
    if left <= 0:
        raise Unreadable(_("no time left to ask the provider; save again to retry"))
    return left


def _read(item: Item, embed: Embed, ends: float) -> None:
    endpoint = settings.EMBED_OEMBED_ENDPOINTS.get(item.provider.slug)
    if not endpoint:
        return
    query = {"url": item.url, "format": "json"}
    if item.provider.slug == "x":
        query |= {"omit_script": "1", "dnt": "true"}
    raw = fetch(
        f"{endpoint}?{urlencode(query)}", max_bytes=OEMBED_MAX_BYTES, deadline=_remaining(ends)
    )
    try:
        data = json.loads(raw)
    except ValueError:
        raise Unreadable(_("the provider's answer is not JSON")) from None
    if not isinstance(data, dict):
        raise Unreadable(_("the provider's answer is not an oEmbed object"))
    embed.title = _text(data.get("title")) or _first_paragraph(data.get("html"))
    embed.author_name = _text(data.get("author_name"))[:200]
    thumbnail = data.get("thumbnail_url")
    if isinstance(thumbnail, str) and thumbnail.startswith(("https://", "http://")):
        picture = fetch(
            thumbnail,
            max_bytes=settings.EMBED_THUMBNAIL_MAX_BYTES,
            deadline=_remaining(ends),
        )
        name = hashlib.blake2b(item.url.encode(), digest_size=10).hexdigest()
        embed.thumbnail.save(f"{item.provider.slug}-{name}.jpg", _reencoded(picture), save=False)


def _text(value) -> str:
    return " ".join(str(value).split())[:300] if isinstance(value, str | int | float) else ""


def _first_paragraph(markup) -> str:
    """A post's text from the provider's markup (X gives no title), as plain text."""
    if not isinstance(markup, str) or not (found := FIRST_PARAGRAPH.search(markup)):
        return ""
    return _text(html.unescape(strip_tags(found[1])))


def _reencoded(data: bytes) -> ContentFile:
    """The thumbnail as a JPEG of our own making, or Unreadable when it is no picture."""
    try:
        image = Image.open(io.BytesIO(data))
        if image.format not in THUMBNAIL_FORMATS:
            raise Unreadable(_("the thumbnail is not a JPEG, PNG, GIF or WebP picture"))
        width, height = image.size
        if width * height > settings.IMAGE_MAX_PIXELS:
            raise Unreadable(_("the thumbnail has too many pixels"))
        image.load()
        picture = ImageOps.exif_transpose(image).convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise Unreadable(_("the thumbnail is not a picture")) from None
    picture.thumbnail(THUMBNAIL_SIZE)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=82, optimize=True)
    return ContentFile(out.getvalue())
