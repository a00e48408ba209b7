"""Responsive renditions of library pictures, made once and kept in storage.

When a library picture's file or focal point changes, a post_save receiver drops the renditions
of a file it replaced and enqueues a task (articles/tasks.py) that re-encodes the picture at
several widths (turned upright from its EXIF orientation, metadata dropped), saves the files
through Django's default storage, and records them in the picture's JSON field. A picture keeps
its own shape and is also cut to each of CROPS around its focal point, as AVIF (when Pillow can
write it), WebP and JPEG (make_picture_renditions shows the record); the square crop is also
what an author's photo is shown as.

Decoding a 40-megapixel photo takes seconds and hundreds of megabytes, so it happens in the task
worker (`manage.py db_worker`), never in a web worker's request. Until the task has run, pages
show the original file (already re-encoded without metadata on upload); the task then bumps the
pages that show the picture. Pages read the record; nothing is resized on a page view. Pictures
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
from PIL import ExifTags, Image, ImageOps, features

logger = logging.getLogger(__name__)

ARTICLE_WIDTHS = (320, 480, 640, 800, 1024, 1280, 1600)
JPEG_QUALITY = 80
WEBP_QUALITY = 76
AVIF_QUALITY = 60
# The encoders' fastest settings that keep the files within a few per cent of their slowest: a
# library picture is encoded some eighty times (four shapes, seven widths, three formats).
WEBP_METHOD = 2
AVIF_SPEED = 10
FORMATS = ("avif", "webp", "jpeg")
EXTENSIONS = {"avif": "avif", "webp": "webp", "jpeg": "jpg"}
# The shapes library pictures are cut to around their focal point (besides their own): what
# the site's teasers use and what Google asks of a story's pictures.
CROPS = {"16:9": (16, 9), "4:3": (4, 3), "1:1": (1, 1)}
# The crops' widths: pages show a picture in its own shape, at every width above; the crops are
# what sharing previews and search engines take (1,200 pixels or more where the picture has
# them, and a phone-sized one). Every width more would cost as much again for each shape.
CROP_WIDTHS = (640, 1280)
# The square crop is also an author's photo: 40 CSS pixels beside a byline, 128 on their page.
PORTRAIT_WIDTHS = (64, 128, 256)
SHAPE_WIDTHS = {"16:9": CROP_WIDTHS, "4:3": CROP_WIDTHS, "1:1": PORTRAIT_WIDTHS + CROP_WIDTHS}


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white: JPEG has no alpha, and palette or CMYK images need converting."""
    if image.mode in {"RGBA", "LA"} or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    if fmt == "avif":
        image.save(buffer, "AVIF", quality=AVIF_QUALITY, speed=AVIF_SPEED)
    elif fmt == "webp":
        image.save(buffer, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
    else:
        # An empty comment: Pillow would otherwise copy the source's JPEG comment (COM), which
        # cameras and editors fill with text as private as the GPS position.
        image.save(
            buffer, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True, comment=b""
        )
    return buffer.getvalue()


def _decode(field_file, largest: int, both_sides: bool) -> Image.Image | None:
    """The picture upright and in RGB, decoded no larger than needed; None when it cannot be."""
    try:
        with field_file.open("rb") as handle, Image.open(handle) as probe:
            if probe.width * probe.height > settings.IMAGE_MAX_PIXELS:
                logger.warning("not making renditions of %s: too many pixels", field_file.name)
                return None
            # A JPEG decodes at a half, a quarter or an eighth of its size in a fraction of the
            # time and memory (a 40-megapixel photo: 1.2 s and 100 MB instead of 8 s and 500 MB),
            # never narrower than the widest rendition, whichever way EXIF turns it.
            turned = probe.getexif().get(ExifTags.Base.Orientation, 1) in {5, 6, 7, 8}
            probe.draft("RGB", (largest, largest) if both_sides or turned else (largest, 1))
            probe.load()
            return _flatten(ImageOps.exif_transpose(probe))
    except Exception:  # Unreadable, truncated, missing: the page falls back to the original.
        logger.warning("cannot make renditions of %s", field_file.name, exc_info=True)
        return None


def _base_name(source: str, folder: str, suffix: str = "") -> str:
    digest = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()[:10]
    stem = PurePosixPath(source).stem[:60] or "image"
    return f"renditions/{folder}/{stem}-{digest}{suffix}"


def _encode_widths(image: Image.Image, widths, base: str, formats) -> dict:
    """Files of `image` at each width (never upscaled), per format: {"webp": [[w, h, name]…]}.

    Each width is resized once, from the next wider one (a fraction of the work of resizing
    the full picture every time), and encoded in every format.
    """
    record: dict = {"width": image.width, "height": image.height}
    files: dict[str, list] = {fmt: [] for fmt in formats}
    current = image
    for width in sorted({min(width, image.width) for width in widths}, reverse=True):
        height = max(1, round(image.height * width / image.width))
        if width != current.width:
            current = current.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
        for fmt in formats:
            name = default_storage.save(
                f"{base}-{width}.{EXTENSIONS[fmt]}", ContentFile(_encode(current, fmt))
            )
            files[fmt].insert(0, [width, height, name])
    return record | files


def crop_box(
    width: int, height: int, ratio: tuple[int, int], focus: tuple[float, float]
) -> tuple[int, int, int, int]:
    """The largest box of the given shape inside width×height, centred on the focal point
    (fractions of the width and height) as far as the picture's edges allow."""
    shape = ratio[0] / ratio[1]
    if width / height > shape:
        crop_w, crop_h = max(1, round(height * shape)), height
    else:
        crop_w, crop_h = width, max(1, round(width / shape))
    left = min(max(round(focus[0] * width - crop_w / 2), 0), width - crop_w)
    top = min(max(round(focus[1] * height - crop_h / 2), 0), height - crop_h)
    return left, top, left + crop_w, top + crop_h


def picture_formats() -> tuple[str, ...]:
    """AVIF first when this Pillow can write it, then WebP, then JPEG for everything else."""
    return (("avif",) if features.check("avif") else ()) + ("webp", "jpeg")


def make_picture_renditions(field_file, focus: tuple[float, float]) -> dict:
    """A library picture's record: its own shape at ARTICLE_WIDTHS, plus each of CROPS cut
    around the focal point at its SHAPE_WIDTHS, in every format of picture_formats(); {} when it
    cannot be read.

        {"source": …, "focus": [x, y], "width": …, "height": …, "avif"/"webp"/"jpeg": […],
         "crops": {"16:9": {"width": …, "height": …, "webp": […], …}, …}}
    """
    if not field_file:
        return {}
    image = _decode(field_file, max(ARTICLE_WIDTHS), both_sides=True)
    if image is None:
        return {}
    source = field_file.name
    formats = picture_formats()
    x, y = focus
    tag = f"-{round(x * 1000)}x{round(y * 1000)}"
    record: dict = {"source": source, "focus": [x, y]}
    record |= _encode_widths(image, ARTICLE_WIDTHS, _base_name(source, "pictures"), formats)
    record["crops"] = {}
    for name, ratio in CROPS.items():
        cropped = image.crop(crop_box(image.width, image.height, ratio, (x, y)))
        base = _base_name(source, "pictures", f"-{ratio[0]}x{ratio[1]}{tag}")
        record["crops"][name] = _encode_widths(cropped, SHAPE_WIDTHS[name], base, formats)
    return record


def _files(record: dict):
    """Every (width, height, name) a record names, its crops' included."""
    for part in (record, *(record.get("crops") or {}).values()):
        for fmt in FORMATS:
            yield from part.get(fmt, [])


def delete_renditions(record: dict) -> None:
    """Remove a record's files from storage (used when the image is replaced or removed)."""
    for _width, _height, name in _files(record):
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
    return any(not default_storage.exists(name) for _width, _height, name in _files(record))


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


def picture_is_current(picture) -> bool:
    """Whether a library picture's record was made from its file and its focal point."""
    record = picture.renditions or {}
    if not picture.file:
        return not record
    return (
        record.get("source") == picture.file.name
        and record.get("focus") == [picture.focal_x, picture.focal_y]
        and "crops" in record
    )


def refresh_picture(picture) -> bool:
    """Bring a library picture's renditions in line with its file and focal point; True when
    they changed. The slow part: the task worker and `make_renditions` run it."""
    if picture_is_current(picture):
        return False
    record = picture.renditions or {}
    source = picture.file.name if picture.file else ""
    focus = (picture.focal_x, picture.focal_y)
    new_record = make_picture_renditions(picture.file, focus) if source else {}
    if not _store(
        picture, "renditions", new_record, file=source, focal_x=focus[0], focal_y=focus[1]
    ):
        # The file or the focal point changed while these were made: its own task follows.
        delete_renditions(new_record)
        return False
    if record:
        _drop_unshared(picture, record)
    return True


def _drop_unshared(picture, record: dict) -> None:
    """Delete an old record's files, except those the picture's current record or another
    picture of the same file (demo and imported pictures share files) still names."""
    keep = {name for _w, _h, name in _files(picture.renditions or {})}
    others = type(picture)._base_manager.exclude(pk=picture.pk)
    for other in others.filter(file=record.get("source", "")).values_list("renditions", flat=True):
        keep |= {name for _w, _h, name in _files(other or {})}
    delete_renditions({"jpeg": [entry for entry in _files(record) if entry[2] not in keep]})


def _on_picture_save(sender, instance, raw=False, **kwargs):
    if raw or picture_is_current(instance):
        return
    if (instance.renditions or {}).get("source") != (instance.file.name if instance.file else ""):
        # A new file: the old one's renditions would show the wrong picture meanwhile.
        old = instance.renditions or {}
        _store(instance, "renditions", {})
        if old:
            _drop_unshared(instance, old)
    if instance.file:
        from articles import tasks

        tasks.make_picture_renditions.enqueue(instance.pk)


def _on_delete(sender, instance, **kwargs):
    record = instance.renditions
    if record and not _shared(instance, "file", record):
        delete_renditions(record)


def connect_signals() -> None:
    """Called from ArticlesConfig.ready()."""
    from articles.models import Picture

    post_save.connect(_on_picture_save, sender=Picture, dispatch_uid="renditions-picture")
    post_delete.connect(_on_delete, sender=Picture, dispatch_uid="renditions-picture-delete")


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
