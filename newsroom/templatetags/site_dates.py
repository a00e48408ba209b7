from datetime import datetime

from django import template

from newsroom import dates

register = template.Library()


@register.filter
def long_datetime(value: datetime | None) -> str:
    """{{ article.publish_at|long_datetime }} in the active language and time zone."""
    return dates.long_datetime(value) if value else ""


@register.filter
def long_date(value: datetime | None) -> str:
    return dates.long_date(value) if value else ""
