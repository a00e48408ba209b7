"""HTTP caching for browsers, a CDN or the shipped nginx: headers, 304s, gzip, and nginx itself."""

import gzip
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
import requests
from django.core.cache import cache
from django.test import SimpleTestCase, TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from benchmarks.serve import nginx_config
from newsroom import pagecache as page_cache
from newsroom.chrome.models import SiteSettings
from newsroom.pages.models import Page
from tests.factories import make_article, make_author, make_section, make_user
from tests.helpers import (
    BASE_DIR,
    PRODUCTION_ENV,
    StoresPagesAtOnce,
    collected_static,
    free_port,
    gunicorn,
    need_program,
    public_patterns,
)


def cache_control(response) -> dict[str, str]:
    parts = {}
    for part in response["Cache-Control"].split(","):
        name, _, value = part.strip().partition("=")
        parts[name] = value
    return parts


def vary(response) -> set[str]:
    return {part.strip().lower() for part in response.get("Vary", "").split(",") if part.strip()}


@override_settings(PAGE_CACHE=True)
class HeaderTests(StoresPagesAtOnce, TestCase):
    def setUp(self):
        super().setUp()
        SiteSettings(pk=1, language="en").save()
        self.section = make_section(slug="politics")
        self.author = make_author(slug="ana-pop")
        self.story = make_article(
            section=self.section,
            authors=[self.author],
            tags=["budget"],
            publish_at=timezone.now() - timedelta(days=1),
            headline="Budget vote",
        )
        local = timezone.localtime(self.story.publish_at)
        self.pages = [
            reverse("home"),
            self.story.get_absolute_url(),
            reverse("articles:section", args=["politics"]),
            reverse("articles:tag", args=["budget"]),
            reverse("articles:author", args=["ana-pop"]),
            reverse("articles:archive-day", args=[local.year, local.month, local.day]),
            reverse("articles:search") + "?q=budget",
            reverse("sitemap"),
            reverse("news-sitemap"),
        ]

    def test_public_pages_may_be_kept_briefly_by_shared_caches(self):
        for url in self.pages:
            for attempt in ("miss", "hit"):
                response = self.client.get(url)
                assert response.status_code == 200, url
                assert response["X-Page-Cache"] == attempt, url
                control = cache_control(response)
                assert "public" in control, (url, control)
                assert 1 <= int(control["max-age"]) <= page_cache.SHARED_MAX_AGE, control
                assert int(control["stale-while-revalidate"]) > 0, control
                assert "private" not in control and "no-store" not in control
                assert {"cookie", "accept-encoding"} <= vary(response), url
                assert response["ETag"].startswith('W/"'), url
                assert parsedate_to_datetime(response["Last-Modified"]) <= timezone.now()

    def test_etag_and_last_modified_answer_304(self):
        url = self.story.get_absolute_url()
        first = self.client.get(url)
        etag, modified = first["ETag"], first["Last-Modified"]
        for headers in ({"If-None-Match": etag}, {"If-Modified-Since": modified}):
            response = self.client.get(url, headers=headers)
            assert response.status_code == 304, headers
            assert response.content == b""
            assert response["ETag"] == etag
            assert "public" in cache_control(response)
        # The gzip copy is the same resource: the validator holds for it too.
        response = self.client.get(url, headers={"If-None-Match": etag, "Accept-Encoding": "gzip"})
        assert response.status_code == 304

    def test_an_edit_changes_the_etag_and_answers_200(self):
        url = self.story.get_absolute_url()
        etag = self.client.get(url)["ETag"]
        self.story.headline = "Budget vote delayed"
        self.story.save()
        response = self.client.get(url, headers={"If-None-Match": etag})
        assert response.status_code == 200
        assert response["ETag"] != etag
        assert b"Budget vote delayed" in response.content

    def test_pages_are_gzipped_for_clients_that_ask(self):
        for url in self.pages:
            plain = self.client.get(url)
            packed = self.client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
            if len(plain.content) < page_cache.GZIP_MIN_BYTES:
                assert "Content-Encoding" not in packed, url  # not worth it
                continue
            assert packed["Content-Encoding"] == "gzip", url
            assert gzip.decompress(packed.content) == plain.content, url
            assert int(packed["Content-Length"]) == len(packed.content)
            assert len(packed.content) < len(plain.content)
            assert "Content-Encoding" not in plain
            assert packed["ETag"] == plain["ETag"]

    def test_gzip_only_for_clients_that_accept_it(self):
        url = self.story.get_absolute_url()
        for accept, packed in [
            ("gzip;q=0", False),
            ("gzip; q=0.0, identity", False),
            ("*;q=0", False),
            ("br, *;q=0.5", True),
            ("GZIP;q=0.7", True),
            ("gzip;q=abc", False),
            ("identity", False),
        ]:
            response = self.client.get(url, headers={"Accept-Encoding": accept})
            assert ("Content-Encoding" in response) == packed, accept

    def test_pages_with_a_csrf_token_are_never_compressed_or_cached(self):
        login = reverse("admin:login")
        for _ in range(2):
            response = self.client.get(login, headers={"Accept-Encoding": "gzip"})
            assert response.status_code == 200
            assert "csrfmiddlewaretoken" in response.content.decode()
            assert "Content-Encoding" not in response
            assert "X-Page-Cache" not in response
            assert "public" not in response.get("Cache-Control", "")

    def test_staff_requests_are_private(self):
        self.client.force_login(make_user("editor", group="Editor"))
        for url in self.pages + [reverse("articles:feed")]:
            response = self.client.get(url, headers={"Accept-Encoding": "gzip"})
            assert response.status_code == 200, url
            control = cache_control(response)
            assert "private" in control and "no-store" in control, (url, control)
            assert "public" not in control, url
            assert "cookie" in vary(response), url
            assert "Content-Encoding" not in response, url

    def test_max_age_never_reaches_past_a_go_live(self):
        make_article(section=self.section, publish_at=timezone.now() + timedelta(seconds=3))
        response = self.client.get(reverse("articles:section", args=["politics"]))
        control = cache_control(response)
        assert int(control["max-age"]) <= 3, control
        assert int(control.get("stale-while-revalidate", 0)) == 0, control

    def test_feeds_ask_caches_to_revalidate(self):
        response = self.client.get(reverse("articles:feed"))
        control = cache_control(response)
        assert "public" in control and "no-cache" in control
        assert response["ETag"]


