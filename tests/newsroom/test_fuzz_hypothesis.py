"""Property-based fuzzing of the public site: whatever a client sends, never a 500.

Complements test_fuzz_urls.py (which fills each route's pattern): here the paths are
arbitrary, the bytes need not be UTF-8, preview tokens are forged, headers are garbage, and
the methods are not GET. Each strategy runs MAX_EXAMPLES examples; allowed answers are 200,
3xx, 400 and 404 (and 405 for a method a page does not take).
"""

import string
from datetime import timedelta
from urllib.parse import quote, urlencode

from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from articles.models import Article
from newsroom.chrome.models import SiteSettings
from tests.factories import make_article, make_author, make_section

MAX_EXAMPLES = 200
FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,  # no example database left on disk; every run draws afresh
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
ALLOWED = {200, 301, 302, 304, 400, 404}

# Text of every kind: any code point but lone surrogates (which cannot travel in a URL).
ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
TRICKY = st.sampled_from(
    [
        "",
        "\x00",
        "%00",
        "%",
        "%zz",
        "%ff%fe",
        "%c0%af",
        "..",
        "../..",
        "%2e%2e%2f",
        "%2f",
        "//",
        "\\",
        "☃",
        "\u202e",
        "\u2028",
        "\ufeff",
        "ș-ț",
        "' OR 1=1 --",
        '"><script>alert(1)</script>',
        "{{7*7}}",
        "a" * 3000,
        "-1",
        "0",
        "1e309",
        "NaN",
        "99999999999999999999999999",
    ]
)
SEGMENT = st.one_of(
    TRICKY,
    ANY_TEXT.map(lambda text: quote(text, safe="")),
    st.text(string.ascii_lowercase + string.digits + "-_.~", max_size=30),
)
KNOWN_PREFIXES = [
    "",
    "section/politics/",
    "tag/budget/",
    "author/writer/",
    "search/",
    "feed/",
    "feed/atom/",
    "section/politics/feed/",
    "live/",
    "2024/",
    "2024/12/",
    "2024/12/23/",
    "static/",
    "sitemap-",
    "healthz/",
]


class FuzzTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        SiteSettings(pk=1, language="ro").save()
        section = make_section(slug="politics")
        author = make_author(slug="writer")
        cls.live = make_article(
            slug="live-story", section=section, authors=[author], tags=["budget"]
        )
        cls.draft = make_article(slug="draft-story", section=section, status=Article.Status.DRAFT)
        make_article(section=section, publish_at=timezone.now() + timedelta(days=1))

    def assert_answers(self, response, what) -> None:
        assert response.status_code in ALLOWED, (what, response.status_code)
        assert b"Traceback" not in response.content


class PathFuzzTests(FuzzTestCase):
    @FUZZ
    @given(prefix=st.sampled_from(KNOWN_PREFIXES), segments=st.lists(SEGMENT, max_size=4))
    def test_arbitrary_paths(self, prefix, segments):
        path = "/" + prefix + "/".join(segments)
        # Uploads are nginx's to serve in production; only DEBUG routes /media/ to Django.
        assume(not path.startswith("/media/"))
        self.assert_answers(self.client.get(path), path)

    @FUZZ
    @given(
        year=st.integers(min_value=-10, max_value=10**6),
        month=st.integers(min_value=-1, max_value=1000),
        day=st.integers(min_value=-1, max_value=1000),
        slug=st.one_of(st.sampled_from(["live-story", "draft-story"]), SEGMENT),
        zero_pad=st.booleans(),
    )
    def test_story_addresses(self, year, month, day, slug, zero_pad):
        parts = [str(year), str(month), str(day)]
        if zero_pad:
            parts = [part.zfill(2) for part in parts]
        path = "/" + "/".join(parts) + f"/{slug}/"
        response = self.client.get(path)
        self.assert_answers(response, path)
        # A draft never shows, whatever the address.
        assert "draft-story" not in path or response.status_code != 200, path


