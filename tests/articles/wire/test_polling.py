"""poll_wires: drop folders and HTTP(S) sources on their intervals, credentials sent but never
shown, an overall deadline against a trickling server, and 1,000 new items within a minute."""

import io
import json
import logging
import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.tasks import TaskResultStatus
from django.test import TestCase, TransactionTestCase, override_settings
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult
from pytest_httpserver import HTTPServer
from werkzeug import Response

from articles.models import Article, WireItem, WireService, WireSource
from articles.wire import polling
from articles.wire.polling import FetchFailed, fetch
from tests.articles.wire.helpers import sample
from tests.factories import make_section
from tests.helpers import DATABASE_TASKS

TASK_PATH = "articles.wire.tasks.poll_wire_source"


def poll(*args) -> tuple[list[str], str, int]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("poll_wires", *args, stdout=out, stderr=err)
        code = 0
    except CommandError:
        code = 1
    return out.getvalue().splitlines(), err.getvalue(), code


class PollingTests(TestCase):
    def setUp(self):
        self.enterContext(translation.override("en"))
        self.reuters = WireService.objects.get(slug="reuters")
        self.folder = Path(self.enterContext(tempfile.TemporaryDirectory()))
        self.server = HTTPServer(host="127.0.0.1", port=0)
        self.server.start()
        self.addCleanup(self.server.stop)
        self.addCleanup(self.server.clear)

    def folder_source(self, **fields) -> WireSource:
        defaults = {"service": self.reuters, "name": "Drop", "kind": "folder"}
        return WireSource.objects.create(**(defaults | {"location": str(self.folder)} | fields))

    def test_drop_folder_files_are_read_once_and_moved(self):
        self.folder_source()
        (self.folder / "a.json").write_bytes(sample("ninjs1-text.json"))
        (self.folder / "bomb.xml").write_bytes(sample("billion-laughs.xml"))
        lines, err, code = poll()
        assert code == 0, err
        assert lines[0].startswith("new Drop/a.json urn:newsml:example-agency.ro")
        assert lines[1].startswith("refused Drop/bomb.xml: hostile XML refused")
        assert (self.folder / "done" / "a.json").exists()
        assert (self.folder / "refused" / "bomb.xml").exists()
        assert WireItem.objects.count() == 1
        # Not due again yet; when due, the folder is empty.
        assert poll() == ([], "", 0)
        WireSource.objects.update(last_polled_at=timezone.now() - timedelta(minutes=6))
        assert poll() == ([], "", 0)

    def test_auto_publish_only_by_an_explicit_rule_per_source_and_section(self):
        self.folder_source()
        (self.folder / "a.json").write_bytes(sample("ninjs1-text.json"))
        poll()
        assert not Article.objects.exists()  # no rule: the item waits for an editor
        other = Path(self.enterContext(tempfile.TemporaryDirectory()))
        section = make_section(name="Flux", slug="flux")
        self.folder_source(name="Auto", location=str(other), auto_publish_section=section)
        (other / "list.json").write_bytes(sample("ninjs2-list.json"))
        lines, err, code = poll()
        assert code == 0 and all("published automatically in Flux" in line for line in lines)
        now_live, embargoed = Article.objects.order_by("pk")
        assert now_live.is_published() and now_live.section == section
        assert (
            now_live.wire_service == self.reuters and now_live.wire_story_id == "urn:example:list-1"
        )
        # An embargoed item goes out at its embargo, not before.
        assert embargoed.is_scheduled() and embargoed.publish_at.year == 2030

    def test_http_source_with_bearer_token_from_the_environment(self):
        secret = "tok-" + "x" * 20
        self.server.expect_request(
            "/feed", headers={"Authorization": f"Bearer {secret}"}
        ).respond_with_data(sample("ninjs2-list.json"), content_type="application/json")
        WireSource.objects.create(
            service=self.reuters,
            name="Feed",
            kind="url",
            location=self.server.url_for("/feed"),
            auth="bearer",
            credentials_env="WIRE_TEST_TOKEN",
        )
        with (
            mock.patch.dict(os.environ, {"WIRE_TEST_TOKEN": secret}),
            self.assertNoLogs("articles", logging.DEBUG),
        ):
            lines, err, code = poll()
        assert code == 0, err
        assert [line.split()[0] for line in lines] == ["new", "new"]
        assert secret not in "".join(lines) + err

    def test_basic_credentials_stored_and_a_refused_login_is_an_unreadable_source(self):
        self.server.expect_request(
            "/rss", headers={"Authorization": "Basic dXNlcjpwYXNz"}
        ).respond_with_data(sample("rss.xml"), content_type="application/rss+xml")
        self.server.expect_request("/locked").respond_with_data("no", status=401)
        good = WireSource.objects.create(
            service=self.reuters,
            name="Small",
            kind="url",
            location=self.server.url_for("/rss"),
            auth="basic",
            stored_credentials="user:pass",
        )
        WireSource.objects.create(
            service=self.reuters, name="Locked", kind="url", location=self.server.url_for("/locked")
        )
        self.folder_source(name="Missing", location="/no/such/folder")
        lines, err, code = poll()
        assert code == 1  # a source could not be read: cron mails it
        assert "unreadable Locked: HTTP status 401" in err
        assert "unreadable Missing: no such folder" in err
        assert "user:pass" not in err and "dXNlcjpwYXNz" not in err
        assert len([line for line in lines if line.startswith("new Small/")]) == 2
        good.refresh_from_db()
        assert good.last_result == "read" and good.last_polled_at is not None
        assert "401" in WireSource.objects.get(name="Locked").last_result

    @override_settings(WIRE_HTTP_DEADLINE=1)
    def test_a_trickling_server_is_cut_off_at_the_deadline(self):
        def trickle(request):
            def body():
                for _ in range(50):
                    time.sleep(0.1)
                    yield b" "

            return Response(body(), content_type="application/json")

        self.server.expect_request("/slow").respond_with_handler(trickle)
        started = time.monotonic()
        with pytest.raises(FetchFailed, match="within 1"):
            fetch(self.server.url_for("/slow"))
        assert time.monotonic() - started < 2.5

    @override_settings(WIRE_MAX_BYTES=1000)
    def test_an_answer_over_the_limit_is_refused(self):
        self.server.expect_request("/big").respond_with_data(b"[" + b" " * 5000 + b"]")
        with pytest.raises(FetchFailed, match="larger than the limit"):
            fetch(self.server.url_for("/big"))
        with pytest.raises(FetchFailed, match="not an http"):
            fetch("file:///etc/passwd")

    def test_a_thousand_new_items_within_a_minute(self):
        self.folder_source()
        for n in range(1000):
            document = {
                "uri": f"urn:bulk:{n}",
                "version": "1",
                "headlines": [{"value": f"Bulk story {n}"}],
                "bodies": [{"contenttype": "text/html", "value": f"<p>Text {n}.</p><p>More.</p>"}],
                "subjects": [{"name": "bulk"}],
            }
            (self.folder / f"{n:04d}.json").write_text(json.dumps(document))
        started = time.monotonic()
        lines, err, code = poll()
        elapsed = time.monotonic() - started
        assert code == 0 and len(lines) == 1000
        assert WireItem.objects.count() == 1000
        print(f"poll_wires: 1,000 new items in {elapsed:.1f} s")
        assert elapsed < 60


