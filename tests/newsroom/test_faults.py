"""Faults while the site serves: the weather provider, PostgreSQL, Redis, the disk, and two
people at once. Readers never see a stack trace; editors never lose a story.

The PostgreSQL test restarts the server (`pg_ctlcluster` as root), which every database on
it — other people's test runs included — goes through: it runs only where
NEWSROOM_FAULT_TESTS=1 or CI=true says it may, and is skipped, saying so, elsewhere.
"""

import contextlib
import errno
import os
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from unittest import mock

import psycopg
import pytest
import redis
import requests
from django.conf import settings
from django.core.cache import cache, caches
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test import Client, SimpleTestCase, TestCase, TransactionTestCase, override_settings
from django.urls import reverse

from articles.admin import ArticleAdmin
from articles.models import Article, Picture
from newsroom.chrome.models import SiteSettings
from newsroom.pagecache import pages
from newsroom.weather import refresh
from newsroom.weather.models import WeatherRefresh
from tests.factories import image_bytes, make_article, make_picture, make_section, make_user
from tests.fake_weather import FakeWeather, unreachable_url
from tests.helpers import (
    BASE_DIR,
    PRODUCTION_ENV,
    errors,
    form_data,
    free_port,
    gunicorn,
    make_reading,
    need_program,
)

# --- The weather provider ----------------------------------------------------------------------


@pytest.mark.usefixtures("fake_weather")
class WeatherProviderFaultTests(TransactionTestCase):
    """Down, slow or talking nonsense: pages are served at once, with the last good reading.

    Transactional: the refresh runs in a background thread with its own connection.
    """

    fake: FakeWeather

    def setUp(self):
        SiteSettings(pk=1, language="en").save()
        self.story = make_article(headline="Council passes the budget")
        make_reading(minutes_old=90, temperature_c=-3)  # old enough to start a refresh
        self.enterContext(
            override_settings(WEATHER_URL=self.fake.url, WEATHER_BACKGROUND_REFRESH=True)
        )

    def assert_pages_unaffected(self):
        with self.assertLogs("newsroom.weather", "WARNING") as logs:
            for url in ["/", self.story.get_absolute_url(), reverse("live-header")]:
                started = time.monotonic()
                response = self.client.get(url)
                assert response.status_code == 200, url
                assert time.monotonic() - started < 1, url  # nobody waits for the provider
                body = response.content.decode()
                assert "-3" in body
                if url != reverse("live-header"):
                    assert "Council passes the budget" in body
            refresh.wait_for_background_refresh()
        assert len(logs.records) == 1, logs.output  # the failure is logged, once…
        assert WeatherRefresh.objects.get().failures == 1  # …and the refresh backs off
        assert self.client.get("/").status_code == 200

    def test_provider_down(self):
        with self.settings(WEATHER_URL=unreachable_url()):
            self.assert_pages_unaffected()

    def test_provider_slow(self):
        self.fake.fault = "sleep"
        self.fake.sleep_seconds = 10
        self.assert_pages_unaffected()

    def test_provider_answers_an_error(self):
        self.fake.fault = "status"
        self.fake.fault_status = 502
        self.assert_pages_unaffected()

    def test_provider_answers_garbage(self):
        for garbage in [
            b"<html>Service Unavailable</html>",
            b'{"current": {"temperature_2m": "hot"}}',
            b"\x00\xff" * 50,
        ]:
            self.fake.fault = "body"
            self.fake.fault_body = garbage
            # No backoff, gate or stored page left from the previous answer.
            WeatherRefresh.objects.all().delete()
            cache.clear()
            self.assert_pages_unaffected()


# --- PostgreSQL restarted while the site serves --------------------------------------------------


