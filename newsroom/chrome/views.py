"""The front page: the lead story and top stories the editors chose (the newest fill the rest),
the latest, and a block per section with its pinned stories first."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from articles import seo
from articles.invalidation import LISTINGS, section_key
from articles.models import Article, Section, load_bylines
from articles.teasers import teasers
from newsroom.chrome import frontpage
from newsroom.chrome.models import FrontPage
from newsroom.pagecache import public_page, remembered

LATEST = 10
CANDIDATES = 24
SECTION_BLOCK = 4


def _section_blocks(published, sections: list[Section], shown: list[int]) -> list[int]:
    """Ids of the newest SECTION_BLOCK stories of each section, not counting those shown
    elsewhere.

    Kept until a story joins or leaves one of the sections (or the clock publishes one), since
    building the per-section query costs more than running it.
    """
    section_ids = [section.pk for section in sections]
    return remembered(
        f"home-blocks:{section_ids}:{shown}",
        [section_key(pk) for pk in section_ids],
        lambda: published.exclude(pk__in=shown).newest_by_section(section_ids, SECTION_BLOCK),
    )


@require_safe
@public_page(LISTINGS, FrontPage.KEY)
def home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    curation = frontpage.curation()
    visible = Article.objects.published()
    if curation.dropped:
        visible = visible.exclude(pk__in=curation.dropped)
    places = curation.top_count + 1
    newest_ids = list(
        visible.latest_first().values_list("pk", flat=True)[: max(CANDIDATES, places + LATEST)]
    )

    # The editors' choices first, then the newest stories fill the places left.
    chosen = [pk for pk in curation.chosen_ids(now) if pk not in curation.dropped]
    pinned = [pk for pk in curation.all_pinned_ids(now) if pk not in curation.dropped]
    found = teasers(list(dict.fromkeys(newest_ids + chosen + pinned)))
    newest = [found[pk] for pk in newest_ids if pk in found]
    front = [found[pk] for pk in chosen if pk in found][:places]
    front += [story for story in newest if story not in front][: places - len(front)]
    lead, top = (front[0], front[1:]) if front else (None, [])
    # The newest, whatever else the page shows.
    latest = newest[:LATEST]

    home_sections = [section for section in Section.objects.in_order() if section.show_on_home]
    blocks = []
    if home_sections:
        shown = sorted({story.pk for story in front + latest} | set(pinned) | curation.dropped)
        by_section: dict[int, list[Article]] = {}
        for section in home_sections:
            held = [found[pk] for pk in curation.pinned_ids(section.pk, now) if pk in found]
            by_section[section.pk] = [story for story in held if story not in front]
        ids = _section_blocks(visible, home_sections, shown)
        in_blocks = teasers(ids)
        for story in (in_blocks[pk] for pk in ids if pk in in_blocks):
            by_section[story.section_id].append(story)
        blocks = [
            (section, by_section[section.pk][:SECTION_BLOCK])
            for section in home_sections
            if by_section[section.pk]
        ]

    stories = [*front, *latest]
    stories += [story for _section, block in blocks for story in block]
    load_bylines(dict.fromkeys(stories))

    meta = seo.PageMeta(
        title=settings.SITE_NAME,
        description=_("News, analysis and opinion from %(site)s.") % {"site": settings.SITE_NAME},
        url=seo.absolute(request, reverse("home")),
        picture=seo.social_picture(request, lead),
    )
    return render(
        request,
        "chrome/home.html",
        {"lead": lead, "top": top, "latest": latest, "blocks": blocks, "meta": meta},
    )
