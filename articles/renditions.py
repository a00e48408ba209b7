"""Responsive renditions of lead images and author photos, made once and kept in storage.

When a story's lead image or an author's photo changes, a post_save receiver drops the
renditions of the image it replaced and enqueues a task (articles/tasks.py) that re-encodes the
new one at several widths as WebP and JPEG (turned upright from its EXIF orientation, metadata
dropped), saves the files through Django's default storage, and records them in the model's JSON
field:

    {"source": "articles/2024/12/photo.jpg", "width": 1600, "height": 900,
     "webp": [[320, 180, "renditions/…-320.webp"], …], "jpeg": [[320, 180, "…-320.jpg"], …]}

Decoding a 40-megapixel photo takes seconds and hundreds of megabytes, so it happens in the task
worker (`manage.py db_worker`), never in a web worker's request. Until the task has run, pages
show the original file (already re-encoded without metadata on upload); the task then bumps the
pages that show the picture. Pages read the record; nothing is resized on a page view. Stories
created in bulk (no signals) get theirs from `manage.py make_renditions`.
"""

import hashlib
import io
import logging
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models.signals import post_delete, post_save
from PIL import ExifTags, Image, ImageOps

logger = logging.getLogger(__name__)

ARTICLE_WIDTHS = (320, 480, 640, 800, 1024, 1280, 1600)
AUTHOR_WIDTHS = (64, 128, 256)
JPEG_QUALITY = 80
WEBP_QUALITY = 76


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white: JPEG has no alpha, and palette or CMYK images need converting."""
    if image.mode in {"RGBA", "LA"} or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _square(image: Image.Image) -> Image.Image:
    side = min(image.size)
    left = (image.width - side) // 2
    top = (image.height - side) // 2
    return image.crop((left, top, left + side, top + side))


def _encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    if fmt == "webp":
        image.save(buffer, "WEBP", quality=WEBP_QUALITY, method=4)
    else:
        # An empty comment: Pillow would otherwise copy the source's JPEG comment (COM), which
        # cameras and editors fill with text as private as the GPS position.
        image.save(
            buffer, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True, comment=b""
        )
    return buffer.getvalue()


def make_renditions(field_file, widths: tuple[int, ...], folder: str, square: bool = False) -> dict:
    """Encode `field_file` at each width (never upscaled) and return the record to store.

    Returns an empty dict when the file is missing, unreadable or too large to decode safely.
    """
    if not field_file:
        return {}
    try:
        with field_file.open("rb") as handle, Image.open(handle) as probe:
            if probe.width * probe.height > settings.IMAGE_MAX_PIXELS:
                logger.warning("not making renditions of %s: too many pixels", field_file.name)
                return {}
            # A JPEG decodes at a half, a quarter or an eighth of its size in a fraction of the
            # time and memory (a 40-megapixel photo: 1.2 s and 100 MB instead of 8 s and 500 MB),
            # never narrower than the widest rendition, whichever way EXIF turns it.
            largest = max(widths)
            turned = probe.getexif().get(ExifTags.Base.Orientation, 1) in {5, 6, 7, 8}
            probe.draft("RGB", (largest, largest) if square or turned else (largest, 1))
            probe.load()
            image = _flatten(ImageOps.exif_transpose(probe))
    except Exception:  # Unreadable, truncated, missing: the page falls back to the original.
        logger.warning("cannot make renditions of %s", field_file.name, exc_info=True)
        return {}

    if square:
        image = _square(image)
    source = field_file.name
    digest = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()[:10]
    stem = PurePosixPath(source).stem[:60] or "image"
    base = f"renditions/{folder}/{stem}-{digest}"

    record: dict = {"source": source, "width": image.width, "height": image.height}
    sizes = sorted({min(width, image.width) for width in widths})
    for fmt, extension in (("webp", "webp"), ("jpeg", "jpg")):
        files = []
        for width in sizes:
            height = max(1, round(image.height * width / image.width))
            resized = (
                image
                if width == image.width
                else image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
            )
            name = default_storage.save(
                f"{base}-{width}.{extension}", ContentFile(_encode(resized, fmt))
            )
            files.append([width, height, name])
        record[fmt] = files
    return record


def delete_renditions(record: dict) -> None:
    """Remove a record's files from storage (used when the image is replaced or removed)."""
    for fmt in ("webp", "jpeg"):
        for _width, _height, name in record.get(fmt, []):
            try:
                default_storage.delete(name)
            except Exception:
                logger.warning("cannot delete rendition %s", name, exc_info=True)


