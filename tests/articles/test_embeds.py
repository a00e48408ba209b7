"""Embeds that respect the reader: recognised from an allowlist, shown as click-to-load boxes
that ask the provider for nothing, a page policy opened for exactly their providers (cached
copies too), and their details read once, at save time, from a provider that may fail."""

import json
import time
from html.parser import HTMLParser

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import SimpleTestCase, TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.csp import build_policy
from PIL import Image
from pytest_httpserver import HTTPServer
from werkzeug import Response

from articles.embeds.csp import policy_with
from articles.embeds.models import Embed
from articles.embeds.providers import BY_SLUG, recognise
from articles.embeds.render import placeholders
from articles.models import Article
from newsroom.pagecache.pages import local_pages
from tests.factories import image_bytes, make_article, make_section, make_user
from tests.helpers import StoresPagesAtOnce, form_data

YOUTUBE = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
TWEET = "https://twitter.com/jack/status/20"

GOOD = {
    YOUTUBE: ("youtube", YOUTUBE),
    "https://youtu.be/dQw4w9WgXcQ": ("youtube", YOUTUBE),
    "https://youtube.com/shorts/dQw4w9WgXcQ?feature=share": ("youtube", YOUTUBE),
    "https://m.youtube.com/watch?v=dQw4w9WgXcQ&t=42": ("youtube", YOUTUBE),
    "https://vimeo.com/76979871": ("vimeo", "https://vimeo.com/76979871"),
    "https://x.com/jack/status/20": ("x", TWEET),
    "https://twitter.com/jack/status/20?s=20": ("x", TWEET),
    "https://t.me/durov/43": ("telegram", "https://t.me/durov/43"),
    "https://www.facebook.com/nasa/posts/pfbid02abc": (
        "facebook",
        "https://www.facebook.com/nasa/posts/pfbid02abc",
    ),
    "https://www.facebook.com/nasa/videos/123456": (
        "facebook",
        "https://www.facebook.com/nasa/videos/123456",
    ),
    "https://www.instagram.com/p/C1a2b3c4d5/": (
        "instagram",
        "https://www.instagram.com/p/C1a2b3c4d5/",
    ),
    "https://instagram.com/reel/C1a2b3c4d5": (
        "instagram",
        "https://www.instagram.com/reel/C1a2b3c4d5/",
    ),
    "https://www.tiktok.com/@scout2015/video/6718335390845095173": (
        "tiktok",
        "https://www.tiktok.com/@scout2015/video/6718335390845095173",
    ),
    "https://soundcloud.com/forss/flickermood": (
        "soundcloud",
        "https://soundcloud.com/forss/flickermood",
    ),
    "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC": (
        "spotify",
        "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC",
    ),
    "https://open.spotify.com/intl-ro/episode/4uLU6hMCjMI75M1A2tKUQC": (
        "spotify",
        "https://open.spotify.com/episode/4uLU6hMCjMI75M1A2tKUQC",
    ),
}

HOSTILE = [
    "javascript:alert(1)",
    "JaVaScRiPt://www.youtube.com/watch?v=dQw4w9WgXcQ",
    "data:text/html,<script>alert(1)</script>",
    "https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ",
    "https://evil-youtube.com/watch?v=dQw4w9WgXcQ",
    "https://youtube.com@evil.example/watch?v=dQw4w9WgXcQ",
    "https://user:pw@www.youtube.com/watch?v=dQw4w9WgXcQ",
    "https://www.youtube.com:8443/watch?v=dQw4w9WgXcQ",
    "https://www.youtube.com/watch?v=" + "a" * 600,
    'https://www.youtube.com/watch?v=dQw4w9WgX"Q',
    "https://www.youtube.com/watch?v=dQw4<script>",
    'https://x.com/jack/status/20"><script>alert(1)</script>',
    "https://x.com/<img>/status/20",
    "https://t.me/durov/43'onload='x",
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ&v=AAAAAAAAAAA",
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ\n.evil.example",
    "ftp://www.youtube.com/watch?v=dQw4w9WgXcQ",
    "//www.youtube.com/watch?v=dQw4w9WgXcQ",
    "https://open.spotify.com/track/short",
    "https://www.youtube.com/dQw4w9WgXcQ",  # the short form belongs to youtu.be only
    "https://www.yоutube.com/watch?v=dQw4w9WgXcQ",  # a Cyrillic "о"
    "https://www.youtube.com./watch?v=dQw4w9WgXcQ%00",
]


