"""The demo's front page and the rest of a working site around the stories: the static pages,
a curated lead and top stories with a section pin, a breaking-news banner, and a stored weather
reading, so the header is complete offline (the first real reading replaces it)."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from articles.models import Article, Section
from newsroom.chrome.models import BreakingNews, FrontPage, FrontPageStory, SectionPin, SiteSettings
from newsroom.pages.models import Page
from newsroom.weather.models import WeatherReading
from newsroom.weather.providers import PARTLY_CLOUDY

SITE_PAGES = [
    (
        "Despre noi",
        "despre-noi",
        "<p>Newsroom este o publicație independentă de știri, analize și opinii, cu redacția la "
        "București și corespondenți în principalele orașe ale țării.</p>"
        "<h2>Cine suntem</h2><p>Redacția numără reporteri, editori și fotografi care acoperă "
        "politica, economia, externele, sportul, cultura, tehnologia și sănătatea.</p>"
        "<h2>Cum lucrăm</h2><p>Verificăm fiecare informație din cel puțin două surse și spunem "
        "cititorilor de unde vine: materialele agențiilor de presă poartă numele agenției.</p>",
    ),
    (
        "Contact",
        "contact",
        '<p>Redacția: <a href="mailto:redactie@example.com">redactie@example.com</a></p>'
        '<p>Publicitate: <a href="mailto:publicitate@example.com">publicitate@example.com</a>'
        "</p><p>Adresa: Strada Exemplului nr. 1, sector 1, București.</p>"
        '<p>Pentru o corectură, scrieți-ne la <a href="mailto:corecturi@example.com">'
        "corecturi@example.com</a>, cu adresa articolului.</p>",
    ),
    (
        "Politica editorială și corecturi",
        "politica-editoriala",
        "<p>Publicăm informații verificate, separăm știrile de opinii și semnăm fiecare "
        "material.</p><h2>Corecturi</h2><p>Când greșim, corectăm la vedere: nota de corectură "
        "apare la finalul articolului, cu data ei. Nu ștergem articole pentru că au devenit "
        "incomode.</p><h2>Opinii</h2><p>Textele din secțiunea Opinii exprimă punctul de vedere "
        "al autorilor lor.</p>",
    ),
    (
        "Confidențialitate",
        "confidentialitate",
        "<p>Nu folosim cookie-uri pentru cititori și nu încărcăm scripturi ale altor firme. "
        "Numărăm citirile articolelor fără să vă identificăm: adresa de la care citiți este "
        "folosită doar ca să nu numărăm de două ori aceeași citire și nu este păstrată mai mult "
        "de câteva ore.</p><p>Butoanele de distribuire sunt simple legături: rețelele sociale "
        "află de vizita dumneavoastră doar dacă le apăsați.</p>",
    ),
    (
        "Termeni și condiții",
        "termeni",
        "<p>Conținutul publicației este protejat de legea dreptului de autor. Puteți cita "
        "fragmente scurte cu menționarea sursei și legătură către articol.</p><p>Fotografiile "
        "marcate ca ilustrații sunt imagini demonstrative.</p>",
    ),
]


@transaction.atomic
def create_site_pages() -> None:
    for position, (title, slug, body) in enumerate(SITE_PAGES):
        Page.objects.get_or_create(
            slug=slug, defaults={"title": title, "body": body, "position": position}
        )


@transaction.atomic
def curate_front_page() -> None:
    """A lead and two top stories chosen by hand (pictures first), an opinion piece pinned to
    its section's block for a day, and a banner on the lead for six hours."""
    published = Article.objects.published().filter(picture__isnull=False).latest_first()
    front = FrontPage.objects.get_or_create(pk=1)[0]
    chosen = list(published.exclude(section__slug="opinii")[:12])[::4][:3]
    # The live page leads while its coverage goes on, with the banner on it.
    live = Article.objects.published().filter(coverage_started_at__isnull=False).first()
    if live is not None:
        chosen = [live, *chosen[:2]]
    for position, story in enumerate(chosen):
        FrontPageStory.objects.get_or_create(
            front_page=front, article=story, defaults={"position": position}
        )
    now = timezone.now()
    # An older column held at the top of its block (another section's story when there is none).
    sections = sorted(Section.objects.in_order(), key=lambda section: section.slug != "opinii")
    for section in sections:
        older = list(Article.objects.published().filter(section=section).latest_first()[:4])
        if older:
            SectionPin.objects.get_or_create(
                front_page=front,
                section=section,
                article=older[-1],
                defaults={"until": now + timedelta(days=1)},
            )
            break
    if chosen and not BreakingNews.objects.exists():
        BreakingNews.objects.create(
            text=chosen[0].headline,
            article=chosen[0],
            starts_at=now,
            ends_at=now + timedelta(hours=6),
        )


def store_demo_reading() -> None:
    """A reading for the site's city when there is none, due for a refresh at once."""
    if WeatherReading.objects.exists():
        return
    site = SiteSettings.load()
    moment = timezone.now() - timedelta(minutes=15)
    WeatherReading.objects.create(
        provider="demo",
        temperature_c=3.0,
        condition=PARTLY_CLOUDY,
        observed_at=moment,
        fetched_at=moment,
        latitude=site.latitude,
        longitude=site.longitude,
    )
