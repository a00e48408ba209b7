import email.utils
import html
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from unittest import mock
from urllib.parse import urlsplit

import feedparser
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection
from django.template.loader import render_to_string
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from articles import feeds
from articles.invalidation import LISTINGS
from articles.models import Article, ArticleAuthor
from newsroom.chrome.models import SiteSettings
from newsroom.pagecache import bump, clock, keys, pages, values
from tests.factories import (
    image_upload,
    make_article,
    make_author,
    make_picture,
    make_section,
    wire_service,
)

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "media": "http://search.yahoo.com/mrss/",
}
HOST = "testserver"
BASE = f"http://{HOST}"

# (route name, subject kind, is Atom)
FEEDS = [
    ("feed", None, False),
    ("feed-atom", None, True),
    ("section-feed", "section", False),
    ("section-feed-atom", "section", True),
    ("tag-feed", "tag", False),
    ("tag-feed-atom", "tag", True),
    ("author-feed", "author", False),
    ("author-feed-atom", "author", True),
]


@override_settings(FEED_ITEMS=20)
class FeedTestCase(TestCase):
    def setUp(self):
        cache.clear()
        self.addCleanup(cache.clear)  # the cache outlives each test's rolled-back rows
        SiteSettings.load()  # The middleware keeps it in the cache; a warm cache is the norm.
        self.section = make_section(name="Politică & Economie", slug="politica")
        self.first_author = make_author(name="Mihai Popa", slug="mihai-popa")
        self.second_author = make_author(name="Ana Ionescu", slug="ana-ionescu")

    def story(self, **fields):
        fields.setdefault("section", self.section)
        fields.setdefault("authors", [self.first_author, self.second_author])
        fields.setdefault("tags", ["alegeri"])
        return make_article(**fields)

    def url(self, name: str, kind: str | None) -> str:
        slugs = {"section": "politica", "tag": "alegeri", "author": "mihai-popa"}
        if kind is None:
            return reverse(f"articles:{name}")
        return reverse(f"articles:{name}", kwargs={"slug": slugs[kind]})

    def fetch(self, url: str, **headers):
        response = self.client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.status_code)
        return response

    def parse(self, response):
        parsed = feedparser.parse(response.content)
        assert not parsed.bozo, parsed.get("bozo_exception")
        return parsed

    def all_feeds(self):
        for name, kind, atom in FEEDS:
            yield self.url(name, kind), atom


