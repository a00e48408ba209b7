"""What the chrome's writes make stale: every page, since every page shows the chrome.

Site settings, menus and ad slots bump EVERY_PAGE when saved or deleted, and so does a story or
tag that a menu links to; the clock's part is the next start or end of an ad slot.
`connect()` wires it (ChromeConfig.ready).
"""

from collections.abc import Callable
from datetime import datetime

from django.db.models import Model, QuerySet
from django.db.models.signals import post_delete, post_save
from taggit.models import Tag

from articles import invalidation as content
from articles.models import Article
from newsroom.chrome.models import AdSlot, Menu, MenuItem, SiteSettings
from newsroom.pagecache import EVERY_PAGE, bump, clock


def next_ad_change(now: datetime) -> list[QuerySet]:
    """When an ad slot next starts or ends."""
    slots = AdSlot.objects.filter(is_active=True)
    return [clock.earliest(slots, "starts_at", now), clock.earliest(slots, "ends_at", now)]


def _chrome_changed(sender, raw=False, **kwargs) -> None:
    if not raw:
        bump(EVERY_PAGE)


def _settings_changed(sender, raw=False, **kwargs) -> None:
    if not raw:
        bump(EVERY_PAGE, SiteSettings.KEY)


def _story_changed(sender, instance, raw=False, **kwargs) -> None:
    if not raw and MenuItem.objects.filter(article_id=instance.pk).exists():
        bump(EVERY_PAGE)  # a menu link to it appears, moves or goes


def _stories_updated(sender, pks, **kwargs) -> None:
    if MenuItem.objects.filter(article_id__in=pks).exists():
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
        # What a menu links to.
        (Article, _story_changed),
        (Tag, _tag_changed),
    ]
    for model, receiver in receivers:
        name = model.__name__
        post_save.connect(receiver, sender=model, dispatch_uid=f"chrome-save-{name}")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"chrome-delete-{name}")
    content.stories_updated.connect(_stories_updated, dispatch_uid="chrome-linked-stories")
    clock.register("ad-slots", [EVERY_PAGE], next_ad_change)
