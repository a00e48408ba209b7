"""Upload validation for the library's pictures (authors' photos among them) and other
uploaded images: only honest, bounded raster images, kept without the metadata a camera writes.

An upload is refused, with a message that says why, when it is over settings.IMAGE_MAX_BYTES,
is SVG (it can carry scripts), is not an image Pillow can read, is not one of the web formats we
serve, has a name whose extension lies about its format, carries web-page code besides the
pixels (a polyglot: scripts, frames, event handlers, a meta refresh, or any markup at all in a
GIF's comments, which are stored as they came), has more than settings.IMAGE_MAX_PIXELS pixels
(a decompression bomb: checked from the header, before any pixel is decoded) or is truncated.

An accepted upload is re-encoded upright with no EXIF, GPS, XMP or comment before it is stored:
the original stays on disk as the source of the renditions, and anyone who learns its address
could fetch it.
"""

import io
import re
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.widgets import AdminFileWidget
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms import Script
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

# Pillow refuses to open anything over twice this size and warns above it. Our own, lower limit
# is checked below from the header; this keeps Pillow's last line of defence at our scale
# rather than its default of about 89 megapixels, for every image the site opens.
Image.MAX_IMAGE_PIXELS = settings.IMAGE_MAX_PIXELS

# Format as Pillow names it -> the file extensions that honestly describe it.
ALLOWED_FORMATS = {
    "JPEG": {".jpg", ".jpeg"},
    "MPO": {".jpg", ".jpeg"},  # what many phone cameras write: a JPEG with extra frames
    "PNG": {".png"},
    "GIF": {".gif"},
    "WEBP": {".webp"},
    "AVIF": {".avif"},
}

# Markup that turns an image into something a browser might run as a page or a script: the
# elements that run code, a tag with an event handler (`<img src=x onerror=…>`, however its
# attributes are quoted), and `<meta>` (a refresh to another site, a cookie, a policy). A tag is
# required before an event handler: "on…=" alone turns up in the compressed pixels of large files.
MARKUP = re.compile(
    rb"<\s*(?:script|html|body|iframe|object|embed|svg|meta|!doctype\s+html|\?php)\b"
    rb"|javascript:"
    rb"|<[a-z][\w:-]*[^<>]{0,500}?[\s/\"'`]on[a-z]+\s*=",
    re.IGNORECASE,
)
# In a GIF's comment or plain-text block any tag at all is refused: those GIFs are stored as
# they came, and a comment has no business holding markup.
TAG = re.compile(rb"<\s*[a-z!?/]", re.IGNORECASE)
SVG_START = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+)?svg", re.IGNORECASE | re.DOTALL
)


def _extension(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot != -1 else ""


def _skip_sub_blocks(data: bytes, pos: int) -> tuple[bytes, int]:
    """A GIF's data sub-blocks from `pos`, joined, and the position after their terminator."""
    parts = []
    while pos < len(data):
        size = data[pos]
        pos += 1
        if size == 0:
            break
        parts.append(data[pos : pos + size])
        pos += size
    return b"".join(parts), pos


def gif_texts(data: bytes) -> list[bytes]:
    """The text a GIF carries besides its pixels: every comment and plain-text extension of
    every frame (joined across sub-blocks, as a reader would see them), and anything after the
    trailer. Pillow reports only the comments of the frames it has read."""
    if len(data) < 13:
        return []
    texts = []
    pos = 13
    if data[10] & 0x80:  # a global colour table follows the screen descriptor
        pos += 3 << ((data[10] & 0x07) + 1)
    while pos < len(data):
        introducer = data[pos]
        if introducer == 0x21 and pos + 1 < len(data):  # an extension
            label = data[pos + 1]
            content, pos = _skip_sub_blocks(data, pos + 2)
            if label in (0xFE, 0x01):  # comment, plain text
                texts.append(content)
        elif introducer == 0x2C and pos + 10 <= len(data):  # a frame
            packed = data[pos + 9]
            pos += 10
            if packed & 0x80:  # its own colour table
                pos += 3 << ((packed & 0x07) + 1)
            _pixels, pos = _skip_sub_blocks(data, pos + 1)  # after the LZW code size
        else:
            break
    if pos < len(data):
        texts.append(data[pos:])  # the trailer, and whatever was appended after it
    return texts


def validate_image_upload(upload) -> Image.Image:
    """Check an uploaded file and return its Pillow image; raise ValidationError if unsafe."""
    if upload.size > settings.IMAGE_MAX_BYTES:
        raise ValidationError(
            _("The file is %(size)s; images may be at most %(limit)s."),
            code="too_large",
            params={
                "size": filesizeformat(upload.size),
                "limit": filesizeformat(settings.IMAGE_MAX_BYTES),
            },
        )
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    extension = _extension(upload.name or "")
    if extension == ".svg" or SVG_START.match(data[:4096]):
        raise ValidationError(
            _("SVG images are not accepted: they can carry scripts. Upload a JPEG, PNG or WebP."),
            code="svg",
        )
    try:
        # From the bytes read above, so closing the image never closes the upload.
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise _too_many_pixels() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(
            _("This file is not an image we can read. Upload a JPEG, PNG, GIF, WebP or AVIF."),
            code="not_an_image",
        ) from None
    if image.format not in ALLOWED_FORMATS:
        raise ValidationError(
            _("%(format)s images are not accepted. Upload a JPEG, PNG, GIF, WebP or AVIF."),
            code="format",
            params={"format": image.format},
        )
    if extension not in ALLOWED_FORMATS[image.format]:
        raise ValidationError(
            _(
                "The file is named “%(name)s” but it is a %(format)s image. "
                "Give it the right extension or export it again."
            ),
            code="wrong_extension",
            params={"name": upload.name, "format": image.format},
        )
    if MARKUP.search(data):
        raise ValidationError(
            _(
                "This image also contains web-page code, which could be run by a browser. "
                "Export it again from an image editor."
            ),
            code="polyglot",
        )
    if image.format == "GIF" and any(TAG.search(text) for text in gif_texts(data)):
        raise ValidationError(
            _(
                "This GIF carries web-page code in a comment, which could be run by a browser. "
                "Export it again from an image editor, without the comment."
            ),
            code="polyglot",
        )
    width, height = image.size
    if width * height > settings.IMAGE_MAX_PIXELS:
        raise _too_many_pixels(width, height)
    try:
        # Decoding is what finds a truncated file; the pixel count is bounded by now.
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError):
        raise ValidationError(
            _("The image is incomplete or damaged (the file may have been cut short)."),
            code="truncated",
        ) from None
    finally:
        upload.seek(0)
    return image


