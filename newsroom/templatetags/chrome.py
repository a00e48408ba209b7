"""{% chrome "name" %}…{% endchrome %}: the site's chrome, rendered once and reused.

Every page prints the same masthead, menus, ad slots and footer. The rendered HTML is kept in
this process, keyed by the chrome's version (bumped whenever a menu, ad slot, section, wire
service or the site settings change; see newsroom.page_cache), the language, and the page's
address when a menu links to it (its link is marked as the current page); it is dropped at the
next moment the clock changes the chrome (an ad slot starting or ending, a story a menu links to
going live, midnight). The live header, which changes every minute, stays outside.
"""

from django import template
from django.utils import timezone
from django.utils.translation import get_language

from newsroom import menus, page_cache

register = template.Library()

_FRAGMENTS: dict[tuple, tuple] = {}
_FRAGMENTS_MAX = 2048


class ChromeNode(template.Node):
    def __init__(self, name: str, nodelist):
        self.name = name
        self.nodelist = nodelist

    def render(self, context) -> str:
        request = context.get("request")
        state = page_cache.chrome_state(request)
        if state is None:  # no cache to tell when the chrome changes: render it
            return self.nodelist.render(context)
        path = getattr(request, "path", "")
        key: tuple = (self.name, get_language(), context.get("site_name"), state.version)
        key += (path if path in _linked(state) else "",)
        found = _FRAGMENTS.get(key)
        if found is not None and found[0] > timezone.now():
            return found[1]
        html = self.nodelist.render(context)
        if len(_FRAGMENTS) >= _FRAGMENTS_MAX:
            _FRAGMENTS.clear()
        _FRAGMENTS[key] = (state.until, html)
        return html


def _links(links):
    for link in links:
        yield link
        yield from link.children


_LINKED: dict[int, tuple] = {}


def _linked(state: page_cache.ChromeState) -> frozenset[str]:
    """The addresses the menus link to, read once per version of the chrome."""
    found = _LINKED.get(state.version)
    if found is not None and found[0] > timezone.now():
        return found[1]
    if len(_LINKED) > 64:
        _LINKED.clear()
    urls = frozenset(link.url for slug in menus.MENU_SLUGS for link in _links(menus.menu(slug)))
    _LINKED[state.version] = (state.until, urls)
    return urls


@register.tag
def chrome(parser, token):
    """{% chrome "header" %}…{% endchrome %}"""
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "\"'" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError('Usage: {% chrome "name" %}…{% endchrome %}')
    nodelist = parser.parse(("endchrome",))
    parser.delete_first_token()
    return ChromeNode(bits[1][1:-1], nodelist)
