"""The demo's stories in two languages and its promoted stories: an English agency story linked to
its Romanian translation, and a few stories with their own titles and summaries for search
results and shared links (the story form's Promovare fields)."""

from datetime import timedelta

import reversion
from django.db import transaction
from django.utils import timezone

from articles.models import Article, Section, WireService

ENGLISH = {
    "headline": "EU ministers agree on new energy storage rules after overnight talks",
    "slug": "eu-ministers-agree-energy-storage-rules",
    "standfirst": (
        "Member states will have to plan grid-scale storage alongside new wind and solar "
        "capacity, under a compromise reached in Brussels on Thursday."
    ),
    "body": (
        "<p>European Union energy ministers agreed on Thursday on rules that oblige member "
        "states to plan battery and pumped-hydro storage alongside new wind and solar farms, "
        "after talks that ran through the night.</p>"
        "<p>The compromise gives governments until 2028 to publish storage targets. Romania and "
        "Poland won a longer transition for grids that still rely on coal.</p>"
        "<p>“Storage is what turns cheap power at noon into power at seven in the evening,” one "
        "diplomat said.</p>"
    ),
    "dateline": "Brussels",
}
ROMANIAN = {
    "headline": "Miniștrii UE au convenit noi reguli pentru stocarea energiei, după negocieri "
    "peste noapte",
    "slug": "ministrii-ue-reguli-stocarea-energiei",
    "standfirst": (
        "Statele membre vor trebui să planifice capacități de stocare odată cu noile parcuri "
        "eoliene și solare, potrivit compromisului de joi de la Bruxelles."
    ),
    "body": (
        "<p>Miniștrii energiei din Uniunea Europeană au convenit joi reguli care obligă statele "
        "membre să planifice stocarea în baterii și hidrocentrale cu acumulare odată cu noile "
        "parcuri eoliene și solare, după negocieri care au durat toată noaptea.</p>"
        "<p>Compromisul le dă guvernelor termen până în 2028 pentru ținte de stocare. România "
        "și Polonia au obținut o tranziție mai lungă pentru rețelele care depind încă de "
        "cărbune.</p>"
    ),
    "dateline": "Bruxelles",
}
# Promovare fields for the newest stories: (SEO title, meta description, social title).
PROMOTED = [
    (
        "Stocarea energiei: ce au decis miniștrii UE",
        "Noile reguli europene pentru baterii și hidrocentrale cu acumulare, pe înțelesul "
        "tuturor: termene, excepții și ce înseamnă pentru România.",
        "Bateriile intră în planurile energetice ale Europei",
    ),
]


@transaction.atomic
def create_translated_story() -> Article | None:
    """An English Reuters story and its Romanian translation, linked, unless present already."""
    if Article.objects.filter(language="en").exists():
        return None
    section = Section.objects.filter(slug="externe").first() or Section.objects.first()
    reuters = WireService.objects.filter(slug="reuters").first()
    if section is None:
        return None
    published = timezone.now() - timedelta(minutes=50)
    with reversion.create_revision():
        english = Article.objects.create(
            **ENGLISH,
            section=section,
            language="en",
            wire_service=reuters,
            wire_attribution=Article.Attribution.WIRE_COPY if reuters else "",
            status=Article.Status.PUBLISHED,
            publish_at=published,
        )
        english.tags.add("Uniunea Europeană", "energie")
        seo_title, description, social_title = PROMOTED[0]
        romanian = Article.objects.create(
            **ROMANIAN,
            section=section,
            language="ro",
            wire_service=reuters,
            wire_attribution=Article.Attribution.ACCORDING_TO if reuters else "",
            status=Article.Status.PUBLISHED,
            publish_at=published + timedelta(minutes=20),
            translation=english,
            seo_title=seo_title,
            meta_description=description,
            social_title=social_title,
        )
        romanian.tags.add("Uniunea Europeană", "energie")
    return english


def promote_stories(count: int = 3) -> int:
    """Fills the Promovare fields of the newest published stories that have none."""
    stories = list(
        Article.objects.published()
        .filter(seo_title="", coverage_started_at__isnull=True)
        .latest_first()[:count]
    )
    for story in stories:
        story.seo_title = story.headline[:60]
        story.meta_description = (story.standfirst or story.headline)[:155]
        story.social_title = f"{story.section.name}: {story.headline}"[:90]
        story.save(update_fields=["seo_title", "meta_description", "social_title"])
    return len(stories)
