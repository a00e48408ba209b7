"""Picture uploads to the library: every unsafe file gets a clear error, and nothing is saved."""

import contextlib
import io
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
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

from articles.models import Picture
from benchmarks import serve
from benchmarks.serve import free_port, nginx_config, redis_server, site_environment, wait_for_port
from newsroom.chrome.models import SiteSettings
from tests.factories import image_bytes, make_picture, make_user
from tests.helpers import BASE_DIR, collected_static, errors, fields_of, form_data, need_program


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
    """The library's upload form, with words typed in, to which a picture is sent."""

    def setUp(self):
        self.user = make_user("editor", group="Editor")
        self.client.force_login(self.user)
        self.url = reverse("admin:articles_picture_add")
        self.typed = {
            "alt": "Waves breaking over the promenade",
            "caption": "Constanța, Tuesday morning",
        }

    def post_image(self, image: SimpleUploadedFile):
        data = form_data(self.client.get(self.url)) | self.typed | {"file": image}
        return self.client.post(self.url, data)

    def assert_refused(self, image: SimpleUploadedFile, code: str):
        response = self.post_image(image)
        assert response.status_code == 200
        assert errors(response) == {"file": [code]}
        assert response.context["adminform"].form.errors["file"][0]  # a message, not just a code
        # Nothing saved, and everything typed is back on the screen.
        assert not Picture.objects.exists()
        html = response.content.decode()
        for value in self.typed.values():
            assert f'value="{value}"' in html


class PictureUploadTests(UploadTestCase):
    def test_a_good_image_is_accepted(self):
        for name, fmt in [("photo.jpg", "JPEG"), ("photo.png", "PNG"), ("photo.webp", "WEBP")]:
            response = self.post_image(upload(name, image_bytes((120, 80), fmt)))
            assert response.status_code == 302, errors(response)
            picture = Picture.objects.latest("pk")
            assert picture.file.name.startswith("pictures/")
            assert picture.file.name.endswith(name.rsplit(".")[-1])
            assert (picture.width, picture.height) == (120, 80)
            assert picture.alt == self.typed["alt"] and picture.uploaded_by == self.user
            assert (picture.focal_x, picture.focal_y) == (0.5, 0.5)

    def test_the_same_name_twice_keeps_both_files(self):
        for colour in ((200, 0, 0), (0, 0, 200)):
            buffer = io.BytesIO()
            Image.new("RGB", (20, 20), colour).save(buffer, "JPEG")
            response = self.post_image(upload("photo.jpg", buffer.getvalue()))
            assert response.status_code == 302, errors(response)
        first, second = Picture.objects.order_by("pk")
        assert first.file.name != second.file.name
        with first.file.open() as handle:
            assert Image.open(handle).getpixel((10, 10))[0] > 150  # still the red one

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
        for alt in ("", "  "):
            data = form_data(self.client.get(self.url)) | {
                "alt": alt,
                "caption": "Constanța, Tuesday morning",
                "file": upload("photo.jpg", image_bytes()),
            }
            response = self.client.post(self.url, data)
            assert list(errors(response)) == ["alt"]
            assert not Picture.objects.exists()
            assert 'value="Constanța, Tuesday morning"' in response.content.decode()

    def test_focal_point_out_of_range_or_not_a_number(self):
        for x, y in [("1.5", "0.5"), ("-0.1", "0.5"), ("0.5", "nan"), ("inf", "0.2"), ("a", "b")]:
            data = form_data(self.client.get(self.url)) | self.typed
            data |= {"file": upload("photo.jpg", image_bytes()), "focal_x": x, "focal_y": y}
            response = self.client.post(self.url, data)
            assert response.status_code == 200, (x, y)
            assert set(errors(response)) <= {"focal_x", "focal_y"} and errors(response), (x, y)
            assert not Picture.objects.exists()


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
        message = response.context["adminform"].form.errors["file"][0]
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
        assert Picture.objects.get().file.name.endswith(".gif")
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
        picture = make_picture()
        pages = [
            (reverse("admin:articles_picture_add"), "file"),
            (reverse("admin:articles_picture_change", args=[picture.pk]), "file"),
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
        url = reverse("admin:articles_picture_add")
        # The form's own posts.
        page.on(
            "request",
            lambda request: (
                request.method == "POST"
                and request.url.endswith(url)
                and posts.append(len(request.post_data_buffer or b""))
            ),
        )
        assert page.goto(self.live_server_url + url).status == 200
        page.fill("input[name=alt]", "Waves breaking over the promenade")
        field = page.locator("input[type=file][name=file]")
        note = page.locator("#id_file-too-large")
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
        assert "id_file-too-large" in (field.get_attribute("aria-describedby") or "")
        # A file within the limit clears the note.
        field.set_input_files({"name": "ok.jpg", "mimeType": "image/jpeg", "buffer": image_bytes()})
        note.wait_for(state="detached")
        assert field.evaluate("input => input.files.length") == 1
        # Over the limit again, then saved: the text is sent and kept, the huge file never is
        # (and the form asks for a file).
        field.set_input_files(too_large)
        note.wait_for()
        with page.expect_navigation():
            page.click("input[name=_save]")
        assert len(posts) == 1 and posts[0] < 1024 * 1024, posts
        assert not Picture.objects.exists()
        assert page.input_value("input[name=alt]") == "Waves breaking over the promenade"


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
            f"http://127.0.0.1:{port}/admin/articles/picture/add/",
            files={"file": ("huge.jpg", body, "image/jpeg")},
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
            f"http://127.0.0.1:{port}/admin/articles/picture/add/",
            files={"file": ("ok.jpg", image_bytes(), "image/jpeg")},
            headers={"Host": "localhost"},
            timeout=30,
        )
        assert small.status_code == 502