class QueryFuzzTests(FuzzTestCase):
    @FUZZ
    @given(
        path=st.sampled_from(
            [
                "/",
                "/section/politics/",
                "/tag/budget/",
                "/author/writer/",
                "/search/",
                "/feed/",
                "/feed/atom/",
                "/sitemap.xml",
                "/live/header.json",
                "/2024/",
            ]
        ),
        pairs=st.lists(
            st.tuples(
                st.one_of(st.sampled_from(["page", "q", "p", "o", "sort", "preview"]), ANY_TEXT),
                st.one_of(
                    TRICKY,
                    ANY_TEXT,
                    st.integers(min_value=-(10**30), max_value=10**30).map(str),
                    st.floats(allow_nan=True, allow_infinity=True).map(str),
                ),
            ),
            max_size=5,
        ),
    )
    def test_query_strings(self, path, pairs):
        url = f"{path}?{urlencode(pairs)}"
        self.assert_answers(self.client.get(url), url)

    @FUZZ
    @given(raw=st.binary(max_size=200))
    def test_query_strings_that_are_not_utf8(self, raw):
        url = "/search/?q=" + "".join(f"%{byte:02x}" for byte in raw)
        self.assert_answers(self.client.get(url), url)

    @FUZZ
    @given(
        token=st.one_of(
            ANY_TEXT,
            TRICKY,
            st.from_regex(r"\A[0-9]{1,20}:[0-9A-Za-z]{1,8}:[-_0-9A-Za-z]{0,60}\Z"),
        ),
        target=st.sampled_from(["draft", "live"]),
    )
    def test_forged_preview_tokens(self, token, target):
        story = self.draft if target == "draft" else self.live
        response = self.client.get(story.get_absolute_url(), {"preview": token})
        self.assert_answers(response, token)
        if target == "draft":
            assert response.status_code == 404, token  # only a signed link opens a draft


class HeaderAndMethodFuzzTests(FuzzTestCase):
    PAGES = ["/", "/section/politics/", "/feed/", "/feed/atom/", "/search/?q=budget"]

    @FUZZ
    @given(
        path=st.sampled_from(PAGES),
        modified_since=st.one_of(TRICKY, ANY_TEXT, st.just("Wed, 21 Oct 2015 07:28:00 GMT")),
        none_match=st.one_of(TRICKY, ANY_TEXT, st.just('"abc"'), st.just("*")),
        language=st.one_of(TRICKY, ANY_TEXT, st.just("ro-RO,ro;q=0.9,en;q=0.8")),
        cookie=st.one_of(TRICKY, ANY_TEXT, st.just("sessionid=abc; csrftoken=x")),
        host=st.one_of(st.just("testserver"), st.just("evil.example"), TRICKY),
    )
    def test_garbage_headers(self, path, modified_since, none_match, language, cookie, host):
        headers = {
            "If-Modified-Since": modified_since,
            "If-None-Match": none_match,
            "Accept-Language": language,
            "Cookie": cookie,
        }
        # Header values are Latin-1 on the wire; what cannot be sent is not sent.
        headers = {k: v for k, v in headers.items() if v.isprintable() and v.isascii()}
        client = Client(HTTP_HOST=host if host.isascii() else "testserver")
        response = client.get(path, headers=headers)
        self.assert_answers(response, (path, headers, host))

    @FUZZ
    @given(
        path=st.sampled_from([*PAGES, "/live/header.json", "/sitemap.xml", "/healthz"]),
        method=st.sampled_from(["post", "put", "patch", "delete", "options", "head", "trace"]),
        body=st.one_of(st.binary(max_size=300), ANY_TEXT.map(str.encode)),
    )
    def test_other_methods(self, path, method, body):
        response = self.client.generic(
            method.upper(), path, data=body, content_type="application/octet-stream"
        )
        # Pages are read-only: a method they do not take is a 405, never a 500.
        assert response.status_code in ALLOWED | {405}, (method, path, response.status_code)
