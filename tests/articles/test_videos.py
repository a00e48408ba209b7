"""Library videos: MP4 (H.264) and WebM told apart by content, other formats refused with a
message that says what to do, their own size limit, players in story bodies, and the shipped
nginx serving them in pieces while taking large bodies on the video upload address alone."""

import io
import re
import shutil
import socket
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.db import connection
from django.test import SimpleTestCase, TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from articles import videofiles
from articles.models import Video
from articles.videofiles import check_video
from benchmarks.serve import free_port, nginx_config, wait_for_port
from newsroom.chrome.models import SiteSettings
from newsroom.mediastorage import object_parameters
from tests.factories import (
    VIDEOS,
    image_bytes,
    image_upload,
    make_article,
    make_picture,
    make_user,
    make_video,
    video_upload,
)
from tests.helpers import StoresPagesAtOnce, collected_static, errors, need_program

MP4 = (VIDEOS / "tiny-h264.mp4").read_bytes()
MP4_MOOV_LAST = (VIDEOS / "tiny-h264-moov-at-end.mp4").read_bytes()
WEBM = (VIDEOS / "tiny-vp9.webm").read_bytes()


def upload(data: bytes, name: str = "clip.mp4") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="video/mp4")


def refusal(data: bytes, name: str = "clip.mp4") -> str | None:
    with pytest.raises(ValidationError) as caught:
        check_video(upload(data, name))
    return caught.value.error_list[0].code


class ReadsFew(io.BytesIO):
    """A file that counts the bytes read from it."""

    read_bytes = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.read_bytes += len(chunk)
        return chunk


class ContentCheckTests(SimpleTestCase):
    def test_real_mp4_and_webm_pass_with_their_size_and_length(self):
        for data, name, kind in [
            (MP4, "a.mp4", "video/mp4"),
            (MP4_MOOV_LAST, "b.mp4", "video/mp4"),
            (WEBM, "c.webm", "video/webm"),
        ]:
            facts = check_video(upload(data, name))
            assert facts.content_type == kind, name
            assert (facts.width, facts.height) == (64, 36), name
            assert facts.duration == timedelta(seconds=1), name

    def test_the_name_does_not_decide(self):
        # A real MP4 named .webm is an MP4; a WebM named .mp4 is a WebM.
        assert check_video(upload(MP4, "clip.webm")).extension == ".mp4"
        assert check_video(upload(WEBM, "clip.mp4")).extension == ".webm"
        # Anything else named .mp4 is refused.
        assert refusal(b"<!doctype html><script>alert(1)</script>" * 20) == "not_video"
        assert refusal(image_bytes()) == "not_video"
        assert refusal(image_bytes(fmt="PNG")) == "not_video"
        assert refusal(b"") == "not_video"
        assert refusal(b"\0" * 4096) == "not_video"

    def test_phone_formats_are_told_to_export_as_mp4(self):
        for fixture in ["tiny-h264.mov", "tiny-hevc.mp4"]:
            with pytest.raises(ValidationError) as caught:
                check_video(upload((VIDEOS / fixture).read_bytes(), "IMG_0001.MOV"))
            error = caught.value.error_list[0]
            assert error.code == "export_as_mp4", fixture
            assert "MP4 (H.264)" in str(error.message)

    def test_matroska_is_not_webm(self):
        assert refusal((VIDEOS / "tiny-vp9.mkv").read_bytes(), "clip.webm") == "not_video"

    def test_truncated_and_lying_files_are_refused_as_damaged(self):
        moov_at = MP4_MOOV_LAST.index(b"moov") - 4
        cases = {
            "cut inside ftyp": MP4[:20],
            "cut inside moov": MP4[: MP4.index(b"moov") + 50],
            "moov cut off at the end": MP4_MOOV_LAST[: moov_at + 40],
            "no moov at all": MP4_MOOV_LAST[:moov_at],
            "webm cut in its header": WEBM[:12],
        }
        for case, data in cases.items():
            assert refusal(data) in {"damaged", "not_video"}, case
        # A box claiming 4 GB, or 2^63 bytes with a 64-bit size, in a file of a few KB.
        at = MP4.index(b"moov") - 4
        huge = MP4[:at] + b"\xff\xff\xff\xf0" + MP4[at + 4 :]
        assert refusal(huge) == "damaged"
        huge64 = MP4[:at] + b"\0\0\0\x01moov" + (2**63).to_bytes(8, "big") + MP4[at + 8 :]
        assert refusal(huge64) == "damaged"
        # A box smaller than its own header.
        assert refusal(MP4[:at] + b"\0\0\0\x04" + MP4[at + 4 :]) == "damaged"

    def test_a_video_track_of_another_codec_is_refused(self):
        # The same file with its sample entry renamed: an MPEG-4 Part 2 video.
        assert refusal(MP4.replace(b"avc1", b"mp4v")) == "codec"
        # And with no video track at all (the handler says sound).
        assert refusal(MP4.replace(b"vide", b"soun")) == "no_video"

    def test_reads_are_bounded(self):
        # A 20 MB MP4 (its index first, then media data) is judged from a few KB.
        padding = 20 * 1024 * 1024
        big = MP4 + (padding + 8).to_bytes(4, "big") + b"free" + b"\0" * padding
        handle = ReadsFew(big)
        facts = videofiles._mp4(handle, len(big))
        assert facts.width == 64 and handle.read_bytes < 16 * 1024, handle.read_bytes

    @override_settings(VIDEO_MAX_BYTES=1000)
    def test_the_size_limit_has_its_own_message(self):
        with translation.override("en"):
            with pytest.raises(ValidationError) as caught:
                check_video(upload(MP4))
            error = caught.value.error_list[0]
            assert error.code == "too_large"
            assert "videos may be at most" in str(error.message) % error.params

    def test_videos_are_stored_with_their_type(self):
        assert object_parameters("videos/2026/12/a.mp4")["ContentType"] == "video/mp4"
        assert object_parameters("videos/2026/12/a.webm")["ContentType"] == "video/webm"
        assert object_parameters("videos/2026/12/a.mov")["ContentType"] == (
            "application/octet-stream"
        )


