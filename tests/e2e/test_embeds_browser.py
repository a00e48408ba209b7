"""Embeds in a real browser: a story page with a YouTube video and an X post asks no other host
for anything; pressing a box loads that provider alone (its frame, or its one script).

The providers' hosts are mapped to a local TLS server (Chromium's --host-resolver-rules, with a
certificate made for the test), so the test sees what would have reached them and nothing leaves
the machine.
"""

import os
import ssl
import subprocess
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from django.core.cache import cache
from playwright.sync_api import Browser, expect

from articles.embeds.models import Embed
from tests.factories import make_article
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
            "console", lambda message: message.type == "error" and self.errors.append(message.text)
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
