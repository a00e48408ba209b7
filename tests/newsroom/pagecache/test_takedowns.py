"""A story taken down stops reaching readers: whatever the path, whatever the cache does.

Each test reproduces one way a withdrawn story kept being served, or a way the caches could be
made to grow without bound, and checks the bound docs/SECURITY.md promises.
"""

import os
import random
import shutil
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
import redis
import requests
from django.core.cache import cache
from django.test import SimpleTestCase, TestCase, TransactionTestCase, override_settings
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version

from articles.models import Article
from benchmarks.serve import redis_server
from newsroom.chrome.models import SiteSettings
from newsroom.pagecache import keys
from newsroom.pagecache.models import PendingBump
from newsroom.pagecache.pages import SHARED_MAX_AGE
from tests.factories import make_article, make_author, make_section, make_user
from tests.helpers import (
    BASE_DIR,
    PRODUCTION_ENV,
    StoresPagesAtOnce,
    collected_static,
    form_data,
    free_port,
    gunicorn,
    listing_text,
    need_program,
    text_of,
)


@override_settings(PAGE_CACHE=True)
class RestoreTakedownTests(StoresPagesAtOnce, TestCase):
    """Restoring an earlier, unpublished version of a live story takes it down everywhere."""

    def setUp(self):
        super().setUp()
        SiteSettings(pk=1, language="en").save()
        self.editor = make_user("editor", group="Editor")
        self.client.force_login(self.editor)
        self.ana, self.ion = make_author(name="Ana Pop"), make_author(name="Ion Vlad")
        data = form_data(self.client.get(reverse("admin:articles_article_add"))) | {
            "headline": "Meteorite over Bucharest",
            "slug": "meteorite-over-bucharest",
            "body": "<p>A bright meteorite crossed the sky above the capital.</p>",
            "section": str(make_section(name="Science", slug="science").pk),
            "tags": "meteorites",
            "status": Article.Status.DRAFT,
            "bylines-TOTAL_FORMS": "1",
            "bylines-0-author": str(self.ana.pk),
            "bylines-0-position": "0",
        }
        assert self.client.post(reverse("admin:articles_article_add"), data).status_code == 302
        self.story = Article.objects.get(slug="meteorite-over-bucharest")
        self.draft_version = Version.objects.get_for_object(self.story).get()
        self.change(status=Article.Status.PUBLISHED, **self.publish_now())
        self.story.refresh_from_db()
        assert self.story.is_published()
        self.url = self.story.get_absolute_url()
        self.client.logout()

    def publish_now(self) -> dict:
        local = timezone.localtime() - timedelta(minutes=5)
        return {"publish_at": local.strftime("%Y-%m-%dT%H:%M")}

    def change(self, **fields) -> None:
        url = reverse("admin:articles_article_change", args=[self.story.pk])
        data = form_data(self.client.get(url)) | fields
        response = self.client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:2000]

    def reader_pages(self) -> dict[str, str]:
        return {
            "home": reverse("home"),
            "rss": reverse("articles:feed"),
            "atom": reverse("articles:feed-atom"),
            # Story sitemaps are pages of a thousand ids (PostgreSQL's never start again at 1).
            "sitemap": reverse("sitemap-section", args=["articles"])
            + f"?p={(self.story.pk - 1) // 1000 + 1}",
            "news sitemap": reverse("news-sitemap"),
            "tag": reverse("articles:tag", args=["meteorites"]),
            "author": reverse("articles:author", args=[self.ana.slug]),
            "search": reverse("articles:search") + "?q=meteorite",
        }

    def warm(self) -> None:
        for url in [*self.reader_pages().values(), self.url]:
            self.client.get(url)
            response = self.client.get(url)
            assert response["X-Page-Cache"] == "hit", url
            assert "meteorite" in response.content.decode().lower(), url

    def restore(self, version: Version) -> None:
        self.client.force_login(self.editor)
        url = reverse("admin:articles_article_restore", args=[self.story.pk, version.pk])
        assert self.client.post(url).status_code == 302
        self.client.logout()

    def test_restoring_the_draft_takes_the_story_down_everywhere(self):
        self.warm()
        self.restore(self.draft_version)
        self.story.refresh_from_db()
        assert self.story.status == Article.Status.DRAFT
        assert self.client.get(self.url).status_code == 410
        pages = self.reader_pages()
        # Only a draft carries the tag now: the tag is not public.
        assert self.client.get(pages.pop("tag")).status_code == 404
        search = self.client.get(pages.pop("search"))
        assert "Meteorite over Bucharest" not in text_of(search)
        assert search.context is None or search.context["page"].paginator.count == 0
        for name, url in pages.items():
            response = self.client.get(url)
            assert response.status_code in (200, 404), (name, response.status_code)
            assert "bright meteorite" not in response.content.decode(), name
            assert "Meteorite over Bucharest" not in response.content.decode(), name

    def test_a_restored_byline_shows_on_the_authors_pages(self):
        self.client.force_login(self.editor)
        self.change(**{"bylines-0-author": str(self.ion.pk)})
        with_ion = Version.objects.get_for_object(self.story).first()
        self.change(**{"bylines-0-author": str(self.ana.pk)})
        self.client.logout()
        ion_page = reverse("articles:author", args=[self.ion.slug])
        ana_page = reverse("articles:author", args=[self.ana.slug])
        for url in (ion_page, ana_page):
            self.client.get(url)
        self.restore(with_ion)
        assert "Meteorite over Bucharest" in text_of(self.client.get(ion_page))
        # Not in her list (the rail of the site's latest shows it on every listing).
        assert "Meteorite over Bucharest" not in listing_text(self.client.get(ana_page))


