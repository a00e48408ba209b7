"""One live update as HTML, for the live page, the polling answer and the feeds.

Built with format_html rather than an included template: a page prints twenty or more, and an
{% include %} costs several times what the same markup costs from here (as with teasers)."""

from datetime import datetime

from django.utils import timezone
from django.utils.html import format_html, format_html_join, strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from articles.live.models import LiveEntry
from newsroom.dates import html_datetime


def time_html(moment: datetime) -> SafeString:
    local = timezone.localtime(moment)
    return format_html('<time datetime="{}">{}</time>', html_datetime(local), f"{local:%H:%M}")


def summary(entry: LiveEntry) -> str:
    """The update in a line: its title, or its first words."""
    return entry.title or Truncator(strip_tags(entry.body)).words(12)


def entry_html(entry: LiveEntry, anchored: bool = True) -> SafeString:
    """The update; `anchored` False for a second copy on the page (the pinned one on top)."""
    anchor = entry.anchor()
    classes = "live-entry"
    flags = []
    if entry.key_event:
        classes += " live-entry--key"
    if entry.pinned:
        classes += " live-entry--pinned"
        flags.append(format_html('<span class="live-entry__flag">{}</span>', _("Pinned")))
    if entry.key_event:
        flags.append(
            format_html(
                '<span class="live-entry__flag live-entry__flag--key">{}</span>', _("Key event")
            )
        )
    title = format_html('<h3 class="live-entry__title">{}</h3>', entry.title) if entry.title else ""
    figure = ""
    if entry.image:
        size = (
            format_html(' width="{}" height="{}"', entry.image_width, entry.image_height)
            if entry.image_width
            else ""
        )
        credit = (
            format_html(
                '<figcaption><span class="credit">{}</span></figcaption>', entry.image_credit
            )
            if entry.image_credit
            else ""
        )
        figure = format_html(
            '<figure class="live-entry__figure"><img src="{}" alt="{}"{} loading="lazy" '
            'decoding="async">{}</figure>',
            entry.image.url,
            entry.image_alt,
            size,
            credit,
        )
    footer = []
    authors = list(entry.authors.all())
    if authors:
        names = format_html_join(
            ", ",
            '<a href="{}" rel="author">{}</a>',
            ((author.get_absolute_url(), author.name) for author in authors),
        )
        footer.append(format_html("<span>{}</span>", names))
    if entry.edited_at:
        footer.append(
            format_html(
                '<span class="live-entry__edited">{} {}</span>',
                _("Edited"),
                time_html(entry.edited_at),
            )
        )
    return format_html(
        '<article class="{}"{} data-entry="{}" data-version="{}">'
        '<header class="live-entry__meta"><a class="live-entry__time" href="#{}">{}</a>{}</header>'
        '{}{}<div class="live-entry__body">{}</div>{}</article>',
        classes,
        format_html(' id="{}"', anchor) if anchored else "",
        entry.pk,
        entry.version,
        anchor,
        time_html(entry.posted_at),
        mark_safe("".join(flags)),  # each one built by format_html
        title,
        figure,
        mark_safe(entry.body),  # sanitized on every save
        format_html('<footer class="live-entry__footer">{}</footer>', mark_safe("".join(footer)))
        if footer
        else "",
    )
