from django import template
from django.db import DatabaseError

from newsroom import live_header
from newsroom.models import SiteSettings

register = template.Library()


@register.simple_tag(takes_context=True)
def live_header_data(context) -> dict:
    """{% live_header_data as header %}: the live header's context, from the cache when warm.

    Adds one query while the cache is cold and none while it is warm; may start a background
    refresh of the weather, never waits for one.
    """
    site = getattr(context.get("request"), "site_settings", None)
    if site is None:
        try:
            site = SiteSettings.load()
        except DatabaseError:
            site = SiteSettings()  # the defaults still give a correct date and time
    return live_header.header_context(site)
