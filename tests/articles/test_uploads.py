"""Lead image uploads: every unsafe file gets a clear error, and nothing is saved."""

import io
import os
import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from html import unescape
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import SimpleTestCase, TestCase
from django.urls import reverse
from PIL import Image
from playwright.sync_api import Browser

from articles.models import Article
from benchmarks.serve import free_port, nginx_config, wait_for_port
from newsroom.chrome.models import SiteSettings
from tests.factories import image_bytes, make_article, make_user
from tests.helpers import collected_static, errors, form_data, need_program


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


class UploadTestCase(TestCase):
    """A story's change form, with text typed in, to which an image is sent."""

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


class LeadImageUploadTests(UploadTestCase):
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


# --- Markup hidden in GIF comments and elsewhere in the bytes ------------------------------------


def gif(comment: bytes | None = None) -> bytes:
    buffer = io.BytesIO()
    options = {"comment": comment} if comment is not None else {}
    Image.new("P", (10, 10)).save(buffer, "GIF", **options)
    return buffer.getvalue()


def comment_block(text: bytes) -> bytes:
    """A GIF comment extension, its text cut into sub-blocks of at most 255 bytes."""
    chunks = [text[start : start + 255] for start in range(0, len(text), 255)]
    return b"\x21\xfe" + b"".join(bytes([len(chunk)]) + chunk for chunk in chunks) + b"\x00"


class MarkupInPicturesTests(UploadTestCase):
    """Browsers that sniff a GIF, or a page that embeds one as HTML, would run these."""

    def test_gif_comments_with_event_handlers_or_a_meta_refresh_are_refused(self):
        for comment in [
            b"<img src=x onerror=alert(document.cookie)>",
            b"<IMG SRC=x ONERROR='alert(1)'>",
            b'<div/onmouseover="alert(1)">move here</div>',
            b'<meta http-equiv="refresh" content="0;url=https://evil.example/">',
            b"<a href=https://evil.example/>a link</a>",  # no script, but no tag belongs here
        ]:
            self.assert_refused(upload("anim.gif", gif(comment), "image/gif"), "polyglot")

    def test_the_message_names_the_comment(self):
        response = self.post_image(upload("anim.gif", gif(b"<b>hi</b>"), "image/gif"))
        message = response.context["adminform"].form.errors["image"][0]
        assert "într-un comentariu" in message  # the site speaks Romanian by default

    def test_comments_pillow_does_not_read_are_checked_too(self):
        plain = gif()
        assert plain.endswith(b";")
        # After the first frame (Pillow reads only up to it when opening), and cut across
        # sub-blocks right inside the event handler's name.
        after_frame = plain[:-1] + comment_block(b"<img src=x onerror=alert(1)>") + b";"
        assert "comment" not in Image.open(io.BytesIO(after_frame)).info
        self.assert_refused(upload("late.gif", after_frame, "image/gif"), "polyglot")
        head = b"<img src=x on"
        split = b"x" * (255 - len(head)) + head + b"error=alert(1)>"
        assert b"onerror" not in comment_block(split)  # the raw bytes never spell it out
        split_gif = plain[:-1] + comment_block(split) + b";"
        self.assert_refused(upload("split.gif", split_gif, "image/gif"), "polyglot")
        tail = plain + b"<b onclick=alert(1)>x</b>"
        self.assert_refused(upload("tail.gif", tail, "image/gif"), "polyglot")

    def test_event_handlers_and_meta_refresh_in_any_image(self):
        jpeg = image_bytes() + b'<p><img src=x onerror="alert(1)"></p>'
        self.assert_refused(upload("photo.jpg", jpeg), "polyglot")
        png = image_bytes(fmt="PNG") + b'<meta http-equiv="refresh" content="0;url=//evil.example">'
        self.assert_refused(upload("chart.png", png, "image/png"), "polyglot")

    def test_honest_pictures_pass(self):
        response = self.post_image(upload("anim.gif", gif(b"Made with GIMP"), "image/gif"))
        assert response.status_code == 302, errors(response)
        self.story.refresh_from_db()
        assert self.story.image.name.endswith(".gif")
        # A large photo's compressed bytes are noise: no tag-like run in them is taken for markup.
        response = self.post_image(upload("noise.jpg", noisy_jpeg((2400, 1600))))
        assert response.status_code == 302, errors(response)


# --- Too large to send: refused in the browser, or by nginx with a page that says why ----------

SIZE_SCRIPT = re.compile(
    r'<script src="/static/js/upload-size-limit\.js" nonce="[^"]+" type="module"></script>'
)


def file_input(html: str, name: str) -> str:
    found = re.search(rf'<input type="file" name="{name}"[^>]*>', html)
    assert found, name
    return unescape(found.group(0))


