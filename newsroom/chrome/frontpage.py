"""The front page's curation as the home page reads it: kept as plain data until an editor
changes it (the key FrontPage.KEY), with each choice's end, so a place an editor gave "until" a
time is given back to the newest stories at that time (the clock retires the page then)."""

from dataclasses import dataclass
from datetime import datetime

from newsroom.chrome.models import FrontPage, FrontPageStory, SectionPin
from newsroom.pagecache import remembered


@dataclass(frozen=True)
class Choice:
    article_id: int
    until: datetime | None

    def holds(self, now: datetime) -> bool:
        return self.until is None or self.until > now


@dataclass(frozen=True)
class Curation:
    top_count: int
    # Lead first, then the top stories, in the editors' order.
    chosen: tuple[Choice, ...]
    # Per section id, its pins in order.
    pins: dict[int, tuple[Choice, ...]]
    dropped: frozenset[int]

    def chosen_ids(self, now: datetime) -> list[int]:
        """The stories chosen for the lead and top places that still hold them."""
        return [choice.article_id for choice in self.chosen if choice.holds(now)]

    def pinned_ids(self, section_id: int, now: datetime) -> list[int]:
        return [choice.article_id for choice in self.pins.get(section_id, ()) if choice.holds(now)]

    def all_pinned_ids(self, now: datetime) -> list[int]:
        return [pk for section_id in self.pins for pk in self.pinned_ids(section_id, now)]


def _stored() -> Curation:
    # Read, never made here: saving the row would bump the key of the pages being built.
    front = FrontPage.objects.filter(pk=1).first()
    if front is None:  # a database emptied since the migration made the row: nothing curated
        return Curation(FrontPage._meta.get_field("top_count").get_default(), (), {}, frozenset())
    chosen = tuple(
        Choice(story.article_id, story.until)
        for story in FrontPageStory.objects.filter(front_page=front).order_by("position", "pk")
    )
    pins: dict[int, list[Choice]] = {}
    for pin in SectionPin.objects.filter(front_page=front).order_by("position", "pk"):
        pins.setdefault(pin.section_id, []).append(Choice(pin.article_id, pin.until))
    dropped = frozenset(front.dropped.values_list("pk", flat=True))
    return Curation(
        front.top_count, chosen, {pk: tuple(found) for pk, found in pins.items()}, dropped
    )


def curation() -> Curation:
    """The front page's curation, kept until an editor changes it."""
    return remembered("front-page", [FrontPage.KEY], _stored, timeless=True)
