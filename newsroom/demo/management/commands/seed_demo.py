"""`python manage.py seed_demo --articles N`: believable demo content, inserted in bulk."""

import json
import os
import random
import string
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from datetime import time as day_time

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import slugify
from taggit.models import Tag, TaggedItem
from tqdm import tqdm

from articles import renditions
from articles.models import (
    Article,
    ArticleAuthor,
    Author,
    Correction,
    Picture,
    Section,
    WireService,
)
from articles.richtext import sanitize_body
from articles.search import update_search_vectors
from newsroom import demo

Status = Article.Status
Attribution = Article.Attribution

# How a newsroom's output splits between sections (weights, not percentages).
SECTION_WEIGHTS = {
    "politica": 18,
    "economie": 16,
    "externe": 16,
    "sport": 16,
    "cultura": 9,
    "tehnologie": 9,
    "sanatate": 9,
    "opinii": 7,
}
# The share of each section's stories that come from, or lean on, a news agency.
WIRE_SHARE = {"externe": 0.6, "economie": 0.35, "sport": 0.3, "opinii": 0.0}
DOMESTIC_AGENCY = "agerpres"
# Sections whose agency copy may come from abroad; the others' (a county council, a hospital)
# only from the domestic agency.
INTERNATIONAL_SECTIONS = {"externe", "economie", "sport", "tehnologie"}
# Headlines are drawn again this many times at most when a run has used one already.
HEADLINE_TRIES = 30

# The first stories of every run cover each case once, so even a small run shows them all.
COVERAGE: list[dict] = [
    {"status": Status.PUBLISHED, "recent": True},
    {"status": Status.DRAFT},
    {"status": Status.REVIEW},
    {"status": Status.PUBLISHED, "scheduled": True},
    {"status": Status.PUBLISHED, "attribution": Attribution.WIRE_COPY},
    {"status": Status.PUBLISHED, "attribution": Attribution.ACCORDING_TO},
    {"status": Status.PUBLISHED, "attribution": Attribution.ADDITIONAL_REPORTING},
    {"status": Status.PUBLISHED, "note": "correction"},
    {"status": Status.PUBLISHED, "note": "update"},
    {"status": Status.PUBLISHED, "recent": True},
]
LEAD_WIDTH, LEAD_HEIGHT = demo.LEAD_SIZE


class Command(BaseCommand):
    help = (
        "Adds demo content: sections, authors with photos, tags, a pool of generated images "
        "and N stories in every status, inserted in bulk. Running it again adds more stories."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--articles", type=int, default=200, help="How many stories to add (default 200)."
        )
        parser.add_argument(
            "--seed", type=int, help="Seed for the random choices; the same seed writes the same."
        )
        parser.add_argument(
            "--images",
            type=int,
            default=3,
            help="Generated lead images per section, shared by its stories (default 3).",
        )
        parser.add_argument(
            "--batch-size", type=int, default=1000, help="Stories per bulk insert (default 1000)."
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args, **options):
        count, per_section = options["articles"], options["images"]
        batch_size = options["batch_size"]
        if count < 0:
            raise CommandError("--articles must be zero or more.")
        if per_section < 1 or batch_size < 1:
            raise CommandError("--images and --batch-size must be at least 1.")
        seed = options["seed"]
        if seed is None:
            seed = random.SystemRandom().randrange(2**32)
        started = time.monotonic()

        with transaction.atomic():
            sections = ensure_sections()
            authors = ensure_authors(seed)
            tags = ensure_tags()
        pool = ensure_image_pool(seed, sections, per_section)
        desk = Newsdesk(seed, sections, authors, tags, pool, count)

        show_progress = not options["no_progress"] and options["verbosity"] > 0 and count >= 1000
        totals = {"live": 0, "scheduled": 0, Status.DRAFT: 0, Status.REVIEW: 0, "wire": 0}
        with tqdm(total=count, unit=" stories", disable=not show_progress) as progress:
            for first in range(0, count, batch_size):
                size = min(batch_size, count - first)
                with transaction.atomic():
                    for kind, added in desk.publish_batch(first, size).items():
                        totals[kind] += added
                progress.update(size)

        if options["verbosity"] > 0:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Added {count} demo stories in {time.monotonic() - started:.1f} s "
                    f"(seed {seed}): {totals['live']} live, {totals['scheduled']} scheduled, "
                    f"{totals[Status.REVIEW]} in review, {totals[Status.DRAFT]} drafts; "
                    f"{totals['wire']} credited to a wire service."
                )
            )