class VideoAdminTests(TestCase):
    def setUp(self):
        SiteSettings(pk=1, language="en").save()
        self.reporter = make_user("reporter", group="Reporter")
        self.client.force_login(self.reporter)
        self.poster = make_picture(alt="The flooded road")
        self.add = reverse("admin:articles_video_add")

    def post(self, file, **fields):
        data = {"title": "Floods in Galați", "poster": self.poster.pk} | fields
        return self.client.post(self.add, data | {"file": file})

    def stored_videos(self) -> list[str]:
        if not default_storage.exists("videos"):
            return []
        found = []
        for folder in default_storage.listdir("videos")[0]:
            for month in default_storage.listdir(f"videos/{folder}")[0]:
                found += default_storage.listdir(f"videos/{folder}/{month}")[1]
        return found

    def test_a_reporter_uploads_an_mp4_named_as_anything(self):
        response = self.post(video_upload(name="from the phone.bin"), caption="The DN25")
        assert response.status_code == 302, errors(response)
        video = Video.objects.get()
        assert video.file.name.startswith("videos/") and video.file.name.endswith(".mp4")
        assert video.content_type == "video/mp4"
        assert (video.width, video.height, video.duration) == (64, 36, timedelta(seconds=1))
        assert video.uploaded_by == self.reporter
        with video.file.open("rb") as handle:
            assert handle.read() == MP4  # stored as uploaded

    def test_a_webm_is_stored_as_webm(self):
        response = self.post(video_upload("tiny-vp9.webm", name="clip.mp4"))
        assert response.status_code == 302, errors(response)
        assert Video.objects.get().file.name.endswith(".webm")

    def test_refused_uploads_leave_nothing_behind(self):
        for fixture, name, code in [
            (None, "page.mp4", "not_video"),
            ("tiny-h264.mov", "IMG_0042.MOV", "export_as_mp4"),
            ("tiny-hevc.mp4", "IMG_0043.mp4", "export_as_mp4"),
        ]:
            file = (
                SimpleUploadedFile(name, b"<html><body>hi</body></html>", "video/mp4")
                if fixture is None
                else video_upload(fixture, name)
            )
            response = self.post(file)
            assert response.status_code == 200
            assert errors(response) == {"file": [code]}, fixture
        response = self.post(image_upload("photo.mp4"))
        assert errors(response) == {"file": ["not_video"]}
        assert not Video.objects.exists()
        assert self.stored_videos() == []

    def test_the_messages_are_in_romanian(self):
        SiteSettings(pk=1, language="ro").save()
        response = self.post(video_upload("tiny-hevc.mp4", "IMG_0044.MOV"))
        html = response.content.decode()
        assert "Exportați-l ca MP4 (H.264)" in html, html[html.find("errorlist") :][:600]
        add_page = self.client.get(self.add).content.decode()
        assert "Afiș" in add_page and "data-max-bytes=" in add_page

    def test_a_large_upload_streams_to_a_temporary_file(self):
        # Over FILE_UPLOAD_MAX_MEMORY_SIZE (5 MB) the upload is a file on disk, never in memory.
        padding = 6 * 1024 * 1024
        big = MP4 + (padding + 8).to_bytes(4, "big") + b"free" + b"\0" * padding
        seen = []
        original = videofiles.check_video

        def spy(file):
            seen.append(type(file))
            return original(file)

        videofiles.check_video = spy
        self.addCleanup(setattr, videofiles, "check_video", original)
        response = self.post(SimpleUploadedFile("long.mp4", big, "video/mp4"))
        assert response.status_code == 302, errors(response)
        assert seen == [TemporaryUploadedFile]
        assert Video.objects.get().file.size == len(big)

    def test_the_changelist_searches_titles_and_credits(self):
        make_video(title="Floods in Galați", credit="Video: Ana Pop")
        make_video(title="Budget vote")
        changelist = reverse("admin:articles_video_changelist")
        html = self.client.get(changelist, {"q": "Ana Pop"}).content.decode()
        assert "Floods in Galați" in html and "Budget vote" not in html

    def test_reporters_may_not_delete_videos_and_editors_may(self):
        video = make_video()
        delete = reverse("admin:articles_video_delete", args=[video.pk])
        assert self.client.post(delete, {"post": "yes"}).status_code == 403
        self.client.force_login(make_user("editor", group="Editor"))
        assert self.client.post(delete, {"post": "yes"}).status_code == 302
        assert not Video.objects.exists()


