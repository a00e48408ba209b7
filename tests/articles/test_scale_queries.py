"""Costs that must not grow with the archive: every list is read through an index.

The test site is small, so the planner would happily scan it whole; these tests ask it to avoid
full scans where it can (PostgreSQL: enable_seqscan off) and fail if a query over the story,
byline or tag tables still needs one, i.e. if no index can serve it. Query plans at a million
stories, with their timings, are recorded by `make bench` in benchmarks/results/.
"""

import re
from datetime import timedelta

from django.core.cache import cache
from django.db import connection
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from articles.search import uses_full_text
from articles.views import MAX_PAGES, PAGE_SIZE
from newsroom.chrome.models import SiteSettings
from tests.factories import bulk_published, make_article, make_author, make_section
from tests.helpers import StoresPagesAtOnce

BIG_TABLES = (
    "articles_article",
    "articles_articleauthor",
    "taggit_taggeditem",
    "articles_correction",
)


def full_scans(sql: str) -> set[str]:
    """The big tables the query reads in full, by the database's own plan."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET enable_seqscan = off")
            try:
                cursor.execute("EXPLAIN " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            finally:
                cursor.execute("RESET enable_seqscan")
            return {
                table for table in re.findall(r"Seq Scan on (\w+)", plan) if table in BIG_TABLES
            }
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        steps = [row[-1] for row in cursor.fetchall()]
    # Django names tables in subqueries U0, V1…: map those back to the tables.
    aliases: dict[str, str] = {
        alias: table for table, alias in re.findall(r'"(\w+)" ([A-Z]\d+)\b', sql)
    }
    scanned: set[str] = set()
    for step in steps:
        match = re.match(r"SCAN (\w+)$", step.strip())  # a SCAN without USING … INDEX
        if match:
            scanned.add(aliases.get(match.group(1), match.group(1)))
    return scanned & set(BIG_TABLES)


@override_settings(PAGE_CACHE=False)
class IndexedListTests(StoresPagesAtOnce, TestCase):
    def setUp(self):
        super().setUp()
        cache.clear()
        SiteSettings(pk=1, language="en").save()
        self.section = make_section(slug="politics")
        self.author = make_author(slug="ana-pop")
        now = timezone.now()
        for n in range(30):
            make_article(
                section=self.section,
                authors=[self.author],
                tags=["budget", f"topic-{n % 3}"],
                publish_at=now - timedelta(days=1, hours=n),
            )
        make_article(section=self.section, status=Article.Status.DRAFT)
        make_article(section=self.section, publish_at=now + timedelta(hours=3))
        self.story = Article.objects.published().latest_first()[5]

    def pages(self) -> dict[str, str]:
        local = timezone.localtime(self.story.publish_at)
        pages = {
            "home": reverse("home"),
            "story": self.story.get_absolute_url(),
            "section": reverse("articles:section", args=["politics"]),
            "section page 2": reverse("articles:section", args=["politics"]) + "?page=2",
            "tag": reverse("articles:tag", args=["budget"]),
            "author": reverse("articles:author", args=["ana-pop"]),
            "year": reverse("articles:archive-year", args=[local.year]),
            "month": reverse("articles:archive-month", args=[local.year, local.month]),
            "day": reverse("articles:archive-day", args=[local.year, local.month, local.day]),
            "rss": reverse("articles:feed"),
            "section feed": reverse("articles:section-feed", args=["politics"]),
            "tag feed": reverse("articles:tag-feed", args=["budget"]),
            "author feed": reverse("articles:author-feed", args=["ana-pop"]),
            "sitemap index": reverse("sitemap"),
            "story sitemap": reverse("sitemap-section", args=["articles"]),
            "section sitemap": reverse("sitemap-section", args=["sections"]),
            "tag sitemap": reverse("sitemap-section", args=["tags"]),
            "author sitemap": reverse("sitemap-section", args=["authors"]),
            "news sitemap": reverse("news-sitemap"),
        }
        if uses_full_text():
            # Elsewhere than PostgreSQL, search is a LIKE over the text: a scan by design.
            pages["search"] = reverse("articles:search") + "?q=headline"
        return pages

    def queries(self, url: str) -> list[str]:
        """Every query the page runs with cold caches (counts and kept lists included)."""
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            response = self.client.get(url)
        assert response.status_code == 200, url
        return [query["sql"] for query in captured if query["sql"].startswith(("SELECT", "("))]

    def test_the_check_sees_a_full_scan(self):
        sql = 'SELECT "id" FROM "articles_article" WHERE "articles_article"."headline" = \'x\''
        assert full_scans(sql) == {"articles_article"}

    def test_no_page_reads_a_big_table_in_full(self):
        found = {}
        for name, url in self.pages().items():
            for sql in self.queries(url):
                if scans := full_scans(sql):
                    found.setdefault(name, []).append((sorted(scans), sql[:300]))
        assert found == {}, found

    def test_counts_stop_at_the_page_cap(self):
        # A list counts at most MAX_PAGES pages of stories, however long it is.
        limit = MAX_PAGES * PAGE_SIZE
        for name in ("section", "tag", "author", "day"):
            counts = [sql for sql in self.queries(self.pages()[name]) if "COUNT(" in sql.upper()]
            assert counts, name
            for sql in counts:
                assert f"LIMIT {limit}" in sql, (name, sql)

    def test_pages_cost_the_same_number_of_queries_at_any_size(self):
        def counted() -> dict[str, int]:
            sizes = {}
            for name, url in self.pages().items():
                self.client.get(url)  # warm the kept counts and lists
                with CaptureQueriesContext(connection) as captured:
                    assert self.client.get(url).status_code == 200
                sizes[name] = len(captured)
            return sizes

        before = counted()
        bulk_published(
            200,
            self.section,
            headline="Bulk headline",
            slug="bulk",
            newest=timedelta(days=3),
            apart=timedelta(minutes=1),
        )
        assert counted() == before
