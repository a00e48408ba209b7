"""The edge in front of the site: the keys and lifetimes pages give it, and the purges every
write sends it — batched, hard for a takedown, kept and retried when the edge fails — against
local HTTP servers that answer like Varnish, Fastly's API and Cloudflare's API."""

import json
import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from io import StringIO
from unittest import mock

from django.core.management import call_command
from django.db import transaction
from django.tasks import TaskResultStatus, task_backends
from django.test import RequestFactory, TestCase, TransactionTestCase, override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from articles.models import Article
from newsroom.pagecache import edge, keys, pages
from newsroom.pagecache.models import EdgePurge, PendingBump
from newsroom.pagecache.pages import SHARED_MAX_AGE
from newsroom.weather import header
from tests.factories import make_article, make_author, make_section, make_user
from tests.helpers import BASE_DIR, DATABASE_TASKS, StoresPagesAtOnce, use_midday_zone


def control(response, header="Surrogate-Control") -> dict[str, int]:
    """A Cache-Control-like header's numeric directives."""
    found = {}
    for part in response.headers.get(header, "").split(","):
        name, _, value = part.strip().partition("=")
        if value.isdigit():
            found[name] = int(value)
    return found


class EdgeServer:
    """A local server answering like the edge's purge API; `answers` are popped in order (then
    200), each a status or (status, headers, body); every request is kept in `requests`."""

    def __init__(self, test: TestCase):
        self.server = HTTPServer(host="127.0.0.1", port=0)
        self.server.start()
        test.addCleanup(self.server.stop)
        self.answers: list = []
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.server.expect_request("/", method="PURGE").respond_with_handler(self.handle)
        self.server.expect_request("/service/svc-1/purge", method="POST").respond_with_handler(
            self.handle
        )
        self.server.expect_request("/zones/zone-1/purge_cache", method="POST").respond_with_handler(
            self.handle
        )
        self.url = self.server.url_for("/").rstrip("/")

    def handle(self, request: Request) -> Response:
        self.requests.append((request.method, request.path, dict(request.headers), request.data))
        answer = self.answers.pop(0) if self.answers else 200
        if callable(answer):
            return answer(request)
        status, headers, body = answer if isinstance(answer, tuple) else (answer, {}, b"")
        if not body and request.path.startswith("/zones/"):
            body = json.dumps({"success": status == 200, "errors": [], "result": {"id": "x"}})
        return Response(body or b"ok", status=status, headers=headers)

    def keys(self, index: int = -1) -> list[str]:
        method, path, headers, body = self.requests[index]
        if path.startswith("/zones/"):
            return json.loads(body)["tags"]
        header = headers.get("Surrogate-Key") or headers.get("Xkey-Purge")
        return (header or headers["Xkey-Softpurge"]).split()


@contextmanager
def committed(test: TestCase):
    """Run what the block left for its commit, as a commit does (a TestCase never commits),
    and forget it as a commit does."""
    connection = transaction.get_connection()
    start = len(connection.run_on_commit)
    with test.captureOnCommitCallbacks(execute=True) as callbacks:
        yield callbacks
    del connection.run_on_commit[start:]


def clean_slate() -> None:
    """Forget the purges (and commit callbacks) a test's setup left: they would never run."""
    EdgePurge.objects.all().delete()
    transaction.get_connection().run_on_commit.clear()


def varnish(server: EdgeServer, **extra):
    """An edge at `server`, each purge sent once (RepurgeTests sends them twice)."""
    return override_settings(
        **{
            "EDGE_PURGER": "varnish",
            "EDGE_KEYS_HEADER": "xkey",
            "EDGE_VARNISH_URLS": [server.url],
            "EDGE_REPURGE_SECONDS": 0,
            **extra,
        }
    )


