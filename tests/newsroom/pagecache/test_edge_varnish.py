"""The site behind a real Varnish with the shipped deploy/varnish.vcl, purged by key.

gunicorn serves the site (production settings, Redis shared with the commands that set it up, the
immediate tasks backend: the purge is sent by the gunicorn process that handled the write) and
varnishd runs in front of it on loopback. An editor works through the admin on gunicorn; readers
ask Varnish. Each change must show through Varnish within a second, while pages nothing changed
stay hits.
"""

import json
import os
import shutil
import socket
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests
from django.test import SimpleTestCase

from benchmarks.serve import free_port, redis_server, varnishd
from newsroom.pagecache.pages import SHARED_MAX_AGE
from tests.helpers import PRODUCTION_ENV, gunicorn, need_program
from tests.newsroom.pagecache.test_takedowns import manage

VISIBLE_WITHIN = 1.0

SETUP = """
import json
from tests.factories import make_article, make_author, make_section, make_user
make_user("editor", superuser=True, password="edge-pass")
sections = {n: make_section(name=n.title(), slug=n) for n in ("politics", "sport", "culture")}
authors = {n: make_author(name=n.title(), slug=n) for n in ("ana", "ion", "eva")}
found = {}
for name, headline, section, author, status in [
    ("budget", "Budget vote", "politics", "ana", "published"),
    ("cup", "Cup final", "sport", "ion", "published"),
    ("flood", "Flood warning", "culture", "eva", "draft"),
    ("museum", "Museum plans", "culture", "eva", "draft"),
    ("opera", "Opera season", "culture", "eva", "draft"),
]:
    story = make_article(
        headline=headline, slug=name, section=sections[section], authors=[authors[author]],
        status=status,
    )
    found[name] = {"pk": story.pk, "path": story.get_absolute_url()}
print(json.dumps(found))
"""

SCHEDULE = """
import json
from datetime import timedelta
from django.utils import timezone
from articles.models import Section
from tests.factories import make_article
story = make_article(
    headline="Decree at dawn", slug="decree", section=Section.objects.get(slug="culture"),
    publish_at=timezone.now() + timedelta(seconds={seconds}),
)
print(json.dumps({{"path": story.get_absolute_url(), "at": story.publish_at.timestamp()}}))
"""


class Editor(requests.Session):
    """A browser of the admin over plain HTTP: production cookies are marked Secure, which
    requests would not send back to http://127.0.0.1."""

    def send(self, request, **kwargs):
        response = super().send(request, **kwargs)
        for cookie in self.cookies:
            cookie.secure = False
        return response


