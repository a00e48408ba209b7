"""Quality bars of the public pages: a flat query count and a light story page."""

import gzip
import re
from datetime import timedelta

from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.db import connection
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from newsroom.chrome.models import AdSlot, Menu, MenuItem
from tests.factories import (
    curate,
    image_upload,
    make_article,
    make_author,
    make_picture,
    make_section,
)
from tests.helpers import StoresPagesAtOnce

MAX_QUERIES = 8


def rich_body() -> str:
    """Two library pictures, a gallery of five, a table, a YouTube video and an X post."""

    def alone(picture) -> str:
        return f'<p><a href="{picture.file.url}">{picture.file.url}</a></p>'

    pictures = [
        make_picture(file=image_upload(), caption=f"Caption {n}", credit="Foto: Ion Pop")
        for n in range(7)
    ]
    paragraphs = [
        f"<p>Paragraph {n}: " + "Lorem ipsum dolor sit amet, consectetur. " * 12 + "</p>"
        for n in range(20)
    ]
    return (
        "".join(paragraphs[:5])
        + alone(pictures[0])
        + "".join(paragraphs[5:10])
        + "<table><tbody><tr><th><p>Region</p></th><th><p>Turnout</p></th></tr>"
        + "".join(f"<tr><td><p>Region {n}</p></td><td><p>5{n}%</p></td></tr>" for n in range(8))
        + "</tbody></table>"
        + "<p>https://www.youtube.com/watch?v=M7lc1UVf-VE</p>"
        + "".join(paragraphs[10:15])
        + alone(pictures[1])
        + "<p>https://x.com/jack/status/20</p>"
        + "".join(alone(picture) for picture in pictures[2:])
        + "".join(paragraphs[15:])
    )


# A query reading what the chrome prints (not merely naming a table in a subquery): its own
# tables, the site settings and the weather for the header, and the clock's next change (one
# query asks every source; on PostgreSQL a union of parenthesized parts).
CHROME_QUERY = re.compile(
    r'SELECT [^(]*? FROM "(articles_section|newsroom_menuitem|newsroom_adslot|chrome_breakingnews'
    r'|pages_page|newsroom_sitesettings|newsroom_weatherreading)"'
    r'|\(?SELECT MIN\([^)]*\) AS "moment"',
    re.S,
)


@override_settings(PAGE_CACHE=False)
class PageQueryTests(StoresPagesAtOnce, TestCase):
    """Every page type costs at most 8 queries to build, and the same with 1 story as with 50.

    Measured with the page cache off (every request builds its page); PageCacheQueryTests
    checks the same pages with it on.
    """

    def setUp(self):
        super().setUp()
        cache.clear()
        self.sections = [make_section(position=i) for i in range(3)]
        self.authors = [make_author(picture=make_picture()) for _ in range(3)]
        self.day = timezone.localtime() - timedelta(days=2)
        menu = Menu.objects.create(name="Main", slug="main")
        parent = MenuItem.objects.create(menu=menu, label="News", section=self.sections[0])
        MenuItem.objects.create(menu=menu, label="Child", url="/x/", parent=parent)
        AdSlot.objects.create(name="Top", placement="top", html="<b>ad</b>")
        AdSlot.objects.create(name="In", placement="in_story", html="<b>ad</b>", after_paragraph=1)
        # Non-public stories must not change the counts either.
        make_article(section=self.sections[0], status=Article.Status.DRAFT)
        make_article(section=self.sections[0], publish_at=timezone.now() + timedelta(days=1))

    def add_stories(self, count: int) -> Article:
        stories = []
        for n in range(count):
            stories.append(
                make_article(
                    section=self.sections[n % 3],
                    authors=self.authors[: 1 + n % 3],
                    tags=[f"tag-{n % 4}", "common"],
                    publish_at=self.day - timedelta(minutes=n),
                    body="<p>One.</p><p>Two.</p><p>Three.</p>",
                    picture=make_picture(file=image_upload()) if n % 2 == 0 else None,
                )
            )
        story = stories[0]
        story.corrections.create(text="Fixed a name.")
        return story

    def urls(self, story: Article) -> dict[str, str]:
        local = timezone.localtime(story.publish_at)
        return {
            "home": reverse("home"),
            "story": story.get_absolute_url(),
            "section": reverse("articles:section", args=[story.section.slug]),
            "tag": reverse("articles:tag", args=["common"]),
            "author": reverse("articles:author", args=[self.authors[0].slug]),
            "year": reverse("articles:archive-year", args=[local.year]),
            "month": reverse("articles:archive-month", args=[local.year, local.month]),
            "day": reverse("articles:archive-day", args=[local.year, local.month, local.day]),
        }

    def count(self, url: str) -> int:
        assert self.client.get(url).status_code == 200  # warms the chrome caches
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(url)
        assert response.status_code == 200, url
        return len(queries)

    def measure(self, stories: int) -> dict[str, int]:
        story = self.add_stories(stories)
        return {name: self.count(url) for name, url in self.urls(story).items()}

    def test_pages_with_one_story(self):
        counts = self.measure(1)
        assert all(n <= MAX_QUERIES for n in counts.values()), counts

    def test_pages_with_fifty_stories_cost_the_same(self):
        # Enough for the home page's lead, top and latest stories and a section block (and for
        # a related story on the story page).
        few = self.measure(16)
        Article.objects.all().delete()
        cache.clear()
        many = self.measure(50)
        assert all(n <= MAX_QUERIES for n in many.values()), many
        # No N+1 anywhere: listing 50 stories costs what listing eight does.
        assert many == few, (few, many)

    def test_cold_chrome_adds_a_fixed_few_queries(self):
        story = self.add_stories(5)
        chrome_read = {}
        for name, url in self.urls(story).items():
            self.count(url)
            cache.clear()
            with CaptureQueriesContext(connection) as queries:
                assert self.client.get(url).status_code == 200
            cold = [query["sql"] for query in queries.captured_queries]
            chrome = [
                match.group(1) or "clock" for sql in cold if (match := CHROME_QUERY.match(sql))
            ]
            # The chrome costs one query each on a cold cache: sections, menus, ad slots, the
            # breaking-news banner, the footer's pages, site settings and the weather for the
            # header, and the time of the next scheduled change.
            assert len(chrome) <= 8, (name, chrome)
            chrome_read[name] = sorted(chrome)
            # The rest is the page's own, which a page with the chrome warm costs: what it reads
            # on every request, and what it keeps until its stories or lists change (a list's
            # count, a year's months, the story with its byline, tags and corrections, its
            # related and neighbouring stories, the front page's curation). Within the budget,
            # however much of it the page keeps.
            assert len(cold) - len(chrome) <= MAX_QUERIES, (name, len(cold), chrome)
        # The same few on every page: no page's chrome costs more.
        assert len({tuple(read) for read in chrome_read.values()}) == 1, chrome_read

    def test_story_with_pictures_a_gallery_a_table_and_embeds(self):
        story = self.add_stories(3)
        story.body = rich_body()
        story.save()
        url = story.get_absolute_url()
        html = self.client.get(url).content.decode()
        assert html.count("<li><figure") == 5 and 'id="gallery-viewer"' in html
        assert html.count('<figure class="embed') == 2 and "<table" in html
        assert self.count(url) <= MAX_QUERIES

    def test_pinned_lead_costs_one_query_more_at_most(self):
        story = self.add_stories(30)
        old = Article.objects.published().order_by("publish_at").first()
        curate(old)
        assert self.count(reverse("home")) <= MAX_QUERIES
        assert story.pk != old.pk