def _shared(instance, field_name: str, record: dict) -> bool:
    """True when another row still shows the same source image (demo content shares them)."""
    others = type(instance)._base_manager.exclude(pk=instance.pk)
    return others.filter(**{field_name: record.get("source", "")}).exists()


def files_missing(record: dict) -> bool:
    """Whether a file the record names is gone from storage (deleted when its image was
    replaced, say: a restored version's record may name such files)."""
    return any(
        not default_storage.exists(name)
        for fmt in ("webp", "jpeg")
        for _width, _height, name in record.get(fmt, [])
    )


def _is_current(field_file, record: dict) -> bool:
    current = field_file.name if field_file else ""
    return record.get("source", "") == current and bool(record or not current)


def _store(instance, record_name: str, record: dict, **still) -> bool:
    """Write the record with a plain UPDATE (no save(): no signal, no version, no revision),
    only while the row still has the image it was made from; False when it no longer does.

    The page cache is told by the caller (articles.tasks), which knows what pages show it.
    """
    rows = type(instance)._base_manager.filter(pk=instance.pk, **still)
    if not rows.update(**{record_name: record}):
        return False
    setattr(instance, record_name, record)
    return True


def refresh(instance, field_name: str, record_name: str, widths, folder, square=False) -> bool:
    """Bring the instance's renditions in line with its image; True when they changed.

    This is the slow part (it decodes the image): the task worker and `make_renditions` run it.
    """
    field_file = getattr(instance, field_name)
    record = getattr(instance, record_name) or {}
    if _is_current(field_file, record):
        return False
    current = field_file.name if field_file else ""
    new_record = make_renditions(field_file, widths, folder, square) if current else {}
    if not _store(instance, record_name, new_record, **{field_name: current}):
        # The image was replaced while these were made: its own task makes the right ones.
        delete_renditions(new_record)
        return False
    if record and not _shared(instance, field_name, record):
        delete_renditions(record)
    return True


def refresh_article(article) -> bool:
    return refresh(article, "image", "image_renditions", ARTICLE_WIDTHS, "articles")


def refresh_author(author) -> bool:
    return refresh(author, "photo", "photo_renditions", AUTHOR_WIDTHS, "authors", square=True)


def forget_stale(instance, field_name: str, record_name: str) -> bool:
    """Drop renditions of an image the instance no longer shows (quick: nothing is decoded);
    True when its current image still needs renditions made."""
    field_file = getattr(instance, field_name)
    record = getattr(instance, record_name) or {}
    if _is_current(field_file, record):
        return False
    if record:
        if not _shared(instance, field_name, record):
            delete_renditions(record)
        _store(instance, record_name, {})
    return bool(field_file)


def _on_article_save(sender, instance, raw=False, **kwargs):
    if not raw and forget_stale(instance, "image", "image_renditions"):
        from articles import tasks

        tasks.make_article_renditions.enqueue(instance.pk)


def _on_author_save(sender, instance, raw=False, **kwargs):
    if not raw and forget_stale(instance, "photo", "photo_renditions"):
        from articles import tasks

        tasks.make_author_renditions.enqueue(instance.pk)


def _on_delete(sender, instance, **kwargs):
    for field_name, record_name in (("image", "image_renditions"), ("photo", "photo_renditions")):
        record = getattr(instance, record_name, None)
        if record and not _shared(instance, field_name, record):
            delete_renditions(record)


def connect_signals() -> None:
    """Called from ArticlesConfig.ready()."""
    from articles.models import Article, Author

    post_save.connect(_on_article_save, sender=Article, dispatch_uid="renditions-article")
    post_save.connect(_on_author_save, sender=Author, dispatch_uid="renditions-author")
    post_delete.connect(_on_delete, sender=Article, dispatch_uid="renditions-article-delete")
    post_delete.connect(_on_delete, sender=Author, dispatch_uid="renditions-author-delete")


def best_jpeg(record: dict, target: int = 1200) -> str:
    """The storage URL of the JPEG rendition closest to `target` wide, or "" without any."""
    files = (record or {}).get("jpeg") or []
    if not files:
        return ""
    width, _height, name = min(files, key=lambda entry: (abs(entry[0] - target), -entry[0]))
    return default_storage.url(name)


def srcset(record: dict, fmt: str) -> str:
    """A srcset attribute value ("url 320w, url 640w, …") for one format."""
    return ", ".join(
        f"{default_storage.url(name)} {width}w" for width, _h, name in (record or {}).get(fmt, [])
    )