def nginx_fixture(app_port: int, static_root: Path, media_root: Path):
    """The shipped config, wrapped to run on loopback from a temporary directory."""
    root = Path(tempfile.mkdtemp(prefix="newsroom-nginx-test-"))
    port, plain_port = free_port(), free_port()
    config = nginx_config(app_port, port, plain_port, root, static_root, media_root)
    return root, port, plain_port, config


@pytest.mark.services
class NginxConfigTests(SimpleTestCase):
    def test_the_shipped_configuration_is_valid(self):
        nginx = need_program("nginx") if shutil.which("nginx") else need_program("/usr/sbin/nginx")
        static = Path(tempfile.mkdtemp())
        root, _port, _plain, config = nginx_fixture(8000, static, static)
        try:
            result = subprocess.run(
                [nginx, "-t", "-c", str(config)], capture_output=True, text=True
            )
            assert result.returncode == 0, result.stderr
            assert "syntax is ok" in result.stderr
        finally:
            shutil.rmtree(root, ignore_errors=True)
            shutil.rmtree(static, ignore_errors=True)


@pytest.mark.services
class NginxInFrontTests(SimpleTestCase):
    """gunicorn with production settings, nginx with the shipped config in front of it."""

    def setUp(self):
        self.nginx = shutil.which("nginx") or need_program("/usr/sbin/nginx")
        directory = self.enterContext(tempfile.TemporaryDirectory())
        os.chmod(directory, 0o755)
        self.env = {
            **PRODUCTION_ENV,
            "DATABASE_URL": f"sqlite:///{Path(directory) / 'site.sqlite3'}",
            "MEDIA_ROOT": str(Path(directory) / "media"),
            "CACHE_URL": "locmem://",
            "WEATHER_BACKGROUND_REFRESH": "0",
        }
        script = (
            "from tests.factories import make_article;"
            "make_article(headline='Budget vote', slug='budget-vote', body='<p>"
            + "A paragraph about the vote. " * 80
            + "</p>')"
        )
        for command in (["migrate", "--noinput", "-v0"], ["shell", "-c", script]):
            subprocess.run(
                [sys.executable, "manage.py", *command],
                cwd=BASE_DIR,
                env={**os.environ, **self.env},
                check=True,
            )
        self.static = Path(collected_static())
        os.chmod(self.static, 0o755)

    def test_pages_cached_briefly_staff_bypass_gzip_and_static_files(self):
        with gunicorn(self.env) as base_url:
            app_port = int(base_url.rsplit(":", 1)[1])
            root, port, _plain, config = nginx_fixture(
                app_port, self.static, Path(self.env["MEDIA_ROOT"])
            )
            self.addCleanup(shutil.rmtree, root, True)
            process = subprocess.Popen(
                [self.nginx, "-c", str(config), "-g", "daemon off;"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                front = f"http://127.0.0.1:{port}"
                deadline = time.monotonic() + 10
                while True:
                    try:
                        requests.get(front + "/healthz", timeout=2)
                        break
                    except requests.ConnectionError:
                        assert time.monotonic() < deadline, "nginx did not start"
                        time.sleep(0.1)
                story = requests.get(front + "/", timeout=5).text
                assert "Budget vote" in story
                statuses = [
                    requests.get(front + "/", timeout=5).headers["X-Cache-Status"] for _ in range(3)
                ]
                assert statuses[-1] == "HIT", statuses
                staff = requests.get(front + "/", cookies={"sessionid": "x"}, timeout=5)
                assert staff.headers["X-Cache-Status"] == "BYPASS"
                packed = requests.get(front + "/", headers={"Accept-Encoding": "gzip"}, timeout=5)
                assert packed.headers["Content-Encoding"] == "gzip"
                css = requests.get(
                    front + "/static/css/site.css", headers={"Accept-Encoding": "gzip"}, timeout=5
                )
                assert css.status_code == 200
                assert "immutable" in css.headers["Cache-Control"]
                assert "X-Cache-Status" not in css.headers  # served from disk, not the app
                login = requests.get(
                    front + "/admin/login/", headers={"Accept-Encoding": "gzip"}, timeout=5
                )
                assert "Content-Encoding" not in login.headers  # CSRF token inside: BREACH
                # Addresses the app writes keep the port the reader used.
                assert f'rel="canonical" href="{front}/"' in story
                # A host the site does not serve is closed by nginx, never reaches the app.
                with pytest.raises(requests.ConnectionError):
                    requests.get(front + "/", headers={"Host": "evil.example"}, timeout=5)
            finally:
                process.terminate()
                process.wait(10)


@override_settings(PAGE_CACHE=True)
class HeadTests(StoresPagesAtOnce, TestCase):
    """Crawlers and link checkers send HEAD: every public address answers it like GET, whether
    its page is stored yet or not (the WSGI server sends no body)."""

    def setUp(self):
        super().setUp()
        Page.objects.create(title="About", slug="about", body="<p>Us</p>")
        self.story = make_article(
            section=make_section(slug="politics"),
            authors=[make_author(slug="ana-pop")],
            tags=["budget"],
            publish_at=timezone.now() - timedelta(days=1),
            coverage_started_at=timezone.now() - timedelta(hours=1),
        )

    def addresses(self) -> dict[str, str]:
        """Each public route, with an address that answers 200."""
        local = timezone.localtime(self.story.publish_at)
        return {
            "": reverse("home"),
            "<yyyy:year>/": reverse("articles:archive-year", args=[local.year]),
            "<yyyy:year>/<mm:month>/": reverse(
                "articles:archive-month", args=[local.year, local.month]
            ),
            "<yyyy:year>/<mm:month>/<dd:day>/": reverse(
                "articles:archive-day", args=[local.year, local.month, local.day]
            ),
            "<yyyy:year>/<mm:month>/<dd:day>/<slug:slug>/": self.story.get_absolute_url(),
            "<yyyy:year>/<mm:month>/<dd:day>/<slug:slug>/live/updates/": (
                self.story.get_absolute_url() + "live/updates/?after=1"
            ),
            "<yyyy:year>/<mm:month>/<dd:day>/<slug:slug>/live/feed/": (
                self.story.get_absolute_url() + "live/feed/"
            ),
            "<yyyy:year>/<mm:month>/<dd:day>/<slug:slug>/live/feed/atom/": (
                self.story.get_absolute_url() + "live/feed/atom/"
            ),
            "section/<slug:slug>/": "/section/politics/",
            "tag/<tagslug:slug>/": "/tag/budget/",
            "author/<slug:slug>/": "/author/ana-pop/",
            "search/": "/search/?q=budget",
            "feed/": "/feed/",
            "feed/atom/": "/feed/atom/",
            "section/<slug:slug>/feed/": "/section/politics/feed/",
            "section/<slug:slug>/feed/atom/": "/section/politics/feed/atom/",
            "tag/<tagslug:slug>/feed/": "/tag/budget/feed/",
            "tag/<tagslug:slug>/feed/atom/": "/tag/budget/feed/atom/",
            "author/<slug:slug>/feed/": "/author/ana-pop/feed/",
            "author/<slug:slug>/feed/atom/": "/author/ana-pop/feed/atom/",
            "sitemap.xml": reverse("sitemap"),
            "sitemap-<section>.xml": reverse("sitemap-section", args=["articles"]),
            "news-sitemap.xml": reverse("news-sitemap"),
            "robots.txt": reverse("robots"),
            "live/header.json": reverse("live-header"),
            "live/most-read/": reverse("most-read"),
            "info/<slug:slug>/": "/info/about/",
            "healthz": reverse("healthz"),
            "api/ninjs/": reverse("articles:ninjs-list"),
            "api/ninjs/<int:pk>/": reverse("articles:ninjs-detail", args=[self.story.pk]),
        }

    def test_every_public_route_is_tried(self):
        # The most-read beacon takes a POST alone (tests/newsroom/mostread); the operators'
        # metrics are not public (tests/newsroom/test_metrics.py).
        not_public = {"live/read/<int:pk>/", "metrics"}
        assert set(self.addresses()) | not_public == set(public_patterns())

    def test_head_answers_like_get_stored_or_not(self):
        for route, url in self.addresses().items():
            with self.subTest(route=route):
                cache.clear()
                first = self.client.head(url)  # nothing stored yet
                get = self.client.get(url)
                again = self.client.head(url)  # stored, where the page is kept
                assert get.status_code == 200, url
                for head in (first, again):
                    assert head.status_code == 200, url
                    assert head.content == b""
                    assert head["Content-Type"] == get["Content-Type"]
                    if "Content-Length" in head and "Content-Length" in get:
                        assert head["Content-Length"] == get["Content-Length"]

    def test_other_methods_are_refused(self):
        for url in self.addresses().values():
            assert self.client.post(url).status_code == 405, url