def postgres_server() -> dict:
    """Where the PostgreSQL server is: the suite's own when it runs on PostgreSQL."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.postgresql":
        return {
            "host": db["HOST"] or "127.0.0.1",
            "port": int(db["PORT"] or 5432),
            "user": db["USER"] or "postgres",
            "password": db["PASSWORD"] or None,
        }
    return {"host": "127.0.0.1", "port": 5432, "user": "postgres", "password": None}


def pg_cluster(action: str) -> None:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(
        [need_program("pg_ctlcluster"), "--skip-systemctl-redirect", version, "main", action],
        check=True,
        capture_output=True,
        timeout=60,
    )


def fault_tests_allowed() -> None:
    if os.environ.get("NEWSROOM_FAULT_TESTS") != "1" and os.environ.get("CI") != "true":
        pytest.skip(
            "restarts the PostgreSQL server that other test runs share; "
            "run with NEWSROOM_FAULT_TESTS=1 (CI does, with CI=true)"
        )
    if not Path("/etc/postgresql").is_dir() or os.geteuid() != 0:
        message = "needs a local PostgreSQL cluster and root to restart it"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.mark.services
class PostgresRestartTests(SimpleTestCase):
    """Requests during the outage get the friendly 503; the site recovers by itself."""

    def setUp(self):
        fault_tests_allowed()
        server = postgres_server()
        self.name = f"newsroom_faults_{uuid.uuid4().hex[:8]}"
        auth = f"{server['user']}:{server['password']}@" if server["password"] else ""
        self.url = f"postgres://{auth or server['user'] + '@'}{server['host']}:{server['port']}"
        self.admin_dsn = dict(server, dbname="postgres")
        with psycopg.connect(**self.admin_dsn, autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{self.name}"')
        self.addCleanup(self.drop_database)
        env = {**os.environ, **PRODUCTION_ENV, "DATABASE_URL": f"{self.url}/{self.name}"}
        for command in (
            ["migrate", "--noinput", "-v0"],
            [
                "shell",
                "-c",
                "from tests.factories import make_article; "
                "make_article(slug='still-here', headline='Still here')",
            ],
        ):
            subprocess.run(
                [sys.executable, "manage.py", *command], cwd=BASE_DIR, env=env, check=True
            )

    def drop_database(self):
        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(**self.admin_dsn, autocommit=True) as db:
                    db.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def tearDown(self):
        # The suite's own connections (and pool) died with the server: start afresh.
        for alias in connections:
            conn = connections[alias]
            if getattr(conn, "pool", None) is not None:
                conn.close_pool()
            conn.close()

    def test_outage_gives_503_and_the_site_recovers_by_itself(self):
        env = {"DATABASE_URL": f"{self.url}/{self.name}", "PAGE_CACHE": "0"}
        with gunicorn(env, workers=2) as base_url:
            story = requests.get(f"{base_url}/", timeout=10)
            assert story.status_code == 200 and "Still here" in story.text
            assert requests.get(f"{base_url}/healthz", timeout=10).json()["database"] == "ok"

            pg_cluster("stop")
            try:
                outage = [requests.get(f"{base_url}/", timeout=15) for _ in range(4)]
                health = requests.get(f"{base_url}/healthz", timeout=15)
            finally:
                pg_cluster("start")
            for response in outage:
                assert response.status_code == 503, response.status_code
                assert response.headers["Retry-After"] == "10"
                assert "Traceback" not in response.text
                assert "<h1>" in response.text  # the friendly page, not a bare error
            assert health.status_code == 503
            assert health.json() == {"status": "degraded", "database": "unavailable"}

            # Nobody restarts gunicorn: the pools let go of dead connections by themselves. Each
            # worker's pool reconnects on its own, retrying after 1, 2, 4… seconds: a worker may
            # answer 503 (Retry-After: 10) for some seconds after another is back, so the site
            # and its health check are asked together until both have answered again and again.
            statuses = []
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                page = requests.get(f"{base_url}/", timeout=15)
                health = requests.get(f"{base_url}/healthz", timeout=15)
                statuses += [page.status_code, health.status_code]
                if statuses[-8:] == [200] * 8:
                    break
                time.sleep(0.2)
            assert statuses[-8:] == [200] * 8, statuses
            assert set(statuses) <= {200, 503}, statuses
            assert "Still here" in page.text and health.json()["database"] == "ok"


# --- Redis stopped while the site serves ----------------------------------------------------------


def start_redis(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [need_program("redis-server"), "--port", str(port), "--bind", "127.0.0.1"]
        + ["--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            # Ours answers, not another program that took the port (then ours has exited).
            reply = redis.Redis(port=port, socket_timeout=0.5).info("server")
            if process.poll() is None and reply["process_id"] == process.pid:
                return process
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"redis-server did not start on port {port}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(5)


@pytest.mark.services
class RedisOutageTests(TestCase):
    """Pages keep coming, uncached, with a warning; the cache is used again when Redis is back."""

    def setUp(self):
        SiteSettings(pk=1, language="en").save()
        for _attempt in range(3):  # a free port can be taken by someone else meanwhile
            self.port = free_port()
            with contextlib.suppress(RuntimeError):
                self.redis = start_redis(self.port)
                break
        else:
            raise RuntimeError("could not start redis-server")
        self.addCleanup(lambda: self.redis.poll() is not None or stop(self.redis))
        url = f"redis://127.0.0.1:{self.port}/0"
        self.enterContext(override_settings(CACHES={"default": self.cache_config(url)}))
        self.story = make_article(headline="First version")

    @staticmethod
    def cache_config(url: str) -> dict:
        from newsroom.settings import cache_from_url

        return cache_from_url(url)

    def keys_in_redis(self) -> int:
        return redis.Redis(port=self.port).dbsize()

    def get_story(self):
        response = self.client.get(self.story.get_absolute_url())
        assert response.status_code == 200
        return response

    def settle(self):
        # A page is not stored in the half second after a write it depends on (the page
        # cache's guard against rows read before a commit); the story was just saved.
        time.sleep(pages.SETTLE_NS / 1e9 + 0.1)

    def test_pages_survive_redis_going_away_and_use_it_again_when_it_returns(self):
        self.settle()
        assert self.get_story()["X-Page-Cache"] == "miss"
        assert self.get_story()["X-Page-Cache"] == "hit"
        assert self.keys_in_redis() > 0

        stop(self.redis)
        with self.assertLogs("newsroom.pagecache.backend", "WARNING") as logs:
            first = self.get_story()
            Article.objects.filter(pk=self.story.pk).update(headline="Second version")
            second = self.get_story()
        assert "serving uncached" in logs.output[0]
        assert len(logs.records) == 1  # one warning for the outage, not one per request
        assert first.get("X-Page-Cache") is None and second.get("X-Page-Cache") is None  # uncached
        assert "Second version" in second.content.decode()  # rendered afresh, nothing stale

        self.redis = start_redis(self.port)
        # The cache leaves Redis alone for a few seconds after a failure; let them pass.
        caches["default"]._down_until = 0.0
        self.settle()
        with self.assertLogs("newsroom.pagecache.backend", "WARNING") as logs:
            assert self.get_story()["X-Page-Cache"] == "miss"
        assert "reachable again" in logs.output[0]
        assert self.get_story()["X-Page-Cache"] == "hit"
        assert self.keys_in_redis() > 0
        assert "Second version" in self.get_story().content.decode()


# --- The disk is full when an editor uploads a picture to the library ----------------------------


class FullDiskStorage(FileSystemStorage):
    """A file system storage on a disk with no room left."""

    def _save(self, name, content):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), name)


class RenditionsFullDiskStorage(FileSystemStorage):
    """Room for the upload, none left for its renditions."""

    def _save(self, name, content):
        if name.startswith("renditions/"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), name)
        return super()._save(name, content)


class StorageFailureTests(TestCase):
    def setUp(self):
        SiteSettings(pk=1, language="en").save()
        self.media = Path(settings.MEDIA_ROOT)  # the test's own (tests/conftest.py)
        self.client.force_login(make_user("editor", group="Editor"))
        self.story = make_article(headline="Storm hits the coast", body="<p>Old body.</p>")
        self.url = reverse("admin:articles_picture_add")
        self.typed = {
            "alt": "Waves over the promenade, three metres high",
            "caption": "Constanța, Tuesday: three hours of reporting that must not be lost.",
            "credit": "Jane Doe",
        }

    def storage(self, backend: str):
        return override_settings(
            STORAGES={**settings.STORAGES, "default": {"BACKEND": backend}},
        )

    def files_left(self) -> list[str]:
        return [str(path) for path in self.media.rglob("*") if path.is_file()]

    def post(self, data: dict, url: str = ""):
        photo = SimpleUploadedFile("storm.jpg", image_bytes((300, 200)), "image/jpeg")
        return self.client.post(url or self.url, data | {"file": photo})

    def assert_refused_and_kept(self, response):
        assert response.status_code == 200
        assert errors(response) == {"file": ["storage"]}
        message = response.context["adminform"].form.errors["file"][0]
        assert "No space left on device" in message and "nothing was saved" in message
        html = response.content.decode()
        for value in self.typed.values():
            assert f'value="{value}"' in html
        assert not Picture.objects.exists()
        assert self.files_left() == []

    def test_disk_full_for_the_upload(self):
        data = form_data(self.client.get(self.url)) | self.typed
        with self.storage("tests.newsroom.test_faults.FullDiskStorage"):
            response = self.post(data)
        self.assert_refused_and_kept(response)
        # Room again: the form as it came back, with the file chosen again, saves.
        with self.storage("django.core.files.storage.FileSystemStorage"):
            response = self.post(form_data(response))
        assert response.status_code == 302, errors(response)
        stored = Picture.objects.get()
        assert stored.alt == self.typed["alt"] and stored.file

    def test_disk_full_when_the_file_is_replaced(self):
        picture = make_picture(alt="Old words")
        change = reverse("admin:articles_picture_change", args=[picture.pk])
        data = form_data(self.client.get(change)) | self.typed
        before = set(self.files_left())
        with self.storage("tests.newsroom.test_faults.FullDiskStorage"):
            response = self.post(data, change)
        assert response.status_code == 200
        assert errors(response) == {"file": ["storage"]}
        stored = Picture.objects.get()
        assert stored.alt == "Old words" and stored.file.name == picture.file.name
        assert set(self.files_left()) == before

    def test_disk_full_for_the_renditions(self):
        # Renditions are made off the request path: the picture is saved, the task fails (and
        # is kept, failed, for staff to see), pages show the upload meanwhile.
        data = form_data(self.client.get(self.url)) | self.typed
        with (
            self.storage("tests.newsroom.test_faults.RenditionsFullDiskStorage"),
            self.assertLogs("django.tasks", "ERROR"),
        ):
            response = self.post(data)
        assert response.status_code == 302, errors(response)
        picture = Picture.objects.get()
        assert not picture.renditions
        assert not [name for name in self.files_left() if "/renditions/" in name]
        Article.objects.filter(pk=self.story.pk).update(picture=picture)
        self.client.logout()
        page = self.client.get(self.story.get_absolute_url()).content.decode()
        assert f'src="{picture.file.url}"' in page


# --- Two people at the same moment --------------------------------------------------------------


class SimultaneousSaveTests(TransactionTestCase):
    """Real concurrent requests (threads with their own connections) racing for one row."""

    def setUp(self):
        SiteSettings(pk=1, language="en").save()
        self.section = make_section()
        # Superusers: a transactional test starts without the groups the migrations made.
        self.users = [make_user("alice", superuser=True), make_user("bob", superuser=True)]

    def run_together(self, requests_to_make):
        """Send the requests at once; each save waits for the other's before writing."""
        barrier = threading.Barrier(len(requests_to_make), timeout=3)
        real_save_model = ArticleAdmin.save_model

        def save_model_together(model_admin, request, obj, form, change):
            # Both validated; now both write. SQLite lets one writer in at a time (the other
            # waits at BEGIN), so the wait gives up there and the writes simply queue.
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()
            return real_save_model(model_admin, request, obj, form, change)

        def send(job):
            user, url, data = job
            client = Client()
            client.force_login(user)
            try:
                return client.post(url, data)
            finally:
                if threading.current_thread() is not threading.main_thread():
                    connection.close()  # this thread's own connection

        if connection.vendor == "sqlite":
            # SQLite admits one writer at a time, and its in-memory test database cannot be
            # shared by threads: there the second request simply comes after the first.
            return [send(job) for job in requests_to_make]
        with (
            mock.patch.object(ArticleAdmin, "save_model", save_model_together),
            ThreadPoolExecutor(len(requests_to_make)) as pool,
        ):
            return list(pool.map(send, requests_to_make))

    def test_two_stories_with_the_same_slug_at_the_same_moment(self):
        add = reverse("admin:articles_article_add")
        client = Client()
        client.force_login(self.users[0])
        blank = form_data(client.get(add))
        jobs = [
            (
                user,
                add,
                blank
                | {
                    "headline": f"Storm story by {user.username}",
                    "slug": "storm",
                    "body": f"<p>Written by {user.username}.</p>",
                    "section": str(self.section.pk),
                },
            )
            for user in self.users
        ]
        responses = self.run_together(jobs)
        assert sorted(response.status_code for response in responses) == [200, 302]
        refused = next(response for response in responses if response.status_code == 200)
        assert errors(refused) == {"slug": ["unique"]}
        assert "Written by" in refused.content.decode()  # the loser's text is on screen
        assert Article.objects.filter(slug="storm").count() == 1

    def test_two_editors_save_the_same_story_at_the_same_moment(self):
        story = make_article(section=self.section, headline="Original")
        url = reverse("admin:articles_article_change", args=[story.pk])
        client = Client()
        client.force_login(self.users[0])
        loaded = form_data(client.get(url))
        jobs = [
            (user, url, loaded | {"headline": f"Headline by {user.username}"})
            for user in self.users
        ]
        responses = self.run_together(jobs)
        assert sorted(response.status_code for response in responses) == [200, 302]
        refused = next(response for response in responses if response.status_code == 200)
        assert errors(refused) == {"__all__": ["stale"]}
        winner = next(
            user.username
            for user, response in zip(self.users, responses, strict=True)
            if response.status_code == 302
        )
        story.refresh_from_db()
        assert story.headline == f"Headline by {winner}"  # the saved one is kept, whole
        assert story.version == loaded_version(loaded) + 1


def loaded_version(data: dict) -> int:
    return int(data["loaded_version"])
