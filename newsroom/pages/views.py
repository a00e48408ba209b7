from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from articles import seo
from newsroom.pagecache import depends_on, public_page
from newsroom.pages.models import Page


@require_safe
@public_page()
def page(request: HttpRequest, slug: str) -> HttpResponse:
    found = get_object_or_404(Page.objects.published(), slug=slug)
    depends_on(request, found.key())
    meta = seo.PageMeta(
        title=found.title,
        description=seo.describe(found.body) or found.title,
        url=seo.absolute(request, found.get_absolute_url()),
    )
    return render(request, "pages/page.html", {"page": found, "meta": meta})
