"""Lead image uploads: every unsafe file gets a clear error, and nothing is saved."""

import io
import struct
import zlib

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from PIL import Image

from articles.models import Article
from tests.factories import image_bytes, make_article, make_user
from tests.helpers import errors, form_data


def upload(name: str, content: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def noisy_jpeg(size=(400, 300)) -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise(size, 60).convert("RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A small PNG whose header claims the given size: a decompression bomb's calling card."""
    data = bytearray(image_bytes((8, 8), "PNG"))
    ihdr = 8 + 8  # signature, then the IHDR chunk's length and type
    data[ihdr : ihdr + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr - 4 : ihdr + 13]))
    data[ihdr + 13 : ihdr + 17] = struct.pack(">I", crc)
    return bytes(data)


class LeadImageUploadTests(TestCase):
    def setUp(self):
        self.client.force_login(make_user("editor", group="Editor"))
        self.story = make_article(headline="Storm hits the coast")
        self.url = reverse("admin:articles_article_change", args=[self.story.pk])
        self.typed = {
            "headline": "Storm hits the coast, hundreds evacuated",
            "image_alt": "Waves breaking over the promenade",
            "image_caption": "Constanța, Tuesday morning",
        }

    def post_image(self, image: SimpleUploadedFile):
        data = form_data(self.client.get(self.url)) | self.typed | {"image": image}
        return self.client.post(self.url, data)

    def assert_refused(self, image: SimpleUploadedFile, code: str):
        response = self.post_image(image)
        assert response.status_code == 200
        assert errors(response) == {"image": [code]}
        assert response.context["adminform"].form.errors["image"][0]  # a message, not just a code
        # Nothing saved, and everything typed is back on the screen.
        stored = Article.objects.get(pk=self.story.pk)
        assert stored.headline == "Storm hits the coast" and not stored.image
        assert stored.version == self.story.version
        html = response.content.decode()
        for value in self.typed.values():
            assert f'value="{value}"' in html

    def test_a_good_image_is_accepted(self):
        for name, fmt in [("photo.jpg", "JPEG"), ("photo.png", "PNG"), ("photo.webp", "WEBP")]:
            response = self.post_image(upload(name, image_bytes((120, 80), fmt)))
            assert response.status_code == 302, errors(response)
            self.story.refresh_from_db()
            assert self.story.image.name.endswith(name.rsplit(".")[-1])
            assert (self.story.image_width, self.story.image_height) == (120, 80)

    def test_not_an_image(self):
        self.assert_refused(
            upload("notes.jpg", b"Minutes of the meeting, not a photo."), "not_an_image"
        )

    def test_truncated_image(self):
        whole = noisy_jpeg()
        self.assert_refused(upload("cut.jpg", whole[: len(whole) * 2 // 3]), "truncated")

    def test_file_over_the_size_limit(self):
        padding = b"\0" * (settings.IMAGE_MAX_BYTES + 1)
        self.assert_refused(upload("huge.jpg", image_bytes() + padding), "too_large")

    def test_image_over_the_pixel_limit_is_refused_before_decoding(self):
        assert Image.MAX_IMAGE_PIXELS == settings.IMAGE_MAX_PIXELS  # set deliberately
        side = int(settings.IMAGE_MAX_PIXELS**0.5) + 100  # just over 40 megapixels
        buffer = io.BytesIO()
        Image.new("L", (side, side)).save(buffer, "PNG")
        with self.assertWarns(Image.DecompressionBombWarning):
            self.assert_refused(
                upload("wide.png", buffer.getvalue(), "image/png"), "too_many_pixels"
            )

    def test_decompression_bomb(self):
        bomb = png_claiming(50_000, 50_000)  # 2.5 gigapixels in a few hundred bytes
        assert len(bomb) < 1000
        self.assert_refused(upload("bomb.png", bomb, "image/png"), "too_many_pixels")

    def test_svg_is_refused_by_name_and_by_content(self):
        svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
        self.assert_refused(upload("logo.svg", svg, "image/svg+xml"), "svg")
        self.assert_refused(upload("logo.png", svg, "image/png"), "svg")

    def test_extension_that_lies_about_the_format(self):
        self.assert_refused(upload("photo.jpg", image_bytes(fmt="PNG")), "wrong_extension")
        self.assert_refused(upload("photo.php", image_bytes()), "wrong_extension")

    def test_polyglots(self):
        script = image_bytes() + b"<script>alert(document.cookie)</script>"
        self.assert_refused(upload("photo.jpg", script), "polyglot")
        gif = io.BytesIO()
        Image.new("P", (10, 10)).save(gif, "GIF", comment=b"<html><body onload=alert(1)>")
        self.assert_refused(upload("anim.gif", gif.getvalue(), "image/gif"), "polyglot")

    def test_formats_we_do_not_serve(self):
        self.assert_refused(upload("scan.bmp", image_bytes(fmt="BMP"), "image/bmp"), "format")

    def test_missing_alt_text(self):
        data = form_data(self.client.get(self.url)) | {
            "headline": "Storm hits the coast, hundreds evacuated",
            "image": upload("photo.jpg", image_bytes()),
            "image_alt": "  ",
        }
        response = self.client.post(self.url, data)
        assert list(errors(response)) == ["image_alt"]
        stored = Article.objects.get(pk=self.story.pk)
        assert not stored.image and stored.headline == "Storm hits the coast"
        assert 'value="Storm hits the coast, hundreds evacuated"' in response.content.decode()
