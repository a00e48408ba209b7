"""The front page: the lead story, top stories, the latest, and a block per section."""

from django.conf import settings
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from articles import seo
from articles.invalidation import LISTINGS, section_key
from articles.models import Article, Section, bylines
from newsroom.chrome.models import SiteSettings
from newsroom.pagecache import public_page, remembered

TOP = 4
LATEST = 10
CANDIDATES = 24
SECTION_BLOCK = 4


def _section_blocks(published, sections: list[Section], shown: list[int]) -> list[Article]:
    """The newest SECTION_BLOCK stories of each section, not counting those shown above.

    Which stories they are is kept until a story joins or leaves one of the sections (or the
    clock publishes one), since building the per-section query costs more than running it; the
    teasers are read fresh, in one query.
    """
    section_ids = [section.pk for section in sections]
    ids = remembered(
        f"home-blocks:{section_ids}:{shown}",
        [section_key(pk) for pk in section_ids],
        lambda: published.exclude(pk__in=shown).newest_by_section(section_ids, SECTION_BLOCK),
    )
    found = {story.pk: story for story in published.teasers().filter(pk__in=ids)}
    return [found[pk] for pk in ids if pk in found]


@require_safe
@public_page(LISTINGS)
def home(request: HttpRequest) -> HttpResponse:
    published = Article.objects.published()
    candidates = list(published.teasers().latest_first()[:CANDIDATES])

    lead = None
    site = getattr(request, "site_settings", None) or SiteSettings.load()
    if site.lead_article_id:
        lead = next((story for story in candidates if story.pk == site.lead_article_id), None)
        if lead is None:
            lead = published.teasers().filter(pk=site.lead_article_id).first()
    if lead is None and candidates:
        lead = candidates[0]
    rest = [story for story in candidates if story != lead]
    # Top stories are the newest ones with a picture; the rest of the newest are "Latest".
    top = [story for story in rest if story.image][:TOP]
    if len(top) < TOP:
        top += [story for story in rest if story not in top][: TOP - len(top)]
    latest = [story for story in rest if story not in top][:LATEST]

    shown = [story.pk for story in [lead, *top] if story]
    home_sections = [section for section in Section.objects.in_order() if section.show_on_home]
    blocks = []
    if home_sections:
        by_section: dict[int, list[Article]] = {}
        for story in _section_blocks(published, home_sections, shown):
            by_section.setdefault(story.section_id, []).append(story)
        blocks = [
            (section, by_section[section.pk])
            for section in home_sections
            if by_section.get(section.pk)
        ]

    stories = [story for story in [lead, *top, *latest] if story]
    stories += [story for _section, block in blocks for story in block]
    prefetch_related_objects(stories, bylines(teaser=True))

    meta = seo.PageMeta(
        title=settings.SITE_NAME,
        description=_("News, analysis and opinion from %(site)s.") % {"site": settings.SITE_NAME},
        url=seo.absolute(request, reverse("home")),
        image=seo.image_url(request, lead) if lead else "",
        image_alt=lead.image_alt if lead else "",
    )
    return render(
        request,
        "chrome/home.html",
        {"lead": lead, "top": top, "latest": latest, "blocks": blocks, "meta": meta},
    )