@override_settings(PAGE_CACHE=True)
class JunkQueryStringTests(StoresPagesAtOnce, TestCase):
    """Query strings a page does not read are the same page: nothing more is stored."""

    def entries(self) -> int:
        return len(cache._cache)  # type: ignore[attr-defined]  # the local-memory backend's store

    def test_a_thousand_junk_query_strings_store_nothing(self):
        make_article(headline="Budget vote")
        pages = [reverse("home"), reverse("articles:search") + "?q=budget&"]
        for url in pages:
            self.client.get(url)
        before = self.entries()
        rng = random.Random(13)
        for n in range(1000):
            junk = "".join(rng.choices(string.ascii_letters, k=12))
            url = pages[n % 2] + ("&" if "?" in pages[n % 2] else "?") + f"utm_{junk}={junk}"
            response = self.client.get(url)
            assert response.status_code == 200
            assert response["X-Page-Cache"] == "hit"
        assert self.entries() == before


class KeptBumpTests(TransactionTestCase):
    """A bump the shared cache does not take is kept in the database and replayed."""

    def test_a_failed_bump_is_kept_and_replayed(self):
        refused = mock.Mock(side_effect=ConnectionError("Redis stalled"))
        with (
            mock.patch.object(type(cache), "set_many_now", refused, create=True),
            self.assertLogs("newsroom.pagecache", "WARNING"),
            self.settings(PAGE_CACHE_REPLAY_SECONDS=0.05),
        ):
            keys.bump("article:1", "listings")
            assert sorted(PendingBump.objects.get().keys) == ["article:1", "listings"]
        before = keys.versions(["article:1"])
        # The cache answers again: the replay thread writes the kept versions.
        keys.replay_soon()
        # The thread holds this lock until it is done. Asking the table meanwhile would meet its
        # writes (SQLite's shared in-memory database answers "table is locked" at once).
        assert keys._replaying.acquire(timeout=5)
        keys._replaying.release()
        assert not PendingBump.objects.exists()
        assert keys.versions(["article:1"]) != before


# --- With real servers ------------------------------------------------------------------------


class StallingProxy:
    """A TCP proxy to a local port that can stop passing bytes on, as a stalled network does."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.flowing = threading.Event()
        self.flowing.set()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self) -> None:
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pump, args=(source, target), daemon=True).start()

    def pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                self.flowing.wait()
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                sock.close()

    def close(self) -> None:
        self.listener.close()


def site_with_one_story(directory: Path, **env: str) -> dict[str, str]:
    """A production-mode site on a SQLite file of its own, holding one live story."""
    os.chmod(directory, 0o755)
    site = {
        **PRODUCTION_ENV,
        "DATABASE_URL": f"sqlite:///{directory / 'site.sqlite3'}",
        "MEDIA_ROOT": str(directory / "media"),
        "WEATHER_BACKGROUND_REFRESH": "0",
        **env,
    }
    script = (
        "from tests.factories import make_article;"
        "make_article(headline='Budget vote', slug='budget-vote', body='<p>"
        + "A paragraph about the vote. " * 80
        + "</p>')"
    )
    for command in (["migrate", "--noinput", "-v0"], ["shell", "-c", script]):
        manage(site, *command)
    return site


def manage(env: dict[str, str], *command: str) -> str:
    """Run a management command on the site's own database; what it printed."""
    return subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=BASE_DIR,
        env={**os.environ, **env},
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    ).stdout


