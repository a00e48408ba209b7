from django import template
from django.db import DatabaseError

from newsroom.weather import header, site

register = template.Library()


@register.simple_tag(takes_context=True)
def live_header_data(context) -> dict:
    """{% live_header_data as header %}: the live header's context, from the cache when warm.

    Adds one query while the cache is cold and none while it is warm; may start a background
    refresh of the weather, never waits for one.
    """
    settings = getattr(context.get("request"), "site_settings", None)
    if settings is None:
        try:
            settings = site.current()
        except DatabaseError:
            settings = site.defaults()  # the defaults still give a correct date and time
    return header.header_context(settings)