class FeedContentTests(FeedTestCase):
    def setUp(self):
        super().setUp()
        self.published_at = timezone.now().replace(microsecond=0) - timedelta(days=3)
        self.article = self.story(
            headline="Guvernul anunță măsuri",
            slug="guvernul-anunta-masuri",
            standfirst="Măsuri noi & reguli <clare> pentru „toți”.",
            body=(
                '<p>Primul paragraf cu <a href="/section/politica/">un link</a> și '
                '<a href="../alt-articol/">altul</a> și <a href="#nota">o notă</a>.</p>'
                '<blockquote><p>Citat</p></blockquote><p id="nota">Ultimul paragraf.</p>'
            ),
            publish_at=self.published_at,
            updated_at=self.published_at + timedelta(hours=5),
            wire_service=wire_service("reuters"),
            wire_attribution=Article.Attribution.ACCORDING_TO,
            picture=make_picture(
                file=image_upload("lead.jpg", size=(120, 80)),
                alt="Clădirea guvernului",
                caption="Palatul Victoria, dimineața",
                credit="Foto: Ion Ion",
            ),
        )
        self.article.tags.add("Economie")
        self.article.refresh_from_db()
        self.link = BASE + self.article.get_absolute_url()

    def test_every_feed_parses_and_carries_the_story(self):
        for url, atom in self.all_feeds():
            with self.subTest(url=url):
                response = self.fetch(url)
                expected_type = "application/atom+xml" if atom else "application/rss+xml"
                assert response["Content-Type"] == f"{expected_type}; charset=utf-8"
                parsed = self.parse(response)
                assert parsed.version == ("atom10" if atom else "rss20")
                assert parsed.feed.language == "ro"
                assert parsed.feed.title.startswith("Newsroom")
                assert [entry.link for entry in parsed.entries] == [self.link]
                entry = parsed.entries[0]
                assert entry.title == "Guvernul anunță măsuri"
                assert entry.id.startswith("tag:testserver,") and entry.id.endswith(
                    f":article:{self.article.pk}"
                )
                assert datetime(*entry.published_parsed[:6], tzinfo=UTC) == self.published_at
                assert [author["name"] for author in entry.authors] == [
                    "Mihai Popa",
                    "Ana Ionescu",
                ]
                assert sorted(tag.term for tag in entry.tags) == [
                    "Economie",
                    "Politică & Economie",
                    "alegeri",
                ]
                assert html.unescape(entry.summary) == self.article.standfirst
                content = entry.content[0].value
                assert f'href="{BASE}/section/politica/"' in content
                assert f'href="{self.link[: -len("guvernul-anunta-masuri/")]}alt-articol/"' in (
                    content
                )
                assert f'href="{self.link}#nota"' in content
                with translation.override("ro"):  # the site's language
                    assert f"Ana Ionescu · {self.article.wire_credit}</p>" in content
                assert "Palatul Victoria, dimineața" in content
                assert [person["name"] for person in entry.contributors] == ["Reuters"]
                enclosure = next(link for link in entry.links if link.rel == "enclosure")
                assert enclosure.type == "image/jpeg"
                assert int(enclosure.length) == self.stored_size(enclosure.href)
                media = entry.media_content[0]
                assert media["url"] == enclosure.href
                assert media["medium"] == "image"
                assert (int(media["width"]), int(media["height"])) == (120, 80)

    def stored_size(self, url: str) -> int:
        path = urlsplit(url).path.removeprefix("/media/")
        return default_storage.size(path)

    def test_rss_is_rss_2_0_to_the_letter(self):
        response = self.fetch(reverse("articles:section-feed", kwargs={"slug": "politica"}))
        root = ET.fromstring(response.content)
        assert root.tag == "rss" and root.get("version") == "2.0"
        channels = root.findall("channel")
        assert len(channels) == 1
        channel = channels[0]
        assert channel.findtext("title") == "Newsroom · Politică & Economie"
        assert channel.findtext("link") == f"{BASE}/section/politica/"
        assert channel.findtext("description")
        assert channel.findtext("language") == "ro"
        assert int(channel.findtext("ttl")) == feeds.TTL_MINUTES
        self_link = channel.find("atom:link", NS)
        assert self_link.get("rel") == "self"
        assert self_link.get("href") == f"{BASE}/section/politica/feed/"
        build = email.utils.parsedate_to_datetime(channel.findtext("lastBuildDate"))
        assert build == max(self.article.modified_at, self.article.publish_at).replace(
            microsecond=0
        )
        image = channel.find("image")
        assert image.findtext("url") == f"{BASE}/static/img/feed-logo.png"
        assert image.findtext("title") == channel.findtext("title")
        assert image.findtext("link") == channel.findtext("link")
        assert int(image.findtext("width")) <= 144 and int(image.findtext("height")) <= 400

        (item,) = channel.findall("item")
        assert item.findtext("title") == "Guvernul anunță măsuri"
        assert item.findtext("link") == self.link
        guid = item.find("guid")
        assert guid.get("isPermaLink") == "false"
        assert guid.text.startswith("tag:testserver,")
        pub_date = item.findtext("pubDate")
        assert email.utils.parsedate_to_datetime(pub_date) == self.published_at
        # The offset is the site's (Bucharest: +0200 in winter, +0300 in summer).
        local = timezone.localtime(self.published_at, timezone.get_default_timezone())
        assert pub_date.endswith(local.strftime("%z"))
        assert [el.text for el in item.findall("dc:creator", NS)] == ["Mihai Popa", "Ana Ionescu"]
        assert [el.text for el in item.findall("category")] == [
            "Politică & Economie",
            "Economie",
            "alegeri",
        ]
        enclosure = item.find("enclosure")
        assert enclosure.get("type") == "image/jpeg"
        assert int(enclosure.get("length")) == self.stored_size(enclosure.get("url"))
        media = item.find("media:content", NS)
        assert media.get("url") == enclosure.get("url")
        assert media.get("fileSize") == enclosure.get("length")
        assert media.findtext("media:credit", namespaces=NS) == "Foto: Ion Ion"
        assert item.findtext("dc:contributor", namespaces=NS) == "Reuters"
        # "According to Reuters" credits the agency; the story is not the agency's copy.
        assert item.find("source") is None
        content = item.findtext("content:encoded", namespaces=NS)
        assert content.startswith("<p>Mihai Popa · Ana Ionescu · ")
        assert "<figure><img" in content and f'src="{enclosure.get("url")}"' in content
        assert 'alt="Clădirea guvernului"' in content
        assert content.endswith('<p id="nota">Ultimul paragraf.</p>') or content.endswith(
            "<p>Ultimul paragraf.</p>"
        )

    def test_atom_has_what_rfc_4287_requires(self):
        response = self.fetch(reverse("articles:author-feed-atom", kwargs={"slug": "mihai-popa"}))
        root = ET.fromstring(response.content)
        atom = "{http://www.w3.org/2005/Atom}"
        assert root.tag == f"{atom}feed"
        assert root.findtext(f"{atom}id") == f"{BASE}/author/mihai-popa/feed/atom/"
        assert root.findtext(f"{atom}title") == "Newsroom · Mihai Popa"
        assert root.findtext(f"{atom}author/{atom}name") == "Newsroom"
        assert root.findtext(f"{atom}logo") == f"{BASE}/static/img/feed-logo.png"
        links = {link.get("rel"): link.get("href") for link in root.findall(f"{atom}link")}
        assert links == {
            "alternate": f"{BASE}/author/mihai-popa/",
            "self": f"{BASE}/author/mihai-popa/feed/atom/",
        }
        rfc_3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)")
        assert rfc_3339.fullmatch(root.findtext(f"{atom}updated"))
        (entry,) = root.findall(f"{atom}entry")
        assert rfc_3339.fullmatch(entry.findtext(f"{atom}published"))
        assert rfc_3339.fullmatch(entry.findtext(f"{atom}updated"))
        published = datetime.fromisoformat(entry.findtext(f"{atom}published"))
        updated = datetime.fromisoformat(entry.findtext(f"{atom}updated"))
        assert published == self.published_at
        assert updated == self.article.updated_at
        assert published.utcoffset() == timezone.localtime(self.published_at).utcoffset()
        authors = entry.findall(f"{atom}author")
        assert [a.findtext(f"{atom}name") for a in authors] == ["Mihai Popa", "Ana Ionescu"]
        assert authors[0].findtext(f"{atom}uri") == f"{BASE}/author/mihai-popa/"
        assert entry.find(f"{atom}content").get("type") == "html"
        assert entry.findtext(f"{atom}contributor/{atom}name") == "Reuters"

    def test_feeds_show_the_site_language(self):
        settings_row = SiteSettings.load()
        settings_row.language = "en"
        settings_row.save()
        parsed = self.parse(self.fetch(reverse("articles:feed")))
        assert parsed.feed.language == "en"
        assert "according to Reuters" in parsed.entries[0].content[0].value

    def test_a_missing_image_file_drops_the_enclosure_not_the_feed(self):
        record = self.article.picture.renditions or {}
        names = [self.article.picture.file.name] + [name for *_, name in record.get("jpeg", [])]
        for name in names:
            default_storage.delete(name)
        bump(LISTINGS)
        for url, _atom in self.all_feeds():
            entry = self.parse(self.fetch(url)).entries[0]
            assert not [link for link in entry.links if link.rel == "enclosure"]
            assert (
                "fileSize" not in entry.media_content[0]
                and "filesize" not in (entry.media_content[0])
            )