class SizeLimitInTheBrowserTests(TestCase):
    """Every image field in the admin tells the browser the limit and what to say, in the site's
    language, and loads the script that checks it under the admin's Content-Security-Policy."""

    def test_every_image_field_in_the_admin(self):
        self.client.force_login(make_user("chief", superuser=True))
        story = make_article()
        pages = [
            (reverse("admin:articles_article_add"), "image"),
            (reverse("admin:articles_article_change", args=[story.pk]), "image"),
            (reverse("admin:articles_author_add"), "photo"),
            (reverse("admin:chrome_adslot_add"), "image"),
        ]
        for url, name in pages:
            html = self.client.get(url).content.decode()
            assert len(SIZE_SCRIPT.findall(html)) == 1, url
            field = file_input(html, name)
            assert f'data-max-bytes="{settings.IMAGE_MAX_BYTES}"' in field, url
            # The site speaks Romanian by default, and writes the limit its way ("20,0 MO").
            assert (
                'data-too-large="Fișierul depășește 20,0\xa0MO, cât poate avea cel mult o imagine. '
                'Nu s-a trimis nimic: micșorați imaginea și alegeți-o din nou."' in field
            ), field


@pytest.mark.e2e
@pytest.mark.usefixtures("testcase_browser")
class SizeLimitBrowserTests(StaticLiveServerTestCase):
    """Chromium runs the check: a file over the limit is never sent, the form keeps its text."""

    browser: Browser

    def test_a_file_over_the_limit_is_refused_before_sending(self):
        SiteSettings(pk=1, language="en").save()
        story = make_article(headline="Storm hits the coast")
        # A live-server test empties the database, groups included: log in as a superuser.
        self.client.force_login(make_user("chief", superuser=True))
        context = self.browser.new_context()
        self.addCleanup(context.close)
        session = self.client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": self.live_server_url}]
        )
        page = context.new_page()
        posts: list[int] = []
        page.on(
            "request",
            lambda request: (
                request.method == "POST" and posts.append(len(request.post_data_buffer or b""))
            ),
        )
        url = reverse("admin:articles_article_change", args=[story.pk])
        assert page.goto(self.live_server_url + url).status == 200
        page.fill("input[name=headline]", "Storm hits the coast, hundreds evacuated")
        field = page.locator("input[type=file][name=image]")
        note = page.locator("#id_image-too-large")
        too_large = {
            "name": "huge.jpg",
            "mimeType": "image/jpeg",
            "buffer": image_bytes() + b"\0" * settings.IMAGE_MAX_BYTES,
        }
        field.set_input_files(too_large)
        note.wait_for()
        assert note.get_attribute("role") == "alert"
        assert note.inner_text().startswith("This file is larger than 20.0\xa0MB")
        assert field.evaluate("input => input.files.length") == 0  # the choice is cleared
        assert "id_image-too-large" in (field.get_attribute("aria-describedby") or "")
        # A file within the limit clears the note.
        field.set_input_files({"name": "ok.jpg", "mimeType": "image/jpeg", "buffer": image_bytes()})
        note.wait_for(state="detached")
        assert field.evaluate("input => input.files.length") == 1
        # Over the limit again, then saved: the text is sent and kept, the huge file never is.
        field.set_input_files(too_large)
        note.wait_for()
        with page.expect_navigation():
            page.click("input[name=_continue]")
        assert len(posts) == 1 and posts[0] < 1024 * 1024, posts
        story.refresh_from_db()
        assert story.headline == "Storm hits the coast, hundreds evacuated"
        assert not story.image


@pytest.mark.services
class NginxUploadLimitTests(SimpleTestCase):
    """The shipped nginx answers a request over its client_max_body_size with a page that
    explains the limit (a 413 still), before anything reaches the app."""

    def test_an_upload_over_the_limit_gets_a_page_that_explains_it(self):
        program = shutil.which("nginx") or need_program("/usr/sbin/nginx")
        root = Path(tempfile.mkdtemp(prefix="newsroom-nginx-413-"))
        self.addCleanup(shutil.rmtree, root, True)
        static = Path(collected_static())
        os.chmod(static, 0o755)
        port = free_port()
        # No app behind it: nginx refuses the body before it would ask one.
        config = nginx_config(free_port(), port, free_port(), root, static, root / "media")
        process = subprocess.Popen(
            [program, "-c", str(config), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.addCleanup(process.wait, 10)
        self.addCleanup(process.terminate)
        wait_for_port(port, process)
        body = b"\0" * (26 * 1024 * 1024)
        response = requests.post(
            f"http://127.0.0.1:{port}/admin/articles/article/1/change/",
            files={"image": ("huge.jpg", body, "image/jpeg")},
            headers={"Host": "localhost"},
            timeout=30,
        )
        assert response.status_code == 413
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        text = response.text
        assert "Fișierul este prea mare" in text and "The file is too large" in text
        assert "cel mult 20 MB" in text and "at most 20 MB" in text
        assert "Back" in text and "Înapoi" in text
        css = requests.get(f"http://127.0.0.1:{port}/static/css/error-page.css", timeout=5)
        assert css.status_code == 200  # the page's one stylesheet is there
        # Uploads within the limit still reach the app (none runs here: 502).
        small = requests.post(
            f"http://127.0.0.1:{port}/admin/articles/article/1/change/",
            files={"image": ("ok.jpg", image_bytes(), "image/jpeg")},
            headers={"Host": "localhost"},
            timeout=30,
        )
        assert small.status_code == 502
