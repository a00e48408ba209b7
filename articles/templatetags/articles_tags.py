"""Template tags for stories in the public site: teasers, pictures, bylines' photos, JSON-LD.

Everything here reads fields already loaded by the view; no tag runs a query.
"""

import json

from django import template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import dateformat, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from articles import seo
from articles.live.render import entry_html
from articles.models import Picture
from articles.renditions import best_jpeg, srcset
from newsroom.dates import LOWERCASE_NAMES
from newsroom.dates import html_datetime as iso_datetime

register = template.Library()

LEAD_SIZES = "(min-width: 75rem) 760px, (min-width: 60rem) 62vw, 100vw"
TEASER_SIZES = "(min-width: 60rem) 25vw, (min-width: 40rem) 50vw, 100vw"

# What json_script escapes, so a "</script>" in any field cannot end the script element.
_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


# Built <picture> elements by their renditions and attributes: a listing prints dozens, and each
# costs some forty URL joins. Bounded; cleared whole when full.
_PICTURES: dict[tuple, SafeString] = {}
_PICTURES_MAX = 4096


def _picture(record: dict, sizes: str, alt: str, eager: bool, css_class: str) -> SafeString:
    files = tuple(name for fmt in ("jpeg", "webp", "avif") for _w, _h, name in record.get(fmt, ()))
    key: tuple = (settings.MEDIA_URL, files, record.get("width"), record.get("height"))
    key += (sizes, alt, eager, css_class)
    built = _PICTURES.get(key)
    if built is None:
        if len(_PICTURES) >= _PICTURES_MAX:
            _PICTURES.clear()
        built = _PICTURES[key] = _build_picture(record, sizes, alt, eager, css_class)
    return built


def _build_picture(record: dict, sizes: str, alt: str, eager: bool, css_class: str) -> SafeString:
    jpeg = record["jpeg"]
    fallback = best_jpeg(record, 800)
    loading = (
        mark_safe(' fetchpriority="high" decoding="async"')
        if eager
        else mark_safe(' loading="lazy" decoding="async"')
    )
    avif = (
        format_html(
            '<source type="image/avif" srcset="{}" sizes="{}">', srcset(record, "avif"), sizes
        )
        if record.get("avif")
        else ""
    )
    return format_html(
        '<picture>{}<source type="image/webp" srcset="{}" sizes="{}">'
        '<img src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="{}"{}{}></picture>',
        avif,
        srcset(record, "webp"),
        sizes,
        fallback,
        srcset(record, "jpeg"),
        sizes,
        record.get("width") or jpeg[-1][0],
        record.get("height") or jpeg[-1][1],
        alt,
        format_html(' class="{}"', css_class) if css_class else "",
        loading,
    )


@register.simple_tag
def picture(
    item, sizes: str = LEAD_SIZES, eager: bool = False, css_class: str = "", shape: str = ""
):
    """A library picture (or a story's lead picture) as <picture> with AVIF, WebP and JPEG
    renditions, in its own shape or one of its focal-point crops ("16:9", "4:3", "1:1");
    "" without a picture.

    Falls back to the original file (with its stored size) until renditions exist.
    """
    chosen = getattr(item, "picture", item) if not isinstance(item, Picture) else item
    if chosen is None or not chosen.file:
        return ""
    record = chosen.crop(shape) or chosen.crop("")
    if record.get("jpeg"):
        return _picture(record, sizes, chosen.alt, eager, css_class)
    attrs = mark_safe(' fetchpriority="high"') if eager else mark_safe(' loading="lazy"')
    return format_html(
        '<img src="{}" width="{}" height="{}" alt="{}"{}{}>',
        chosen.file.url,
        chosen.width or "",
        chosen.height or "",
        chosen.alt,
        format_html(' class="{}"', css_class) if css_class else "",
        attrs,
    )


@register.simple_tag
def author_photo(author, size: int = 64, eager: bool = False):
    """The author's library picture, square (cut around its focal point), at `size` CSS
    pixels; "" without one.

    Until the picture's renditions are made, the original file, cropped by the style sheet.
    """
    chosen = author.picture if author.picture_id else None
    if chosen is None or not chosen.file:
        return ""
    record = chosen.crop("1:1")
    if record.get("jpeg"):
        record = {**record, "width": size, "height": size}
        return _picture(record, f"{size}px", chosen.alt, eager, "author-photo")
    return format_html(
        '<img class="author-photo" src="{}" width="{}" height="{}" alt="{}" loading="lazy">',
        chosen.file.url,
        size,
        size,
        chosen.alt,
    )


