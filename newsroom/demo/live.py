"""The demo's live page: a night of drone attacks on Kyiv followed update by update, with key
events, a pinned summary and a picture, so a newcomer sees live coverage on the front page."""

import json
import random
from datetime import timedelta
from pathlib import Path

import reversion
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from articles.live.models import LiveEntry
from articles.models import Article, Author, Section
from newsroom.demo.pictures import lead_image

HEADLINE = "În direct: atac cu drone asupra Kievului, alertă aeriană în toată Ucraina"
SLUG = "in-direct-atac-cu-drone-asupra-kievului"
STANDFIRST = (
    "Forțele ruse au lansat peste noapte zeci de drone asupra capitalei ucrainene. Urmăriți aici, "
    "minut cu minut, reacțiile de la Kiev, Chișinău și București."
)
BODY = (
    "<p>Alerta aeriană a fost declarată la Kiev puțin după miezul nopții, ora locală. "
    "Actualizările de mai jos sunt publicate pe măsură ce corespondenții noștri confirmă "
    "informațiile.</p>"
)

# The updates: minutes after the coverage opened, title, text, key event.
TIMELINE = json.loads((Path(__file__).parent / "data" / "live.json").read_text(encoding="utf-8"))
PICTURE_AT = 174
PINNED = (
    "Ce știm până acum",
    "<ul><li>Rusia a lansat 47 de drone asupra Ucrainei în timpul nopții; 41 au fost doborâte.</li>"
    "<li>Două persoane au fost rănite la Kiev, în cartierul Obolon.</li>"
    "<li>MApN: niciun aparat nu a intrat în spațiul aerian al României.</li></ul>",
)


@transaction.atomic
def create_live_page() -> Article | None:
    """The live page with its updates, unless the demo has one already."""
    if Article.objects.filter(coverage_started_at__isnull=False).exists():
        return None
    section = Section.objects.filter(slug="externe").first() or Section.objects.first()
    if section is None:
        return None
    now = timezone.now()
    started = now - timedelta(minutes=TIMELINE[-1]["minutes"] + 6)
    with reversion.create_revision():
        article = Article.objects.create(
            headline=HEADLINE,
            slug=SLUG,
            standfirst=STANDFIRST,
            body=BODY,
            section=section,
            dateline="Kiev",
            status=Article.Status.PUBLISHED,
            publish_at=started,
            coverage_started_at=started,
        )
        article.tags.add("Ucraina", "Rusia", "Kiev")
    authors = list(Author.objects.order_by("pk")[:2])
    rng = random.Random(18)
    for update in TIMELINE:
        minutes = update["minutes"]
        entry = LiveEntry(
            article=article,
            posted_at=started + timedelta(minutes=minutes),
            title=update["title"],
            body=f"<p>{update['text']}</p>",
            key_event=update["key_event"],
        )
        if minutes == PICTURE_AT:
            entry.image.save("obolon.jpg", ContentFile(lead_image(rng, "externe")), save=False)
            entry.image_alt = "Ilustrație: bloc de locuințe cu ferestrele sparte, în zori"
            entry.image_credit = "Ilustrație Newsroom"
        entry.save()
        entry.authors.set(authors[: 1 + minutes % 2])
    title, body = PINNED
    LiveEntry.objects.create(
        article=article, posted_at=now - timedelta(minutes=2), title=title, body=body, pinned=True
    )
    return article