class OrderAndLimitTests(FeedTestCase):
    def test_latest_first_and_capped(self):
        now = timezone.now()
        stories = [self.story(publish_at=now - timedelta(minutes=n)) for n in range(1, 6)]
        with override_settings(FEED_ITEMS=3):
            for url, _atom in self.all_feeds():
                parsed = self.parse(self.fetch(url))
                assert [entry.link for entry in parsed.entries] == [
                    BASE + story.get_absolute_url() for story in stories[:3]
                ]

    def test_feed_with_no_stories_is_valid(self):
        self.story(status=Article.Status.DRAFT)
        for url, _atom in self.all_feeds():
            if "/tag/" in url:
                continue
            parsed = self.parse(self.fetch(url))
            assert parsed.entries == []

    def test_tag_only_on_unpublished_stories_is_not_public(self):
        # Its name alone could give away a story that is not out yet.
        self.story(status=Article.Status.DRAFT, tags=["demisie"])
        self.story(publish_at=timezone.now() + timedelta(hours=1), tags=["demisie"])
        for name in ("tag-feed", "tag-feed-atom"):
            url = reverse(f"articles:{name}", kwargs={"slug": "demisie"})
            response = self.client.get(url)
            assert response.status_code == 404
            assert b"demisie" not in response.content


class VisibilityTests(FeedTestCase):
    def links(self, url):
        return {entry.link for entry in self.parse(self.fetch(url)).entries}

    def test_no_draft_review_or_scheduled_story_in_any_feed(self):
        live = self.story(headline="Live")
        self.story(headline="Draft", status=Article.Status.DRAFT)
        self.story(
            headline="Review",
            status=Article.Status.REVIEW,
            publish_at=timezone.now() - timedelta(hours=2),
        )
        self.story(headline="Scheduled", publish_at=timezone.now() + timedelta(hours=2))
        for url, _atom in self.all_feeds():
            assert self.links(url) == {BASE + live.get_absolute_url()}, url

    def test_unpublished_story_leaves_every_cached_feed(self):
        self.story(headline="Stays", publish_at=timezone.now() - timedelta(days=1))
        article = self.story()
        link = BASE + article.get_absolute_url()
        for url, _atom in self.all_feeds():
            assert link in self.links(url)  # now cached
        article.status = Article.Status.DRAFT
        article.save()
        for url, _atom in self.all_feeds():
            assert link not in self.links(url), url

    def test_deleted_story_leaves_every_cached_feed(self):
        self.story(headline="Stays", publish_at=timezone.now() - timedelta(days=1))
        article = self.story()
        link = BASE + article.get_absolute_url()
        for url, _atom in self.all_feeds():
            assert link in self.links(url)
        article.delete()
        for url, _atom in self.all_feeds():
            assert link not in self.links(url), url

    def test_scheduled_story_appears_when_its_time_comes_though_the_feed_is_cached(self):
        self.story(headline="Already live")
        go_live = timezone.now() + timedelta(minutes=5)
        scheduled = self.story(headline="Scheduled", publish_at=go_live)
        link = BASE + scheduled.get_absolute_url()
        for url, _atom in self.all_feeds():
            assert link not in self.links(url)
        # Nothing is saved in between: only the clock moves past publish_at.
        later = go_live + timedelta(seconds=1)
        with mock.patch("django.utils.timezone.now", return_value=later):
            for url, _atom in self.all_feeds():
                assert link in self.links(url), url

    def test_cache_lifetime_is_capped_at_the_next_scheduled_story(self):
        go_live = timezone.now() + timedelta(seconds=90)
        self.story(publish_at=go_live)
        response = self.client.get(reverse("articles:section-feed", kwargs={"slug": "politica"}))
        assert response.status_code == 200
        stored = cache.get(pages.page_key(response.wsgi_request, ()))
        assert stored.expires_at == go_live.timestamp()


