"""Ad and promo slots as the templates print them, read once and kept in the cache.

The cached list holds the slots switched on that have not ended, with their start and end; each
read keeps those showing at that moment, so a slot starts and ends on time even on a warm cache
(and on cached pages, which expire at those moments). The list expires no later than the moment
the first of them ends, and at most a minute after it was built.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

import nh3
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

logger = logging.getLogger(__name__)

CACHE_KEY = "chrome:ads"
CACHE_TIMEOUT = 60

# What an ad's HTML snippet may hold: text with emphasis, links and pictures from this site —
# no script, style, frame, form or event handler. Third-party ad tags are not supported: the
# Content-Security-Policy would block them anyway. Paid links should say rel="sponsored".
AD_TAGS = {"a", "b", "br", "div", "em", "i", "img", "p", "small", "span", "strong"}
AD_ATTRIBUTES = {
    "*": {"class"},
    "a": {"href", "rel", "title"},
    "img": {"src", "alt", "width", "height"},
}


def clean_ad_html(html: str) -> str:
    """The snippet reduced to AD_TAGS and AD_ATTRIBUTES, with http(s) and mailto links only."""
    return nh3.clean(
        html,
        tags=AD_TAGS,
        attributes=AD_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel=None,  # keep the editor's rel (no target is allowed, so no opener to guard)
    )


@dataclass(frozen=True)
class Ad:
    placement: str
    name: str
    after_paragraph: int
    link: str
    html: str
    image_url: str
    image_alt: str
    image_width: int | None
    image_height: int | None
    ends_at: datetime | None
    starts_at: datetime | None = None

    def is_showing(self, now: datetime) -> bool:
        return (self.starts_at is None or self.starts_at <= now) and (
            self.ends_at is None or self.ends_at > now
        )


def _image_size(slot) -> tuple[int | None, int | None]:
    try:
        return slot.image.width, slot.image.height
    except Exception:  # A missing or unreadable file still shows, just without a size.
        logger.warning("cannot read the size of ad image %s", slot.image.name, exc_info=True)
        return None, None


def _build() -> list[Ad]:
    from newsroom.models import AdSlot

    ads = []
    # Slots due to start later come too: they show from their start without a new query.
    current = AdSlot.objects.filter(is_active=True).exclude(ends_at__lte=timezone.now())
    for slot in current.order_by("placement", "name", "pk"):
        width = height = None
        if slot.image:
            width, height = _image_size(slot)
        ads.append(
            Ad(
                placement=slot.placement,
                name=slot.name,
                after_paragraph=slot.after_paragraph,
                link=slot.link,
                html=clean_ad_html(slot.html),
                image_url=slot.image.url if slot.image else "",
                image_alt=slot.image_alt,
                image_width=width,
                image_height=height,
                ends_at=slot.ends_at,
                starts_at=slot.starts_at,
            )
        )
    return ads


def active_ads() -> list[Ad]:
    """Every slot showing now, from the cache when warm."""
    ads = cache.get(CACHE_KEY)
    now = timezone.now()
    if ads is None:
        ads = _build()
        timeout = float(CACHE_TIMEOUT)
        for ad in ads:
            if ad.ends_at is not None:
                timeout = min(timeout, (ad.ends_at - now).total_seconds())
        if timeout >= 1:
            cache.set(CACHE_KEY, ads, timeout)
    return [ad for ad in ads if ad.is_showing(now)]


def ads_for(placement: str) -> list[Ad]:
    """The active slots of one placement ("top", "sidebar", "in_story", "footer")."""
    return [ad for ad in active_ads() if ad.placement == placement]


def forget_ads(**kwargs) -> None:
    cache.delete(CACHE_KEY)


def connect_signals() -> None:
    """Called from NewsroomConfig.ready()."""
    from newsroom.models import AdSlot

    post_save.connect(forget_ads, sender=AdSlot, dispatch_uid="ads-save")
    post_delete.connect(forget_ads, sender=AdSlot, dispatch_uid="ads-delete")
