"""Stored XSS: every payload of ./xss_payloads.txt in every editable text field is inert.

Each payload goes, behind a marker ("zqx007"), into the headline, standfirst, body, dateline,
image alt text, caption and credit, correction and tag of one story, the name, job title and
bio of its author, the name and description of its section, the name and credit of its wire
service, a main-menu item's label and address, an ad slot's HTML snippet, and the city of the
site settings. Then every page that prints them is parsed, not string-matched: no script
element, event handler, javascript:/data: address, frame, object, base, refresh or inline
style may appear that the site's own templates do not put there — which a benign copy of the
same pages shows to be none at all. Feeds and sitemaps are parsed as XML, the JSON-LD and
/live/header.json as JSON, and each must give back the stored text as data.
"""

import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from html import escape, unescape
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import reversion
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone
from taggit.models import Tag

from articles.models import (
    FORBIDDEN_CHARACTERS,
    Article,
    ArticleAuthor,
    Author,
    Correction,
    Picture,
    Section,
    WireService,
    strip_forbidden_characters,
)
from articles.renditions import make_picture_renditions
from newsroom.chrome import ads
from newsroom.chrome.models import AdSlot, Menu, MenuItem, SiteSettings
from tests.factories import image_bytes, make_user
from tests.helpers import EDITORIAL_CHANGELISTS

PAYLOAD_FILE = Path(__file__).with_name("xss_payloads.txt")
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
_ESCAPE = re.compile(r"\\u\{([0-9A-Fa-f]{1,6})\}")


def load_payloads() -> list[str]:
    payloads = []
    for line in PAYLOAD_FILE.read_text(encoding="utf-8").split("\n"):
        if line and not line.startswith("## "):
            payloads.append(_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), line))
    return payloads


PAYLOADS = load_payloads()
N = len(PAYLOADS)


def marker(i: int, field: str) -> str:
    """A word that says which payload went into which field: "zqxh007" is headline 7."""
    return f"zqx{field}{i:03d}"


def value(i: int, field: str, limit: int | None = None) -> str:
    """Payload i behind its marker, cut to the field's length like a paste would be."""
    text = f"{marker(i, field)} zqxall {PAYLOADS[i]}"
    return text[:limit] if limit else text


def benign(i: int, field: str, limit: int | None = None) -> str:
    return f"{marker(i, field)} zqxall Plain text {i}"


# --- What makes markup live ---------------------------------------------------------------------

URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "data",
    "poster",
    "xlink:href",
    "background",
    "cite",
    "ping",
    "codebase",
    "manifest",
    "lowsrc",
    "dynsrc",
}
LIVE_SCHEMES = re.compile(r"^(?:javascript|vbscript|data|livescript|mocha):")
# Browsers ignore spaces and control characters anywhere in a scheme.
IGNORED_IN_URLS = re.compile(r"[\x00-\x20\x7f]")
FORBIDDEN_TAGS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal"}
FORBIDDEN_TAGS |= {"foreignobject", "animate", "set", "animatemotion", "animatetransform"}
DATA_SCRIPTS = {"application/ld+json", "application/json"}


def live_url(url: str) -> bool:
    return bool(LIVE_SCHEMES.match(IGNORED_IN_URLS.sub("", unescape(url or "")).lower()))