class InvalidationTests(FeedTestCase):
    def test_cached_feed_costs_no_queries(self):
        self.story()
        for url, _atom in self.all_feeds():
            first = self.fetch(url)
            with self.assertNumQueries(0):
                second = self.fetch(url)
            assert second.content == first.content

    def test_an_edit_shows_immediately(self):
        article = self.story(headline="Before")
        for url, _atom in self.all_feeds():
            assert self.parse(self.fetch(url)).entries[0].title == "Before"
        article.headline = "After"
        article.body = "<p>New body</p>"
        article.save()
        for url, _atom in self.all_feeds():
            entry = self.parse(self.fetch(url)).entries[0]
            assert entry.title == "After", url
            assert "New body" in entry.content[0].value

    def test_new_story_and_new_tag_show_immediately(self):
        self.story()
        tag_feed = reverse("articles:tag-feed", kwargs={"slug": "alegeri"})
        self.fetch(tag_feed)
        other = make_article(section=make_section())
        other.tags.add("alegeri")
        links = [entry.link for entry in self.parse(self.fetch(tag_feed)).entries]
        assert links[0] == BASE + other.get_absolute_url()

    def test_byline_author_and_section_changes_show_immediately(self):
        article = self.story()
        section_feed = reverse("articles:section-feed", kwargs={"slug": "politica"})
        self.fetch(section_feed)
        self.second_author.name = "Ana Ionescu-Vlad"
        self.second_author.save()
        entry = self.parse(self.fetch(section_feed)).entries[0]
        assert [a["name"] for a in entry.authors] == ["Mihai Popa", "Ana Ionescu-Vlad"]
        ArticleAuthor.objects.filter(article=article, author=self.first_author).delete()
        entry = self.parse(self.fetch(section_feed)).entries[0]
        assert [a["name"] for a in entry.authors] == ["Ana Ionescu-Vlad"]
        self.section.name = "Politică"
        self.section.save()
        parsed = self.parse(self.fetch(section_feed))
        assert parsed.feed.title == "Newsroom · Politică"

    def test_feeds_serve_when_the_cache_is_down(self):
        self.story()
        broken = mock.Mock(side_effect=ConnectionError("cache down"))
        down = mock.Mock(get=broken, set=broken, add=broken, get_many=broken, set_many=broken)
        for module in (pages, keys, values, clock):
            self.enterContext(mock.patch.object(module, "cache", down))
        with self.assertLogs("newsroom.pagecache", "WARNING"):
            for url, _atom in self.all_feeds():
                assert len(self.parse(self.fetch(url)).entries) == 1
        assert broken.called