def paragraph(video) -> str:
    return f'<p><a href="http://testserver{video.file.url}">{video.file.url}</a></p>'


class BodyVideoTests(StoresPagesAtOnce, TestCase):
    def setUp(self):
        super().setUp()
        cache.clear()
        SiteSettings(pk=1, language="en").save()

    def page(self, story):
        response = self.client.get(story.get_absolute_url())
        html = response.content.decode()
        return html[html.index('class="story__body"') : html.index("</article>")], response

    def test_a_video_becomes_a_player_that_loads_nothing_until_played(self):
        video = make_video(
            title="Floods in Galați", caption="The DN25 under water", credit="Video: Ana Pop"
        )
        story = make_article(body=f"<p>Before.</p>{paragraph(video)}<p>After.</p>")
        body, response = self.page(story)
        figure = re.search(r'<figure class="video">.*?</figure>', body, re.S).group(0)
        assert '<video controls preload="none" poster="' in figure
        assert 'width="64" height="36"' in figure and 'aria-label="Floods in Galați"' in figure
        assert f'<source src="{video.file.url}" type="video/mp4">' in figure
        assert "autoplay" not in body
        assert '<span class="caption">The DN25 under water</span>' in figure
        assert '<span class="credit">Video: Ana Pop</span>' in figure
        poster = re.search(r'poster="([^"]+)"', figure).group(1)
        video.poster.refresh_from_db()
        jpegs = [f"/media/{name}" for _w, _h, name in video.poster.crop("")["jpeg"]]
        assert poster in jpegs  # the poster's own-shape JPEG rendition
        assert body.index("Before.") < body.index('class="video"') < body.index("After.")
        assert "media-src 'self'" in response.headers["Content-Security-Policy"]

    def test_other_addresses_stay_links_and_words_are_text(self):
        video = make_video(title='" onplay="alert(1)', caption="<script>alert(2)</script>")
        gone = '<p><a href="http://testserver/media/videos/2026/01/gone.mp4">Gone</a></p>'
        body, _response = self.page(make_article(body=gone + paragraph(video)))
        assert 'href="http://testserver/media/videos/2026/01/gone.mp4"' in body
        assert body.count('<figure class="video">') == 1
        assert 'aria-label="&quot; onplay=&quot;alert(1)"' in body
        assert "<script>alert(2)" not in body

    def test_a_changed_caption_reaches_the_cached_page(self):
        video = make_video(caption="First words")
        story = make_article(body=paragraph(video))
        assert "First words" in self.page(story)[0]
        video.caption = "Second words"
        video.save()
        body = self.page(story)[0]
        assert "Second words" in body and "First words" not in body

    @override_settings(PAGE_CACHE=False)  # the page is built each time: its queries are counted
    def test_videos_in_the_body_cost_one_query(self):
        plain = make_article(body="<p>Only text.</p>")
        rich = make_article(body="".join(paragraph(make_video()) for _ in range(4)))
        counts = []
        for story in (plain, rich):
            self.client.get(story.get_absolute_url())  # warm
            with CaptureQueriesContext(connection) as queries:
                assert self.client.get(story.get_absolute_url()).status_code == 200
            counts.append(len(queries))
        assert counts[1] == counts[0] + 1 and counts[1] <= 8, counts


