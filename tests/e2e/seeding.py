"""Data the journeys start from, made inside the server process (see tests/e2e/wsgi.py).

Each action takes JSON-able keyword arguments and returns a JSON-able dict. Stories are saved
the way the admin saves them (model save, signals, a revision), so renditions, search vectors,
history and cache invalidation are the site's own.
"""

import io
import random
from collections.abc import Sequence
from datetime import timedelta

import reversion
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from articles.live.models import LiveEntry
from articles.models import (
    Article,
    ArticleAuthor,
    Author,
    Picture,
    Section,
    WireService,
    WireSource,
)
from newsroom import demo
from newsroom.chrome.models import BreakingNews, FrontPageStory, Menu, SectionPin
from newsroom.demo.frontpage import create_site_pages
from newsroom.demo.management.commands.setup_demo import create_menus
from newsroom.weather import refresh

# username, group, full name; every one logs in with the session's password.
STAFF = [
    ("reporter", "Reporter", "Mara Vlad"),
    ("editor", "Editor", "Ioana Marinescu"),
    ("editor2", "Editor", "Dan Luca"),
]


def base(password: str) -> dict:
    """Once per session: a small demo newsroom, its menus, a weather reading and the staff."""
    call_command("seed_demo", articles=40, images=1, seed=6, verbosity=0)
    if not Menu.objects.exists():
        create_menus()
    create_site_pages()
    User = get_user_model()
    for username, group, full_name in STAFF:
        first_name, last_name = full_name.split(" ", 1)
        user = User.objects.create_user(
            username,
            f"{username}@example.com",
            password,
            first_name=first_name,
            last_name=last_name,
            is_staff=True,
        )
        user.groups.add(Group.objects.get(name=group))
    outcome = refresh.refresh(force=True)
    return {"weather": str(outcome)}


def _section(section: dict | str) -> Section:
    if isinstance(section, str):
        return Section.objects.get(slug=section)
    found, _created = Section.objects.get_or_create(
        slug=section.get("slug") or slugify(section["name"]),
        defaults={"name": section["name"], "position": 90, "show_on_home": False},
    )
    return found


def _author(author: dict | str) -> Author:
    if isinstance(author, str):
        author = {"name": author}
    found, _created = Author.objects.get_or_create(
        slug=author.get("slug") or slugify(author["name"]),
        defaults={"name": author["name"], "bio": author.get("bio", "")},
    )
    return found


def lead_image(label: str) -> bytes:
    """A 1200×675 JPEG in the demo's style, labelled."""
    return demo.lead_image(random.Random(label), "economie")


def _links(article: Article) -> dict:
    tags = list(article.tags.all())
    byline = article.byline
    return {
        "id": article.pk,
        "headline": article.headline,
        "slug": article.slug,
        "url": article.get_absolute_url(),
        "preview_url": article.get_preview_url(),
        "change_url": reverse("admin:articles_article_change", args=[article.pk]),
        "section": {"name": article.section.name, "url": article.section.get_absolute_url()},
        "tags": [
            {"name": tag.name, "url": reverse("articles:tag", kwargs={"slug": tag.slug})}
            for tag in tags
        ],
        "authors": [
            {
                "name": a.name,
                "url": a.get_absolute_url(),
                "change_url": reverse("admin:articles_author_change", args=[a.pk]),
            }
            for a in byline
        ],
    }


def story(
    *,
    headline: str,
    slug: str = "",
    status: str = Article.Status.PUBLISHED,
    minutes_ago: float = 5,
    section: dict | str = "economie",
    authors: Sequence = (),
    tags: Sequence = (),
    standfirst: str = "",
    body: str = "",
    image: bool = False,
    image_alt: str = "",
    image_caption: str = "",
    image_credit: str = "",
    wire: str = "",
    attribution: str = "",
    dateline: str = "",
    by: str = "reporter",
) -> dict:
    """One story, saved in a revision by `by` as the admin would; published ones went live
    `minutes_ago`."""
    user = get_user_model().objects.get(username=by)
    article = Article(
        headline=headline,
        slug=slug or slugify(headline)[:200],
        status=status,
        standfirst=standfirst,
        body=body or f"<p>{headline}.</p>",
        section=_section(section),
        dateline=dateline,
        created_by=user,
        modified_by=user,
    )
    if status == Article.Status.PUBLISHED:
        article.publish_at = timezone.now() - timedelta(minutes=minutes_ago)
    if wire:
        article.wire_service = WireService.objects.get(slug=wire)
        article.wire_attribution = attribution or Article.Attribution.WIRE_COPY
    if image:
        # A picture of the library, uploaded by the story's author, as the admin would.
        picture = Picture(
            alt=image_alt, caption=image_caption, credit=image_credit, uploaded_by=user
        )
        drawn = ContentFile(lead_image(article.section.name))
        picture.file.save(f"{article.slug[:40]}.jpg", drawn, save=True)
        article.picture = picture
    with reversion.create_revision():
        reversion.set_user(user)
        reversion.set_comment("Added.")
        article.save()
        for position, author in enumerate(authors):
            ArticleAuthor.objects.create(article=article, author=_author(author), position=position)
        if tags:
            article.tags.add(*tags)
    return _links(Article.objects.with_byline().get(pk=article.pk))