class GuidTests(FeedTestCase):
    def test_guids_stay_the_same_across_an_edit(self):
        article = self.story(headline="First version")
        before = {url: self.parse(self.fetch(url)).entries[0].id for url, _atom in self.all_feeds()}
        article.headline = "Second version"
        article.slug = "second-version"
        article.updated_at = timezone.now()
        article.save()
        for url, _atom in self.all_feeds():
            entry = self.parse(self.fetch(url)).entries[0]
            assert entry.title == "Second version"
            assert entry.id == before[url]

    def test_guids_are_unique_per_story(self):
        self.story()
        self.story()
        ids = [entry.id for entry in self.parse(self.fetch(reverse("articles:feed"))).entries]
        assert len(set(ids)) == 2


class ConditionalGetTests(FeedTestCase):
    def test_etag_and_last_modified_answer_304_with_no_body(self):
        article = self.story()
        for url, _atom in self.all_feeds():
            with self.subTest(url=url):
                response = self.fetch(url)
                etag, last_modified = response["ETag"], response["Last-Modified"]
                assert etag.startswith('"') and etag.endswith('"')
                assert "no-cache" in response["Cache-Control"]
                changed = max(article.modified_at, article.publish_at).replace(microsecond=0)
                assert changed <= email.utils.parsedate_to_datetime(last_modified)
                assert email.utils.parsedate_to_datetime(last_modified) <= timezone.now()

                by_etag = self.client.get(url, headers={"if-none-match": etag})
                assert by_etag.status_code == 304
                assert by_etag.content == b""
                assert by_etag["ETag"] == etag

                by_date = self.client.get(url, headers={"if-modified-since": last_modified})
                assert by_date.status_code == 304
                assert by_date.content == b""

                stale = self.client.get(url, headers={"if-none-match": '"something-else"'})
                assert stale.status_code == 200 and stale.content == response.content

    def later(self, seconds: int = 10):
        """Move the clock forward: HTTP dates have a resolution of one second."""
        moment = timezone.now() + timedelta(seconds=seconds)
        return (
            mock.patch("django.utils.timezone.now", return_value=moment),
            mock.patch("time.time_ns", return_value=int(moment.timestamp() * 10**9)),
        )

    def test_an_edit_answers_200_to_both_validators(self):
        article = self.story(headline="Before")
        url = reverse("articles:feed")
        before = self.fetch(url)
        clock, ns_clock = self.later()
        with clock, ns_clock:
            article.headline = "After"
            article.save()
            by_etag = self.client.get(url, headers={"if-none-match": before["ETag"]})
            by_date = self.client.get(url, headers={"if-modified-since": before["Last-Modified"]})
        for response in (by_etag, by_date):
            assert response.status_code == 200
            assert b"After" in response.content
            assert response["ETag"] != before["ETag"]

    def test_unpublishing_answers_200_to_both_validators(self):
        self.story(headline="Stays")
        leaving = self.story(headline="Leaves")
        url = reverse("articles:feed")
        before = self.fetch(url)
        clock, ns_clock = self.later()
        with clock, ns_clock:
            leaving.status = Article.Status.DRAFT
            leaving.save()
            by_etag = self.client.get(url, headers={"if-none-match": before["ETag"]})
            by_date = self.client.get(url, headers={"if-modified-since": before["Last-Modified"]})
        for response in (by_etag, by_date):
            assert response.status_code == 200
            assert b"Leaves" not in response.content and b"Stays" in response.content

    def test_only_get_and_head(self):
        url = reverse("articles:feed")
        assert self.client.post(url).status_code == 405
        assert self.client.head(url).status_code == 200