class FormFields(HTMLParser):
    """The fields a browser would send from the form with id `form_id`, as (name, value)."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self.select: str | None = None
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag, attrs):
        attr = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.inside = attr.get("id") == self.form_id
        if not self.inside or "name" not in attr and tag != "option":
            return
        if tag == "input":
            kind = attr.get("type", "text").lower()
            if kind in {"submit", "button", "file", "image", "reset"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attr:
                return
            self.fields.append(
                (attr["name"], attr.get("value", "on" if kind == "checkbox" else ""))
            )
        elif tag == "select":
            self.select = attr["name"]
        elif tag == "option" and self.select and "selected" in attr:
            self.fields.append((self.select, attr.get("value", "")))
        elif tag == "textarea":
            self.textarea, self.text = attr["name"], ""

    def handle_data(self, data):
        if self.textarea:
            self.text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.fields.append((self.textarea, self.text.removeprefix("\n")))
            self.textarea = None


@pytest.mark.services
class VarnishEdgeTests(SimpleTestCase):
    env: dict[str, str]
    stories: dict[str, dict]
    app: str
    edge: str
    editor: Editor

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        program = shutil.which("varnishd") or need_program("/usr/sbin/varnishd")
        directory = Path(cls.enterClassContext(tempfile.TemporaryDirectory()))
        os.chmod(directory, 0o755)
        redis_url = cls.enterClassContext(redis_server())
        assert redis_url, "redis-server is missing"
        varnish_port = free_port()
        cls.env = {
            **PRODUCTION_ENV,
            "DATABASE_URL": f"sqlite:///{directory / 'site.sqlite3'}",
            "MEDIA_ROOT": str(directory / "media"),
            "CACHE_URL": redis_url,
            "WEATHER_BACKGROUND_REFRESH": "0",
            "TASKS_BACKEND": "immediate",
            "EDGE_PURGER": "varnish",
            "EDGE_VARNISH_URLS": f"http://127.0.0.1:{varnish_port}",
        }
        # Set up before Varnish runs: nothing to purge yet.
        quiet = {**cls.env, "EDGE_PURGER": "none"}
        manage(quiet, "migrate", "--noinput", "-v0")
        cls.stories = json.loads(manage(quiet, "shell", "-v", "0", "-c", SETUP))
        cls.app = cls.enterClassContext(gunicorn(cls.env))
        root = directory / "varnish"
        root.mkdir()
        cls.edge = cls.enterClassContext(
            varnishd(program, [int(cls.app.rsplit(":", 1)[1])], varnish_port, root)
        )
        cls.editor = Editor()
        login = cls.editor.get(f"{cls.app}/admin/login/", timeout=10)
        answer = cls.editor.post(
            f"{cls.app}/admin/login/",
            data={
                "username": "editor",
                "password": "edge-pass",
                "csrfmiddlewaretoken": cls.csrf(login.text),
                "next": "/admin/",
            },
            timeout=10,
        )
        assert "sessionid" in cls.editor.cookies, answer.text[:500]

    @staticmethod
    def csrf(html: str) -> str:
        marker = 'name="csrfmiddlewaretoken" value="'
        return html.split(marker, 1)[1].split('"', 1)[0]

    # --- Readers and the editor ---------------------------------------------------------------

    def read(self, path: str, **headers) -> requests.Response:
        return requests.get(self.edge + path, headers=headers, timeout=10)

    def read_plain(self, path: str) -> requests.Response:
        """As a client that does not take gzip."""
        return self.read(path, **{"Accept-Encoding": "identity"})

    def warm(self, path: str, plain: bool = False) -> requests.Response:
        """Ask Varnish until it answers from its cache."""
        for _ in range(20):
            response = self.read_plain(path) if plain else self.read(path)
            if response.headers.get("X-Cache") == "HIT":
                return response
            time.sleep(0.05)
        raise AssertionError(f"{path} never became a hit: {dict(response.headers)}")

    def kept_long(self, path: str) -> requests.Response:
        """Have Varnish keep the page as the app stores it: for long, with a grace (a page
        built within half a second of a change is not stored, and the edge keeps it 5 s)."""
        for _ in range(40):
            origin = requests.get(self.app + path, timeout=10)
            if "Surrogate-Control" in origin.headers:
                break
            time.sleep(0.1)
        control = origin.headers["Surrogate-Control"]
        assert "stale-while-revalidate=" in control, control
        keys = origin.headers["xkey"]
        assert self.purge_from("127.0.0.1", keys, soft=False).startswith(b"HTTP/1.1 200")
        return self.warm(path)

    def action(self, name: str, story: str) -> float:
        """Run an admin action on one story through gunicorn; when its answer arrived."""
        changelist = f"{self.app}/admin/articles/article/"
        page = self.editor.get(changelist, timeout=10)
        answer = self.editor.post(
            changelist,
            data={
                "csrfmiddlewaretoken": self.csrf(page.text),
                "action": name,
                "select_across": "0",
                "index": "0",
                "_selected_action": str(self.stories[story]["pk"]),
            },
            timeout=10,
        )
        assert answer.status_code == 200, answer.status_code  # back on the list, with a message
        return time.monotonic()

    def edit(self, story: str, **changes: str) -> float:
        """Save the story's change form through gunicorn with `changes`; when it was saved."""
        url = f"{self.app}/admin/articles/article/{self.stories[story]['pk']}/change/"
        page = self.editor.get(url, timeout=10)
        parser = FormFields("article_form")
        parser.feed(page.text)
        fields = [(name, value) for name, value in parser.fields if name not in changes]
        fields += [*changes.items(), ("_save", "1")]
        answer = self.editor.post(url, data=fields, timeout=10, allow_redirects=False)
        assert answer.status_code == 302, answer.text[:3000]
        return time.monotonic()

    def until(
        self, path: str, check, since: float, plain: bool = False
    ) -> list[tuple[float, int, str]]:
        """Read `path` every 50 ms until `check(response)`; every answer seen, with its time."""
        seen = []
        while True:
            response = self.read_plain(path) if plain else self.read(path)
            seen.append(
                (
                    round(time.monotonic() - since, 3),
                    response.status_code,
                    response.headers.get("X-Cache", ""),
                )
            )
            if check(response):
                return seen
            if time.monotonic() - since > 5:
                raise AssertionError(f"{path}: not changed after 5 s: {seen}")
            time.sleep(0.05)

    # --- The proofs ---------------------------------------------------------------------------

    def test_public_pages_are_kept_by_key_and_the_keys_do_not_reach_readers(self):
        path = self.stories["budget"]["path"]
        origin = requests.get(self.app + path, timeout=10)
        assert f"article:{self.stories['budget']['pk']}" in origin.headers["xkey"].split()
        assert origin.headers["Surrogate-Control"].startswith("max-age=")
        assert origin.headers["Cache-Control"].startswith(("max-age=", "public"))
        response = self.warm(path)
        assert "xkey" not in response.headers
        assert "Surrogate-Control" not in response.headers
        # Browsers: as short as before.
        max_age = response.headers["Cache-Control"].split("max-age=")[1].split(",")[0]
        assert int(max_age) <= SHARED_MAX_AGE
        # Junk and tracking parameters share the page's copy; those the views read do not.
        self.warm("/section/politics/?utm_source=a")
        for junk in ("?fbclid=x&utm_source=b", "?x=%00&&y", "?pages=3", "?"):
            shared = self.read("/section/politics/" + junk)
            assert shared.headers["X-Cache"] == "HIT", junk
        assert self.read("/section/politics/?page=2").headers["X-Cache"] == "MISS"
        # Anyone may read; only the app servers (the ACL: 127.0.0.1 here) may purge.
        assert self.purge_from("127.0.0.2", "every-page").startswith(b"HTTP/1.1 403")
        assert self.read(path).headers["X-Cache"] == "HIT"
        assert self.purge_from("127.0.0.1", "no-such-key").startswith(b"HTTP/1.1 200")

    def purge_from(self, address: str, keys: str, soft: bool = False) -> bytes:
        """A PURGE sent from another loopback address: the first line of Varnish's answer."""
        port = int(self.edge.rsplit(":", 1)[1])
        with socket.create_connection(
            ("127.0.0.1", port), timeout=5, source_address=(address, 0)
        ) as sock:
            sock.sendall(
                f"PURGE / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"xkey-{'softpurge' if soft else 'purge'}: {keys}\r\n"
                "Connection: close\r\n\r\n".encode()
            )
            return sock.recv(4096).split(b"\r\n", 1)[0]

    def test_a_publish_shows_within_a_second(self):
        story = self.stories["flood"]
        self.warm("/")
        assert "Flood warning" not in self.read("/").text
        assert self.read(story["path"]).status_code == 404
        published = self.action("publish_now", "flood")
        seen = self.until("/", lambda r: "Flood warning" in r.text, published)
        assert seen[-1][0] <= VISIBLE_WITHIN, seen
        seen = self.until(story["path"], lambda r: r.status_code == 200, published)
        assert seen[-1][0] <= VISIBLE_WITHIN + 0.5, seen

    def test_an_edit_shows_within_a_second(self):
        path = self.stories["budget"]["path"]
        self.warm(path)
        self.warm(path, plain=True)
        self.warm("/section/politics/")
        saved = self.edit("budget", headline="Budget vote passes")
        seen = self.until(path, lambda r: "Budget vote passes" in r.text, saved)
        assert seen[-1][0] <= VISIBLE_WITHIN, seen
        # The plain copy was purged too.
        seen = self.until(path, lambda r: "Budget vote passes" in r.text, saved, plain=True)
        assert seen[-1][0] <= VISIBLE_WITHIN, seen
        seen = self.until("/section/politics/", lambda r: "Budget vote passes" in r.text, saved)
        assert seen[-1][0] <= VISIBLE_WITHIN, seen

    def test_an_unpublish_is_gone_at_once_and_never_served_again(self):
        self.action("publish_now", "museum")
        path = self.stories["museum"]["path"]
        self.until("/section/culture/", lambda r: "Museum plans" in r.text, time.monotonic())
        self.kept_long(path)
        self.kept_long("/section/culture/")
        unpublished = self.action("unpublish", "museum")
        # A hard purge: no stale copy is served while the edge refetches.
        first = self.read(path)
        assert first.status_code == 410, (first.status_code, first.headers.get("X-Cache"))
        assert "Museum plans" not in self.read("/section/culture/").text
        assert time.monotonic() - unpublished <= VISIBLE_WITHIN
        later = [self.read(path) for _ in range(5)]
        assert [r.status_code for r in later] == [410] * 5
        assert later[-1].headers["X-Cache"] == "HIT"  # the notice itself is kept, by key

    def test_a_scheduled_story_goes_live_at_its_time(self):
        self.warm("/")
        scheduled = json.loads(
            manage(self.env, "shell", "-v", "0", "-c", SCHEDULE.format(seconds=6))
        )
        go_live = scheduled["at"]
        hits_before = 0
        while time.time() < go_live - 0.3:
            response = self.read("/")
            assert "Decree at dawn" not in response.text
            hits_before += response.headers.get("X-Cache") == "HIT"
            # The edge may keep the home page only until the story goes live.
            origin = requests.get(self.app + "/", timeout=10)
            control = origin.headers.get("Surrogate-Control", "max-age=0")
            lifetime = sum(int(part.split("=")[1]) for part in control.split(", "))
            assert time.time() + lifetime <= go_live + 1, (control, go_live - time.time())
            time.sleep(0.2)
        assert hits_before >= 5  # the edge kept the page meanwhile: no purge announced the change
        while time.time() < go_live:
            time.sleep(0.01)
        started = time.monotonic()
        seen = self.until("/", lambda r: "Decree at dawn" in r.text, started)
        assert seen[-1][0] <= VISIBLE_WITHIN, seen
        seen = self.until(scheduled["path"], lambda r: r.status_code == 200, started)
        assert seen[-1][0] <= VISIBLE_WITHIN, seen

    def test_a_client_without_gzip_is_served_its_own_plain_copy(self):
        path = self.stories["cup"]["path"]
        zipped = self.warm(path)
        assert zipped.headers["Content-Encoding"] == "gzip"
        # Not the gzip copy unzipped for every request: a copy of its own, kept like the other.
        first = self.read_plain(path)
        assert first.headers["X-Cache"] == "MISS", dict(first.headers)
        plain = self.warm(path, plain=True)
        assert "Content-Encoding" not in plain.headers
        assert int(plain.headers["Content-Length"]) == len(plain.content)
        assert plain.text == zipped.text
        # A client that takes gzip among others still shares the gzip copy.
        other = self.read(path, **{"Accept-Encoding": "br;q=1.0, gzip;q=0.8"})
        assert other.headers["X-Cache"] == "HIT"
        assert other.headers["Content-Encoding"] == "gzip"

    def test_a_staff_response_is_never_cached(self):
        draft = self.stories["opera"]["path"]
        cookies = {"sessionid": self.editor.cookies["sessionid"]}
        for _ in range(3):
            staff = requests.get(self.edge + draft, cookies=cookies, timeout=10)
            assert staff.status_code == 200  # the editor previews the draft
            assert staff.headers["X-Cache"] == "MISS"
            assert "private" in staff.headers["Cache-Control"]
        reader = self.read(draft)
        assert reader.status_code == 404  # never the editor's copy
        # Other cookies (analytics, a consent banner) do not stop a reader's page being shared.
        self.warm("/")
        shared = requests.get(
            self.edge + "/", cookies={"_ga": "GA1.1.1", "consent": "1"}, timeout=10
        )
        assert shared.headers["X-Cache"] == "HIT"

    def test_a_page_nothing_changed_stays_a_hit_after_unrelated_writes(self):
        path = self.stories["cup"]["path"]
        first = self.kept_long(path)
        # Writes elsewhere: a draft edited, a story of another section published and edited.
        self.edit("opera", headline="Opera season opens")
        self.action("publish_now", "museum")
        self.edit("museum", standfirst="Three new rooms.")
        time.sleep(0.3)
        after = self.read(path)
        assert after.headers["X-Cache"] == "HIT", dict(after.headers)
        assert int(after.headers["Age"]) >= int(first.headers["Age"])
        assert after.text == first.text
