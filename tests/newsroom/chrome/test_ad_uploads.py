"""Ad-slot pictures go through the same upload rules as a story's lead image: every reader gets
them, on every page."""

import io
import struct
import zlib

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from PIL import ExifTags, Image

from newsroom.chrome.models import AdSlot, SiteSettings
from tests.factories import image_bytes, make_user
from tests.helpers import errors, form_data

SECRET_PLACE = b"Str. Sursei 7"


def upload(name: str, content: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def png_claiming(width: int, height: int) -> bytes:
    """A small PNG whose header claims the given size."""
    data = bytearray(image_bytes((8, 8), "PNG"))
    ihdr = 8 + 8  # signature, then the IHDR chunk's length and type
    data[ihdr : ihdr + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr - 4 : ihdr + 13]))
    data[ihdr + 13 : ihdr + 17] = struct.pack(">I", crc)
    return bytes(data)


def banner_with_location() -> bytes:
    """A JPEG banner whose EXIF holds a GPS position and a camera, and a comment."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretCam"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (44.0, 25.0, 36.5)}
    )
    buffer = io.BytesIO()
    Image.new("RGB", (728, 90), (20, 120, 220)).save(
        buffer, "JPEG", exif=exif, comment=SECRET_PLACE
    )
    return buffer.getvalue()


def pdf() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), (200, 30, 30)).save(buffer, "PDF")
    return buffer.getvalue()


class AdSlotUploadTests(TestCase):
    def setUp(self):
        SiteSettings(pk=1, language="en").save()
        self.client.force_login(make_user("editor", group="Editor"))
        self.url = reverse("admin:chrome_adslot_add")
        self.typed = {
            "name": "Winter campaign",
            "placement": "top",
            "image_alt": "Subscribe today",
            "link": "https://example.com/subscribe",
        }

    def post_image(self, image: SimpleUploadedFile):
        data = form_data(self.client.get(self.url)) | self.typed | {"image": image}
        return self.client.post(self.url, data)

    def assert_refused(self, image: SimpleUploadedFile, code: str):
        response = self.post_image(image)
        assert response.status_code == 200, image.name
        # (The form may add that a slot needs an image or a snippet: the image was refused.)
        assert errors(response)["image"] == [code], image.name
        assert response.context["adminform"].form.errors["image"][0]  # a message, not a code
        assert not AdSlot.objects.exists()
        assert 'value="Winter campaign"' in response.content.decode()  # what was typed is kept

    def test_polyglots(self):
        script = image_bytes((728, 90)) + b"<script>alert(document.cookie)</script>"
        self.assert_refused(upload("banner.jpg", script), "polyglot")
        gif = io.BytesIO()
        Image.new("P", (728, 90)).save(gif, "GIF", comment=b"<script>alert(1)</script>")
        self.assert_refused(upload("banner.gif", gif.getvalue(), "image/gif"), "polyglot")
        handler = io.BytesIO()
        Image.new("P", (728, 90)).save(handler, "GIF", comment=b"<img src=x onerror=alert(1)>")
        self.assert_refused(upload("banner.gif", handler.getvalue(), "image/gif"), "polyglot")

    def test_formats_we_do_not_serve(self):
        self.assert_refused(upload("banner.pdf", pdf(), "application/pdf"), "not_an_image")
        tiff = image_bytes((728, 90), "TIFF")
        self.assert_refused(upload("banner.tiff", tiff, "image/tiff"), "format")
        bmp = image_bytes((728, 90), "BMP")
        self.assert_refused(upload("banner.bmp", bmp, "image/bmp"), "format")
        svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
        self.assert_refused(upload("banner.svg", svg, "image/svg+xml"), "svg")

    def test_names_that_lie(self):
        png = image_bytes((728, 90), "PNG")
        self.assert_refused(upload("banner.jpg", png, "image/jpeg"), "wrong_extension")
        self.assert_refused(upload("banner.html", image_bytes((728, 90))), "wrong_extension")

    def test_too_many_pixels(self):
        sixty_megapixels = upload("huge.png", png_claiming(10_000, 6_000), "image/png")
        with self.assertWarns(Image.DecompressionBombWarning):  # Pillow's own warning, too
            self.assert_refused(sixty_megapixels, "too_many_pixels")

    def test_a_good_banner_is_stored_without_metadata_and_shown(self):
        response = self.post_image(upload("banner.jpg", banner_with_location()))
        assert response.status_code == 302, errors(response)
        slot = AdSlot.objects.get()
        with default_storage.open(slot.image.name, "rb") as handle:
            stored = handle.read()
        for secret in [b"Exif\x00\x00", b"SecretCam", SECRET_PLACE]:
            assert secret not in stored, secret
        with Image.open(io.BytesIO(stored)) as picture:
            assert picture.format == "JPEG" and picture.size == (728, 90)
            assert not picture.getexif() and "comment" not in picture.info
        html = self.client.get("/").content.decode()
        assert f'src="{slot.image.url}"' in html and 'alt="Subscribe today"' in html