class QueryBudgetTests(FeedTestCase):
    """Each feed runs at most 6 queries, whatever its length."""

    def fill(self, count: int):
        reuters = wire_service("reuters")
        for n in range(count):
            self.story(
                wire_service=reuters,
                wire_attribution=Article.Attribution.WIRE_COPY,
                tags=["alegeri", f"tag-{n}"],
                picture=make_picture(file=image_upload(f"image-{n}.jpg"), alt="Alt"),
            )

    def measure(self) -> dict[str, int]:
        counts = {}
        for url, _atom in self.all_feeds():
            # The worst case: cold feed cache, site settings and content types.
            cache.clear()
            ContentType.objects.clear_cache()
            with CaptureQueriesContext(connection) as queries:
                self.parse(self.fetch(url))
            counts[url] = len(queries)
            sql = "\n".join(query["sql"] for query in queries.captured_queries)
            assert len(queries) <= 6, f"{url}: {len(queries)} queries\n{sql}"
        return counts

    def test_one_and_thirty_items_cost_the_same(self):
        self.fill(1)
        one = self.measure()
        self.fill(29)
        thirty = self.measure()
        assert one == thirty
        assert max(one.values()) <= 6
        with override_settings(FEED_ITEMS=30):
            entries = self.parse(self.fetch(reverse("articles:feed"))).entries
        assert len(entries) == 30