@pytest.mark.services
class NginxVideoTests(SimpleTestCase):
    """The shipped nginx serves videos as what they are, in pieces, and takes a large body only
    on the video upload address."""

    def test_ranges_types_and_upload_limits(self):
        program = shutil.which("nginx") or need_program("/usr/sbin/nginx")
        root = Path(tempfile.mkdtemp(prefix="newsroom-nginx-video-"))
        self.addCleanup(shutil.rmtree, root, True)
        static = Path(collected_static())
        media = root / "media"
        (media / "videos").mkdir(parents=True)
        (media / "videos" / "clip.mp4").write_bytes(MP4)
        (media / "videos" / "clip.webm").write_bytes(WEBM)
        for path in (root, static, media, media / "videos"):
            path.chmod(0o755)
        port = free_port()
        config = nginx_config(free_port(), port, free_port(), root, static, media)
        process = subprocess.Popen(
            [program, "-c", str(config), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.addCleanup(process.wait, 10)
        self.addCleanup(process.terminate)
        wait_for_port(port, process)
        base = f"http://127.0.0.1:{port}"
        headers = {"Host": "localhost"}

        piece = requests.get(
            f"{base}/media/videos/clip.mp4", headers=headers | {"Range": "bytes=100-199"}, timeout=5
        )
        assert piece.status_code == 206
        assert piece.headers["Content-Type"] == "video/mp4"
        assert piece.headers["Content-Range"] == f"bytes 100-199/{len(MP4)}"
        assert piece.content == MP4[100:200]
        assert piece.headers["X-Content-Type-Options"] == "nosniff"
        assert "media-src 'self'" in piece.headers["Content-Security-Policy"]
        whole = requests.get(f"{base}/media/videos/clip.webm", headers=headers, timeout=5)
        assert whole.status_code == 200 and whole.headers["Content-Type"] == "video/webm"
        assert whole.headers["Accept-Ranges"] == "bytes" and whole.content == WEBM

        def declared(path: str, length: int) -> bytes:
            """nginx's answer to a request announcing `length` bytes (none sent)."""
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(
                    f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {length}\r\n"
                    "Content-Type: multipart/form-data; boundary=x\r\n\r\n".encode()
                )
                return sock.recv(200)

        over_general = 30 * 1024 * 1024
        assert declared("/admin/articles/picture/add/", over_general).startswith(b"HTTP/1.1 413")
        assert declared("/admin/articles/video/1/delete/", over_general).startswith(b"HTTP/1.1 413")
        assert declared("/admin/articles/video/add/", 600 * 1024 * 1024).startswith(b"HTTP/1.1 413")
        # 30 MB to the video upload reaches the app (none runs here: 502), whole.
        body = b"\0" * over_general
        for path in ["/admin/articles/video/add/", "/admin/articles/video/7/change/"]:
            response = requests.post(
                base + path,
                files={"file": ("clip.mp4", body, "video/mp4")},
                headers=headers,
                timeout=60,
            )
            assert response.status_code == 502, path