def story_url(env: dict[str, str]) -> str:
    script = (
        "from articles.models import Article;"
        "print(Article.objects.get(slug='budget-vote').get_absolute_url())"
    )
    return manage(env, "shell", "-v", "0", "-c", script).strip()


UNPUBLISH = (
    "from articles.models import Article;"
    "story = Article.objects.get(slug='budget-vote');"
    "story.status = 'draft'; story.save()"
)


@pytest.mark.services
class RedisStallTakedownTests(SimpleTestCase):
    """Redis stalls around an unpublish: the takedown still reaches readers within a second of
    Redis answering again, from another process than the one that wrote."""

    def setUp(self):
        port = free_port()
        server = subprocess.Popen(
            [need_program("redis-server"), "--port", str(port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        self.addCleanup(server.wait, 5)
        self.addCleanup(server.terminate)
        deadline = time.monotonic() + 5
        while True:
            try:
                redis.Redis(port=port).ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        self.proxy = StallingProxy(port)
        self.addCleanup(self.proxy.close)
        directory = Path(self.enterContext(tempfile.TemporaryDirectory()))
        self.env = site_with_one_story(
            directory, CACHE_URL=f"redis://127.0.0.1:{self.proxy.port}/0"
        )

    def test_the_takedown_survives_a_stall(self):
        with gunicorn(self.env, workers=2) as base_url:
            url = base_url + story_url(self.env)
            for _ in range(4):  # both workers have the page, and it is stored
                assert requests.get(url, timeout=5).status_code == 200
            self.proxy.flowing.clear()
            # The editor's process finds Redis stalled when it unpublishes.
            manage(self.env, "shell", "-c", UNPUBLISH)
            time.sleep(1)
            self.proxy.flowing.set()
            answered_at = time.monotonic()
            statuses = []
            while time.monotonic() < answered_at + 3:
                statuses.append((time.monotonic() - answered_at, requests.get(url, timeout=5)))
                time.sleep(0.05)
        late = [(round(t, 2), r.status_code) for t, r in statuses if t > 1 and r.status_code != 410]
        assert not late, late
        assert statuses[-1][1].status_code == 410


@pytest.mark.services
class NginxTakedownTests(SimpleTestCase):
    """The shipped nginx in front: a reader asking every second sees 410 within the page's
    max-age of the unpublish."""

    def setUp(self):
        self.nginx = shutil.which("nginx") or need_program("/usr/sbin/nginx")
        directory = Path(self.enterContext(tempfile.TemporaryDirectory()))
        # Redis, as in production: the editor's process and gunicorn's share the cache.
        redis_url = self.enterContext(redis_server())
        assert redis_url, "redis-server is missing"
        self.env = site_with_one_story(directory, CACHE_URL=redis_url)
        self.media = directory / "media"

    def test_an_unpublished_story_is_gone_within_max_age(self):
        from benchmarks.serve import nginx_config

        with gunicorn(self.env) as base_url:
            root = Path(self.enterContext(tempfile.TemporaryDirectory()))
            port, plain_port = free_port(), free_port()
            config = nginx_config(
                int(base_url.rsplit(":", 1)[1]),
                port,
                plain_port,
                root,
                Path(collected_static()),
                self.media,
            )
            process = subprocess.Popen(
                [self.nginx, "-c", str(config), "-g", "daemon off;"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            self.addCleanup(process.wait, 10)
            self.addCleanup(process.terminate)
            front = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 10
            while True:
                try:
                    requests.get(front + "/healthz", timeout=2)
                    break
                except requests.ConnectionError:
                    assert time.monotonic() < deadline, "nginx did not start"
                    time.sleep(0.1)
            path = story_url(self.env)
            for _ in range(3):
                assert requests.get(front + path, timeout=5).status_code == 200
            assert requests.get(front + path, timeout=5).headers["X-Cache-Status"] == "HIT"
            manage(self.env, "shell", "-c", UNPUBLISH)
            unpublished = time.monotonic()
            seen = []
            while time.monotonic() < unpublished + 3 * SHARED_MAX_AGE:
                response = requests.get(front + path, timeout=5)
                seen.append((round(time.monotonic() - unpublished, 1), response.status_code))
                if response.status_code == 410:
                    break
                time.sleep(1)  # a reader asking every second
            assert seen[-1][1] == 410, seen
            # Within the page's max-age, give or take the reader's second between requests.
            assert seen[-1][0] <= SHARED_MAX_AGE + 1, seen
            after = [requests.get(front + path, timeout=5).status_code for _ in range(5)]
            assert after == [410] * 5  # never the stored story again