# --- A 40-megapixel photo through gunicorn: the web worker stays small --------------------------


def forty_megapixel_jpeg() -> bytes:
    """A photo-like JPEG just under the pixel limit (smooth, with grain), well under 20 MB."""
    grain = Image.effect_noise((960, 650), 40).convert("RGB")
    photo = grain.resize((7680, 5200), Image.Resampling.BICUBIC)
    assert photo.width * photo.height <= settings.IMAGE_MAX_PIXELS
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def vm(pid: int, field: str) -> float:
    """A process's VmRSS or VmHWM (its peak) from /proc, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise LookupError(field)


@pytest.mark.services
class LargeUploadThroughGunicornTests(SimpleTestCase):
    """Production settings (DEBUG off: the database task backend), the shipped gunicorn
    configuration with one sync worker, Redis as the shared cache, and django-tasks-db's
    db_worker as a process of its own, as the README's deployment runs them."""

    MEMORY_LIMIT_MB = 150

    def setUp(self):
        need_program("redis-server")
        directory = Path(self.enterContext(tempfile.TemporaryDirectory()))
        redis_url = self.enterContext(redis_server())
        self.env = {
            **site_environment(f"sqlite:///{directory / 'site.sqlite3'}", directory, redis_url),
            "STATIC_ROOT": collected_static(),
            # The test logs in with a password alone; two-factor login has tests of its own.
            "STAFF_2FA_REQUIRED": "off",
        }
        script = (
            "from django.contrib.auth import get_user_model;"
            "from tests.factories import make_article;"
            "get_user_model().objects.create_superuser('chief', 'chief@example.com', 'pw');"
            "make_article(headline='Storm hits the coast', slug='storm')"
        )
        for command in (["migrate", "--noinput", "-v0"], ["shell", "-c", script]):
            self.manage(*command)

    def manage(self, *arguments: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *arguments],
            cwd=BASE_DIR,
            env={**os.environ, **self.env},
            check=True,
            capture_output=True,
        )

    def test_the_web_worker_stays_small_and_the_task_worker_makes_the_renditions(self):
        photo = forty_megapixel_jpeg()
        with serve.gunicorn(self.env, workers=1) as (base, master):
            cookies: dict[str, str] = {}

            def get(path: str, **kwargs) -> requests.Response:
                response = requests.get(base + path, cookies=cookies, timeout=30, **kwargs)
                cookies.update({name: value or "" for name, value in response.cookies.items()})
                return response

            def post(path: str, data: dict, **kwargs) -> requests.Response:
                response = requests.post(
                    base + path,
                    data=data,
                    cookies=cookies,
                    timeout=60,
                    allow_redirects=False,
                    **kwargs,
                )
                cookies.update({name: value or "" for name, value in response.cookies.items()})
                return response

            # Secure cookies (DEBUG off) are sent back by hand over plain HTTP on loopback.
            login = fields_of(get("/admin/login/").text)
            login |= {"username": "chief", "password": "pw", "next": "/admin/"}
            assert post("/admin/login/", login).status_code == 302
            add = "/admin/articles/picture/add/"
            form = fields_of(get(add).text)
            [worker] = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
            before = vm(int(worker), "VmRSS")

            started = time.monotonic()
            form |= {"alt": "Waves over the promenade", "_save": "Save"}
            response = post(add, form, files={"file": ("storm.jpg", photo, "image/jpeg")})
            seconds = time.monotonic() - started
            assert response.status_code == 302, response.text[-2000:]
            # The story takes it from the library as its lead picture.
            change = "/admin/articles/article/1/change/"
            form = fields_of(get(change).text) | {"picture": "1", "_save": "Save"}
            assert post(change, form).status_code == 302
            after, peak = vm(int(worker), "VmRSS"), vm(int(worker), "VmHWM")
            figures = (
                f"{len(photo) / 1e6:.1f} MB, 40 MP upload answered in {seconds:.1f} s; web worker "
                f"{before:.0f} MB before, {after:.0f} MB after (peak {peak:.0f} MB)"
            )
            print(figures)
            assert after < self.MEMORY_LIMIT_MB, figures

            # Until the task worker has run, readers get the re-encoded original, from pages
            # that are stored like any other.
            home = requests.get(base + "/", timeout=30).text
            story = base + re.search(r'href="(/[^"]*/storm/)"', home).group(1)
            for url in (base + "/", story):
                for _stored in range(2):
                    page = requests.get(url, timeout=30).text
                    assert "/media/pictures/" in page and "/media/renditions/" not in page

            worker_process = subprocess.Popen(
                [sys.executable, "manage.py", "db_worker", "--batch", "--no-reload"],
                cwd=BASE_DIR,
                env={**os.environ, **self.env},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            started, peak = time.monotonic(), 0.0
            while worker_process.poll() is None and time.monotonic() - started < 120:
                # Its own high-water mark, read while it runs (the one wait4() reports would
                # count this test's process, which it was started from).
                with contextlib.suppress(OSError, LookupError):
                    peak = vm(worker_process.pid, "VmHWM")
                time.sleep(0.05)
            assert worker_process.wait(10) == 0
            assert worker_process.stderr is not None  # stderr=PIPE
            stderr = worker_process.stderr.read().decode()
            assert "state=SUCCESSFUL" in stderr, stderr[-3000:]
            print(
                f"db_worker made the renditions in {time.monotonic() - started:.1f} s "
                f"(its own process, peak {peak:.0f} MB)"
            )

            # The task bumped the story's keys in the shared cache: readers get the renditions.
            for url in (base + "/", story):
                page = requests.get(url, timeout=30).text
                assert "/media/renditions/pictures/" in page, url
