"""Beacons answered by nginx and counted from its log (newsroom/mostread/readslog.py,
`manage.py count_reads`): the same readers counted as views.read counts, every other line
skipped, the log followed across rotation; and the shipped nginx answering and logging them."""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from io import StringIO
from pathlib import Path

import pytest
import requests
from django.core.cache import cache
from django.core.management import call_command
from django.test import TestCase

from newsroom.mostread import counting, readslog
from tests.factories import make_article
from tests.helpers import free_port, need_program
from tests.newsroom.mostread.test_most_read import BROWSER, forget


def line(story: int | str, address="203.0.113.7", personal="0", agent=BROWSER, when=None) -> bytes:
    fields = {"t": when or time.time(), "a": address, "id": str(story), "s": personal, "ua": agent}
    return json.dumps(fields).encode()


class Counted(TestCase):
    def setUp(self):
        cache.clear()
        forget()
        self.stories = [make_article(headline=f"Story {n}") for n in range(3)]
        self.now = time.time()

    def counted(self) -> dict[int, float]:
        counting.flush()
        return counting.scores(time.time())


class ReadingTests(Counted):
    def test_readers_are_counted_staff_bots_and_unknown_stories_are_not(self):
        first, second, third = (story.pk for story in self.stories)
        lines = [
            line(first),
            line(first, address="198.51.100.1"),
            line(second),
            line(second, personal="1"),  # a session or message cookie
            line(third, agent="Googlebot/2.1 (+http://www.google.com/bot.html)"),
            line(third, agent=""),
            line(999_999),  # not among the newest published stories
        ]
        assert readslog.count(lines, self.now) == (3, 4)
        assert set(self.counted()) == {first, second}

    def test_one_address_is_counted_once_a_story_and_limited_a_minute(self):
        story = self.stories[0].pk
        assert readslog.count([line(story)] * 5, self.now) == (1, 4)
        others = [line(story, address=f"192.0.2.{n}") for n in range(5)]
        assert readslog.count(others, self.now) == (5, 0)

    def test_hostile_and_broken_lines_are_skipped(self):
        story = self.stories[0].pk
        hostile = [
            b"",
            b"not json at all",
            b"\xff\xfe\x00garbage",
            b"[1, 2, 3]",
            b'{"t": 1}',
            line("0"),
            line("-4"),
            line("12abc"),
            line(str(2**40)),
            line(story, address=""),
            json.dumps({"t": "soon", "a": "x", "id": "1", "s": "0", "ua": BROWSER}).encode(),
            line(story) + b" " * readslog.MAX_LINE,
            b'{"t":1e400,"a":"203.0.113.9","id":"' + str(story).encode() + b'","s":"0","ua":"x"}',
        ]
        counted, skipped = readslog.count(hostile, self.now)
        assert counted == 1  # the infinite time is read as now, the rest is not a reading
        assert counted + skipped == len(hostile)
        assert readslog.count([line(self.stories[1].pk)], self.now) == (1, 0)  # still counting

    def test_a_line_keeps_its_own_time_within_the_bucket_window(self):
        story = self.stories[0].pk
        earlier = self.now - 2 * counting.BUCKET_SECONDS
        readslog.count([line(story, when=self.now - 10)], self.now)
        readslog.count([line(story, address="192.0.2.1", when=earlier)], self.now)
        readslog.count([line(story, address="192.0.2.2", when=self.now + 86400)], self.now)
        buckets = {bucket for bucket, _pk in counting._pending}
        assert buckets <= {
            int((self.now - 10) // counting.BUCKET_SECONDS),
            int(self.now // counting.BUCKET_SECONDS),
        }


class FollowerTests(TestCase):
    def setUp(self):
        self.directory = Path(self.enterContext(tempfile.TemporaryDirectory()))
        self.log = self.directory / "reads.log"

    def test_whole_lines_only_and_the_rest_at_the_next_read(self):
        follower = readslog.LogFollower(self.log)
        assert follower.new_lines() == []  # not there yet
        self.log.write_bytes(b"one\ntw")
        assert follower.new_lines() == [b"one"]
        with self.log.open("ab") as log:
            log.write(b"o\nthree\n")
        assert follower.new_lines() == [b"two", b"three"]
        assert follower.new_lines() == []

    def test_starts_at_the_end_unless_asked_for_the_start(self):
        self.log.write_bytes(b"old\n")
        assert readslog.LogFollower(self.log).new_lines() == []
        assert readslog.LogFollower(self.log, from_start=True).new_lines() == [b"old"]

    def test_a_rotated_or_truncated_log_is_read_from_its_start(self):
        self.log.write_bytes(b"one\n")
        follower = readslog.LogFollower(self.log, from_start=True)
        assert follower.new_lines() == [b"one"]
        self.log.rename(self.directory / "reads.log.1")
        self.log.write_bytes(b"two\n")
        assert follower.new_lines() == [b"two"]
        self.log.write_bytes(b"")
        assert follower.new_lines() == []
        self.log.write_bytes(b"3\n")
        assert follower.new_lines() == [b"3"]

    def test_a_line_too_long_to_be_nginxs_is_not_held(self):
        follower = readslog.LogFollower(self.log, from_start=True)
        self.log.write_bytes(b"x" * (readslog.MAX_LINE + 1))
        assert follower.new_lines() == []
        assert follower.partial == b""


@pytest.mark.services
class NginxAnswersBeaconsTests(Counted):
    """The shipped deploy/nginx.conf answers beacons itself (the app is not even running) and
    logs them; count_reads counts them."""

    def test_beacons_answered_by_nginx_and_counted_from_its_log(self):
        from benchmarks.serve import nginx_config

        program = shutil.which("nginx") or need_program("/usr/sbin/nginx")
        root = Path(self.enterContext(tempfile.TemporaryDirectory()))
        os.chmod(root, 0o755)
        port = free_port()
        config = nginx_config(free_port(), port, free_port(), root, root, root)
        nginx = subprocess.Popen(
            [program, "-c", str(config), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.addCleanup(nginx.wait, 10)
        self.addCleanup(nginx.terminate)
        front = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                requests.get(front + "/static/", timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.1)
        first, second, third = (story.pk for story in self.stories)
        reader = {"User-Agent": BROWSER}
        answers = [
            requests.post(f"{front}/live/read/{first}/", headers=reader, timeout=5),
            requests.post(f"{front}/live/read/{second}/", headers=reader, timeout=5),
            requests.post(
                f"{front}/live/read/{third}/", headers=reader, cookies={"sessionid": "x"}, timeout=5
            ),
            requests.post(
                f"{front}/live/read/{third}/", headers={"User-Agent": "curl/8.5"}, timeout=5
            ),
        ]
        assert [answer.status_code for answer in answers] == [204] * 4
        assert all(answer.content == b"" for answer in answers)
        assert "no-store" in answers[0].headers["Cache-Control"]
        refused = requests.get(f"{front}/live/read/{first}/", headers=reader, timeout=5)
        assert (refused.status_code, refused.headers["Allow"]) == (405, "POST")
        # A graceful stop writes what nginx still buffers.
        nginx.send_signal(signal.SIGQUIT)
        nginx.wait(10)
        logged = (root / "reads.log").read_bytes().splitlines()
        assert len(logged) == 4  # the GET is not logged
        call_command(
            "count_reads", str(root / "reads.log"), "--from-start", "--once", stdout=StringIO()
        )
        assert set(self.counted()) == {first, second}
