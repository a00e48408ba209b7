"""Navigation the templates print: the admin-managed menus.

Read on every page that is built, so kept as plain data until the chrome changes (a menu, or a
story, tag or section a menu links to). A menu item that links to a story carries the story's
go-live time, so a scheduled story joins the menu by itself and a draft never shows.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.urls import reverse
from django.utils import timezone

from newsroom.chrome.links import is_safe_link
from newsroom.chrome.models import MenuItem
from newsroom.pagecache import EVERY_PAGE, remembered

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


def _link(item: MenuItem) -> Link:
    if item.section is not None:
        return Link(item.label, item.section.get_absolute_url())
    if item.tag is not None:
        return Link(item.label, reverse("articles:tag", kwargs={"slug": item.tag.slug}))
    if (article := item.article) is not None:
        if article.status != article.Status.PUBLISHED or article.publish_at is None:
            return Link(item.label, "", hidden=True)
        return Link(item.label, article.get_absolute_url(), live_from=article.publish_at)
    if not is_safe_link(item.url):
        return Link(item.label, "", hidden=True)
    return Link(item.label, item.url)


def _build_menus() -> dict[str, list[Link]]:
    """Every menu the templates ask for, in one query."""
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


def _menus() -> dict[str, list[Link]]:
    # Story addresses carry the date in the site's time zone: each zone has its own copy.
    zone = timezone.get_current_timezone_name()
    return remembered(f"menus:{zone}", [EVERY_PAGE], _build_menus, timeless=True)


def menu(slug: str) -> list[Link]:
    """The menu's visible items (each with its visible children); empty when there is none."""
    now = timezone.now()
    visible = []
    for link in _menus().get(slug, []):
        if link.is_visible(now):
            kids = [child for child in link.children if child.is_visible(now)]
            visible.append(Link(link.label, link.url, link.live_from, False, kids))
    return visible


def linked_urls() -> frozenset[str]:
    """Every address the menus link to, shown or not yet."""
    return frozenset(
        url
        for links in _menus().values()
        for link in links
        for url in (link.url, *(child.url for child in link.children))
    )
