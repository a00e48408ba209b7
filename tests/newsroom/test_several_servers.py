"""Two app servers, as two machines run the site: separate processes with separate local disks,
sharing a PostgreSQL primary and its streaming replica, Redis, object storage for media and one
task worker, behind Varnish (the shipped VCL, purged by key by whichever server took the write).
What an editor does through one is what readers get from the other and from the edge; one can
be stopped under load without a reader seeing an error or an edit being lost."""

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.test import SimpleTestCase
from django.utils import timezone

from benchmarks import serve
from tests.fake_weather import FakeWeather
from tests.helpers import BASE_DIR, collected_static, fields_of, need_program
from tests.newsroom.test_object_storage import jpeg

SETUP = """
from datetime import datetime
from django.contrib.auth import get_user_model
from newsroom.chrome.models import SiteSettings
from tests.factories import make_article
SiteSettings.load()
get_user_model().objects.create_superuser("chief", "chief@example.com", "pw")
make_article(headline="Podul de la Brăila se redeschide", slug="podul")
make_article(headline="Ședința de guvern de la ora zece", slug="guvern",
             publish_at=datetime.fromisoformat("{go_live}"))
"""


class Browser:
    """A staff member's requests to one server, cookies kept by hand (secure cookies over plain
    HTTP on loopback)."""

    def __init__(self, base: str):
        self.base = base
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        response = requests.request(
            method,
            self.base + path,
            cookies=self.cookies,
            timeout=30,
            allow_redirects=False,
            **kwargs,
        )
        self.cookies.update({name: value or "" for name, value in response.cookies.items()})
        return response

    def log_in(self) -> None:
        form = fields_of(self.request("GET", "/admin/login/").text)
        form |= {"username": "chief", "password": "pw", "next": "/admin/"}
        assert self.request("POST", "/admin/login/", data=form).status_code == 302


def seen_within(url: str, text: str, seconds: float, absent: bool = False) -> float:
    """How long until a reader's request to `url` shows `text` (or no longer does)."""
    started = time.monotonic()
    while True:
        response = requests.get(url, timeout=10)
        if (text in response.text) != absent and response.status_code in {200, 404, 410}:
            return time.monotonic() - started
        assert time.monotonic() - started < seconds, f"{url}: not within {seconds} s"
        time.sleep(0.02)