class HostileTextTests(FeedTestCase):
    def test_markup_characters_quotes_emoji_and_diacritics_round_trip(self):
        headline = "Tom & Jerry <3 \"ghilimele\" 'simple' 🎉 ăâîșț ĂÂÎȘȚ „citat” — </title>"
        standfirst = "A < B && C > D; <script>alert(1)</script> șarpe"
        author = make_author(name="Ștefan <Ţepeş> & Co", slug="stefan")
        self.story(
            headline=headline,
            standfirst=standfirst,
            authors=[author],
            tags=["alegeri", "Țară & <lume>"],
            picture=make_picture(
                file=image_upload("Fotografie șarpe 🎉.jpg"),
                alt='Alt "text" & <more>',
                caption="Legendă & <b>",
            ),
        )
        for url, _atom in self.all_feeds():
            if "author" in url:
                url = url.replace("mihai-popa", "stefan")
            with self.subTest(url=url):
                entry = self.parse(self.fetch(url)).entries[0]
                assert entry.title == headline
                assert html.unescape(entry.summary) == standfirst
                assert entry.authors[0]["name"] == "Ștefan <Ţepeş> & Co"
                assert "Țară & <lume>" in [tag.term for tag in entry.tags]
                assert "<script>" not in entry.content[0].value

    def test_rss_plain_text_uses_hexadecimal_references(self):
        self.story(headline="A & B < C")
        body = self.fetch(reverse("articles:feed")).content.decode()
        assert "<title>A &#x26; B &#x3C; C</title>" in body

    def test_control_characters_are_removed_everywhere(self):
        bad = "\x0b\x01\x1f\x08\x0c"  # PostgreSQL refuses to store \x00 at all
        author = make_author(name=f"Vertical{bad}Tab", slug="tab")
        section = make_section(name=f"Sec{bad}tion", slug="tab-section")
        self.story(
            headline=f"Head{bad}line",
            standfirst=f"Stand{bad}first",
            body=f"<p>Bo{bad}dy <a href='/x{bad}y/'>link</a></p>",
            section=section,
            authors=[author],
            tags=[f"ta{bad}g"],
            picture=make_picture(
                file=image_upload("photo.jpg"),
                alt=f"Al{bad}t",
                caption=f"Cap{bad}tion",
                credit=f"Cre{bad}dit",
            ),
        )
        urls = [
            reverse("articles:feed"),
            reverse("articles:feed-atom"),
            reverse("articles:section-feed", kwargs={"slug": "tab-section"}),
            reverse("articles:section-feed-atom", kwargs={"slug": "tab-section"}),
            reverse("articles:author-feed", kwargs={"slug": "tab"}),
            reverse("articles:author-feed-atom", kwargs={"slug": "tab"}),
        ]
        for url in urls:
            with self.subTest(url=url):
                response = self.fetch(url)
                ET.fromstring(response.content)
                for char in bad:
                    assert char.encode() not in response.content
                entry = self.parse(response).entries[0]
                assert entry.title == "Headline"
                assert entry.authors[0]["name"] == "VerticalTab"
                assert "Body" in entry.content[0].value
                assert "Caption" in entry.content[0].value
                assert "tag" in [tag.term for tag in entry.tags]

    def test_generators_drop_what_xml_forbids_instead_of_failing(self):
        for generator in (feeds.NewsRssFeed, feeds.NewsAtomFeed):
            feed = generator(
                title="Ti\x00tle\ufffe", link="http://testserver/", description="D\ud800esc"
            )
            feed.feed.update(build_date=timezone.now(), logo="http://testserver/l\x0b.png")
            feed.add_item(
                title="It\x1fem",
                link="http://testserver/a/",
                description="x",
                unique_id="tag:testserver,2024-01-01:article:1",
                unique_id_is_permalink=False,
                pubdate=timezone.now(),
                updateddate=timezone.now(),
                content="<p>\x00Body\uffff</p>",
                creators=[("A\x0cuthor", "http://testserver/author/a/")],
                wire=None,
                media=None,
            )
            output = feed.writeString("utf-8")
            root = ET.fromstring(output.encode())
            assert root is not None
            parsed = feedparser.parse(output.encode())
            assert not parsed.bozo
            assert parsed.feed.title == "Title"
            assert parsed.entries[0].title == "Item"
            assert parsed.entries[0].authors[0]["name"] == "Author"
            assert "Body" in parsed.entries[0].content[0].value

    def test_a_very_long_body_is_whole_and_well_formed(self):
        paragraphs = [
            f"<p>Paragraf {n} cu <strong>ceva</strong> și <em>altceva</em>.</p>"
            for n in range(4000)
        ]
        self.story(body="".join(paragraphs) + "<p>SFÂRȘIT</p>")
        for url, _atom in self.all_feeds():
            response = self.fetch(url)
            ET.fromstring(response.content)
            content = self.parse(response).entries[0].content[0].value
            assert content.count("<strong>ceva</strong>") == 4000
            assert content.endswith("<p>SFÂRȘIT</p>")

    def test_a_tag_on_drafts_only_costs_what_a_missing_tag_costs(self):
        # Not a word, nor a millisecond: with more work done for an existing tag, timing one
        # request told whether an embargoed topic's tag exists.
        self.story(status=Article.Status.DRAFT, tags=["demisie"])
        answers = {}
        for slug in ("demisie", "nu-exista-deloc"):
            for name in ("tag-feed", "tag-feed-atom", "tag"):
                url = reverse(f"articles:{name}", kwargs={"slug": slug})
                self.client.get(url)  # what the site keeps is warm for both
                with CaptureQueriesContext(connection) as queries:
                    response = self.client.get(url)
                answers[slug, name] = (response.status_code, len(queries))
        for name in ("tag-feed", "tag-feed-atom", "tag"):
            assert answers["demisie", name] == answers["nu-exista-deloc", name], answers
            assert answers["demisie", name][0] == 404