def ensure_sections() -> dict[str, Section]:
    sections = {}
    for position, (name, slug, description) in enumerate(demo.SECTIONS, start=1):
        sections[slug], _created = Section.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "description": description, "position": position * 10},
        )
    return sections


def ensure_authors(seed: int) -> list[tuple[Author, list[str]]]:
    """The demo staff, each with the sections they write for; a photo in the library drawn
    for each on first creation (with its renditions, like the pool's pictures)."""
    existing = {author.slug: author for author in Author.objects.all()}
    missing = [
        (name, slugify(name)) for name, *_rest in demo.AUTHORS if slugify(name) not in existing
    ]

    def draw(name: str, slug: str) -> tuple[str, dict]:
        initials = "".join(part[0] for part in name.split())
        return prepare_picture(
            f"pictures/demo/authors/{slug}.jpg",
            lambda: demo.portrait(random.Random(f"{seed}-{slug}"), initials),
        )

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as workers:
        portraits = dict(zip(missing, workers.map(lambda pair: draw(*pair), missing), strict=True))
    authors = []
    for name, job_title, beats, bio in demo.AUTHORS:
        slug = slugify(name)
        author = existing.get(slug)
        if author is None:
            file, record = portraits[(name, slug)]
            picture, _created = Picture.objects.update_or_create(
                file=file,
                defaults={
                    "width": 400,
                    "height": 400,
                    "alt": name,
                    "credit": "Ilustrație Newsroom",
                    "usage_note": "Desenată pentru demonstrație; liberă de drepturi.",
                    "renditions": record,
                },
            )
            author = Author.objects.create(
                name=name, slug=slug, job_title=job_title, bio=bio, picture=picture
            )
        authors.append((author, beats))
    return authors


def ensure_tags() -> dict[str, int]:
    """Tag ids by name; slugs are ASCII so /tag/<slug>/ always resolves."""
    names = [name for names in demo.SECTION_TAGS.values() for name in names] + demo.COMMON_TAGS
    ids = {}
    for name in names:
        tag = Tag.objects.filter(name__iexact=name).first()
        if tag is None:
            tag, _created = Tag.objects.get_or_create(slug=slugify(name), defaults={"name": name})
        ids[name] = tag.pk
    return ids


def ensure_image_pool(
    seed: int, sections: dict[str, Section], per_section: int
) -> dict[str, list[Picture]]:
    """A few library pictures per section, drawn once and shared by that section's stories.

    Their responsive renditions (each shape cut around the focal point) are made once per
    picture. The record is kept beside the file, so a new database over the same media folder
    reuses both. Drawing and encoding run on every core: Pillow releases the GIL while it works.
    """
    entries = [
        # "wide": the 2,400 px pictures without lettering (earlier runs' files are not reused).
        {"section": slug, "name": f"pictures/demo/{slug}-{number}-wide.jpg"}
        for slug in sections
        for number in range(1, per_section + 1)
    ]

    def draw(entry: dict) -> tuple[str, dict]:
        rng = random.Random(f"{seed}-{entry['name']}")
        return prepare_picture(entry["name"], lambda: demo.lead_image(rng, entry["section"]))

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as workers:
        prepared = list(workers.map(draw, entries))
    pool: dict[str, list[Picture]] = {slug: [] for slug in sections}
    for entry, (name, record) in zip(entries, prepared, strict=True):
        picture, _created = Picture.objects.update_or_create(
            file=name,
            defaults={
                "width": LEAD_WIDTH,
                "height": LEAD_HEIGHT,
                "alt": demo.lead_image_alt(entry["section"]),
                "caption": "Imagine ilustrativă.",
                "credit": "Ilustrație Newsroom",
                "usage_note": "Desenată pentru demonstrație; liberă de drepturi.",
                "renditions": record,
            },
        )
        pool[entry["section"]].append(picture)
    return pool


def prepare_picture(name: str, drawing: Callable[[], bytes]) -> tuple[str, dict]:
    """One demo picture: drawn if missing, with its renditions record (centred focal point)."""
    sidecar = f"{name}.renditions.json"
    record = None
    if default_storage.exists(name) and default_storage.exists(sidecar):
        with default_storage.open(sidecar) as handle:
            record = json.load(handle)
        if (
            record.get("source") != name
            or "crops" not in record
            or renditions.files_missing(record)
        ):
            record = None
    if record is None:
        if not default_storage.exists(name):
            name = default_storage.save(name, ContentFile(drawing()))
        record = renditions.make_picture_renditions(Picture(file=name).file, (0.5, 0.5))
        if default_storage.exists(sidecar):
            default_storage.delete(sidecar)
        default_storage.save(sidecar, ContentFile(json.dumps(record).encode()))
    return name, record


