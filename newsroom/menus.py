"""Navigation the templates print: admin-managed menus and the list of sections.

Both are read on every public page, so they are kept in the cache as plain data and dropped
whenever something they show changes. A menu item that links to a story carries the story's
go-live time, so a scheduled story joins the menu by itself and a draft never shows.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.urls import reverse
from django.utils import timezone

CACHE_TIMEOUT = 300
MENUS_KEY = "chrome:menus"
SECTIONS_KEY = "chrome:sections"
MENU_SLUGS = ("main", "footer")


@dataclass
class Link:
    """One menu entry as printed; `live_from` is None for links that are always shown."""

    label: str
    url: str
    live_from: datetime | None = None
    hidden: bool = False
    children: list["Link"] = field(default_factory=list)

    def is_visible(self, now: datetime) -> bool:
        if self.hidden:
            return False
        return self.live_from is None or self.live_from <= now


# Addresses a menu may link to: this site, the web and e-mail. A "javascript:" or "data:" link
# would run code in a reader's browser; browsers ignore spaces and control characters in the
# scheme, so they are ignored here too.
SAFE_SCHEMES = {"http", "https", "mailto"}
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.IGNORECASE)
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20\x7f]")


def is_safe_link(url: str) -> bool:
    """True for a relative address or an http(s) or mailto one."""
    scheme = _SCHEME.match(_IGNORED_IN_SCHEME.sub("", url))
    return scheme is None or scheme.group(1).lower() in SAFE_SCHEMES


def _link(item) -> Link:
    if item.section_id:
        return Link(item.label, item.section.get_absolute_url())
    if item.tag_id:
        return Link(item.label, reverse("articles:tag", kwargs={"slug": item.tag.slug}))
    if item.article_id:
        article = item.article
        if article.status != article.Status.PUBLISHED or article.publish_at is None:
            return Link(item.label, "", hidden=True)
        return Link(item.label, article.get_absolute_url(), live_from=article.publish_at)
    if not is_safe_link(item.url):
        return Link(item.label, "", hidden=True)
    return Link(item.label, item.url)


def _build_menus() -> dict[str, list[Link]]:
    """Every menu the templates ask for, in one query."""
    from newsroom.models import MenuItem

    items = MenuItem.objects.filter(menu__slug__in=MENU_SLUGS).select_related(
        "menu", "section", "tag", "article"
    )
    top: dict[int, tuple[str, Link]] = {}
    children: list[tuple[int, Link]] = []
    for item in items.order_by("position", "pk"):
        link = _link(item)
        if item.parent_id is None:
            top[item.pk] = (item.menu.slug, link)
        else:
            children.append((item.parent_id, link))
    for parent_id, link in children:
        if parent_id in top:
            top[parent_id][1].children.append(link)
    menus: dict[str, list[Link]] = {slug: [] for slug in MENU_SLUGS}
    for slug, link in top.values():
        menus[slug].append(link)
    return menus


def menu(slug: str) -> list[Link]:
    """The menu's visible items (each with its visible children); empty when there is none."""
    if slug not in MENU_SLUGS:
        return []
    zone = timezone.get_current_timezone_name()
    cached = cache.get(MENUS_KEY)
    # Story addresses carry the date in the site's time zone: a changed zone is a miss.
    if cached is None or cached[0] != zone:
        cached = (zone, _build_menus())
        cache.set(MENUS_KEY, cached, CACHE_TIMEOUT)
    now = timezone.now()
    visible = []
    for link in cached[1].get(slug, []):
        if link.is_visible(now):
            kids = [child for child in link.children if child.is_visible(now)]
            visible.append(Link(link.label, link.url, link.live_from, False, kids))
    return visible


def sections() -> list:
    """Every section in position order (for the footer, home blocks and section pages)."""
    from articles.models import Section

    cached = cache.get(SECTIONS_KEY)
    if cached is None:
        cached = list(Section.objects.order_by("position", "name"))
        cache.set(SECTIONS_KEY, cached, CACHE_TIMEOUT)
    return cached


def section_by_slug(slug: str):
    """The section with this slug, from the cached list, or None."""
    return next((section for section in sections() if section.slug == slug), None)


def forget_navigation(**kwargs) -> None:
    """Drop cached menus and sections; they are rebuilt on the next page view."""
    cache.delete_many([SECTIONS_KEY, MENUS_KEY])


def forget_menus(**kwargs) -> None:
    cache.delete(MENUS_KEY)


def connect_signals() -> None:
    """Called from NewsroomConfig.ready(): every process drops stale navigation on writes."""
    from taggit.models import Tag

    from articles.models import Article, Section
    from newsroom.models import Menu, MenuItem

    for model in (Menu, MenuItem, Tag, Article):
        post_save.connect(forget_menus, sender=model, dispatch_uid=f"menus-{model.__name__}")
        post_delete.connect(forget_menus, sender=model, dispatch_uid=f"menus-del-{model.__name__}")
    post_save.connect(forget_navigation, sender=Section, dispatch_uid="navigation-section")
    post_delete.connect(forget_navigation, sender=Section, dispatch_uid="navigation-section-del")