class NotFoundTests(FeedTestCase):
    def test_unknown_slugs_answer_404(self):
        self.story()
        for kind in ("section", "tag", "author"):
            for slug in ("no-such-thing", "ăîș-nu-există", "politica-", "x" * 300):
                for suffix in ("feed/", "feed/atom/"):
                    url = f"/{kind}/{slug}/{suffix}"
                    assert self.client.get(url).status_code == 404, url

    def test_tag_with_diacritics_in_its_name_has_a_feed(self):
        self.story(tags=["Educație"])
        url = reverse("articles:tag-feed", kwargs={"slug": "educatie"})  # its ASCII slug
        assert len(self.parse(self.fetch(url)).entries) == 1


class AutodiscoveryTests(FeedTestCase):
    def render(self, **context):
        return render_to_string("includes/feed_links.html", {"site_name": "Newsroom", **context})

    def alternates(self, page: str) -> list[tuple[str, str, str]]:
        """(type, title, href) of each <link rel="alternate"> in the page's head."""
        found = []

        class Links(HTMLParser):
            def handle_starttag(self, tag, attrs):
                attrs = dict(attrs)
                if tag == "link" and attrs.get("rel") == "alternate":
                    found.append((attrs["type"], attrs["title"], attrs["href"]))

        Links().feed(page.split("</head>")[0])
        return found

    def test_site_feeds_alone_without_a_subject(self):
        assert self.alternates(self.render()) == [
            ("application/rss+xml", "Newsroom (RSS)", "/feed/"),
            ("application/atom+xml", "Newsroom (Atom)", "/feed/atom/"),
        ]

    def test_subject_feeds_come_first_then_the_site_feeds(self):
        tag = self.story(tags=["Educație"]).tags.get(name="Educație")
        cases = [
            ({"feed_section": self.section}, "Politică & Economie", "/section/politica/feed/"),
            ({"feed_tag": tag}, "Educație", "/tag/educatie/feed/"),
            ({"feed_author": self.first_author}, "Mihai Popa", "/author/mihai-popa/feed/"),
        ]
        for context, name, rss in cases:
            assert self.alternates(self.render(**context)) == [
                ("application/rss+xml", f"Newsroom · {name} (RSS)", rss),
                ("application/atom+xml", f"Newsroom · {name} (Atom)", f"{rss}atom/"),
                ("application/rss+xml", "Newsroom (RSS)", "/feed/"),
                ("application/atom+xml", "Newsroom (Atom)", "/feed/atom/"),
            ]

    def test_pages_link_their_feeds_in_the_head(self):
        self.story()
        home = self.client.get(reverse("home"))
        assert [href for _type, _title, href in self.alternates(home.content.decode())] == [
            "/feed/",
            "/feed/atom/",
        ]
        for url, own in [
            (reverse("articles:section", kwargs={"slug": "politica"}), "/section/politica/feed/"),
            (reverse("articles:tag", kwargs={"slug": "alegeri"}), "/tag/alegeri/feed/"),
            (reverse("articles:author", kwargs={"slug": "mihai-popa"}), "/author/mihai-popa/feed/"),
        ]:
            response = self.client.get(url)
            assert response.status_code == 200
            hrefs = [href for _type, _title, href in self.alternates(response.content.decode())]
            assert hrefs == [own, f"{own}atom/", "/feed/", "/feed/atom/"], url