@pytest.mark.services
class SeveralServersTests(SimpleTestCase):
    GO_LIVE_SECONDS = 25  # after setup: migrations and two servers starting take a while

    def setUp(self):
        need_program("redis-server")
        self.varnish_program = serve.ensure_varnish()
        self.varnish_port = serve.free_port()
        pair = self.enterContext(serve.postgres_pair())
        redis_url = self.enterContext(serve.redis_server())
        storage = self.enterContext(serve.s3_server())
        self.weather = self.enterContext(FakeWeather())
        self.disks = [Path(self.enterContext(tempfile.TemporaryDirectory())) for _ in range(2)]
        shared = {
            **serve.site_environment(pair.primary_url, self.disks[0], redis_url),
            **storage,
            "STATIC_ROOT": collected_static(),
            "DATABASE_REPLICA_URLS": pair.replica_url,
            "DATABASE_REPLICA_MAX_LAG": "5",
            "STAFF_2FA_REQUIRED": "off",
            "WEATHER_URL": self.weather.url,
            "WEATHER_BACKGROUND_REFRESH": "1",
            "EDGE_PURGER": "varnish",
            "EDGE_VARNISH_URLS": f"http://127.0.0.1:{self.varnish_port}",
        }
        # Each server has its own disk; nothing the site stores may land there.
        self.envs = [shared, {**shared, "MEDIA_ROOT": str(self.disks[1] / "media")}]
        self.go_live = timezone.now() + timedelta(seconds=self.GO_LIVE_SECONDS)
        for arguments in (
            ["migrate", "--noinput", "-v0"],
            ["shell", "-c", SETUP.replace("{go_live}", self.go_live.isoformat())],
        ):
            subprocess.run(
                [sys.executable, "manage.py", *arguments],
                cwd=BASE_DIR,
                env={**os.environ, **shared, "DATABASE_REPLICA_URLS": ""},
                check=True,
            )
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--interval", "0.1", "--no-startup-delay"],
            cwd=BASE_DIR,
            env={**os.environ, **shared},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.addCleanup(serve.stop, worker)

    def test_what_one_server_takes_in_the_other_serves(self):
        with (
            serve.gunicorn(self.envs[0], workers=1) as (one, master_one),
            serve.gunicorn(self.envs[1], workers=1) as (other, _master_other),
        ):
            servers = [one, other]
            ports = [int(base.rsplit(":", 1)[1]) for base in servers]
            edge = self.enterContext(
                serve.varnishd(
                    self.varnish_program,
                    ports,
                    self.varnish_port,
                    Path(self.enterContext(tempfile.TemporaryDirectory())),
                )
            )
            story = re.search(r'href="(/[^"]*/podul/)"', requests.get(other + "/").text)
            assert story is not None
            story_path = story.group(1)

            # The weather: both servers notice there is no reading; the provider is asked once.
            with ThreadPoolExecutor(8) as pool:
                answers = list(
                    pool.map(
                        lambda base: requests.get(base + "/live/header.json", timeout=10),
                        servers * 12,
                    )
                )
            assert {answer.status_code for answer in answers} == {200}
            for base in servers:
                seen_within(base + "/live/header.json", '"temperature": 3', 15)
            assert self.weather.paths() == ["/v1/forecast"]

            # An edit through one server reaches readers of the other within a second.
            editor = Browser(one)
            editor.log_in()
            change = "/admin/articles/article/1/change/"
            form = fields_of(editor.request("GET", change).text)
            form |= {"headline": "Podul de la Brăila s-a redeschis", "_save": "Salvează"}
            assert editor.request("POST", change, data=form).status_code == 302
            seconds = seen_within(other + story_path, "Podul de la Brăila s-a redeschis", 1)
            print(f"an edit through one server shown by the other after {seconds:.3f} s")
            seen_within(other + "/", "Podul de la Brăila s-a redeschis", 1)
            seconds = seen_within(edge + story_path, "Podul de la Brăila s-a redeschis", 1)
            print(f"the same edit shown through Varnish after {seconds:.3f} s")

            # A photo uploaded to the library through one server is in the bucket; an author
            # given it is shown with it by the other.
            form = fields_of(editor.request("GET", "/admin/articles/picture/add/").text)
            form |= {"alt": "Ioana Popescu", "_continue": "Salvează și continuă editarea"}
            response = editor.request(
                "POST",
                "/admin/articles/picture/add/",
                data=form,
                files={"file": ("portret.jpg", jpeg(), "image/jpeg")},
            )
            assert response.status_code == 302, response.text[-2000:]
            picture = re.search(r"/picture/(\d+)/change/", response.headers["Location"]).group(1)
            form = fields_of(editor.request("GET", "/admin/articles/author/add/").text)
            form |= {"name": "Ioana Popescu", "slug": "ioana-popescu", "picture": picture}
            form |= {"_save": "Salvează"}
            response = editor.request("POST", "/admin/articles/author/add/", data=form)
            assert response.status_code == 302, response.text[-2000:]
            media = f"{self.envs[0]['MEDIA_ENDPOINT_URL']}/{serve.S3_BUCKET}/"
            seen_within(other + "/author/ioana-popescu/", media + "renditions/", 30)
            page = requests.get(other + "/author/ioana-popescu/", timeout=10).text
            addresses = re.findall(re.escape(media) + r'[^"\s,]+', page)
            assert addresses
            for address in addresses:
                picture = requests.get(address, timeout=10)
                assert picture.status_code == 200, address
                assert picture.headers["Content-Type"].startswith("image/"), address
            for disk in self.disks:
                stored = [path for path in disk.rglob("*") if path.is_file()]
                assert stored == [], stored

            # A scheduled story: on neither server before its time, on both right after.
            scheduled = f"/{self.go_live:%Y/%m/%d}/guvern/"
            for base in servers:
                assert requests.get(base + scheduled, timeout=10).status_code == 404
            wait = (self.go_live - timezone.now()).total_seconds()
            assert wait > 0, "setup took longer than the scheduled story's lead"
            time.sleep(wait)
            for base in [*servers, edge]:
                late = seen_within(base + "/", "Ședința de guvern de la ora zece", 1)
                print(f"scheduled story on the home page of {base} {late:.3f} s after its time")

            # Readers through Varnish while one server is stopped; the editor works on the other.
            self.stop_one_under_load(edge, servers, master_one, story_path)

    def stop_one_under_load(self, edge: str, servers: list[str], first, story_path: str) -> None:
        answers: list[int] = []
        stopping = threading.Event()

        def reader(number: int) -> None:
            paths = ["/", story_path, "/search/?q=pod"]
            attempt = 0
            while not stopping.is_set():
                attempt += 1
                # A search no one asked before goes to an app server whatever the edge holds.
                for path in [*paths, f"/search/?q=brăila{number}x{attempt}"]:
                    answers.append(requests.get(edge + path, timeout=30).status_code)

        editor = Browser(servers[1])
        editor.log_in()
        change = "/admin/articles/article/1/change/"
        with ThreadPoolExecutor(6) as pool:
            readers = [pool.submit(reader, number) for number in range(6)]
            time.sleep(2)
            serve.stop(first)  # SIGTERM: in-flight requests finish, new ones are refused
            for edit in range(3):
                form = fields_of(editor.request("GET", change).text)
                headline = f"Podul de la Brăila, ediția {edit}"
                form |= {"headline": headline, "_save": "Salvează"}
                assert editor.request("POST", change, data=form).status_code == 302
                seconds = seen_within(edge + story_path, headline, 1)
                print(f"edit {edit} with one server stopped, through Varnish after {seconds:.3f} s")
            time.sleep(1)
            stopping.set()
            for done in readers:
                done.result()
        assert first.poll() is not None
        counted = {status: answers.count(status) for status in set(answers)}
        print(f"{len(answers)} reader requests through Varnish while a server stopped: {counted}")
        assert set(answers) == {200}, counted
