"""The site's chrome in templates: menus, sections, ad slots, and whole blocks rendered once.

{% chrome "name" %}…{% endchrome %} keeps the rendered masthead or footer until the chrome
changes (bumped whenever a menu, ad slot, section, wire service or the site settings change) or
the clock changes it (an ad slot starting or ending, a story a menu links to going live,
midnight), per language and, where a menu links to the page, per address (its link is marked as
the current page). The live header, which changes every minute, stays outside.
"""

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from articles.models import Section
from articles.richtext import paragraph_ends
from newsroom.chrome import ads, menus
from newsroom.chrome.links import is_safe_link
from newsroom.chrome.models import BreakingNews
from newsroom.pagecache import EVERY_PAGE, remembered

register = template.Library()


class ChromeNode(template.Node):
    def __init__(self, name: str, nodelist):
        self.name = name
        self.nodelist = nodelist

    def render(self, context) -> str:
        path = getattr(context.get("request"), "path", "")
        linked = path if path in menus.linked_urls() else ""
        name = f"chrome:{self.name}:{get_language()}:{context.get('site_name')}:{linked}"
        return remembered(name, [EVERY_PAGE], lambda: self.nodelist.render(context))


@register.tag
def chrome(parser, token):
    """{% chrome "header" %}…{% endchrome %}"""
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "\"'" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError('Usage: {% chrome "name" %}…{% endchrome %}')
    nodelist = parser.parse(("endchrome",))
    parser.delete_first_token()
    return ChromeNode(bits[1][1:-1], nodelist)


@register.inclusion_tag("includes/menu.html", takes_context=True)
def site_menu(context, slug: str = "main", label: str = "", toggle: bool = False):
    """An admin-managed menu; renders nothing when the menu is missing or empty.

    With `toggle`, phones get a button that opens the whole menu (static/js/site-nav.js);
    without the script, every item and sub-item shows in wrapped rows."""
    request = context.get("request")
    return {
        "items": menus.menu(slug),
        "label": label,
        "slug": slug,
        "toggle": toggle,
        "path": getattr(request, "path", ""),
    }


@register.simple_tag
def site_sections() -> list:
    """Every section, for the footer: {% site_sections as sections %}."""
    return Section.objects.in_order()


@register.inclusion_tag("includes/ad_slot.html")
def ad_slot(placement: str):
    """The active ads of a placement; nothing at all when there are none."""
    return {"ads": ads.ads_for(placement), "placement": placement}


@register.inclusion_tag("includes/breaking_news.html")
def breaking_news():
    """The newest banner showing now, linked to its story once that is live; or nothing.

    Printed inside the kept masthead, which the clock retires at a banner's start and end."""
    banner = BreakingNews.objects.active().select_related("article").first()
    link = ""
    live = False
    if banner is not None:
        if banner.article is not None and banner.article.is_published():
            link = banner.article.get_absolute_url()
            live = banner.article.coverage_is_ongoing
        elif is_safe_link(banner.url):
            link = banner.url
    return {"banner": banner, "link": link, "live": live}


@register.simple_tag
def story_body(article, html: str | None = None) -> SafeString:
    """The story's (sanitized) body, or `html` made of it, with any in-story ad after its
    paragraph."""
    body = html or article.body or ""
    in_story = ads.ads_for("in_story")
    ends = paragraph_ends(body) if in_story else []
    inserts: dict[int, list] = {}
    for ad in in_story:
        if 1 <= ad.after_paragraph <= len(ends):
            inserts.setdefault(ends[ad.after_paragraph - 1], []).append(ad)
    if not inserts:
        return mark_safe(body)  # noqa: S308 - sanitized on every save (Article.save)
    pieces, last = [], 0
    for offset in sorted(inserts):
        pieces.append(body[last:offset])
        pieces.append(
            render_to_string(
                "includes/ad_slot.html", {"ads": inserts[offset], "placement": "in_story"}
            )
        )
        last = offset
    pieces.append(body[last:])
    return mark_safe("".join(pieces))  # noqa: S308
