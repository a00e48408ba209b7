from django import template
from django.contrib.admin.models import LogEntry

from newsroom import admin_history

register = template.Library()


@register.filter
def change_message(entry: LogEntry) -> str:
    """{{ action|change_message }}: the history line with its field names translated."""
    return admin_history.change_message(entry)
