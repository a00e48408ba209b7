from django import template

from newsroom.pages.models import Page

register = template.Library()


@register.simple_tag
def footer_pages() -> list[Page]:
    """The pages the footer lists (read inside the kept footer, so once per chrome change)."""
    return list(Page.objects.in_footer().only("title", "slug"))
