"""/metrics: off unless configured, never public, counts per page type and page-cache outcome,
state read from the database, and every gunicorn worker's counts in one scrape."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import requests
from django.core.cache import cache
from django.test import SimpleTestCase, TestCase, override_settings
from prometheus_client.parser import text_string_to_metric_families

from benchmarks import serve
from benchmarks.serve import redis_server, site_environment
from newsroom.metrics import page_type
from newsroom.pagecache.models import EdgePurge
from tests.factories import make_article
from tests.helpers import BASE_DIR, StoresPagesAtOnce, collected_static, make_reading, need_program

TOKEN = "s3cret-token-for-tests"


def samples(text: str) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def requests_counted(text: str, **labels: str) -> float:
    return sum(
        value
        for (name, found), value in samples(text).items()
        if name == "newsroom_requests_total" and set(labels.items()) <= set(found)
    )


class AccessTests(TestCase):
    def test_absent_unless_configured(self):
        assert self.client.get("/metrics").status_code == 404

    @override_settings(METRICS_TOKEN=TOKEN)
    def test_a_token_opens_it_and_nothing_else_does(self):
        for header in ("", "Bearer wrong", f"Bearer {TOKEN}x", TOKEN, f"bearer  {TOKEN}"):
            with self.subTest(header=header):
                response = self.client.get("/metrics", HTTP_AUTHORIZATION=header)
                assert response.status_code == 403
        response = self.client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain; version=")
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]

    @override_settings(METRICS_ALLOWED_ADDRESSES=["10.20.0.0/16"], TRUSTED_PROXIES=[])
    def test_an_allowed_network_opens_it_and_a_forged_forward_does_not(self):
        assert self.client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
        assert self.client.get("/metrics", REMOTE_ADDR="10.21.3.4").status_code == 403
        forged = self.client.get(
            "/metrics", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="10.20.3.4"
        )
        assert forged.status_code == 403

    @override_settings(METRICS_TOKEN=TOKEN)
    def test_only_get_and_head(self):
        response = self.client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 405


@override_settings(METRICS_TOKEN=TOKEN, PAGE_CACHE=True)
class CountingTests(StoresPagesAtOnce, TestCase):
    def setUp(self):
        super().setUp()
        cache.clear()
        self.story = make_article(headline="Podul de la Brăila", slug="podul")

    def scrape(self) -> str:
        response = self.client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        return response.content.decode()

    def test_pages_by_type_and_page_cache_outcome(self):
        before = self.scrape()
        url = self.story.get_absolute_url()
        for _ in range(3):
            assert self.client.get(url).status_code == 200
        assert self.client.get("/nu-exista/deloc/").status_code == 404
        after = self.scrape()
        story = page_type(url)
        assert story != "not_found"

        def grew(**labels: str) -> float:
            return requests_counted(after, **labels) - requests_counted(before, **labels)

        assert grew(page=story, cache="miss", status="2xx") == 1
        assert grew(page=story, cache="hit", status="2xx") == 2
        assert grew(page="not_found", status="4xx") == 1
        latency = samples(after)
        assert latency[("newsroom_request_seconds_count", (("page", story),))] >= 3

    def test_unknown_addresses_share_one_label(self):
        for path in ("/a/", "/b/%00/", "/x" * 300, "/ș/ț/"):
            self.client.get(path)
        labels = {
            dict(found)["page"]
            for (name, found), _value in samples(self.scrape()).items()
            if name == "newsroom_requests_total"
        }
        assert "not_found" in labels
        assert not any(label.startswith("/") for label in labels)

    def test_state_from_the_database(self):
        make_reading(minutes_old=10)
        found = samples(self.scrape())
        age = found[("newsroom_weather_reading_age_seconds", ())]
        assert 590 <= age <= 660
        assert found[("newsroom_page_cache_held_bumps", ())] == 0
        assert found[("newsroom_edge_purges_waiting", (("state", "failing"),))] == 0
        EdgePurge.objects.create(keys=["article:1"], tries=2)
        EdgePurge.objects.create(keys=["article:2"])
        found = samples(self.scrape())
        assert found[("newsroom_edge_purges_waiting", (("state", "failing"),))] == 1
        assert found[("newsroom_edge_purges_waiting", (("state", "queued"),))] == 1


@pytest.mark.services
class SeveralWorkersTests(SimpleTestCase):
    """Two gunicorn workers: one scrape, whichever worker answers it, counts both."""

    def test_every_workers_requests_in_one_scrape(self):
        need_program("redis-server")
        directory = Path(self.enterContext(tempfile.TemporaryDirectory()))
        redis_url = self.enterContext(redis_server())
        env = {
            **site_environment(f"sqlite:///{directory / 'site.sqlite3'}", directory, redis_url),
            "STATIC_ROOT": collected_static(),
            "METRICS_TOKEN": TOKEN,
        }
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=BASE_DIR,
            env={**os.environ, **env},
            check=True,
        )
        with serve.gunicorn(env, workers=2) as (base, _master):
            for _ in range(40):
                assert requests.get(base + "/healthz", timeout=10).status_code == 200
            scrapes = [
                requests.get(
                    base + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
                ).text
                for _ in range(4)
            ]
        for text in scrapes:
            assert requests_counted(text, page="healthz") == 40
