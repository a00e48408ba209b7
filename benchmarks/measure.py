"""In-process measurements: queries per page, server time, and the plans of every query."""

import io
import random
import statistics
import time
from datetime import timedelta

from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

# Tables whose size grows with the archive: a sequential scan of one is a finding.
BIG_TABLES = (
    "articles_article",
    "articles_articleauthor",
    "taggit_taggeditem",
    "articles_correction",
)
STORY_SAMPLE = 50


def pick_targets(seed: int = 1) -> dict[str, list[str]]:
    """The address(es) of each page type: the busiest section, tag and author, a sample of
    stories from across the archive, a day a hundred days back, a common search word."""
    from taggit.models import Tag

    from articles.models import Article, Author, Section

    published = Article.objects.published()
    section = Section.objects.annotate(n=Count("articles")).order_by("-n").first()
    tag = Tag.objects.annotate(n=Count("taggit_taggeditem_items")).order_by("-n").first()
    author = Author.objects.annotate(n=Count("bylines")).order_by("-n").first()
    assert section is not None and author is not None  # the benchmark database is loaded
    last = published.order_by("-pk").values_list("pk", flat=True).first() or 0
    rng = random.Random(seed)
    ids = sorted(rng.sample(range(1, last + 1), min(last, STORY_SAMPLE * 3)))
    stories = [
        story.get_absolute_url()
        for story in published.filter(pk__in=ids).only("slug", "publish_at")[:STORY_SAMPLE]
    ]
    day = timezone.localdate() - timedelta(days=100)
    return {
        "home": [reverse("home")],
        "story": stories,
        "section": [section.get_absolute_url()],
        "tag": [reverse("articles:tag", args=[tag.slug])],
        "author": [author.get_absolute_url()],
        "day archive": [reverse("articles:archive-day", args=[day.year, day.month, day.day])],
        "search": [reverse("articles:search") + "?q=guvernul"],
        "rss": [reverse("articles:feed")],
        "atom": [reverse("articles:feed-atom")],
        "sitemap": [reverse("sitemap-section", args=["articles"])],
        "news sitemap": [reverse("news-sitemap")],
        "live header": [reverse("live-header")],
    }


def _environ(path: str) -> dict:
    path, _, query = path.partition("?")
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


class InProcess:
    """Calls the WSGI application as gunicorn would, without the network."""

    def __init__(self):
        self.handler = WSGIHandler()

    def get(self, path: str) -> tuple[int, bytes]:
        status = []

        def start_response(line, headers, exc_info=None):
            status.append(int(line.split(" ", 1)[0]))

        result = self.handler(_environ(path), start_response)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        return status[0], body


def capture(app: InProcess, path: str) -> list[dict]:
    """The queries of one request (the log is emptied first: a request resets it)."""
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as queries:
        app.get(path)
    return list(queries.captured_queries)  # the next request empties the log again


def server_times(targets: dict[str, list[str]], iterations: int) -> dict[str, dict]:
    """Queries and warm, uncached server time (page cache off, data caches warm) per page."""
    app = InProcess()
    results = {}
    with override_settings(PAGE_CACHE=False):
        for name, paths in targets.items():
            for path in paths:  # warm every address: templates, chrome, counts
                for _ in range(2):
                    status, _body = app.get(path)
                    if status != 200:
                        raise RuntimeError(f"{name}: {path} answered {status}")
            queries = capture(app, paths[0])
            timings = []
            for n in range(iterations):
                path = paths[n % len(paths)]
                started = time.perf_counter()
                app.get(path)
                timings.append((time.perf_counter() - started) * 1000)
            quantiles = statistics.quantiles(timings, n=100, method="inclusive")
            results[name] = {
                "path": paths[0],
                "queries": len(queries),
                "p50_ms": round(statistics.median(timings), 2),
                "p95_ms": round(quantiles[94], 2),
                "iterations": iterations,
            }
    return results


def plans(targets: dict[str, list[str]]) -> dict[str, list[dict]]:
    """EXPLAIN ANALYZE of every query each page runs on cold data caches (counts included)."""
    app = InProcess()
    found = {}
    with override_settings(PAGE_CACHE=False):
        for name, paths in targets.items():
            cache.clear()
            queries = capture(app, paths[0])
            entries = []
            for query in queries:
                statement = query["sql"]
                if not statement.lstrip().upper().startswith("SELECT"):
                    continue
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement)
                    plan = "\n".join(row[0] for row in cursor.fetchall())
                seq_scans = sorted(
                    {table for table in BIG_TABLES if f"Seq Scan on {table}" in plan}
                )
                execution = next(
                    (
                        float(line.split(":")[1].strip().split(" ")[0])
                        for line in plan.splitlines()
                        if line.strip().startswith("Execution Time")
                    ),
                    None,
                )
                entries.append(
                    {
                        "sql": statement,
                        "plan": plan,
                        "seq_scans_of_big_tables": seq_scans,
                        "execution_ms": execution,
                    }
                )
            found[name] = entries
    cache.clear()
    return found