@override_settings(
    PAGE_CACHE=True, EDGE_PURGER="varnish", EDGE_KEYS_HEADER="xkey", EDGE_REPURGE_SECONDS=0
)
class EdgeHeaderTests(StoresPagesAtOnce, TestCase):
    def setUp(self):
        super().setUp()
        use_midday_zone(self)
        self.story = make_article(headline="Budget vote", authors=[make_author()])

    def test_a_public_page_names_its_keys_and_a_long_lifetime_for_the_edge_only(self):
        path = self.story.get_absolute_url()
        for _ in range(2):  # built and stored, then answered from the page cache
            response = self.client.get(path)
            names = response.headers["xkey"].split()
            assert f"article:{self.story.pk}" in names
            assert f"section:{self.story.section_id}" in names and "every-page" in names
            lifetime = control(response)
            assert lifetime["max-age"] > 3000 and lifetime["stale-while-revalidate"] == 30
            assert sum(lifetime.values()) <= 3600
            assert control(response, "Cache-Control")["max-age"] <= SHARED_MAX_AGE
        assert response.headers["X-Page-Cache"] == "hit"

    def test_a_scheduled_change_caps_the_edge_lifetime(self):
        make_article(publish_at=timezone.now() + timedelta(seconds=120))
        for path in ("/", self.story.get_absolute_url()):
            lifetime = control(self.client.get(path))
            assert 100 <= sum(lifetime.values()) <= 120, (path, lifetime)
            assert lifetime["stale-while-revalidate"] <= lifetime["max-age"]

    def test_a_page_the_cache_did_not_store_is_not_kept_at_the_edge(self):
        with self.settings(PAGE_CACHE=False):
            response = self.client.get(self.story.get_absolute_url())
        assert f"article:{self.story.pk}" in response.headers["xkey"]  # still purged by key
        # Not even for the seconds browsers may keep it: the purge after it would miss it.
        assert response.headers["Surrogate-Control"] == "max-age=0"
        assert "max-age=" in response.headers["Cache-Control"]

    def test_the_previous_page_standing_in_is_not_kept_at_the_edge(self):
        page = pages.CachedPage(
            status=200,
            headers=[("Content-Type", "text/html; charset=utf-8")],
            body=b"<p>the previous page</p>",
            gzipped=None,
            etag='W/"previous"',
            last_modified=int(time.time()),
            expires_at=time.time() + 5,
            versions={},
            cache_control="",
            keys=("article:1", "listings"),
        )
        page.edge_until = time.time() + 3600
        request = RequestFactory().get("/")
        stored = pages.answer(request, page, time.time(), served="hit")
        assert control(stored)["max-age"] > 3000
        standing_in = pages.answer(request, page, time.time(), served="stale")
        assert standing_in.headers["Surrogate-Control"] == "max-age=0"
        assert standing_in.headers["xkey"] == "article:1 listings"

    def test_too_many_keys_for_the_header_means_no_long_lifetime(self):
        with mock.patch.object(edge, "MAX_KEYS_BYTES", 10):
            response = self.client.get(self.story.get_absolute_url())
        assert "xkey" not in response.headers and "Surrogate-Control" not in response.headers

    def test_staff_pages_name_nothing_to_the_edge(self):
        self.client.force_login(make_user("editor", superuser=True))
        response = self.client.get(self.story.get_absolute_url())
        assert "xkey" not in response.headers and "Surrogate-Control" not in response.headers
        assert "private" in response.headers["Cache-Control"]

    @override_settings(EDGE_PURGER="none", EDGE_KEYS_HEADER="")
    def test_without_an_edge_nothing_is_added(self):
        response = self.client.get(self.story.get_absolute_url())
        assert "xkey" not in response.headers and "Surrogate-Control" not in response.headers

    @override_settings(
        EDGE_PURGER="cloudflare",
        EDGE_KEYS_HEADER="Cache-Tag",
        EDGE_CONTROL_HEADER="Cloudflare-CDN-Cache-Control",
    )
    def test_cloudflare_reads_comma_separated_tags_and_its_own_lifetime_header(self):
        response = self.client.get(self.story.get_absolute_url())
        tags = response.headers["Cache-Tag"].split(", ")
        assert f"article:{self.story.pk}" in tags and " " not in "".join(tags)
        assert control(response, "Cloudflare-CDN-Cache-Control")["max-age"] > 3000
        assert "Surrogate-Control" not in response.headers


