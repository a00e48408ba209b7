"""What a live page shows of its entries: one page of the stream, the pinned entry, the key
events, and the moment the polling script asks from. A fixed few queries, however long the
stream (the count is kept until an entry changes)."""

import math
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import InvalidPage, Page, Paginator
from django.db.models import Prefetch, Q, prefetch_related_objects
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from articles.invalidation import article_key
from articles.live import render
from articles.live.models import LiveEntry
from articles.models import Article, Author
from newsroom.pagecache import remembered

KEY_EVENTS = 20
OLDEST_FIRST = "oldest"


@dataclass
class KeyEvent:
    entry: LiveEntry
    # Where the entry is: its anchor, on the page of the stream that holds it.
    href: str

    def summary(self) -> str:
        return render.summary(self.entry)

    def time(self) -> SafeString:
        return render.time_html(self.entry.posted_at)


@dataclass
class Stream:
    page: Page
    pinned: LiveEntry | None
    key_events: list[KeyEvent]
    oldest_first: bool
    cursor: int
    newest: datetime | None
    labels: dict

    @property
    def places_new(self) -> bool:
        """Whether updates posted from now on belong on this page."""
        return self.page.number == (self.page.paginator.num_pages if self.oldest_first else 1)

    @property
    def entries(self) -> list[LiveEntry]:
        return list(self.page.object_list)

    @property
    def pinned_anchored(self) -> bool:
        """The pinned copy on top keeps the id only when the stream below does not list it."""
        return self.pinned is not None and all(e.pk != self.pinned.pk for e in self.entries)


def cursor_now() -> int:
    """The moment a poll asks from, rounded down to the polling interval: readers who loaded
    or polled within the same interval ask the same address, and share its cached answer."""
    step = max(1, math.ceil(settings.LIVE_POLL_SECONDS))
    return int(timezone.now().timestamp()) // step * step


def address_of(request: HttpRequest, article: Article, entry_id: str) -> str:
    """The page of the stream (in the order asked for) that holds this update, with its anchor."""
    try:
        entry = LiveEntry.objects.shown().filter(article=article).get(pk=int(entry_id))
    except (ValueError, LiveEntry.DoesNotExist) as error:
        raise Http404(_("No such update.")) from error
    oldest_first = request.GET.get("order") == OLDEST_FIRST
    after = Q(posted_at__gt=entry.posted_at) | Q(posted_at=entry.posted_at, pk__gt=entry.pk)
    before = Q(posted_at__lt=entry.posted_at) | Q(posted_at=entry.posted_at, pk__lt=entry.pk)
    ahead = (
        LiveEntry.objects.shown()
        .filter(article=article)
        .filter(before if oldest_first else after)
        .count()
    )
    query: dict[str, object] = {"page": ahead // settings.LIVE_PAGE_SIZE + 1}
    if oldest_first:
        query["order"] = OLDEST_FIRST
    return f"{article.get_absolute_url()}?{urlencode(query)}#{entry.anchor()}"


def script_labels() -> dict:
    """What the polling script says, in the page's language. "N new updates" in each plural
    form, keyed by the category the browser's Intl.PluralRules picks (1, 2 and 20 fall in
    "one", "few" and "other" in Romanian; in "one" and "other" in English)."""
    new = {
        category: ngettext("{n} new update", "{n} new updates", sample)
        for category, sample in (("one", 1), ("few", 2), ("other", 20))
    }
    return {
        "new": new,
        "ended": _("Live coverage has ended."),
        "reload": _("Many updates came in: reload the page to see them."),
    }


def with_authors(entries: list[LiveEntry]) -> None:
    prefetch_related_objects(
        entries, Prefetch("authors", queryset=Author.objects.only("name", "slug"))
    )


def stream(request: HttpRequest, article: Article) -> Stream:
    shown = LiveEntry.objects.shown().filter(article=article)
    oldest_first = request.GET.get("order") == OLDEST_FIRST
    ordering = ("posted_at", "pk") if oldest_first else ("-posted_at", "-pk")
    paginator = Paginator(shown.order_by(*ordering), settings.LIVE_PAGE_SIZE)
    # Counted once per change of the stream, not on every page built.
    paginator.count = remembered(f"live-count:{article.pk}", [article_key(article.pk)], shown.count)
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except InvalidPage as error:
        raise Http404(_("No such page of updates.")) from error
    entries = page.object_list = list(page.object_list)
    number = page.number
    highlights: list[LiveEntry] = list(
        shown.filter(Q(pinned=True) | Q(key_event=True)).order_by("-pinned", "-posted_at", "-pk")[
            : KEY_EVENTS + 1
        ]
    )
    pinned = highlights[0] if highlights and highlights[0].pinned else None
    with_authors([*entries, *([pinned] if pinned else [])])
    # A key event on another page is reached through ?update=<id>, which finds its page only
    # when a reader asks (counting its place in a long stream on every build would not be).
    here = {entry.pk for entry in entries}
    order = f"&order={OLDEST_FIRST}" if oldest_first else ""
    key_events = [
        KeyEvent(
            entry,
            f"#{entry.anchor()}"
            if entry.pk in here
            else f"?update={entry.pk}{order}#{entry.anchor()}",
        )
        for entry in highlights
        if entry.key_event
    ][:KEY_EVENTS]
    newest_first = entries if not oldest_first and number == 1 else []
    newest = max((entry.posted_at for entry in [*newest_first, *highlights]), default=None)
    return Stream(page, pinned, key_events, oldest_first, cursor_now(), newest, script_labels())