class InertnessChecker(HTMLParser):
    """Parses a page the way a browser tokenizes it and lists everything that could run."""

    # Elements whose content a browser does not parse as tags (noscript: with scripting on),
    # so that "<noscript><p title='</noscript><img onerror=…>'>" is read as a browser does.
    # typeshed marks it Final, but the parser reads it from the instance to be overridden.
    CDATA_CONTENT_ELEMENTS = (  # type: ignore[misc]
        "script",
        "style",
        "noscript",
        "xmp",
        "iframe",
        "noembed",
        "noframes",
        "textarea",
        "title",
    )

    def __init__(self, admin: bool = False):
        super().__init__(convert_charrefs=True)
        self.admin = admin
        self.problems: list[str] = []
        self.data_blocks: list[tuple[str, str]] = []  # (type, text) of JSON script elements
        self._data_type: str | None = None
        self._data: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}> element")
        for name, raw in attrs:
            if name.startswith("on"):
                self.problems.append(f"{name} handler on <{tag}>")
            elif name == "style":
                self.problems.append(f"style attribute on <{tag}>")
            elif name in URL_ATTRIBUTES and live_url(raw):
                self.problems.append(f"{name}={raw!r} on <{tag}>")
            elif name in {"srcset", "imagesrcset"}:
                for candidate in (raw or "").split(","):
                    if live_url(candidate.strip()):
                        self.problems.append(f"{name} with {candidate!r} on <{tag}>")
        if tag == "meta" and (attributes.get("http-equiv") or "").lower() == "refresh":
            self.problems.append("<meta http-equiv=refresh>")
        if tag == "link":
            self.check_link(attributes)
        if tag == "style" and not (self.admin and attributes.get("nonce")):
            self.problems.append("<style> element")
        if tag == "script":
            self.check_script(attributes)

    handle_startendtag = handle_starttag

    def check_link(self, attributes):
        rel = set((attributes.get("rel") or "").lower().split())
        href = attributes.get("href") or ""
        if not rel <= {"stylesheet", "alternate", "canonical", "icon"}:
            self.problems.append(f"<link rel={sorted(rel)}>")
        if "stylesheet" in rel and not href.startswith("/static/"):
            self.problems.append(f"stylesheet from {href!r}")

    def check_script(self, attributes):
        kind = (attributes.get("type") or "").lower()
        src = attributes.get("src")
        if src is not None:
            if not (src.startswith("/static/") or src == reverse("admin:jsi18n")):
                self.problems.append(f"<script src={src!r}>")
        elif kind in DATA_SCRIPTS or (self.admin and kind == "importmap"):
            self._data_type = kind
            self._data = []
        else:
            self.problems.append(f"inline <script type={kind!r}>")

    def handle_data(self, data):
        if self._data_type is not None:
            self._data.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._data_type is not None:
            self.data_blocks.append((self._data_type, "".join(self._data)))
            self._data_type = None


def check_html(html: str, *, admin: bool = False) -> InertnessChecker:
    checker = InertnessChecker(admin=admin)
    checker.feed(html)
    checker.close()
    for kind, text in checker.data_blocks:
        try:
            data = json.loads(text)
        except ValueError:
            checker.problems.append(f"{kind} block that is not JSON: {text[:80]!r}")
            continue
        if kind == "importmap":
            paths = list(data.get("imports", {}).values())
            if not all(path.startswith("/static/") for path in paths):
                checker.problems.append(f"import map to {paths}")
    return checker


# What a story page prints of its own fields (see marker()).
STORY_FIELDS = "hsbdacrktnex"


def visible(html: str) -> str:
    return unescape(html)


# --- The corpus, in every field --------------------------------------------------------------


def saved_without_signals(picture: Picture) -> Picture:
    """Saved without signals (no renditions task: the corpus shares one record), its words
    cleaned as every save cleans them (PostgreSQL refuses NUL)."""
    strip_forbidden_characters(Picture, picture)
    return Picture.objects.bulk_create([picture])[0]