@override_settings(PAGE_CACHE=True)
class PageCacheQueryTests(PageQueryTests):
    """With the page cache on: building a page still costs at most 8 queries; serving it, none."""

    def test_built_once_then_served_without_queries(self):
        story = self.add_stories(10)
        urls = {
            **self.urls(story),
            "search": reverse("articles:search") + "?q=headline",
            "sitemap": reverse("sitemap"),
            "news sitemap": reverse("news-sitemap"),
            "rss": reverse("articles:feed"),
        }
        for name, url in urls.items():
            with self.settings(PAGE_CACHE=False):
                assert self.client.get(url).status_code == 200  # warms the chrome caches
            with CaptureQueriesContext(connection) as built:
                first = self.client.get(url)
            assert first.status_code == 200, name
            assert first["X-Page-Cache"] == "miss", name
            assert len(built) <= MAX_QUERIES, (name, len(built))
            with CaptureQueriesContext(connection) as served:
                second = self.client.get(url)
            assert second["X-Page-Cache"] == "hit", name
            assert len(served) == 0, (name, [query["sql"] for query in served])

    # The inherited tests run again with the cache on: each warm request is then a cache hit.
    def count(self, url: str) -> int:
        assert self.client.get(url).status_code == 200
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(url)
        assert response.status_code == 200, url
        assert response["X-Page-Cache"] == "hit", url
        return len(queries)

    def test_cold_chrome_adds_a_fixed_few_queries(self):
        story = self.add_stories(5)
        for name, url in self.urls(story).items():
            assert self.count(url) == 0, name


class StoryPageWeightTests(TestCase):
    """HTML + CSS + JavaScript of a story page: at most 60 KB gzipped (images excluded)."""

    LIMIT = 60 * 1024

    def setUp(self):
        cache.clear()

    def weigh(self, story: Article) -> int:
        response = self.client.get(story.get_absolute_url())
        assert response.status_code == 200
        html = response.content.decode()
        total = len(gzip.compress(response.content))
        assets = re.findall(r'(?:href|src)="/static/([^"]+\.(?:css|js))"', html)
        assert any(asset.endswith(".css") for asset in assets)
        for asset in set(assets):
            path = finders.find(asset)
            assert path, asset
            with open(path, "rb") as handle:
                total += len(gzip.compress(handle.read()))
        # No third-party requests: every script and stylesheet comes from this site.
        external = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(?:https?:)?//[^"]*"', html)
        assert [tag for tag in external if 'rel="canonical"' not in tag] == []
        return total

    def story(self, body: str) -> Article:
        section = make_section()
        author = make_author(name="Ioana Popescu", bio="Reporter.")
        tags = [f"subject {n}" for n in range(6)]
        story = make_article(section=section, authors=[author], tags=tags, body=body)
        for n in range(6):
            make_article(section=section, tags=tags[:2], headline=f"Related story {n} " * 3)
        return story

    def test_story_page_is_light(self):
        paragraphs = "".join(
            f"<p>Paragraph {n}: " + "Lorem ipsum dolor sit amet, consectetur. " * 12 + "</p>"
            for n in range(25)
        )
        total = self.weigh(self.story(paragraphs))
        assert total <= self.LIMIT, total

    def test_story_page_with_a_gallery_of_five_is_light(self):
        # With two pictures more, a table and two embeds: the gallery's viewer and the embeds'
        # script count too.
        story = self.story(rich_body())
        html = self.client.get(story.get_absolute_url()).content.decode()
        assert "js/gallery" in html and "js/embeds" in html
        total = self.weigh(story)
        assert total < self.LIMIT, total