class PurgeTests(TestCase):
    """Writes purge exactly their keys, once their transaction commits, in one request."""

    def setUp(self):
        self.edge = EdgeServer(self)
        self.enterContext(varnish(self.edge))
        self.retries = []
        retry = mock.patch.object(edge, "retry_later", self.retries.append)
        retry.start()
        self.addCleanup(retry.stop)
        self.section, self.author = make_section(), make_author()
        clean_slate()

    def publish(self, story: Article) -> None:
        story.status = Article.Status.PUBLISHED
        story.publish_at = timezone.now() - timedelta(minutes=1)
        with committed(self):
            story.save()

    def test_a_publish_purges_its_keys_once_committed_in_one_soft_request(self):
        story = make_article(status="draft", section=self.section, authors=[self.author])
        clean_slate()
        with committed(self) as callbacks, transaction.atomic():
            story.status = Article.Status.PUBLISHED
            story.publish_at = timezone.now() - timedelta(minutes=1)
            story.save()
            story.tags.add("vot", "buget")
            assert self.edge.requests == []  # nothing before the commit
            assert EdgePurge.objects.count() >= 2  # kept with the write
        # One task for the whole transaction.
        assert [callback for callback in callbacks if callback is edge._after_commit] == [
            edge._after_commit
        ]
        assert len(self.edge.requests) == 1
        method, path, headers, _body = self.edge.requests[0]
        assert (method, path) == ("PURGE", "/")
        assert "Xkey-Purge" not in headers
        sent = set(self.edge.keys())
        assert {f"article:{story.pk}", "listings", f"section:{self.section.pk}"} <= sent
        assert f"author:{self.author.pk}" in sent
        assert {key for key in sent if key.startswith("tag:")} == {
            f"tag:{pk}" for pk in story.tags.values_list("pk", flat=True)
        }
        assert not EdgePurge.objects.exists()

    def assert_hard_purge_of(self, story: Article, write) -> None:
        self.edge.requests.clear()
        with committed(self):
            write()
        assert len(self.edge.requests) == 1
        headers = self.edge.requests[0][2]
        assert "Xkey-Purge" in headers and "Xkey-Softpurge" not in headers
        assert f"article:{story.pk}" in headers["Xkey-Purge"].split()

    def test_taking_a_story_down_purges_hard(self):
        story = make_article(section=self.section)
        clean_slate()
        self.assert_hard_purge_of(
            story, lambda: Article.objects.filter(pk=story.pk).update(status="draft")
        )
        self.publish(story)
        story.status = Article.Status.DRAFT
        self.assert_hard_purge_of(story, story.save)
        self.publish(story)
        self.assert_hard_purge_of(story, Article.objects.get(pk=story.pk).delete)

    def test_rescheduling_a_live_story_is_a_takedown_and_an_edit_is_not(self):
        story = make_article(section=self.section)
        clean_slate()
        with committed(self):
            story.headline = "A better headline"
            story.save()
        assert "Xkey-Softpurge" in self.edge.requests[-1][2]
        with committed(self):
            story.publish_at = timezone.now() + timedelta(hours=2)
            story.save()
        assert "Xkey-Purge" in self.edge.requests[-1][2]

    def test_a_rolled_back_write_purges_nothing(self):
        story = make_article(section=self.section)
        clean_slate()
        with committed(self):
            try:
                with transaction.atomic():
                    story.headline = "Never saved"
                    story.save()
                    raise RuntimeError
            except RuntimeError:
                pass
        assert self.edge.requests == [] and not EdgePurge.objects.exists()

    def test_many_keys_are_sent_in_batches(self):
        with committed(self):
            keys.bump(*(f"article:{n}" for n in range(250)))
        assert [len(self.edge.keys(n)) for n in range(3)] == [100, 100, 50]

    def test_a_hard_and_a_soft_purge_of_one_key_in_one_transaction_is_hard(self):
        with committed(self), transaction.atomic():
            keys.bump("article:1", "listings")
            keys.bump("article:1", takedown=True)
        hard, soft = (request[2] for request in self.edge.requests)
        assert hard["Xkey-Purge"] == "article:1" and soft["Xkey-Softpurge"] == "listings"

    def test_bumps_replayed_after_a_cache_outage_are_purged_again_hard(self):
        PendingBump.objects.create(keys=["article:7", "listings"])
        with committed(self):
            assert keys.replay_pending()
        assert sorted(self.edge.keys()) == ["article:7", "listings"]
        assert "Xkey-Purge" in self.edge.requests[-1][2]

    @override_settings(EDGE_PURGER="none")
    def test_no_edge_no_purge(self):
        with committed(self):
            keys.bump("article:1")
        assert self.edge.requests == [] and not EdgePurge.objects.exists()


