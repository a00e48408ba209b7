"""Embeds in a real browser: a story page with a YouTube video and an X post asks no other host
for anything; pressing a box loads that provider alone (its frame, or its one script). And the
reporter's rich story, built in the admin: pictures, a gallery (its viewer used by keyboard), a
table and embeds, in English with an SEO title.

The providers' hosts are mapped to a local TLS server (Chromium's --host-resolver-rules, with a
certificate made for the test), so the test sees what would have reached them and nothing leaves
the machine.
"""

import importlib
import os
import ssl
import subprocess
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import Browser, expect

from articles.embeds.models import Embed
from articles.models import Article
from tests.e2e.admin_ui import editor, menu_button, ro, save_button
from tests.factories import image_upload, make_article, make_picture, make_section, make_user
from tests.helpers import CHROMIUM, CHROMIUM_ARGS, need_program

pytestmark = pytest.mark.e2e

PROVIDER_HOSTS = ("www.youtube-nocookie.com", "platform.twitter.com")


class FakeProviders:
    """A local HTTPS server answering as the providers' hosts, recording every request."""

    def __init__(self, folder: Path):
        need_program("openssl")
        cert, key = folder / "cert.pem", folder / "key.pem"
        names = ",".join(f"DNS:{host}" for host in PROVIDER_HOSTS)
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
            + ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=providers.test"]
            + ["-addext", f"subjectAltName={names}"],
            check=True,
            capture_output=True,
        )
        self.requests: list[tuple[str, str]] = []
        requests = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                requests.append((self.headers.get("Host", ""), self.path))
                if self.path.startswith("/embed/"):
                    body, kind = b"<!doctype html><title>Player</title><p>Player</p>", "text/html"
                elif self.path == "/widgets.js":
                    body = b'document.documentElement.dataset.widgets = "loaded";'
                    kind = "text/javascript"
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def providers():
    with tempfile.TemporaryDirectory() as folder:
        fake = FakeProviders(Path(folder))
        yield fake
        fake.close()


@pytest.fixture(scope="module")
def mapped_browser(providers):
    """Chromium that reaches the providers' hosts at the local server (and trusts its
    certificate); its own browser, as the flags are set at launch."""
    need_program(str(CHROMIUM))
    from playwright.sync_api import sync_playwright

    rules = ", ".join(f"MAP {host} 127.0.0.1:{providers.port}" for host in PROVIDER_HOSTS)
    async_unsafe = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                args=[
                    *CHROMIUM_ARGS,
                    f"--host-resolver-rules={rules}",
                    "--ignore-certificate-errors",
                ],
            )
            yield chromium
            chromium.close()
    finally:
        if async_unsafe is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = async_unsafe


@pytest.fixture
def embeds_browser(request, mapped_browser, providers):
    request.instance.browser = mapped_browser
    request.instance.providers = providers


def reporter_group() -> None:
    """The Reporter group as the migrations make it: a live server test empties every table
    after each test, and only permissions are made again."""
    group, _created = Group.objects.get_or_create(name="Reporter")
    for module in ("0003_reporter_and_editor_groups", "0017_picture_library_groups"):
        for dotted in importlib.import_module(f"articles.migrations.{module}").REPORTER:
            app_label, codename = dotted.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