class Newsdesk:
    """Writes the stories of one run, batch by batch, from one seeded random stream."""

    def __init__(self, seed, sections, authors, tags, pool, count):
        self.rng = random.Random(f"{seed}-stories")
        self.slug_rng = random.Random(f"{seed}-slugs")
        self.sections = sections
        self.authors = authors
        self.tag_ids = tags
        self.pool = pool
        self.agencies = list(WireService.objects.order_by("pk"))
        # Each headline once in a run (a second run with the same seed repeats the first).
        self.headlines: set[str] = set()
        self.content_type = ContentType.objects.get_for_model(Article)
        self.now = timezone.now()
        self.zone = timezone.get_current_timezone()
        # Bigger archives reach further back: about 60 stories a day, 4 months to 10 years.
        self.span_days = max(120, min(3650, count // 60))
        self.section_slugs = [slug for slug in SECTION_WEIGHTS if slug in sections]
        self.section_weights = [SECTION_WEIGHTS[slug] for slug in self.section_slugs]

    # --- one batch ---------------------------------------------------------------------------

    def publish_batch(self, first: int, size: int) -> dict[str, int]:
        """Writes and inserts stories first..first+size of the run; returns counts by kind."""
        drafts = [self.write(first + offset) for offset in range(size)]
        give_unique_slugs([article for article, _extra in drafts], self.slug_rng)
        Article.objects.bulk_create([article for article, _extra in drafts])

        bylines, tagged, notes = [], [], []
        for article, extra in drafts:
            bylines += [
                ArticleAuthor(article_id=article.pk, author_id=author.pk, position=position)
                for position, author in enumerate(extra["authors"])
            ]
            tagged += [
                TaggedItem(
                    content_type_id=self.content_type.pk,
                    object_id=article.pk,
                    tag_id=self.tag_ids[name],
                )
                for name in extra["tags"]
            ]
            if extra["note"]:
                notes.append(Correction(article_id=article.pk, **extra["note"]))
        ArticleAuthor.objects.bulk_create(bylines)
        TaggedItem.objects.bulk_create(tagged)
        Correction.objects.bulk_create(notes)

        batch = Article.objects.filter(pk__in=[article.pk for article, _extra in drafts])
        # bulk_create stamps created_at/modified_at with now; a story from March was written
        # in March.
        batch.filter(publish_at__lte=self.now).update(
            created_at=F("publish_at") - timedelta(minutes=95),
            modified_at=Coalesce("updated_at", "publish_at"),
        )
        update_search_vectors(batch)

        counts = {"live": 0, "scheduled": 0, Status.DRAFT: 0, Status.REVIEW: 0, "wire": 0}
        for article, _extra in drafts:
            if article.status != Status.PUBLISHED:
                counts[article.status] += 1
            else:
                counts["scheduled" if article.publish_at > self.now else "live"] += 1
            counts["wire"] += bool(article.wire_service_id)
        return counts

    def write(self, index: int) -> tuple[Article, dict]:
        rng = self.rng
        plan = COVERAGE[index] if index < len(COVERAGE) else self.random_plan()
        section = rng.choices(self.section_slugs, self.section_weights)[0]
        if plan.get("attribution") and section == "opinii":
            section = "externe"

        agency, attribution = None, ""
        if self.agencies and (
            plan.get("attribution") or rng.random() < WIRE_SHARE.get(section, 0.15)
        ):
            agency = self.pick_agency(section)
            attribution = (
                plan.get("attribution")
                or rng.choices(
                    [
                        Attribution.WIRE_COPY,
                        Attribution.ACCORDING_TO,
                        Attribution.ADDITIONAL_REPORTING,
                    ],
                    [2, 1, 1],
                )[0]
            )
        for _try in range(HEADLINE_TRIES):
            story = demo.write_story(rng, section, agency=agency.credit if agency else "")
            if story.headline not in self.headlines:
                break
        self.headlines.add(story.headline)

        picture = None
        if rng.random() < (0.6 if section == "opinii" else 0.93):
            picture = rng.choice(self.pool[section])
        article = Article(
            headline=story.headline[:200],
            slug=slugify(story.headline)[:100].strip("-"),
            standfirst=story.standfirst,
            # bulk_create skips save(), so the sanitizer runs here.
            body=sanitize_body(story.body),
            section=self.sections[section],
            dateline=story.dateline,
            status=plan["status"],
            wire_service=agency,
            wire_attribution=attribution,
            wire_story_id=demo.wire_story_id(rng, agency.slug) if agency else "",
            picture=picture,
        )

        note: dict | None = None
        if plan["status"] == Status.PUBLISHED:
            if plan.get("scheduled"):
                article.publish_at = self.now + timedelta(minutes=rng.uniform(60, 10 * 24 * 60))
            else:
                article.publish_at = self.publish_time(recent=plan.get("recent", False))
                kind = plan.get("note")
                if kind or rng.random() < 0.12:
                    article.updated_at = self.later(article.publish_at)
                if kind == "correction":
                    note = {"kind": Correction.Kind.CORRECTION, "text": story.correction}
                elif kind == "update":
                    note = {"kind": Correction.Kind.UPDATE, "text": story.update}
                if note:
                    note["created_at"] = article.updated_at

        return article, {
            "authors": self.pick_authors(section),
            "tags": story.tags,
            "note": note,
        }

    # --- choices -----------------------------------------------------------------------------

    def random_plan(self) -> dict:
        roll = self.rng.random()
        if roll < 0.08:
            return {"status": Status.DRAFT}
        if roll < 0.14:
            return {"status": Status.REVIEW}
        if roll < 0.18:
            return {"status": Status.PUBLISHED, "scheduled": True}
        note_roll = self.rng.random()
        note = "correction" if note_roll < 0.04 else "update" if note_roll < 0.12 else None
        return {"status": Status.PUBLISHED, "note": note}

    def pick_agency(self, section: str) -> WireService:
        domestic = [agency for agency in self.agencies if agency.slug == DOMESTIC_AGENCY]
        if domestic and section not in INTERNATIONAL_SECTIONS:
            return domestic[0]
        if section != "externe" and domestic and self.rng.random() < 0.6:
            return domestic[0]
        return self.rng.choice(self.agencies)

    def pick_authors(self, section: str) -> list[Author]:
        rng = self.rng
        everyone = [author for author, _beats in self.authors]
        if section == "opinii":  # a column carries its columnist's name, and only that
            columnists = [author for author in everyone if author.name in demo.COLUMNISTS]
            return [rng.choice(columnists or everyone)]
        desk = [author for author, beats in self.authors if section in beats] or everyone
        wanted = rng.choices([1, 2, 3], [70, 22, 8])[0]
        chosen = [rng.choice(desk)]
        while len(chosen) < min(wanted, len(everyone)):
            author = rng.choice(desk if rng.random() < 0.6 else everyone)
            if author not in chosen:
                chosen.append(author)
        return chosen

    def publish_time(self, *, recent: bool) -> datetime:
        """Denser towards today: about one live story in eight went up in the last two days."""
        rng = self.rng
        if recent or rng.random() < 0.12:
            return self.now - timedelta(minutes=rng.uniform(5, 48 * 60))
        days_ago = 2 + (self.span_days - 2) * rng.random() ** 1.7
        day = timezone.localtime(self.now - timedelta(days=days_ago), self.zone).date()
        minute = rng.randint(6 * 60 + 30, 22 * 60 + 30)
        return timezone.make_aware(
            datetime.combine(day, day_time(minute // 60, minute % 60)), self.zone
        )

    def later(self, moment: datetime) -> datetime:
        room = max(60.0, (self.now - moment).total_seconds())
        return moment + timedelta(seconds=self.rng.uniform(0.1, 0.9) * min(room, 2 * 86400))


def give_unique_slugs(articles: list[Article], rng: random.Random) -> None:
    """Keeps every slug unique, against the database and within the batch.

    A clash gets a short random suffix; the suffixed slug is checked again.
    """
    bases = {id(article): article.slug for article in articles}
    accepted: set[str] = set()
    pending = articles
    while pending:
        wanted = {article.slug for article in pending}
        taken = set(Article.objects.filter(slug__in=wanted).values_list("slug", flat=True))
        clashes = []
        for article in pending:
            if article.slug in taken or article.slug in accepted:
                token = "".join(rng.choices(string.ascii_lowercase + string.digits, k=4))
                article.slug = f"{bases[id(article)]}-{token}"
                clashes.append(article)
            else:
                accepted.add(article.slug)
        pending = clashes