class FailedPurgeTests(TestCase):
    """The edge fails: the purge is kept, with its error, and sent again; the save stands."""

    def setUp(self):
        self.edge = EdgeServer(self)
        self.enterContext(varnish(self.edge, EDGE_PURGE_TIMEOUT=0.5))
        self.retries: list[float] = []
        retry = mock.patch.object(edge, "retry_later", self.retries.append)
        retry.start()
        self.addCleanup(retry.stop)
        clean_slate()

    def write(self, *names: str) -> None:
        with committed(self):
            keys.bump(*names)

    def due_again(self) -> None:
        EdgePurge.objects.update(next_try_at=timezone.now() - timedelta(seconds=1))

    def test_a_500_is_retried_until_taken_never_lost(self):
        self.edge.answers = [500]
        self.write("article:1", "listings")
        kept = EdgePurge.objects.get()
        assert kept.tries == 1 and "HTTP 500" in kept.last_error
        assert kept.next_try_at > timezone.now() and self.retries == [1.0]
        self.write("article:2")  # the next write's task finds the first one not due yet
        assert sorted(self.edge.keys()) == ["article:2"]
        self.due_again()
        self.edge.answers = [503]
        self.write("article:3")
        assert self.retries == [1.0, 2.0]  # twice the wait after the second failure
        assert EdgePurge.objects.count() == 2
        self.due_again()
        self.write("article:4")
        assert sorted(self.edge.keys()) == ["article:1", "article:3", "article:4", "listings"]
        assert not EdgePurge.objects.exists()

    def test_a_429_waits_as_long_as_the_edge_asks(self):
        self.edge.answers = [(429, {"Retry-After": "120"}, b"slow down")]
        self.write("article:1")
        kept = EdgePurge.objects.get()
        assert self.retries == [120.0]
        assert timedelta(seconds=110) < kept.next_try_at - timezone.now() <= timedelta(seconds=120)

    def test_a_silent_edge_times_out_and_the_purge_is_kept(self):
        def stall(request):
            time.sleep(1.5)
            return Response("late")

        self.edge.answers = [stall]
        started = time.monotonic()
        self.write("article:1")
        assert time.monotonic() - started < 1.4
        assert EdgePurge.objects.get().tries == 1

    def test_an_edge_that_is_down_does_not_fail_the_save(self):
        with override_settings(EDGE_VARNISH_URLS=["http://127.0.0.1:9"]), committed(self):
            story = make_article(headline="Saved anyway")
        assert Article.objects.filter(pk=story.pk).exists()
        assert "ConnectionError" in EdgePurge.objects.first().last_error

    def test_every_varnish_is_purged_and_one_failing_keeps_the_batch(self):
        other = EdgeServer(self)
        other.answers = [500]
        with override_settings(EDGE_VARNISH_URLS=[self.edge.url, other.url]):
            self.write("article:1")
            assert len(self.edge.requests) == len(other.requests) == 1
            assert EdgePurge.objects.get().tries == 1
            self.due_again()
            self.write("article:2")
        assert sorted(other.keys()) == ["article:1", "article:2"]
        assert not EdgePurge.objects.exists()

    def test_an_oversized_answer_is_a_failure(self):
        self.edge.answers = [(200, {}, b"x" * 100_000)]
        self.write("article:1")
        assert EdgePurge.objects.get().tries == 1

    def test_the_task_reports_the_failure(self):
        self.edge.answers = [500]
        EdgePurge.objects.create(keys=["article:1"])
        result = edge.send_purges.enqueue()
        assert result.status == "FAILED"
        assert "PurgeError" in result.errors[0].exception_class_path


class RepurgeTests(TestCase):
    """Each purge goes again EDGE_REPURGE_SECONDS later, hard if it was hard: a page built just
    before the commit and stored by the edge just after the first purge does not stay."""

    def setUp(self):
        self.edge = EdgeServer(self)
        self.enterContext(varnish(self.edge, EDGE_REPURGE_SECONDS=0.3))
        self.later = []
        retry = mock.patch.object(edge, "retry_later", self.later.append)
        retry.start()
        self.addCleanup(retry.stop)
        clean_slate()

    def test_the_same_keys_go_again_a_moment_later(self):
        with committed(self):
            keys.bump("article:7", "listings")
            keys.bump("article:8", takedown=True)
        assert self.later == [0.3]  # the second pass, scheduled
        first = [
            (h.get("Xkey-Purge"), h.get("Xkey-Softpurge")) for _m, _p, h, _b in self.edge.requests
        ]
        assert first == [("article:8", None), (None, "article:7 listings")]
        assert EdgePurge.objects.count() == 2  # the second pass, not due yet
        assert edge.drain() == 0
        EdgePurge.objects.update(next_try_at=timezone.now())
        assert edge.drain() == 3
        again = [
            (h.get("Xkey-Purge"), h.get("Xkey-Softpurge"))
            for _m, _p, h, _b in self.edge.requests[2:]
        ]
        assert again == first
        assert not EdgePurge.objects.exists()


