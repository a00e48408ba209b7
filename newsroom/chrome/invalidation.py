"""What the chrome's writes make stale: every page, since every page shows the chrome.

Site settings, menus, ad slots and breaking-news banners bump EVERY_PAGE when saved or deleted,
and so does a story or tag that a menu or banner links to; the front page's curation bumps
FrontPage.KEY (the home page alone). The clock's part is the next start or end of an ad slot or
a banner, and the next end of a front-page place or section pin.
`connect()` wires it (ChromeConfig.ready).
"""

from collections.abc import Callable
from datetime import datetime

from django.db.models import Model, QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save
from taggit.models import Tag

from articles import invalidation as content
from articles.models import Article
from newsroom.chrome.models import (
    AdSlot,
    BreakingNews,
    FrontPage,
    FrontPageStory,
    Menu,
    MenuItem,
    SectionPin,
    SiteSettings,
)
from newsroom.pagecache import EVERY_PAGE, bump, clock


def next_ad_change(now: datetime) -> list[QuerySet]:
    """When an ad slot next starts or ends."""
    slots = AdSlot.objects.filter(is_active=True)
    return [clock.earliest(slots, "starts_at", now), clock.earliest(slots, "ends_at", now)]


def next_banner_change(now: datetime) -> list[QuerySet]:
    """When a breaking-news banner next starts or ends."""
    banners = BreakingNews.objects.filter(is_active=True)
    return [clock.earliest(banners, "starts_at", now), clock.earliest(banners, "ends_at", now)]


def next_curation_end(now: datetime) -> list[QuerySet]:
    """When a front-page place or a section pin next ends."""
    return [
        clock.earliest(FrontPageStory.objects.all(), "until", now),
        clock.earliest(SectionPin.objects.all(), "until", now),
    ]


def _linked(pks) -> bool:
    """Whether a menu or a banner links to any of these stories."""
    return (
        MenuItem.objects.filter(article_id__in=pks).exists()
        or BreakingNews.objects.filter(article_id__in=pks).exists()
    )


def _curation_changed(sender, raw=False, **kwargs) -> None:
    if not raw:
        bump(FrontPage.KEY)


def _dropped_changed(sender, action, **kwargs) -> None:
    if action.startswith("post_"):
        bump(FrontPage.KEY)


def _chrome_changed(sender, raw=False, **kwargs) -> None:
    if not raw:
        bump(EVERY_PAGE)


def _settings_changed(sender, raw=False, **kwargs) -> None:
    if not raw:
        bump(EVERY_PAGE, SiteSettings.KEY)


def _story_changed(sender, instance, raw=False, **kwargs) -> None:
    if not raw and _linked([instance.pk]):
        bump(EVERY_PAGE)  # a menu or banner link to it appears, moves or goes


def _stories_updated(sender, pks, **kwargs) -> None:
    if _linked(pks):
        bump(EVERY_PAGE)


def _tag_changed(sender, instance, raw=False, **kwargs) -> None:
    if not raw and MenuItem.objects.filter(tag_id=instance.pk).exists():
        bump(EVERY_PAGE)


def connect() -> None:
    receivers: list[tuple[type[Model], Callable]] = [
        (SiteSettings, _settings_changed),
        (Menu, _chrome_changed),
        (MenuItem, _chrome_changed),
        (AdSlot, _chrome_changed),
        (BreakingNews, _chrome_changed),
        (FrontPage, _curation_changed),
        (FrontPageStory, _curation_changed),
        (SectionPin, _curation_changed),
        # What a menu links to.
        (Article, _story_changed),
        (Tag, _tag_changed),
    ]
    for model, receiver in receivers:
        name = model.__name__
        post_save.connect(receiver, sender=model, dispatch_uid=f"chrome-save-{name}")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"chrome-delete-{name}")
    content.stories_updated.connect(_stories_updated, dispatch_uid="chrome-linked-stories")
    m2m_changed.connect(
        _dropped_changed, sender=FrontPage.dropped.through, dispatch_uid="chrome-dropped"
    )
    clock.register("ad-slots", [EVERY_PAGE], next_ad_change)
    clock.register("breaking-news", [EVERY_PAGE], next_banner_change)
    clock.register("front-page", [FrontPage.KEY], next_curation_end)