@override_settings(FEED_ITEMS=N + 10)
class CorpusTestCase(TestCase):
    payload_text = staticmethod(value)
    menu_address = staticmethod(lambda i: PAYLOADS[i][:300])

    @classmethod
    def setUpTestData(cls):
        text = cls.payload_text
        SiteSettings(pk=1, language="en").save()
        image = default_storage.save("articles/lead.jpg", ContentFile(image_bytes((900, 600))))
        menu = Menu.objects.create(name="Main", slug="main")
        cls.stories = []
        now = timezone.now()
        for i in range(N):
            section = Section.objects.create(
                name=text(i, "e", 80), slug=f"s{i}", description=text(i, "f"), position=i
            )
            author = Author.objects.create(
                name=text(i, "n", 120),
                slug=f"a{i}",
                job_title=text(i, "j", 120),
                bio=text(i, "o"),
            )
            wire = WireService.objects.create(
                name=text(i, "w", 80), slug=f"w{i}", credit=text(i, "x", 120)
            )
            story = Article.objects.create(
                headline=text(i, "h", 200),
                slug=f"story-{i}",
                standfirst=text(i, "s", 600),
                body=f"<p>First paragraph.</p>{text(i, 'b')}<p>Last.</p>",
                dateline=text(i, "d", 80),
                section=section,
                wire_service=wire,
                wire_attribution=list(Article.Attribution)[i % 3],
                wire_story_id=text(i, "i", 100),
                status=Article.Status.PUBLISHED,
                publish_at=now - timedelta(minutes=i + 1),
                picture=saved_without_signals(
                    Picture(
                        file=image,
                        width=900,
                        height=600,
                        alt=text(i, "a", 250),
                        caption=text(i, "c", 300),
                        credit=text(i, "r", 120),
                        usage_note=text(i, "u", 300),
                    )
                ),
            )
            ArticleAuthor.objects.create(article=story, author=author)
            # The author's photo is the same picture: its words beside the byline too.
            Author.objects.filter(pk=author.pk).update(picture=story.picture)
            # taggit looks a tag up by name before saving it, and PostgreSQL refuses NUL even in
            # a query: the admin's form refuses NUL, and an import must clean tag names itself.
            story.tags.add(FORBIDDEN_CHARACTERS.sub("", text(i, "t", 100)))
            Correction.objects.create(article=story, text=text(i, "k"))
            MenuItem.objects.create(menu=menu, label=text(i, "m", 80), url=cls.menu_address(i))
            AdSlot.objects.create(
                name=text(i, "z", 100),
                placement=["top", "sidebar", "in_story", "footer"][i % 4],
                after_paragraph=1,
                html=text(i, "z"),
            )
            cls.stories.append(story)
        # One shared lead image: renditions made once; odd stories print the original <img>.
        record = make_picture_renditions(Picture(file=image).file, (0.5, 0.5))
        Picture.objects.filter(stories__in=cls.stories[0::2]).update(renditions=record)
        cls.editor = make_user("chief", superuser=True)

    def setUp(self):
        cache.clear()

    def assert_inert(self, response, *, admin: bool = False, expect=()):
        assert response.status_code == 200, (response.wsgi_request.get_full_path(), response)
        html = response.content.decode()
        checker = check_html(html, admin=admin)
        assert checker.problems == [], (response.wsgi_request.get_full_path(), checker.problems)
        for text in expect:  # the payload did reach the page
            assert text in visible(html), (response.wsgi_request.get_full_path(), text)
        return checker


class CheckerTests(TestCase):
    """The checker is not blind: it flags the raw payloads and passes the site's own pages."""

    def test_the_corpus(self):
        assert N >= 40
        assert len(set(PAYLOADS)) == N
        kinds = "\n".join(PAYLOADS)
        for needle in ["<script", "onerror", "javascript:", "data:", "<svg", "</script>"]:
            assert needle in kinds, needle
        for trick in ["\u2028", "\u202e", "\uff1c", "\u200b", "\x00", "\x0b"]:
            assert trick in kinds, repr(trick)

    def test_raw_payloads_are_flagged(self):
        # Pasted raw into a page (with more quoted attributes after it, as any page has).
        flagged = [p for p in PAYLOADS if check_html(f'<div>{p}</div><p class="x">y</p>').problems]
        # Every payload that is live markup when pasted raw is caught; the rest are inert even
        # raw (comments, bogus tags, fullwidth brackets, template syntax) or only matter as an
        # address (bare javascript: and data: schemes, caught in href below).
        assert len(flagged) >= 49, len(flagged)
        for payload in PAYLOADS:
            if payload.lstrip().lower().startswith(("javascript", "data:")):
                assert check_html(f'<a href="{escape(payload)}">x</a>').problems, payload
        assert check_html('<a href="java\tscript:x">').problems
        assert check_html('<a href=" &#106;avascript:x">').problems
        assert check_html("<img srcset='a.png 1x, javascript:x 2x'>").problems
        assert check_html('<script type="application/ld+json">{"a": </script>').problems
        assert not check_html('<script type="application/ld+json">{"a": "b"}</script>').problems


class BenignPagesTests(CorpusTestCase):
    """The same pages with harmless text: the site itself puts nothing live on them."""

    payload_text = staticmethod(benign)
    menu_address = staticmethod(lambda i: f"/search/?q={i}")

    def test_no_false_alarms(self):
        story = self.stories[0]
        for url in ["/", story.get_absolute_url(), story.section.get_absolute_url()]:
            self.assert_inert(self.client.get(url))
        self.client.force_login(self.editor)
        change = reverse("admin:articles_article_change", args=[story.pk])
        self.assert_inert(self.client.get(change), admin=True)


