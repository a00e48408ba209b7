"""Ad and promo slots as the templates print them, read once and kept until the chrome changes.

The kept list holds the slots switched on that have not ended, with their start and end; each
read keeps those showing at that moment, so a slot starts and ends on time even on a warm cache
(the clock retires the list, and every stored page, at those moments: see `invalidation`).
"""

import logging
from dataclasses import dataclass
from datetime import datetime

import nh3
from django.utils import timezone

from newsroom.chrome.models import AdSlot
from newsroom.pagecache import EVERY_PAGE, remembered

logger = logging.getLogger(__name__)

# What an ad's HTML snippet may hold: text with emphasis, links and pictures from this site —
# no script, style, frame, form or event handler, and no class (which could restyle the site's
# own chrome). Third-party ad tags are not supported: the Content-Security-Policy would block
# them anyway. Paid links should say rel="sponsored".
AD_TAGS = {"a", "b", "br", "div", "em", "i", "img", "p", "small", "span", "strong"}
AD_ATTRIBUTES = {
    "a": {"href", "rel", "title"},
    "img": {"src", "alt", "width", "height"},
}


def _no_protocol_relative(tag: str, attribute: str, value: str) -> str | None:
    # "//other.example/x" is another site's address, whatever the scheme list says.
    if attribute in {"href", "src"} and value.strip().startswith(("//", "\\\\", "/\\")):
        return None
    return value


def clean_ad_html(html: str) -> str:
    """The snippet reduced to AD_TAGS and AD_ATTRIBUTES, with http(s) and mailto links only."""
    return nh3.clean(
        html,
        tags=AD_TAGS,
        attributes=AD_ATTRIBUTES,
        attribute_filter=_no_protocol_relative,
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


def _image_size(slot: AdSlot) -> tuple[int | None, int | None]:
    try:
        return slot.image.width, slot.image.height
    except Exception:  # A missing or unreadable file still shows, just without a size.
        logger.warning("cannot read the size of ad image %s", slot.image.name, exc_info=True)
        return None, None


def _build() -> list[Ad]:
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
    """Every slot showing now."""
    now = timezone.now()
    kept = remembered("ads", [EVERY_PAGE], _build, timeless=True)
    return [ad for ad in kept if ad.is_showing(now)]


def ads_for(placement: str) -> list[Ad]:
    """The slots of one placement ("top", "sidebar", "in_story", "footer") showing now."""
    return [ad for ad in active_ads() if ad.placement == placement]
