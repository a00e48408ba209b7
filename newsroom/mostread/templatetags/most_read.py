from django import template
from django.urls import reverse

register = template.Library()


@register.inclusion_tag("includes/most_read_slot.html")
def most_read_slot() -> dict:
    """Where static/js/most-read.js puts the ranked list (nothing without the script)."""
    return {"url": reverse("most-read")}