@register.filter
def json_ld(data) -> SafeString:
    """A <script type="application/ld+json"> element that no field's content can break out of."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))


@register.filter
def html_datetime(value) -> str:
    """A time for <time datetime> and metadata: ISO 8601 to the second, with its offset."""
    return iso_datetime(value)


@register.filter
def short_datetime(value) -> str:
    """A teaser's time: "14:05" today, otherwise "23 decembrie, 14:05" (with the year if older)."""
    if not value:
        return ""
    local = timezone.localtime(value)
    today = timezone.localdate()
    if local.date() == today:
        fmt = "H:i"
    elif local.year == today.year:
        fmt = "j F, H:i"
    else:
        fmt = "j F Y"
    text = dateformat.format(local, fmt)
    return text.lower() if (get_language() or "").split("-")[0] in LOWERCASE_NAMES else text


@register.simple_tag
def teaser_meta(story) -> SafeString:
    """A teaser's byline (or, without one, the wire credit) and time of publication."""
    names = ", ".join(author.name for author in story.byline)
    credit = names or (story.wire_service.credit if story.wire_service_id else "")
    return format_html(
        '{}{}<time datetime="{}">{}</time>',
        credit,
        " · " if credit else "",
        iso_datetime(story.publish_at),
        short_datetime(story.publish_at),
    )


@register.simple_tag
def story_label(story) -> SafeString:
    """The story's label ("Opinie", "Publicitate"…), a kicker above its headline, if it has one;
    "ÎN DIRECT" while its live coverage goes on."""
    live = SafeString("")
    if getattr(story, "coverage_started_at", None) and not story.coverage_ended_at:
        live = format_html(
            '<p class="kicker story-label story-label--live">'
            '<span class="live-badge">{}</span></p>',
            _("LIVE"),
        )
    if not story.label:
        return live
    return live + format_html(
        '<p class="kicker story-label story-label--{}">{}</p>',
        story.label,
        story.get_label_display(),
    )


def lang_of(story) -> SafeString:
    """` lang="en"` for a story in another language than the page's; "" otherwise.

    Reads the language only if it was loaded (teasers load it): never a query of its own."""
    language = story.__dict__.get("language") if story is not None else None
    if not language or language == (get_language() or settings.LANGUAGE_CODE):
        return SafeString("")
    return format_html(' lang="{}"', language)


@register.simple_tag
def story_lang(story) -> SafeString:
    """The lang attribute a story's headline, standfirst or link carries, if any:
    <a href="…"{% story_lang story %}>."""
    return lang_of(story)


@register.simple_tag(takes_context=True)
def social_picture(context, meta) -> "seo.SocialPicture | None":
    """The picture sharing previews show for the page: its own, or the site's."""
    if meta is None:
        return None
    request = context.get("request")
    if meta.picture is None and request is not None:
        meta.picture = seo.social_picture(request)
    return meta.picture


@register.simple_tag
def teaser(
    story,
    variant: str = "card",
    sizes: str = TEASER_SIZES,
    show_section: bool = False,
    show_standfirst: bool = False,
    level: int = 3,
) -> SafeString:
    """A story's teaser in a listing: picture, section, headline, standfirst, byline and time.

    Built here rather than in an included template because listings print dozens of them, and
    an {% include %} costs several times what the same markup costs from format_html.
    """
    url = story.get_absolute_url()
    media = kicker = standfirst = ""
    if story.picture_id:
        media = format_html(
            '<a class="teaser__media" href="{}" tabindex="-1" aria-hidden="true">{}</a>',
            url,
            picture(story, sizes=sizes, css_class="teaser__img"),
        )
    if show_section:
        kicker = format_html(
            '<p class="kicker"><a href="{}">{}</a></p>',
            story.section.get_absolute_url(),
            story.section.name,
        )
    lang = lang_of(story)
    if show_standfirst and story.standfirst:
        standfirst = format_html('<p class="teaser__standfirst"{}>{}</p>', lang, story.standfirst)
    return format_html(
        '<article class="teaser teaser--{variant}">{media}<div class="teaser__text">{kicker}'
        '{label}<h{level} class="teaser__headline"{lang}><a href="{url}">{headline}</a>'
        '</h{level}>{standfirst}<p class="teaser__meta">{meta}</p></div></article>',
        lang=lang,
        variant=variant,
        media=media,
        kicker=kicker,
        label=story_label(story),
        level=int(level),
        url=url,
        headline=story.headline,
        standfirst=standfirst,
        meta=teaser_meta(story),
    )


@register.simple_tag
def live_entry(entry, anchored: bool = True) -> SafeString:
    """One update of a live page (articles.live.render)."""
    return entry_html(entry, anchored)
