"""Small factories for test data: each makes a valid object and takes overrides."""

import io
import itertools
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from articles.models import Article, ArticleAuthor, Author, Picture, Section, Video, WireService
from newsroom.chrome.models import SiteSettings

_counter = itertools.count(1)


def make_section(**fields) -> Section:
    n = next(_counter)
    fields.setdefault("name", f"Section {n}")
    fields.setdefault("slug", f"section-{n}")
    return Section.objects.create(**fields)


def make_author(**fields) -> Author:
    n = next(_counter)
    fields.setdefault("name", f"Author {n}")
    fields.setdefault("slug", f"author-{n}")
    return Author.objects.create(**fields)


def make_picture(**fields) -> Picture:
    """A library picture: a small JPEG unless `file` says otherwise."""
    n = next(_counter)
    fields.setdefault("file", image_upload(f"picture-{n}.jpg"))
    fields.setdefault("alt", f"Picture number {n}")
    return Picture.objects.create(**fields)


VIDEOS = Path(__file__).parent / "articles" / "videos"


def video_upload(fixture: str = "tiny-h264.mp4", name: str | None = None) -> SimpleUploadedFile:
    """One of the small real videos in tests/articles/videos/, uploaded as `name`."""
    data = (VIDEOS / fixture).read_bytes()
    return SimpleUploadedFile(name or fixture, data, content_type="application/octet-stream")


def make_video(**fields) -> Video:
    """A library video: the tiny H.264 MP4, with a poster from the library."""
    n = next(_counter)
    fields.setdefault("file", video_upload(name=f"video-{n}.mp4"))
    fields.setdefault("title", f"Video number {n}")
    if "poster" not in fields:
        fields["poster"] = make_picture()
    fields.setdefault("width", 64)
    fields.setdefault("height", 36)
    return Video.objects.create(**fields)


def wire_service(slug: str = "reuters") -> WireService:
    return WireService.objects.get(slug=slug)


def make_article(*, authors=(), tags=(), **fields) -> Article:
    """A live published story unless status or publish_at say otherwise."""
    n = next(_counter)
    fields.setdefault("headline", f"Headline number {n}")
    fields.setdefault("slug", f"headline-number-{n}")
    fields.setdefault("standfirst", f"Standfirst of story {n}.")
    fields.setdefault("body", f"<p>Body of story {n}.</p>")
    fields.setdefault("status", Article.Status.PUBLISHED)
    if "language" not in fields:
        # In the site's language, as the story form proposes: no lang attribute of its own.
        site = SiteSettings.objects.filter(pk=1).values_list("language", flat=True).first()
        fields["language"] = site or settings.LANGUAGE_CODE
    if fields["status"] == Article.Status.PUBLISHED:
        fields.setdefault("publish_at", timezone.now() - timedelta(hours=1))
    if "section" not in fields:
        fields["section"] = make_section()
    article = Article.objects.create(**fields)
    for position, author in enumerate(authors):
        ArticleAuthor.objects.create(article=article, author=author, position=position)
    if tags:
        article.tags.add(*tags)
    return article


def bulk_published(
    count: int,
    section: Section,
    *,
    headline: str,
    slug: str,
    newest: timedelta,
    apart: timedelta,
    body: str = "<p>Text.</p>",
) -> None:
    """`count` published stories in one INSERT, the n-th `newest + n * apart` old, titled
    f"{headline} {n}" at f"{slug}-{n}". bulk_create skips save(): no search vector, no
    renditions, no signals — as a bulk import would leave them."""
    now = timezone.now()
    Article.objects.bulk_create(
        Article(
            headline=f"{headline} {n}",
            slug=f"{slug}-{n}",
            body=body,
            section=section,
            status=Article.Status.PUBLISHED,
            publish_at=now - newest - n * apart,
        )
        for n in range(count)
    )


def make_user(
    username: str, *, group: str | None = None, superuser: bool = False, password: str = "pw"
):
    User = get_user_model()
    if superuser:
        return User.objects.create_superuser(username, f"{username}@example.com", password)
    user = User.objects.create_user(username, f"{username}@example.com", password, is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def image_bytes(size=(64, 48), fmt="JPEG", color=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt)
    return buffer.getvalue()


def image_upload(
    name="photo.jpg", size=(64, 48), fmt="JPEG", content_type="image/jpeg"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes(size, fmt), content_type=content_type)


def curate(*stories, top_count: int | None = None):
    """Put these stories on the front page, in order: the first is the lead."""
    from newsroom.chrome.models import FrontPage, FrontPageStory

    front = FrontPage.objects.get_or_create(pk=1)[0]
    if top_count is not None:
        front.top_count = top_count
        front.save()
    FrontPageStory.objects.filter(front_page=front).delete()
    for position, story in enumerate(stories):
        FrontPageStory.objects.create(front_page=front, article=story, position=position)
    return front