class RetryTests(TestCase):
    def test_with_a_backend_that_defers_a_task_is_enqueued_for_later(self):
        dummy = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
        with override_settings(TASKS=dummy):
            edge.retry_later(30)
            (result,) = task_backends["default"].results
        assert result.task.func is edge.send_purges.func
        waits = result.task.run_after - timezone.now()
        assert timedelta(seconds=25) < waits <= timedelta(seconds=30)

    def test_with_the_immediate_backend_a_timer_sends_them_later(self):
        with mock.patch("threading.Timer") as timer:
            edge.retry_later(4)
        timer.assert_called_once_with(4, edge._retry_here)
        timer.return_value.start.assert_called_once()


@override_settings(
    EDGE_PURGER="fastly",
    EDGE_FASTLY_SERVICE_ID="svc-1",
    EDGE_FASTLY_TOKEN="tok",
    EDGE_REPURGE_SECONDS=0,
)
class FastlyTests(TestCase):
    def setUp(self):
        self.edge = EdgeServer(self)
        self.enterContext(override_settings(EDGE_FASTLY_URL=self.edge.url))
        self.enterContext(mock.patch.object(edge, "retry_later"))

    def test_batch_purge_by_surrogate_key(self):
        with committed(self):
            keys.bump("article:1", "listings")
        method, path, headers, _body = self.edge.requests[0]
        assert (method, path) == ("POST", "/service/svc-1/purge")
        assert headers["Fastly-Key"] == "tok" and headers["Fastly-Soft-Purge"] == "1"
        assert sorted(headers["Surrogate-Key"].split()) == ["article:1", "listings"]
        with committed(self):
            keys.bump("article:1", takedown=True)
        assert "Fastly-Soft-Purge" not in self.edge.requests[1][2]

    def test_a_refused_token_is_kept(self):
        self.edge.answers = [(401, {}, b'{"msg":"Provided credentials are missing or invalid"}')]
        with committed(self):
            keys.bump("article:1")
        assert "HTTP 401" in EdgePurge.objects.get().last_error


@override_settings(
    EDGE_PURGER="cloudflare",
    EDGE_CLOUDFLARE_ZONE_ID="zone-1",
    EDGE_CLOUDFLARE_TOKEN="tok",
    EDGE_REPURGE_SECONDS=0,
)
class CloudflareTests(TestCase):
    def setUp(self):
        self.edge = EdgeServer(self)
        self.enterContext(override_settings(EDGE_CLOUDFLARE_URL=self.edge.url))
        self.enterContext(mock.patch.object(edge, "retry_later"))

    def test_purge_by_tags(self):
        with committed(self):
            keys.bump(*(f"article:{n}" for n in range(150)))
        assert [len(self.edge.keys(n)) for n in range(2)] == [100, 50]
        method, path, headers, body = self.edge.requests[0]
        assert (method, path) == ("POST", "/zones/zone-1/purge_cache")
        assert headers["Authorization"] == "Bearer tok"
        assert set(json.loads(body)) == {"tags"}

    def test_an_answer_that_does_not_say_success_is_a_failure(self):
        self.edge.answers = [
            (200, {}, b'{"success": false, "errors": [{"code": 1134, "message": "no"}]}'),
            (200, {}, b"<html>not json</html>"),
            (429, {"Retry-After": "5"}, b'{"success": false}'),
        ]
        for _ in range(3):
            with committed(self):
                keys.bump("article:1")
            EdgePurge.objects.update(next_try_at=None)
        assert EdgePurge.objects.count() == 3
        assert EdgePurge.objects.filter(last_error__contains="HTTP 429").count() == 3


class EdgeSettingsTests(TestCase):
    def settings_error(self, **env: str) -> str:
        result = subprocess.run(
            [sys.executable, "-c", "import newsroom.settings"],
            cwd=BASE_DIR,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
        )
        return result.stderr

    def test_an_unknown_purger_or_a_missing_address_stops_start_up(self):
        assert "EDGE_PURGER must be" in self.settings_error(EDGE_PURGER="akamai")
        assert "needs EDGE_VARNISH_URLS" in self.settings_error(EDGE_PURGER="varnish")
        assert "needs EDGE_FASTLY_SERVICE_ID" in self.settings_error(EDGE_PURGER="fastly")
        assert (
            self.settings_error(EDGE_PURGER="varnish", EDGE_VARNISH_URLS="http://127.0.0.1:6081")
            == ""
        )