# Uploads served as in production; the providers' oEmbed endpoints (read when a story is saved)
# answer nothing, so the boxes keep the links (the story saves all the same).
@override_settings(
    ROOT_URLCONF="tests.e2e.media_urls",
    EMBED_OEMBED_ENDPOINTS=dict.fromkeys(["youtube", "x"], "http://127.0.0.1:9/oembed"),
)
@pytest.mark.usefixtures("embeds_browser")
class EmbedsBrowserTests(StaticLiveServerTestCase):
    browser: Browser
    providers: FakeProviders

    def setUp(self):
        cache.clear()
        self.providers.requests.clear()
        Embed.objects.create(
            url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            provider="youtube",
            title="Clipul zilei",
        )
        self.story = make_article(
            body="<p>Primul paragraf.</p>"
            '<p><a href="https://youtu.be/dQw4w9WgXcQ">https://youtu.be/dQw4w9WgXcQ</a></p>'
            "<p>https://x.com/jack/status/20</p>"
        )
        self.context = self.browser.new_context()
        self.addCleanup(self.context.close)
        self.page = self.context.new_page()
        self.seen: list[str] = []
        self.page.on("request", lambda request: self.seen.append(request.url))
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on(
            "console",
            lambda message: (
                message.type == "error" and self.errors.append(f"{message.text} {message.location}")
            ),
        )

    def hosts(self, since: int = 0) -> set[str]:
        return {urlsplit(url).hostname or "" for url in self.seen[since:]}

    def test_nothing_is_asked_of_a_provider_until_the_reader_chooses(self):
        page = self.page
        page.goto(self.live_server_url + self.story.get_absolute_url())
        page.wait_for_load_state("networkidle")
        youtube = page.locator("figure.embed--youtube")
        tweet = page.locator("figure.embed--x")
        expect(youtube.get_by_role("link", name="Clipul zilei")).to_be_visible()
        assert self.hosts() == {"localhost"}, self.seen
        assert self.providers.requests == []

        before = len(self.seen)
        youtube.get_by_role("button").click()
        frame = youtube.locator("iframe")
        expect(frame).to_have_attribute(
            "src", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1"
        )
        expect(page.frame_locator("figure.embed--youtube iframe").locator("p")).to_have_text(
            "Player"
        )
        assert self.hosts(before) == {"www.youtube-nocookie.com"}, self.seen[before:]
        assert ("www.youtube-nocookie.com", "/embed/dQw4w9WgXcQ?autoplay=1") in (
            self.providers.requests
        )
        assert page.locator("script[src*='platform.twitter.com']").count() == 0

        before = len(self.seen)
        tweet.get_by_role("button").click()
        expect(page.locator("html")).to_have_attribute("data-widgets", "loaded")
        expect(tweet.locator("blockquote.twitter-tweet")).to_have_count(1)
        assert self.hosts(before) == {"platform.twitter.com"}, self.seen[before:]
        assert ("platform.twitter.com", "/widgets.js") in self.providers.requests
        assert self.errors == []

    def test_reporter_builds_a_rich_story_and_readers_get_nothing_from_providers_unasked(self):
        headline = "Turnout by region: the day's figures, in pictures"
        seo_title = "Election turnout by region, in pictures and tables"
        make_section(name="Politică", slug="politica")
        pictures = [
            make_picture(
                file=image_upload(f"polling-{n}.jpg", size=(1200, 800)),
                alt=f"Polling station number {n}",
                caption=f"Queue at polling station {n}",
                credit="Photo: Ana Pop",
            )
            for n in range(1, 8)
        ]
        reporter_group()
        make_user("reporter", group="Reporter")

        # The reporter signs in and writes the story.
        page = self.page
        page.goto(self.live_server_url + "/admin/login/")
        page.fill("#id_username", "reporter")
        page.fill("#id_password", "pw")
        page.locator("input[type=submit]").click()
        page.goto(self.live_server_url + "/admin/articles/article/add/")
        page.fill("#id_headline", headline)
        page.fill("#id_standfirst", "Turnout was highest in the capital and lowest in the south.")
        page.select_option("#id_section", label="Politică")
        page.select_option("#id_language", "en")
        page.locator("fieldset.collapse summary, details summary", has_text=ro("Promotion")).click()
        page.fill("#id_seo_title", seo_title)

        # The body: a library picture is placed by its address alone in a paragraph, an embed
        # by the link to the post; five pictures in a row make a gallery; a table at the end.
        def paragraph(text: str) -> None:
            page.keyboard.insert_text(text)
            page.keyboard.press("Enter")

        def address(picture) -> str:
            return self.live_server_url + picture.file.url

        editor(page).click()
        paragraph("Polling stations opened at seven in the morning.")
        paragraph(address(pictures[0]))
        paragraph("The electoral bureau published the first figures at noon.")
        paragraph("https://www.youtube.com/watch?v=M7lc1UVf-VE")
        paragraph("Reactions came at once:")
        paragraph("https://x.com/jack/status/20")
        paragraph(address(pictures[1]))
        paragraph("The day at the polling stations, from morning to evening:")
        for picture in pictures[2:]:
            paragraph(address(picture))
        paragraph("Turnout by region at 9 pm:")
        menu_button(page, "table").click()
        dialog = page.locator("dialog.prose-editor-dialog[open]")
        dialog.locator("input[name=rows]").fill("3")
        dialog.locator("input[name=cols]").fill("2")
        dialog.locator("select[name=withHeaderRow]").select_option("Yes")
        dialog.locator("button[type=submit]").click()
        cells = ["Region", "Turnout", "Bucharest-Ilfov", "58.1%", "North-West", "51.4%"]
        for number, cell in enumerate(cells):
            if number:
                page.keyboard.press("Tab")  # the next cell (in the last, Tab adds a row)
            page.keyboard.insert_text(cell)
        expect(editor(page).locator("table th")).to_have_count(2)
        save_button(page, "review").click()
        page.wait_for_load_state()
        story = Article.objects.get(headline=headline)
        assert story.status == Article.Status.REVIEW and story.language == "en"
        assert story.seo_title == seo_title
        assert story.body.count('href="http://localhost:') == 7
        assert "<table>" in story.body and story.body.count("<tr>") == 3

        # An editor publishes it (the editor's journey does that through the admin).
        story.status = Article.Status.PUBLISHED
        story.publish_at = timezone.now()
        story.save()

        # A reader: nothing from any other host while the page loads and the gallery is used.
        reader = self.browser.new_context()
        self.addCleanup(reader.close)
        page = reader.new_page()
        seen: list[str] = []
        page.on("request", lambda request: seen.append(request.url))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on(
            "console",
            lambda message: (
                message.type == "error" and self.errors.append(f"{message.text} {message.location}")
            ),
        )
        page.goto(self.live_server_url + story.get_absolute_url())
        page.wait_for_load_state("networkidle")
        assert seo_title in page.title()
        expect(page.locator("article.story")).to_have_attribute("lang", "en")
        body = page.locator(".story__body")
        expect(body.locator("figure.story-picture")).to_have_count(7)
        expect(body.locator("table th")).to_have_count(2)
        expect(body.locator("figure[data-embed]")).to_have_count(2)

        # The gallery's viewer: one picture at a time, worked by keyboard, its controls in the
        # site's language around the English story.
        viewer = page.get_by_role("region", name="Galerie foto")
        items = viewer.locator("ol.gallery > li")
        counter = viewer.locator(".gallery-viewer__counter")
        previous = viewer.get_by_role("button", name="Fotografia anterioară")
        following = viewer.get_by_role("button", name="Fotografia următoare")
        expect(viewer.locator(".gallery-viewer__controls")).to_have_attribute("lang", "ro")
        expect(counter).to_have_text("1 din 5")
        expect(counter).to_have_attribute("aria-live", "polite")
        expect(items.nth(0)).to_be_visible()
        expect(viewer.locator("ol.gallery > li:visible")).to_have_count(1)
        expect(items.nth(0)).to_contain_text("Queue at polling station 3")
        expect(items.nth(0)).to_contain_text("Photo: Ana Pop")
        previous.focus()
        page.keyboard.press("Tab")
        expect(following).to_be_focused()
        page.keyboard.press("Enter")
        expect(counter).to_have_text("2 din 5")
        expect(items.nth(1)).to_be_visible()
        expect(items.nth(0)).to_be_hidden()
        page.keyboard.press("ArrowRight")
        expect(counter).to_have_text("3 din 5")
        page.keyboard.press("End")
        expect(counter).to_have_text("5 din 5")
        expect(items.nth(4)).to_contain_text("Queue at polling station 7")
        page.keyboard.press("ArrowRight")  # round to the first
        expect(counter).to_have_text("1 din 5")
        page.keyboard.press("ArrowLeft")
        expect(counter).to_have_text("5 din 5")
        page.keyboard.press("Home")
        expect(counter).to_have_text("1 din 5")
        page.keyboard.press("Shift+Tab")
        expect(previous).to_be_focused()
        page.keyboard.press("Space")
        expect(counter).to_have_text("5 din 5")
        expect(viewer.locator("ol.gallery > li:visible")).to_have_count(1)
        expect(items.nth(4).locator("img")).to_be_visible()
        # The last button gives the plain list back, every picture at once, and undoes itself.
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        everything = viewer.get_by_role("button", name="Toate fotografiile")
        expect(everything).to_be_focused()
        page.keyboard.press("Enter")
        expect(viewer.locator("ol.gallery > li:visible")).to_have_count(5)
        for hidden in (previous, following, counter):
            expect(hidden).to_be_hidden()
        one_at_a_time = viewer.get_by_role("button", name="Câte o fotografie")
        expect(one_at_a_time).to_be_focused()
        page.keyboard.press("End")  # the keys step through nothing while all are shown
        expect(viewer.locator("ol.gallery > li:visible")).to_have_count(5)
        page.keyboard.press("Space")
        expect(counter).to_have_text("5 din 5")
        expect(viewer.locator("ol.gallery > li:visible")).to_have_count(1)
        expect(items.nth(4).locator("img")).to_be_visible()
        expect(everything).to_be_focused()
        page.wait_for_load_state("networkidle")
        assert {urlsplit(url).hostname for url in seen} == {"localhost"}, seen
        assert self.providers.requests == []

        def elsewhere(since: int) -> set[str]:
            """The hosts asked since then, besides this site (whose pictures load lazily)."""
            return {urlsplit(url).hostname or "" for url in seen[since:]} - {"localhost"}

        # The reader chooses the video: its player's frame alone; then the post: X's script.
        loaded = before = len(seen)
        page.locator("figure.embed--youtube").get_by_role("button").click()
        expect(page.frame_locator("figure.embed--youtube iframe").locator("p")).to_have_text(
            "Player"
        )
        assert elsewhere(before) == {"www.youtube-nocookie.com"}, seen[before:]
        before = len(seen)
        page.locator("figure.embed--x").get_by_role("button").click()
        expect(page.locator("html")).to_have_attribute("data-widgets", "loaded")
        assert elsewhere(before) == {"platform.twitter.com"}, seen[before:]
        # This site was asked for nothing but pictures scrolled into view after the page loaded.
        assert all(
            urlsplit(url).path.startswith(("/media/", "/static/img/"))
            for url in seen[loaded:]
            if urlsplit(url).hostname == "localhost"
        ), seen[loaded:]
        assert self.providers.requests == [
            ("www.youtube-nocookie.com", "/embed/M7lc1UVf-VE?autoplay=1"),
            ("platform.twitter.com", "/widgets.js"),
        ]
        # The admin's pages name no icon, so the browser asks for /favicon.ico, which the test
        # server does not have; anything else is an error.
        assert [error for error in self.errors if "/favicon.ico'" not in error] == []
