"""Library pictures in a story's body. A paragraph holding only the address of a library
picture's file (the link its form shows) becomes a figure with its caption and credit; two or
more such paragraphs in a row become a gallery, an ordered list of figures that needs no script.
Any other address stays the link it was.
"""

import html
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from articles.embeds.render import LINK_PARAGRAPH
from articles.pictures import Picture

BODY_SIZES = "(min-width: 75rem) 760px, (min-width: 60rem) 62vw, 100vw"
GALLERY_SIZES = "(min-width: 40rem) 380px, 100vw"
BETWEEN = re.compile(r"\s*")


def library_name(match: re.Match, folder: str) -> str | None:
    """The storage name of the library file (in `folder`) a link paragraph names, if any."""
    address = html.unescape(match["href"] if match["href"] is not None else match["bare"])
    path = urlsplit(address).path
    media = urlsplit(settings.MEDIA_URL).path
    if not path.startswith(f"{media}{folder}/"):
        return None
    return path[len(media) :]


def caption_and_credit(item) -> SafeString | str:
    """A library item's caption and credit as the body prints them under it, if it has any."""
    words = format_html_join(
        " ",
        '<span class="{}">{}</span>',
        ((css, text) for css, text in (("caption", item.caption), ("credit", item.credit)) if text),
    )
    return format_html("<figcaption>{}</figcaption>", words) if words else ""


def figure(picture: Picture, sizes: str = BODY_SIZES) -> SafeString:
    """One picture as the body shows it: responsive, lazy, with its caption and credit."""
    from articles.templatetags.articles_tags import picture as picture_element

    return format_html(
        '<figure class="story-picture">{}{}</figure>',
        picture_element(picture, sizes=sizes, css_class="story-picture__img"),
        caption_and_credit(picture),
    )


def pictured(body: str) -> str:
    """The body with its library pictures as figures, and runs of them as galleries."""
    matches = [
        (match, name)
        for match in LINK_PARAGRAPH.finditer(body)
        if (name := library_name(match, "pictures"))
    ]
    if not matches:
        return body
    pictures = {
        picture.file.name: picture
        for picture in Picture.objects.filter(file__in={name for _m, name in matches})
    }
    found = [(match, pictures[name]) for match, name in matches if name in pictures]
    # Runs of pictures with nothing but white space between them.
    runs: list[list[tuple[re.Match, Picture]]] = []
    for match, picture in found:
        previous = runs[-1][-1][0] if runs else None
        if previous is not None and BETWEEN.fullmatch(body, previous.end(), match.start()):
            runs[-1].append((match, picture))
        else:
            runs.append([(match, picture)])
    parts, position = [], 0
    for run in runs:
        parts.append(body[position : run[0][0].start()])
        if len(run) == 1:
            parts.append(figure(run[0][1]))
        else:
            items = format_html_join(
                "", "<li>{}</li>", ((figure(picture, GALLERY_SIZES),) for _m, picture in run)
            )
            parts.append(format_html('<ol class="gallery">{}</ol>', items))
        position = run[-1][0].end()
    parts.append(body[position:])
    return "".join(parts)
