from django import template

from articles import desk

register = template.Library()


@register.inclusion_tag("admin/articles/desk_panels.html", takes_context=True)
def desk_panels(context) -> dict:
    """{% desk_panels %}: the desk's lists for the user looking at the admin's first page."""
    request = context["request"]
    user = request.user
    can_publish = user.has_perm("articles.publish_article")
    may_read = user.has_perm("articles.view_article") or user.has_perm("articles.change_article")
    return {
        "panels": desk.panels(user, can_publish) if may_read else [],
        "can_publish": can_publish,
        "request": request,
    }