class CorpusPagesTests(CorpusTestCase):
    """One set of objects (built once) and every page that shows them."""

    # --- Public pages

    def test_story_pages_and_their_json_ld(self):
        for i, story in enumerate(self.stories):
            stored = Article.objects.get(pk=story.pk)
            response = self.client.get(stored.get_absolute_url())
            # Everything a story page prints: headline, standfirst, body, dateline, lead image
            # alt, caption and credit, correction, tag, author, section and wire credit.
            checker = self.assert_inert(response, expect=[marker(i, f) for f in STORY_FIELDS])
            blocks = [json.loads(text) for kind, text in checker.data_blocks]
            assert len(blocks) == 1, i
            data = blocks[0]
            # The JSON-LD gives the stored text back as data, unbroken.
            assert data["headline"] == stored.headline
            assert data["description"] == stored.standfirst
            assert data["articleSection"] == stored.section.name
            assert data["author"][0]["name"] == stored.bylines.get().author.name
            assert data["keywords"] == [stored.tags.get().name]
            if stored.is_wire_copy:
                assert data["sourceOrganization"]["name"] == stored.wire_service.name
            else:  # an agency credited, not the source
                assert data["creditText"] == str(stored.wire_credit)

    def test_the_picture_library_in_the_admin(self):
        # Alt text, caption, credit and usage note of every picture, in its list (with its
        # search), its change form with the focal point picker, and the story form's picker.
        self.client.force_login(self.editor)
        listing = self.client.get(reverse("admin:articles_picture_changelist"))
        self.assert_inert(listing, admin=True, expect=[marker(i, "a") for i in range(N)][:50])
        for i, story in enumerate(self.stories):
            change = reverse("admin:articles_picture_change", args=[story.picture_id])
            self.assert_inert(
                self.client.get(change), admin=True, expect=[marker(i, f) for f in "acru"]
            )
            found = self.client.get(
                reverse("admin:articles_picture_changelist"), {"q": marker(i, "a")}
            )
            self.assert_inert(found, admin=True, expect=[marker(i, "a")])
        lookup = self.client.get(
            reverse("admin:autocomplete"),
            {"app_label": "articles", "model_name": "article", "field_name": "picture"},
        )
        assert lookup.status_code == 200
        assert lookup["Content-Type"] == "application/json"
        texts = {result["text"] for result in json.loads(lookup.content)["results"]}
        # The newest first, a page of them: the words come back as data, unchanged.
        newest = Picture.objects.order_by("-created_at", "-pk")[: len(texts)]
        assert texts == {picture.alt for picture in newest} and len(texts) >= 10

    def test_listings(self):
        for i, story in enumerate(self.stories):
            section_page = self.client.get(story.section.get_absolute_url())
            self.assert_inert(section_page, expect=[marker(i, f) for f in "efhs"])
            author = story.bylines.get().author
            author_page = self.client.get(author.get_absolute_url())
            self.assert_inert(author_page, expect=[marker(i, f) for f in "njoh"])
            if i % 4 == 0:  # tag names are also on every story page, in its JSON-LD and feeds
                tag = story.tags.get()
                tag_page = self.client.get(reverse("articles:tag", args=[tag.slug]))
                self.assert_inert(tag_page, expect=[marker(i, f) for f in "th"])
        # Every page prints the menu, the top and footer ads and the sections.
        home = self.client.get("/")
        shown = [marker(i, "m") for i in range(N) if not live_url(PAYLOADS[i])]
        self.assert_inert(home, expect=shown)
        self.assert_inert(home, expect=[marker(i, "z") for i in range(N) if i % 4 in (0, 3)])
        self.assert_inert(home, expect=[marker(i, "e") for i in range(N)])
        day = timezone.localtime(self.stories[0].publish_at)
        self.assert_inert(self.client.get(f"/{day:%Y/%m/%d}/"))

    def test_search_results_and_the_query_echoed_back(self):
        results = self.client.get("/search/", {"q": "zqxall"})
        self.assert_inert(results, expect=[marker(i, "h") for i in range(20)])
        self.assert_inert(self.client.get("/search/", {"q": "zqxall", "page": "2"}))
        for i in range(N):
            found = self.client.get("/search/", {"q": marker(i, "h")})
            self.assert_inert(found, expect=[marker(i, "h")])
            self.assert_inert(self.client.get("/search/", {"q": PAYLOADS[i]}))

    def test_city_in_the_header_and_its_json(self):
        site = SiteSettings.load()
        for i in range(N):
            site.city = value(i, "y", 100)
            site.save()
            stored = SiteSettings.objects.get(pk=1).city
            response = self.client.get(reverse("live-header"))
            assert response["Content-Type"] == "application/json"
            assert response["X-Content-Type-Options"] == "nosniff"
            assert json.loads(response.content)["city"] == stored
            self.assert_inert(self.client.get("/search/"), expect=[marker(i, "y")])

    def test_menu_addresses_that_would_run_code_are_not_printed(self):
        response = self.client.get("/")
        self.assert_inert(response)
        html = visible(response.content.decode())
        live = [i for i in range(N) if live_url(PAYLOADS[i])]
        assert len(live) >= 5
        for i in range(N):
            # An item whose address would run code is left out; the others are there.
            assert (marker(i, "m") in html) == (i not in live), i

    # --- Feeds and sitemaps

    def assert_feed(self, url: str, expected_items: int | None = None):
        response = self.client.get(url)
        assert response.status_code == 200, url
        root = ET.fromstring(response.content)  # well-formed XML, or this raises
        parsed = feedparser.parse(response.content)
        assert not parsed.bozo, (url, parsed.get("bozo_exception"))
        html_parts = []
        for element in root.iter():
            tag = element.tag.rsplit("}", 1)[-1]
            # RSS descriptions and content:encoded are HTML; so is Atom text of type "html".
            # media:description is plain text unless it says otherwise.
            is_html = element.tag in {"description", f"{{{CONTENT_NS}}}encoded"} or (
                element.get("type") == "html"
            )
            if is_html and element.text:
                html_parts.append(element.text)
            elif tag in {"title", "name", "category"} and len(element):
                raise AssertionError(f"markup inside <{tag}> of {url}")
        for part in html_parts:
            problems = check_html(part).problems
            assert problems == [], (url, problems)
        if expected_items is not None:
            assert len(parsed.entries) == expected_items, url
        return parsed

    def test_site_feeds(self):
        stored = set(Article.objects.values_list("headline", flat=True))
        for url in ["/feed/", "/feed/atom/"]:
            parsed = self.assert_feed(url, expected_items=N)
            root = ET.fromstring(self.client.get(url).content)
            items = [e for e in root.iter() if e.tag.rsplit("}", 1)[-1] in {"item", "entry"}]
            titles = {
                child.text
                for item in items
                for child in item
                if child.tag.rsplit("}", 1)[-1] == "title"
            }
            # Titles are text (Atom says so; RSS titles follow the RSS Best Practices Profile,
            # "<" written as &#x3C;): the XML gives back exactly what was stored.
            assert titles == stored, url
            if url.endswith("/atom/"):
                assert {entry.title for entry in parsed.entries} == stored

    def test_section_tag_and_author_feeds(self):
        for story in self.stories[::7]:
            tag = story.tags.get()
            author = story.bylines.get().author
            for name, slug in [
                ("section-feed", story.section.slug),
                ("section-feed-atom", story.section.slug),
                ("tag-feed", tag.slug),
                ("tag-feed-atom", tag.slug),
                ("author-feed", author.slug),
                ("author-feed-atom", author.slug),
            ]:
                self.assert_feed(reverse(f"articles:{name}", args=[slug]), expected_items=1)

    def test_sitemaps(self):
        index = ET.fromstring(self.client.get("/sitemap.xml").content)
        locations = [loc.text for loc in index.iter() if loc.tag.endswith("loc")]
        assert locations
        for location in [*locations, "http://testserver/news-sitemap.xml"]:
            response = self.client.get(location.removeprefix("http://testserver"))
            assert response.status_code == 200, location
            root = ET.fromstring(response.content)
            for element in root.iter():
                tag = element.tag.rsplit("}", 1)[-1]
                if tag == "loc":
                    assert element.text.startswith("http://testserver/"), element.text
                assert len(element) == 0 or tag not in {"title", "name", "keywords"}
        news = ET.fromstring(self.client.get("/news-sitemap.xml").content)
        titles = {e.text for e in news.iter() if e.tag.endswith("}title")}
        assert titles == set(Article.objects.values_list("headline", flat=True))

    # --- The admin

    def test_admin_changelists(self):
        self.client.force_login(self.editor)
        for name in EDITORIAL_CHANGELISTS:
            response = self.client.get(reverse(f"admin:{name}_changelist"), {"all": "1"})
            self.assert_inert(response, admin=True)
        response = self.client.get(reverse("admin:articles_article_changelist"), {"all": "1"})
        html = visible(response.content.decode())
        assert all(marker(i, "h") in html and marker(i, "n") in html for i in range(N))
        for payload in PAYLOADS[:10]:  # the search box echoes the query
            response = self.client.get(reverse("admin:articles_article_changelist"), {"q": payload})
            self.assert_inert(response, admin=True)

    def test_admin_change_forms(self):
        self.client.force_login(self.editor)
        # A third of the stories (the changelist and compare view show every payload) …
        for i, story in list(enumerate(self.stories))[::3]:
            response = self.client.get(reverse("admin:articles_article_change", args=[story.pk]))
            self.assert_inert(response, admin=True, expect=[marker(i, f) for f in "hsbdacrk"])
        # … and one story carrying every payload in its corrections, shown inline.
        story = self.stories[1]
        for i in range(N):
            Correction.objects.create(article=story, text=value(i, "q"))
        response = self.client.get(reverse("admin:articles_article_change", args=[story.pk]))
        self.assert_inert(response, admin=True, expect=[marker(i, "q") for i in range(N)])
        # The menu's form holds every item's label and address.
        response = self.client.get(
            reverse("admin:chrome_menu_change", args=[Menu.objects.get().pk])
        )
        self.assert_inert(response, admin=True, expect=[marker(i, "m") for i in range(N)])
        section, author = self.stories[0].section, self.stories[0].bylines.get().author
        for url in [
            reverse("admin:articles_section_change", args=[section.pk]),
            reverse("admin:articles_author_change", args=[author.pk]),
            reverse("admin:articles_wireservice_change", args=[self.stories[0].wire_service_id]),
            reverse("admin:taggit_tag_change", args=[Tag.objects.first().pk]),
            reverse("admin:chrome_adslot_change", args=[AdSlot.objects.first().pk]),
            reverse("admin:chrome_sitesettings_change", args=[1]),
        ]:
            self.assert_inert(self.client.get(url), admin=True)

    def test_admin_history_and_compare(self):
        self.client.force_login(self.editor)
        story = self.stories[0]
        for i in range(N):
            with reversion.create_revision():
                story.headline = value(i, "h", 200)
                story.body = f"<p>{value(i, 'b')}</p>"
                story.save()
        history = reverse("admin:articles_article_history", args=[story.pk])
        self.assert_inert(self.client.get(history), admin=True)
        versions = list(reversion.models.Version.objects.get_for_object(story).order_by("pk"))
        compare = reverse("admin:articles_article_compare", args=[story.pk])
        for older, newer in zip(versions, versions[1:], strict=False):
            response = self.client.get(compare, {"from": older.pk, "to": newer.pk})
            self.assert_inert(response, admin=True)

    # --- What is stored

    def test_no_forbidden_character_is_stored(self):
        # NUL and the control characters XML forbids are dropped on save, on every write path.
        for model in [Article, Author, Section, WireService, Correction, Tag, MenuItem]:
            for row in model.objects.all():
                for field in model._meta.concrete_fields:
                    text = getattr(row, field.attname)
                    if isinstance(text, str):
                        assert not FORBIDDEN_CHARACTERS.search(text), (model, field.name)

    def test_bodies_and_ads_keep_only_allowed_markup(self):
        for story in Article.objects.all():
            assert check_html(story.body).problems == [], story.body
        shown = ads.active_ads()
        assert len(shown) == N
        for ad in shown:
            assert check_html(ad.html).problems == [], ad.html