@override_settings(TASKS=DATABASE_TASKS)
class PollingTaskTests(TransactionTestCase):
    """`poll_wires --enqueue` hands the due sources to the task worker: it reads them, a source
    that cannot be read is a failed task with its reason, and a source queued twice is read once."""

    def setUp(self):
        self.enterContext(translation.override("en"))
        self.service = WireService.objects.create(name="Test Agency", slug="test-agency")
        self.folder = Path(self.enterContext(tempfile.TemporaryDirectory()))

    def work(self) -> None:
        call_command("db_worker", "--batch", "--no-startup-delay", stdout=io.StringIO())

    def test_due_sources_are_read_by_the_worker_and_a_failure_is_shown(self):
        WireSource.objects.create(
            service=self.service, name="Drop", kind="folder", location=str(self.folder)
        )
        WireSource.objects.create(
            service=self.service, name="Gone", kind="folder", location=str(self.folder / "no")
        )
        (self.folder / "a.json").write_bytes(sample("ninjs1-text.json"))
        lines, err, code = poll("--enqueue")
        assert (lines, err, code) == (["queued Drop", "queued Gone"], "", 0)
        assert WireItem.objects.count() == 0  # nothing read by the command itself
        self.work()
        results = {
            result.args_kwargs["args"][0]: result
            for result in DBTaskResult.objects.filter(task_path=TASK_PATH)
        }
        drop, gone = (WireSource.objects.get(name=name) for name in ("Drop", "Gone"))
        assert results[drop.pk].status == TaskResultStatus.SUCCESSFUL
        assert results[drop.pk].return_value == "new 1"
        assert WireItem.objects.count() == 1
        assert results[gone.pk].status == TaskResultStatus.FAILED
        assert "Gone: no such folder" in results[gone.pk].traceback
        assert gone.last_result.startswith("no such folder")
        # Read now: not due again until their interval comes round.
        assert poll("--enqueue") == ([], "", 0)

    def test_a_source_queued_twice_is_read_once(self):
        source = WireSource.objects.create(
            service=self.service, name="Drop", kind="folder", location=str(self.folder)
        )
        (self.folder / "a.json").write_bytes(sample("ninjs1-text.json"))
        poll("--enqueue")
        poll("--enqueue")
        with mock.patch("articles.wire.tasks.poll", wraps=polling.poll) as reads:
            self.work()
        assert reads.call_count == 1
        outcomes = sorted(
            DBTaskResult.objects.filter(task_path=TASK_PATH).values_list("return_value", flat=True)
        )
        assert outcomes == ["new 1", "not due"]
        source.refresh_from_db()
        assert source.last_result == "read"