class WorkerTests(TransactionTestCase):
    """Where a worker runs tasks (django-tasks-db), the purge is a task row written after the
    commit, sent by `manage.py db_worker`; a failure is a failed task for staff to see, and a
    deferred task sends it again. (The worker closes its connections between tasks, so these run
    outside a test transaction.)"""

    def setUp(self):
        self.edge = EdgeServer(self)
        self.enterContext(varnish(self.edge))
        self.enterContext(override_settings(TASKS=DATABASE_TASKS))

    def work(self) -> None:
        call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO())

    def sent_at_once(self) -> list[threading.Thread]:
        return [thread for thread in threading.enumerate() if thread.name == "edge-purge"]

    def test_the_writing_process_sends_the_purge_at_once_and_the_task_finds_it_sent(self):
        keys.bump("article:1", "home")
        for thread in self.sent_at_once():
            thread.join(timeout=10)
        assert self.edge.keys() == ["article:1", "home"]
        assert not EdgePurge.objects.exists()
        queued = DBTaskResult.objects.get()  # the durable path is still there
        self.work()
        queued.refresh_from_db()
        assert queued.status == TaskResultStatus.SUCCESSFUL and queued.return_value == 0
        assert len(self.edge.requests) == 1  # sent once

    @override_settings(EDGE_REPURGE_SECONDS=0.2)
    def test_the_writing_process_sends_the_second_pass_too_and_a_deferred_task_backs_it(self):
        keys.bump("article:3")
        for thread in self.sent_at_once():
            thread.join(timeout=10)
        assert [self.edge.keys(n) for n in range(2)] == [["article:3"], ["article:3"]]
        assert not EdgePurge.objects.exists()
        assert DBTaskResult.objects.filter(run_after__gt=timezone.now()).count() == 1

    def test_what_the_writing_process_could_not_send_the_task_sends(self):
        self.edge.answers = [503]
        with self.assertLogs("newsroom.pagecache.edge", "WARNING"):
            keys.bump("article:2")
            for thread in self.sent_at_once():
                thread.join(timeout=10)
        assert EdgePurge.objects.get().tries == 1
        EdgePurge.objects.update(next_try_at=timezone.now())
        self.work()
        assert self.edge.keys() == ["article:2"] and not EdgePurge.objects.exists()

    @override_settings(EDGE_PURGE_AT_ONCE=False)
    def test_the_worker_sends_the_purge_and_a_failure_is_retried_by_a_deferred_task(self):
        keys.bump("article:1")
        queued = DBTaskResult.objects.get()
        assert queued.task_path == "newsroom.pagecache.edge.send_purges"
        assert self.edge.requests == []  # nothing on the request path
        self.edge.answers = [500]
        with self.assertLogs("newsroom.pagecache.edge", "WARNING"):
            self.work()
        queued.refresh_from_db()
        assert queued.status == TaskResultStatus.FAILED
        retry = DBTaskResult.objects.exclude(pk=queued.pk).get()
        assert retry.status == TaskResultStatus.READY and retry.run_after > timezone.now()
        assert EdgePurge.objects.get().tries == 1
        DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
        EdgePurge.objects.update(next_try_at=timezone.now())
        self.work()
        retry.refresh_from_db()
        assert retry.status == TaskResultStatus.SUCCESSFUL
        assert self.edge.keys() == ["article:1"] and not EdgePurge.objects.exists()


@override_settings(
    PAGE_CACHE=True, EDGE_PURGER="varnish", EDGE_KEYS_HEADER="xkey", EDGE_REPURGE_SECONDS=0
)
class RevalidationTests(StoresPagesAtOnce, TestCase):
    def test_a_304_carries_the_lifetime_of_now(self):
        """Varnish revalidates a soft-purged copy with If-None-Match and keeps the 304's
        headers: a go-live scheduled since must cut the lifetime it then keeps."""
        use_midday_zone(self)
        # The header prints the moment a page is built, to the second: both builds print one.
        built_at = timezone.now()
        shown = header.header_context
        self.enterContext(
            mock.patch.object(
                header, "header_context", lambda site, **kwargs: shown(site, built_at, **kwargs)
            )
        )
        story = make_article(authors=[make_author()])
        first = self.client.get("/")
        assert control(first)["max-age"] > 3000
        make_article(publish_at=timezone.now() + timedelta(seconds=90), section=story.section)
        # The home page prints nothing of a story not live yet: the same page, a 304.
        again = self.client.get("/", HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304
        assert 60 < sum(control(again).values()) <= 90
        assert "listings" in again.headers["xkey"].split()
