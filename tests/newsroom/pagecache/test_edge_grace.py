"""How long the shipped deploy/varnish.vcl serves a stale copy, against a slow origin.

A tiny origin on loopback answers like the app (xkey, Surrogate-Control with a grace) with a
new version of the page on every fetch, taking as long as the test says. After a soft purge
Varnish may serve the old copy while it refetches — but only for half a second while the origin
answers its health probe: a change reaches readers within a second even when the app is slow.
When the origin stops answering, the old copy stands in for its whole grace.
"""

import shutil
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from django.test import SimpleTestCase

from benchmarks.serve import free_port, varnishd
from tests.helpers import need_program


class SlowOrigin:
    """Version n of /page on the n-th fetch, each after `delay` seconds; /healthz while `up`."""

    def __init__(self):
        self.version = 0
        self.delay = 0.0
        self.up = True
        origin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/healthz":
                    self.answer(200 if origin.up else 503, b"ok", {})
                    return
                if not origin.up:
                    self.answer(503, b"down", {})
                    return
                time.sleep(origin.delay)
                origin.version += 1
                headers = {
                    "xkey": "page",
                    "Surrogate-Control": "max-age=3600, stale-while-revalidate=30",
                    "Cache-Control": "max-age=5",
                }
                self.answer(200, f"version {origin.version}".encode(), headers)

            def answer(self, status, body, headers):
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.services
class EdgeGraceTests(SimpleTestCase):
    origin: SlowOrigin
    edge: str
    healthy: bool

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        program = shutil.which("varnishd") or need_program("/usr/sbin/varnishd")
        cls.origin = SlowOrigin()
        cls.addClassCleanup(cls.origin.close)
        root = Path(cls.enterClassContext(tempfile.TemporaryDirectory()))
        cls.port = free_port()
        cls.edge = cls.enterClassContext(varnishd(program, [cls.origin.port], cls.port, root))
        cls.healthy = True

    def setUp(self):
        self.origin.up, self.origin.delay = True, 0.0
        self.wait_until_healthy(True)
        self.purge(hard=True)
        self.read()  # stored

    def read(self) -> requests.Response:
        return requests.get(self.edge + "/page", timeout=30)

    def purge(self, hard: bool = False) -> None:
        header = "xkey-purge" if hard else "xkey-softpurge"
        answer = requests.request("PURGE", self.edge + "/", headers={header: "page"}, timeout=5)
        assert answer.status_code == 200, answer.text

    def wait_until_healthy(self, healthy: bool) -> None:
        """Long enough for the probe (every 2 s, 2 of the last 5) to agree with the origin."""
        if self.healthy != healthy:
            time.sleep(10.5)
            type(self).healthy = healthy

    def test_a_stale_copy_is_served_at_most_half_a_second_after_a_purge(self):
        before = self.read().text
        self.origin.delay = 2.0
        self.purge()
        started = time.monotonic()
        stale = self.read()  # at once: the old copy, while the new one is fetched
        assert stale.text == before and time.monotonic() - started < 0.5
        time.sleep(0.6)
        late = self.read()  # later: it waits for the new copy rather than get the old one
        assert late.text != before, late.text
        assert time.monotonic() - started < 3

    def test_with_the_origin_down_the_stale_copy_stands_in(self):
        before = self.read().text
        self.purge()
        self.origin.up = False
        self.wait_until_healthy(False)
        answer = self.read()  # well past half a second after the purge
        assert answer.status_code == 200 and answer.text == before