def _too_many_pixels(width: int | None = None, height: int | None = None) -> ValidationError:
    limit = settings.IMAGE_MAX_PIXELS // 1_000_000
    if width is None:
        return ValidationError(
            _("The image has far more than %(limit)s megapixels; make it smaller."),
            code="too_many_pixels",
            params={"limit": limit},
        )
    return ValidationError(
        _("The image is %(width)s×%(height)s pixels; the limit is %(limit)s megapixels."),
        code="too_many_pixels",
        params={"width": width, "height": height, "limit": limit},
    )


def without_metadata(upload, image: Image.Image):
    """The upload re-encoded upright, keeping only its pixels, colour profile and transparency.

    `image` (the checked upload, decoded) is turned upright in place. GIFs and animations are
    kept as they came: GIF has no place for EXIF, and re-encoding one frame would lose the
    animation. (A phone's MPO is a JPEG with extra frames, not animated.)
    """
    animated = getattr(image, "is_animated", False) and image.format != "MPO"
    if image.format == "GIF" or animated:
        return upload
    fmt = "JPEG" if image.format == "MPO" else image.format
    # A checked upload: Pillow named its format, one of ALLOWED_FORMATS, all with a known type.
    assert fmt is not None
    options: dict[str, Any] = {
        key: image.info[key] for key in ("icc_profile", "transparency") if key in image.info
    }
    if fmt in ("JPEG", "WEBP", "AVIF"):
        options["quality"] = 95
    # In place: a copy of a 40-megapixel image would hold another 120 MB in the web worker.
    ImageOps.exif_transpose(image, in_place=True)
    image.info = {}  # Pillow would write a JPEG comment or PNG text found here back out
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    cleaned = SimpleUploadedFile(upload.name, buffer.getvalue(), Image.MIME[fmt])
    cleaned.image = image  # type: ignore[attr-defined]  # as Django's ImageField does
    return cleaned


class ImageUploadWidget(AdminFileWidget):
    """The admin's file input, telling the browser the size limit and what to say when a chosen
    file is over it (static/js/upload-size-limit.js): a file nginx would refuse with a bare
    413 is refused before it is sent, and the form keeps what was typed."""

    class Media:
        js = [Script("js/upload-size-limit.js", type="module")]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        limit = filesizeformat(settings.IMAGE_MAX_BYTES)
        context["widget"]["attrs"] |= {
            "data-max-bytes": settings.IMAGE_MAX_BYTES,
            "data-too-large": gettext(
                "This file is larger than %(limit)s, the most an image may be. Nothing was "
                "sent: make the image smaller and choose it again."
            )
            % {"limit": limit},
        }
        return context


class ImageUploadField(forms.ImageField):
    """A form ImageField that runs validate_image_upload instead of Django's lighter check."""

    widget = ImageUploadWidget

    def __init__(self, *, widget=None, **kwargs):
        # The admin hands every ImageField its AdminFileWidget; ours is that widget, plus the
        # size check before sending.
        if widget is None or widget in (AdminFileWidget, forms.ClearableFileInput):
            widget = ImageUploadWidget
        super().__init__(widget=widget, **kwargs)

    def to_python(self, data):
        upload = forms.FileField.to_python(self, data)
        if upload is None:
            return None
        image = validate_image_upload(upload)
        upload.image = image
        upload.content_type = Image.MIME.get(image.format)
        cleaned = without_metadata(upload, image)
        # The decoded pixels (160 MB for 40 megapixels) are not needed past this point; the form
        # and the request hold the upload in reference cycles that the garbage collector may
        # not free for a while, and a web worker would keep that memory.
        image.close()
        return cleaned
