"""The demo's rich story: a table with its caption, embeds from YouTube, X and Spotify, two
library pictures in the body and a gallery of five (from the demo's pool, so no picture is drawn
again), and a library video (a tiny H.264 clip, `data/clip.mp4`, with a pool picture as its
poster), so a newcomer sees them all on a page. Nothing is fetched from the providers here:
until an editor saves the story in the admin (which reads their titles and thumbnails), the
boxes show the links."""

from datetime import timedelta
from pathlib import Path

import reversion
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from articles.models import Article, ArticleAuthor, Author, Picture, Section
from articles.videofiles import check_video
from articles.videos import Video

CLIP = Path(__file__).parent / "data" / "clip.mp4"

HEADLINE = "Prezența la vot pe regiuni: cifrele zilei, declarațiile și podcastul de seară"
SLUG = "prezenta-la-vot-pe-regiuni-cifrele-zilei"
STANDFIRST = (
    "Tabelul de mai jos arată prezența la urne în cele opt regiuni de dezvoltare. Sub el, "
    "declarațiile zilei și podcastul nostru de seară."
)
GALLERY_SIZE = 5
BODY = (
    "<p>Biroul Electoral Central a publicat cifrele de prezență la ora 21:00. Regiunea "
    "București-Ilfov conduce, urmată de Nord-Vest și Centru.</p>"
    "{picture}"
    "<p><em>Prezența la vot la ora 21:00, pe regiuni de dezvoltare (date demonstrative)</em></p>"
    "<table><tbody>"
    "<tr><th><p>Regiunea</p></th><th><p>Alegători înscriși</p></th><th><p>Prezență</p></th></tr>"
    "<tr><td><p>București-Ilfov</p></td><td><p>2.001.344</p></td><td><p>58,1%</p></td></tr>"
    "<tr><td><p>Nord-Vest</p></td><td><p>2.142.077</p></td><td><p>51,4%</p></td></tr>"
    "<tr><td><p>Centru</p></td><td><p>1.998.120</p></td><td><p>50,2%</p></td></tr>"
    "<tr><td><p>Vest</p></td><td><p>1.502.883</p></td><td><p>49,7%</p></td></tr>"
    "<tr><td><p>Sud-Est</p></td><td><p>2.020.456</p></td><td><p>46,3%</p></td></tr>"
    "<tr><td><p>Nord-Est</p></td><td><p>2.880.901</p></td><td><p>44,9%</p></td></tr>"
    "<tr><td><p>Sud-Muntenia</p></td><td><p>2.466.032</p></td><td><p>44,1%</p></td></tr>"
    "<tr><td><p>Sud-Vest Oltenia</p></td><td><p>1.661.587</p></td><td><p>43,6%</p></td></tr>"
    "</tbody></table>"
    "{second}"
    "<p>Conferința de presă a fost transmisă integral:</p>"
    '<p><a href="https://www.youtube.com/watch?v=M7lc1UVf-VE">'
    "https://www.youtube.com/watch?v=M7lc1UVf-VE</a></p>"
    "<p>Reacțiile au început să apară imediat pe rețelele sociale:</p>"
    "<p>https://x.com/jack/status/20</p>"
    "<p>Seara, în podcastul nostru, am discutat cu doi sociologi despre ce spun cifrele:</p>"
    "<p>https://open.spotify.com/track/11dFghVXANMlKmJXsNCbNl</p>"
    "<p>Imagini de la secțiile de votare, de dimineață până seara:</p>"
    "{gallery}"
    "<p>Câteva clipe din noaptea numărătorii, filmate de colegii noștri:</p>"
    "{video}"
)


def _paragraph(item: Picture | Video) -> str:
    """A library file as an editor places it in the body: its address alone in a paragraph."""
    address = f"{settings.MEDIA_URL}{item.file.name}"
    return f'<p><a href="{address}">{address}</a></p>'


def library_video(poster: Picture) -> Video:
    """The demo's clip in the library, read like an upload (its size and length)."""
    data = CLIP.read_bytes()
    facts = check_video(ContentFile(data))
    video = Video(
        title="Numărătoarea voturilor la o secție din București",
        poster=poster,
        caption="Numărătoarea a durat până după miezul nopții (imagini demonstrative).",
        credit="Video: Newsroom",
        width=facts.width,
        height=facts.height,
        duration=facts.duration,
    )
    video.file.save(f"numaratoarea-voturilor{facts.extension}", ContentFile(data), save=False)
    video.save()
    return video


def story_body() -> str:
    """The body, with pictures from the demo's library (the same one again if it has few; not
    the authors' photos) and its video."""
    pool = list(Picture.objects.filter(authors=None).order_by("pk")[: 2 + GALLERY_SIZE])
    if not pool:
        return BODY.format(picture="", second="", gallery="", video="")
    chosen = [pool[n % len(pool)] for n in range(2 + GALLERY_SIZE)]
    return BODY.format(
        picture=_paragraph(chosen[0]),
        second=_paragraph(chosen[1]),
        gallery="".join(_paragraph(picture) for picture in chosen[2:]),
        video=_paragraph(library_video(chosen[-1])),
    )


@transaction.atomic
def create_rich_story() -> Article | None:
    """The story with a table and embeds, unless the demo has one already."""
    if Article.objects.filter(slug=SLUG).exists():
        return None
    section = Section.objects.filter(slug="politica").first() or Section.objects.first()
    if section is None:
        return None
    with reversion.create_revision():
        article = Article.objects.create(
            headline=HEADLINE,
            slug=SLUG,
            standfirst=STANDFIRST,
            body=story_body(),
            section=section,
            dateline="București",
            status=Article.Status.PUBLISHED,
            publish_at=timezone.now() - timedelta(minutes=40),
        )
        article.tags.add("alegeri")
        if author := Author.objects.order_by("pk").first():
            ArticleAuthor.objects.create(article=article, author=author, position=0)
    return article
