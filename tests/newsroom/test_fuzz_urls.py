"""Every public URL pattern, fed odd slugs, dates, page numbers and query strings: never a 500."""

import re
from datetime import timedelta
from urllib.parse import quote, urlencode

from django.core.cache import cache
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from articles.models import Article
from newsroom.chrome.models import SiteSettings
from tests.factories import make_article, make_author, make_section
from tests.helpers import public_patterns

ALLOWED = {200, 301, 302, 304, 404}
# The most-read beacon's endpoint takes a POST alone: a GET is refused with 405.
POST_ONLY = ("/live/read/",)
CONVERTER = re.compile(r"<(?:(?P<kind>\w+):)?(?P<name>\w+)>")

ODD_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=0, max_size=60
)
SPECIAL_STRINGS = [
    "",
    "0",
    "-1",
    "1.5",
    "1e9",
    "NaN",
    "last",
    "99999999999999999999999",
    "\x00",
    "%00",
    "' OR 1=1 --",
    '"quoted" & <b>',
    "../../etc/passwd",
    "☃",
    "🙂🙂",
    "a" * 600,
    "ș-ț-ă-î-â",
    "   ",
]


PATTERNS = public_patterns()


def numbers() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(["0", "00", "0000", "1", "02", "12", "13", "29", "30", "31", "32", "45"]),
        st.sampled_from(["2023", "2024", "9999", "1969", "99"]),
        st.integers(min_value=0, max_value=10**12).map(str),
    )


def slugs() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(["live-story", "politics", "writer", "budget", "draft-story", "x"]),
        st.sampled_from(SPECIAL_STRINGS),
        ODD_TEXT,
    )


def query_strings() -> st.SearchStrategy[str]:
    values = st.one_of(st.sampled_from(SPECIAL_STRINGS), ODD_TEXT, numbers())
    keys = st.one_of(st.sampled_from(["page", "q", "utm_source", "format"]), ODD_TEXT)
    return st.lists(st.tuples(keys, values), max_size=4).map(
        lambda pairs: urlencode(pairs, doseq=True)
    )


@st.composite
def urls(draw) -> str:
    template = draw(st.sampled_from(PATTERNS))

    def fill(match: re.Match) -> str:
        kind = match.group("kind") or "str"
        value = draw(numbers()) if kind in {"int", "yyyy", "mm", "dd"} else draw(slugs())
        return quote(value, safe="")

    path = "/" + CONVERTER.sub(fill, template)
    query = draw(query_strings())
    return f"{path}?{query}" if query else path


class FuzzUrlTests(TestCase):
    def setUp(self):
        cache.clear()
        SiteSettings(pk=1, language="ro").save()
        section = make_section(slug="politics")
        author = make_author(slug="writer")
        self.live = make_article(
            slug="live-story", section=section, authors=[author], tags=["budget"]
        )
        make_article(slug="draft-story", section=section, status=Article.Status.DRAFT)
        make_article(section=section, publish_at=timezone.now() + timedelta(days=1))

    def assert_answers(self, url: str) -> None:
        response = self.client.get(url)
        allowed = ALLOWED | {405} if url.startswith(POST_ONLY) else ALLOWED
        assert response.status_code in allowed, (url, response.status_code)

    def test_patterns_are_found(self):
        for route in ["", "section/<slug:slug>/", "<yyyy:year>/<mm:month>/<dd:day>/<slug:slug>/"]:
            assert route in PATTERNS

    def test_known_odd_addresses(self):
        local = timezone.localtime(self.live.publish_at)
        for url in [
            "/2024/13/45/",
            "/2024/02/30/",
            "/2024/13/45/live-story/",
            "/0000/00/00/live-story/",
            "/9999/12/31/",
            "/0000/",
            f"/{local:%Y}/?page=0",
            f"/{local:%Y/%m/%d}/?page=2",
            "/section/politics/?page=abc",
            "/section/politics/?page=-1",
            "/section/politics/?page=99999999999999999999999",
            "/section/politics/?page=%00",
            "/tag/%E2%98%83/",
            "/tag/%00/",
            "/author/" + "a" * 5000 + "/",
            "/?page=2&page=abc",
            "/search/?q=%00",
            "/search/?q=" + quote("\"' OR 1=1 -- 🙂 & | ! :*"),
            "/search/?q=" + "x" * 5000,
            "/2024/12/23/" + quote("ș") + "/",
        ]:
            self.assert_answers(url)

    @settings(
        max_examples=300,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(url=urls())
    def test_random_addresses_never_fail(self, url):
        self.assert_answers(url)