class RecognitionTests(SimpleTestCase):
    def test_each_provider_is_recognised_and_made_canonical(self):
        for url, (slug, canonical) in GOOD.items():
            with self.subTest(url):
                item = recognise(url)
                assert item is not None
                assert (item.provider.slug, item.url) == (slug, canonical)

    def test_hostile_addresses_are_not_embeds(self):
        for url in HOSTILE:
            with self.subTest(url):
                assert recognise(url) is None

    def test_every_provider_needs_only_https_origins_of_its_own(self):
        for provider in BY_SLUG.values():
            for origin in (*provider.frame_src, *provider.script_src):
                assert origin.startswith("https://") and origin.count("/") == 2, origin

    def test_the_embed_is_built_from_the_ids_alone(self):
        code = recognise("https://youtu.be/dQw4w9WgXcQ").code('"><script>')
        assert 'src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1"' in code
        assert "<script>" not in code and "&quot;&gt;&lt;script&gt;" in code


class OutsideTemplates(HTMLParser):
    """What a browser would fetch on its own: addresses outside the inert <template>s."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.fetched: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "template":
            self.depth += 1
        if self.depth:
            return
        values = dict(attrs)
        if tag == "a":
            self.links.append(values.get("href") or "")
        elif tag == "link" and "preconnect" in (values.get("rel") or ""):
            self.fetched.append(values.get("href") or "")
        for name in ("src", "srcset", "poster", "data"):
            if values.get(name):
                self.fetched.append(values[name] or "")
        if tag == "link" and values.get("href") and "alternate" not in (values.get("rel") or ""):
            self.fetched.append(values["href"] or "")

    def handle_endtag(self, tag):
        if tag == "template":
            self.depth -= 1


def fetched_by(html: str) -> OutsideTemplates:
    parser = OutsideTemplates()
    parser.feed(html)
    return parser


def elsewhere(found: OutsideTemplates) -> list[str]:
    return [url for url in found.fetched if not url.startswith(("/", "http://testserver/"))]


class StoryWithEmbedsTests(StoresPagesAtOnce, TestCase):
    body = (
        "<p>Intro.</p>"
        '<p><a href="https://youtu.be/dQw4w9WgXcQ">https://youtu.be/dQw4w9WgXcQ</a></p>'
        "<p>https://x.com/jack/status/20</p>"
        '<p><a href="https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ">lookalike</a></p>'
        "<p>See https://vimeo.com/76979871 too.</p>"
    )

    def setUp(self):
        super().setUp()
        cache.clear()
        local_pages.pages.clear()
        local_pages.size = 0
        self.enterContext(translation.override("en"))
        self.story = make_article(body=self.body)

    def test_a_link_alone_in_its_paragraph_becomes_a_click_to_load_box(self):
        Embed.objects.create(url=YOUTUBE, provider="youtube", title="Never gonna <give>")
        html = self.client.get(self.story.get_absolute_url()).content.decode()
        assert html.count('<figure class="embed') == 2
        assert "Never gonna &lt;give&gt;" in html
        assert 'data-embed-script="https://platform.twitter.com/widgets.js"' in html
        assert '<a class="embed__title" href="https://twitter.com/jack/status/20">' in html
        assert 'class="embed__load" hidden>' in html
        assert "js/embeds" in html
        # The lookalike stays a plain link; a link inside a sentence stays text.
        lookalike = "https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ"
        assert f'<a href="{lookalike}">lookalike</a>' in html
        assert "<p>See https://vimeo.com/76979871 too.</p>" in html
        # Nothing the browser fetches by itself comes from elsewhere than this site.
        found = fetched_by(html)
        assert elsewhere(found) == []
        assert YOUTUBE in found.links and TWEET in found.links

    def test_the_page_policy_opens_exactly_the_providers_on_it_and_is_replayed_from_the_cache(self):
        first = self.client.get(self.story.get_absolute_url())
        expected = build_policy(policy_with([BY_SLUG["youtube"], BY_SLUG["x"]]))
        assert first.headers["Content-Security-Policy"] == expected
        assert "https://www.youtube-nocookie.com" in expected and "vimeo" not in expected
        hit = self.client.get(self.story.get_absolute_url())
        assert hit.headers.get("X-Page-Cache") == "hit"
        assert hit.headers["Content-Security-Policy"] == expected
        # Every other page keeps the strict policy.
        plain = make_article(body="<p>No embeds.</p>")
        strict = build_policy(settings.SECURE_CSP)
        for url in (plain.get_absolute_url(), reverse("home")):
            for _ in range(2):
                assert self.client.get(url).headers["Content-Security-Policy"] == strict

    @override_settings(PAGE_CACHE=False)
    def test_a_story_with_embeds_stays_within_the_query_budget(self):
        Embed.objects.create(url=YOUTUBE, provider="youtube", title="Video")
        url = self.story.get_absolute_url()
        self.client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert self.client.get(url).status_code == 200
        assert len(queries) <= 8, [query["sql"] for query in queries]

    def test_a_hostile_body_gets_no_embed(self):
        story = make_article(
            body='<p><a href="javascript:alert(1)">https://youtu.be/dQw4w9WgXcQ</a></p>'
            '<p><a href="https://youtube.com@evil.example/watch?v=dQw4w9WgXcQ">x</a></p>'
        )
        response = self.client.get(story.get_absolute_url())
        html = response.content.decode()
        assert "embed__" not in html and "javascript:" not in html
        assert response.headers["Content-Security-Policy"] == build_policy(settings.SECURE_CSP)

    def test_every_provider_renders_an_inert_box(self):
        for url in GOOD:
            with self.subTest(url):
                result = placeholders(f'<p><a href="{url}">{url}</a></p>')
                assert len(result.providers) == 1
                assert elsewhere(fetched_by(result.html)) == []


def thumbnail_server() -> HTTPServer:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    return server


@override_settings(EMBED_FETCH_SECONDS=1.5, EMBED_THUMBNAIL_MAX_BYTES=50_000)
class OEmbedAtSaveTests(TestCase):
    """The admin save reads each new embed's details once from a local server."""

    body = '<p><a href="https://youtu.be/dQw4w9WgXcQ">https://youtu.be/dQw4w9WgXcQ</a></p>'

    def setUp(self):
        self.server = thumbnail_server()
        self.addCleanup(self.server.stop)
        self.addCleanup(self.server.clear)
        endpoints = {slug: self.server.url_for(f"/oembed/{slug}") for slug in BY_SLUG}
        self.enterContext(override_settings(EMBED_OEMBED_ENDPOINTS=endpoints))
        self.client.force_login(make_user("editor", group="Editor"))
        self.section = make_section()

    def answer(self, data, status=200):
        self.server.expect_request("/oembed/youtube").respond_with_data(
            data if isinstance(data, str | bytes) else json.dumps(data),
            status=status,
            content_type="application/json",
        )

    def save(self, body=None):
        add = reverse("admin:articles_article_add")
        data = form_data(self.client.get(add)) | {
            "headline": "Un clip",
            "slug": "un-clip",
            "body": body or self.body,
            "section": str(self.section.pk),
            "publishing": "draft",
        }
        response = self.client.post(add, data, follow=True)
        assert response.status_code == 200
        assert Article.objects.filter(slug="un-clip").exists(), "the story must save"
        return [(m.level_tag, str(m)) for m in response.context["messages"]]

    def warned(self, notes) -> bool:
        return any(level == "warning" and YOUTUBE in text for level, text in notes)

    def test_title_author_and_a_reencoded_thumbnail_are_stored_once(self):
        picture = self.server.url_for("/thumb.png")
        self.answer({"title": "Clip", "author_name": "Rick", "thumbnail_url": picture})
        self.server.expect_request("/thumb.png").respond_with_data(
            image_bytes((480, 360), "PNG"), content_type="image/png"
        )
        notes = self.save()
        assert not self.warned(notes)
        embed = Embed.objects.get(url=YOUTUBE)
        assert (embed.title, embed.author_name, embed.error) == ("Clip", "Rick", "")
        with Image.open(embed.thumbnail.path) as image:
            assert image.format == "JPEG" and image.size == (480, 360)
        assert (embed.thumbnail_width, embed.thumbnail_height) == (480, 360)
        asked = len(self.server.log)
        Article.objects.all().delete()
        self.save()
        assert len(self.server.log) == asked, "known embeds are not asked for again"
        html = placeholders(self.body).html
        assert embed.thumbnail.url in html and "Clip" in html and "Rick" in html

    def test_a_failing_provider_leaves_the_link_and_warns_the_editor(self):
        cases = {
            "500": lambda: self.answer({"title": "x"}, status=500),
            "garbage": lambda: self.answer("<html>not json"),
            "not an object": lambda: self.answer("[1, 2]"),
            "slow": lambda: self.server.expect_request("/oembed/youtube").respond_with_handler(
                lambda request: time.sleep(3) or Response("{}")
            ),
        }
        for name, arrange in cases.items():
            with self.subTest(name):
                self.server.clear()
                Embed.objects.all().delete()
                Article.objects.all().delete()
                arrange()
                started = time.monotonic()
                assert self.warned(self.save())
                assert time.monotonic() - started < 3
                embed = Embed.objects.get(url=YOUTUBE)
                assert embed.error and not embed.title
                assert YOUTUBE in placeholders(self.body).html

    def test_a_huge_or_false_thumbnail_is_refused_but_the_title_kept(self):
        cases = {
            "huge": (image_bytes((2000, 2000), "PNG", color=(1, 2, 3)) * 30, "image/png"),
            "not a picture": (b"<svg onload=alert(1)></svg>", "image/jpeg"),
        }
        for name, (data, kind) in cases.items():
            with self.subTest(name):
                self.server.clear()
                Embed.objects.all().delete()
                Article.objects.all().delete()
                self.answer({"title": "Clip", "thumbnail_url": self.server.url_for("/t.jpg")})
                self.server.expect_request("/t.jpg").respond_with_data(data, content_type=kind)
                assert self.warned(self.save())
                embed = Embed.objects.get(url=YOUTUBE)
                assert embed.error and not embed.thumbnail

    def test_the_warning_is_in_romanian(self):
        with translation.override("ro"):
            message = translation.gettext(
                "The details of %(url)s could not be read from %(provider)s (%(reason)s). "
                "Readers see its link until a later save reads them."
            )
            load = translation.gettext("Load the content from %(provider)s")
        assert message.startswith("Nu am putut")
        assert load % {"provider": "YouTube"} == "Încarcă conținutul de la YouTube"

    def test_the_preview_before_saving_opens_the_admin_policy_for_its_embeds(self):
        add = reverse("admin:articles_article_add")
        data = form_data(self.client.get(add)) | {
            "headline": "Un clip",
            "slug": "un-clip",
            "body": self.body,
            "section": str(self.section.pk),
        }
        response = self.client.post(reverse("admin:articles_article_preview"), data)
        assert response.status_code == 200
        policy = response.headers["Content-Security-Policy"]
        assert settings.TIPTAP_STYLE_HASH in policy  # the admin's policy, opened
        assert "frame-src https://www.youtube-nocookie.com" in policy
        assert self.server.log == [], "a preview asks the provider for nothing"
