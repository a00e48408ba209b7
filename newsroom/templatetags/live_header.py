from django import template

from newsroom import live_header
from newsroom.models import SiteSettings

register = template.Library()


@register.simple_tag(takes_context=True)
def live_header_data(context) -> dict:
    """{% live_header_data as header %}: the live header's context, from the cache when warm.

    Adds one query while the cache is cold and none while it is warm; may start a background
    refresh of the weather, never waits for one.
    """
    request = context.get("request")
    site = getattr(request, "site_settings", None) or SiteSettings.load()
    return live_header.header_context(site)
