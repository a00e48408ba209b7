"""The beacon answered in front of Django's handler (newsroom/mostread/wsgi.py): the same
answer and the same counting as views.read, and everything it should not answer handed to
Django untouched."""

import io
import sys

from django.core.cache import cache
from django.test import TestCase, override_settings
from django.utils import timezone

from newsroom import metrics
from newsroom.mostread import counting
from newsroom.mostread.wsgi import BeaconApplication
from tests.factories import make_article
from tests.newsroom.mostread.test_most_read import BROWSER, forget


class Django:
    """Stands in for Django's handler, to see what is passed on."""

    def __init__(self):
        self.paths: list[tuple[str, str]] = []

    def __call__(self, environ, start_response):
        self.paths.append((environ["REQUEST_METHOD"], environ["PATH_INFO"]))
        start_response("418 I'm a teapot", [])
        return [b"django"]


def beacon_environ(path: str, method: str = "POST", **extra: str) -> dict:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.0",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_LENGTH": "0",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_USER_AGENT": BROWSER,
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
    }
    environ.update(extra)
    return environ


class BeaconApplicationTests(TestCase):
    def setUp(self):
        cache.clear()
        forget()
        self.stories = [make_article(headline=f"Story {n}") for n in range(3)]
        self.now = timezone.now().timestamp()
        counting._countable(self.stories[0].pk, self.now)  # the list a request once fetched
        self.django = Django()
        self.application = BeaconApplication(self.django, metrics.count_request)

    def call(self, path: str, method: str = "POST", **extra: str) -> tuple[str, dict, bytes]:
        answer: dict = {}

        def start_response(status, headers, exc_info=None):
            answer["status"], answer["headers"] = status, dict(headers)

        body = b"".join(self.application(beacon_environ(path, method, **extra), start_response))
        return answer["status"], answer["headers"], body

    def read(self, story, address="203.0.113.7", **extra: str):
        return self.call(f"/live/read/{story.pk}/", HTTP_X_FORWARDED_FOR=address, **extra)

    def counted(self) -> dict[int, float]:
        return counting.scores(self.now)

    def test_a_reading_is_counted_and_answered_without_django(self):
        status, headers, body = self.read(self.stories[1])
        assert (status, body) == ("204 No Content", b"")
        assert "no-store" in headers["Cache-Control"]
        assert "Set-Cookie" not in headers
        self.read(self.stories[1], address="203.0.113.8")
        self.read(self.stories[2], address="203.0.113.8")
        assert self.counted() == {self.stories[1].pk: 2, self.stories[2].pk: 1}
        assert self.django.paths == []

    def test_the_reader_is_the_address_our_proxy_saw(self):
        # A forged X-Forwarded-For from the reader is to the left of what our proxy appended.
        self.read(self.stories[0], address="198.51.100.1, 203.0.113.9")
        self.read(self.stories[0], address="198.51.100.2, 203.0.113.9")
        assert self.counted() == {self.stories[0].pk: 1}
        # Not through a trusted proxy: the header is the client's to forge, the peer counts.
        for forged in ("198.51.100.3", "198.51.100.4"):
            self.call(
                f"/live/read/{self.stories[1].pk}/",
                REMOTE_ADDR="192.0.2.50",
                HTTP_X_FORWARDED_FOR=forged,
            )
        assert self.counted()[self.stories[1].pk] == 1

    def test_bots_staff_and_unknown_stories_are_answered_and_not_counted(self):
        self.read(
            self.stories[0], HTTP_USER_AGENT="Googlebot/2.1 (+http://www.google.com/bot.html)"
        )
        self.read(self.stories[0], HTTP_USER_AGENT="")
        self.read(self.stories[0], HTTP_USER_AGENT="python-requests/2.32")
        self.read(self.stories[0], address="198.51.100.5", HTTP_COOKIE="sessionid=abc; theme=dark")
        self.read(self.stories[0], address="198.51.100.6", HTTP_COOKIE="messages=xyz")
        status, _headers, _body = self.call("/live/read/999999999/", HTTP_X_FORWARDED_FOR="1.2.3.4")
        assert status == "204 No Content"
        assert self.counted() == {}
        assert self.django.paths == []

    def test_hostile_cookies_and_addresses_still_answer(self):
        for cookie in ('"', "=;=;;", "a" * 5000, "sessionid", "\x00\xff"):
            with self.subTest(cookie=cookie):
                status, _headers, _body = self.read(self.stories[0], HTTP_COOKIE=cookie)
                assert status == "204 No Content"
        for address in ("not-an-address", "", ",,,", "999.1.1.1", "::ffff:203.0.113.70"):
            with self.subTest(address=address):
                assert self.read(self.stories[1], address=address)[0] == "204 No Content"

    def test_a_flood_from_one_address_is_held_to_the_same_limit(self):
        for story in self.stories * 20:
            self.read(story, address="192.0.2.1")
        assert sum(self.counted().values()) == len(self.stories)

    def test_anything_else_goes_to_django(self):
        pk = self.stories[0].pk
        for method, path in [
            ("GET", f"/live/read/{pk}/"),
            ("HEAD", f"/live/read/{pk}/"),
            ("POST", "/live/read/abc/"),
            ("POST", f"/live/read/{pk}"),
            ("POST", f"/live/read/{pk}/extra/"),
            ("POST", "/live/read/12345678901/"),
            ("POST", "/live/most-read/"),
            ("GET", "/"),
        ]:
            with self.subTest(method=method, path=path):
                assert self.call(path, method)[0] == "418 I'm a teapot"
                assert self.django.paths[-1] == (method, path)
        assert self.counted() == {}

    def test_a_stale_list_of_stories_sends_the_beacon_through_django(self):
        counting._candidates = (self.now - 1, counting._candidates[1])
        assert self.read(self.stories[0])[0] == "418 I'm a teapot"
        assert self.django.paths == [("POST", f"/live/read/{self.stories[0].pk}/")]

    @override_settings(SECURE_SSL_REDIRECT=True)
    def test_plain_http_is_left_to_django_to_redirect(self):
        assert self.read(self.stories[0])[0] == "418 I'm a teapot"
        assert self.read(self.stories[0], **{"wsgi.url_scheme": "https"})[0] == "204 No Content"
        with override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")):
            assert self.read(self.stories[1], HTTP_X_FORWARDED_PROTO="https")[0] == (
                "204 No Content"
            )
            assert self.read(self.stories[2], HTTP_X_FORWARDED_PROTO="http")[0] == (
                "418 I'm a teapot"
            )
        assert len(self.django.paths) == 2

    def test_counted_in_the_request_metrics_as_before(self):
        def counted_beacons() -> float:
            return metrics.REQUESTS.labels("read", "2xx", "none")._value.get()

        before = counted_beacons()
        self.read(self.stories[0])
        self.read(self.stories[0], HTTP_USER_AGENT="Googlebot")
        assert counted_beacons() == before + 2

    def test_the_site_s_wsgi_application_answers_beacons_here(self):
        from newsroom import wsgi

        assert isinstance(wsgi.application, BeaconApplication)
        assert wsgi.application.application is wsgi.django_application
        assert wsgi.application.count_request is metrics.count_request