def listing(*, headline: str, count: int, section: str = "externe", tags: Sequence = ()) -> dict:
    """`count` live stories, a year old (older than the demo content), a minute apart."""
    year_ago = timezone.now() - timedelta(days=365)
    for number in range(1, count + 1):
        article = Article.objects.create(
            headline=f"{headline} ({number})",
            slug=slugify(f"{headline}-{number}"),
            standfirst=f"{headline}, number {number}.",
            body=f"<p>{headline}, number {number}.</p>",
            section=_section(section),
            status=Article.Status.PUBLISHED,
            publish_at=year_ago - timedelta(minutes=count - number),
        )
        article.tags.add(*tags)
    return {"count": count}


def article(*, id: int) -> dict:
    """A story as the database holds it, for the journeys' checks on what was saved."""
    story = Article.objects.with_byline().prefetch_related("corrections").get(pk=id)
    return {
        **_links(story),
        "status": story.status,
        "is_published": story.is_published(),
        "is_scheduled": story.is_scheduled(),
        "publish_at": story.publish_at.isoformat() if story.publish_at else None,
        "updated_at": story.updated_at.isoformat() if story.updated_at else None,
        "standfirst": story.standfirst,
        "body": story.body,
        "dateline": story.dateline,
        "wire_service": story.wire_service.slug if story.wire_service else None,
        "wire_attribution": story.wire_attribution,
        "wire_credit": str(story.wire_credit),
        "picture": story.picture_id,
        "focal": [story.picture.focal_x, story.picture.focal_y] if story.picture else None,
        "image": story.picture.file.name if story.picture else "",
        "image_alt": story.picture.alt if story.picture else "",
        "image_caption": story.picture.caption if story.picture else "",
        "image_credit": story.picture.credit if story.picture else "",
        "created_by": story.created_by.username if story.created_by else None,
        "corrections": [note.text for note in story.corrections.all()],
        "version": story.version,
    }


def live_entries(*, id: int) -> dict:
    """A story's live coverage as the database holds it: its start and end, and every update,
    newest first, drafts and deleted ones included."""
    story = Article.objects.get(pk=id)
    entries = LiveEntry.objects.filter(article=story).select_related("created_by")
    return {
        "started": story.coverage_started_at.isoformat() if story.coverage_started_at else None,
        "ended": story.coverage_ended_at.isoformat() if story.coverage_ended_at else None,
        "entries": [
            {
                "id": entry.pk,
                "title": entry.title,
                "body": entry.body,
                "status": entry.status,
                "key_event": entry.key_event,
                "pinned": entry.pinned,
                "image": entry.image.name,
                "image_alt": entry.image_alt,
                "posted_at": entry.posted_at.isoformat(),
                "edited": entry.edited_at is not None,
                "deleted": entry.deleted_at is not None,
                "created_by": entry.created_by.username if entry.created_by else None,
            }
            for entry in entries
        ],
    }


def find(*, headline: str) -> dict:
    """The id of the one story with this headline."""
    return {"id": Article.objects.get(headline=headline).pk}


def wire_drop(*, folder: str) -> dict:
    """A drop folder of Reuters copy, polled whenever poll_wires runs."""
    source, _created = WireSource.objects.get_or_create(
        name="Reuters (drop folder)",
        defaults={
            "service": WireService.objects.get(slug="reuters"),
            "kind": WireSource.Kind.FOLDER,
            "location": folder,
            "interval_minutes": 0,
        },
    )
    return {"id": source.pk}


def poll_wires() -> dict:
    """`manage.py poll_wires`, in the server process (where its cache is): its lines."""
    out = io.StringIO()
    call_command("poll_wires", stdout=out)
    return {"lines": out.getvalue().splitlines()}


def clear_front_page() -> dict:
    """The front page as a journey found it: no chosen stories, pins or banners."""
    FrontPageStory.objects.all().delete()
    SectionPin.objects.all().delete()
    BreakingNews.objects.all().delete()
    return {}


ACTIONS = {
    action.__name__: action
    for action in [
        base,
        story,
        listing,
        article,
        live_entries,
        find,
        wire_drop,
        poll_wires,
        clear_front_page,
    ]
}
