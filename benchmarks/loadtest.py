"""Load test: readers at 64 connections for 60 s while an editor changes the site every second.

    python -m benchmarks.loadtest [--connections 64] [--seconds 60] [--database-url …]

`make loadtest` runs it. Everything stays on 127.0.0.1 and ends by itself:

1. A PostgreSQL database of its own (`newsroom_loadtest` by default) is migrated and given the
   demo content once (`setup_demo`), static files are collected, and a private redis-server
   starts on a free port (cached pages and their invalidation must be shared by all workers).
2. gunicorn serves the site with production settings and deploy/gunicorn.conf.py.
3. Reader threads, each with its own keep-alive connection, request a mix of pages: home,
   stories, section/tag/author listings, search, RSS and Atom feeds, and /live/header.json.
4. Meanwhile an editor, through the ORM like the admin, alternately rewrites the headline of
   the newest story and publishes a new one, once a second. After each change, watchers ask for
   the story's page, the home page and the feed every 0.1 s until they show it, and record the
   lag; and every reader's answer for one of those pages, asked for more than a second after a
   change, is checked for it.

It prints the figures and writes them to var/loadtest/; the exit status is 1 when any answer
was a 5xx, any connection failed, or any reader or watcher saw a change later than a second.
"""

import argparse
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import requests

from benchmarks import serve

BASE_DIR = Path(__file__).resolve().parent.parent
WORK_DIR = BASE_DIR / "var" / "loadtest"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/newsroom_loadtest"
DEMO_ARTICLES = 1000
MAX_STALENESS = 1.0  # seconds: the promise to readers
WATCH_TIMEOUT = 5.0
# How often each kind of page is asked for, out of 100 requests.
MIX = {
    "story": 40,
    "home": 15,
    "listing": 15,
    "search": 8,
    "feed": 10,
    "header": 12,
}


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env={**os.environ, **env}, check=True
    )


def prepare_database(database_url: str, env: dict[str, str]) -> None:
    """Create, migrate and fill the database once; later runs reuse it."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    maintenance = parts._replace(scheme="postgresql", path="/postgres").geturl()
    with psycopg.connect(maintenance, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone() is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    manage(env, "migrate", "--noinput", "-v0")
    # setup_demo adds the demo stories (and menus) only to an empty site, and only with DEBUG.
    manage({**env, "DEBUG": "1"}, "setup_demo", "--articles", str(DEMO_ARTICLES), "--seed", "1")
    manage(env, "collectstatic", "--noinput", "-v0")
    # Fresh rows have no planner statistics yet: without them PostgreSQL picks nested loops
    # that make a search take seconds instead of milliseconds.
    with psycopg.connect(parts._replace(scheme="postgresql").geturl(), autocommit=True) as db:
        db.execute("ANALYZE")


# --- What readers ask for ----------------------------------------------------------------------


def reader_urls() -> dict[str, list[str]]:
    """Addresses of each kind, from the database (Django is set up by then)."""
    from articles.models import Article, Author, Section

    # taggit's manager ships no types, so the plugin cannot see that it prefetches.
    stories = list(
        Article.objects.published().latest_first().prefetch_related("tags")[:300]  # type: ignore[misc]
    )
    sections = list(Section.objects.all())
    authors = list(Author.objects.filter(articles__status="published").distinct()[:50])
    tags = sorted({tag.slug for story in stories for tag in story.tags.all()})[:50]
    words = ["guvern", "buget", "spital", "alegeri", "energie", "inflație", "meci", "ploaie"]
    return {
        "story": [story.get_absolute_url() for story in stories],
        "home": ["/"],
        "listing": [section.get_absolute_url() for section in sections]
        + [section.get_absolute_url() + "?page=2" for section in sections]
        + [author.get_absolute_url() for author in authors]
        + [f"/tag/{slug}/" for slug in tags],
        "search": [f"/search/?q={word}" for word in words],
        "feed": ["/feed/", "/feed/atom/"]
        + [section.get_absolute_url() + "feed/" for section in sections],
        "header": ["/live/header.json"],
    }


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: Counter = Counter()
        self.errors: Counter = Counter()
        self.stale_reads: list[float] = []
        self.checked_reads = 0
        self.lags: dict[str, list[dict]] = defaultdict(list)
        self.edits: list[dict] = []

    def record(self, kind: str, status: int | None, seconds: float, error: str | None = None):
        with self.lock:
            if error:
                self.errors[error] += 1
            else:
                self.statuses[status] += 1
                self.latencies[kind].append(seconds)


class Changes:
    """The editor's changes: what each page must show once a second has passed."""

    # The newest changes are on the home page and at the top of the feed whatever follows.
    RECENT = 4

    def __init__(self):
        self.lock = threading.Lock()
        self.latest: dict[str, tuple[str, float]] = {}  # story url -> (marker, committed_at)
        self.recent: list[tuple[str, float]] = []  # (marker, committed_at), newest last
        self.urls: list[str] = []

    def add(self, url: str, marker: str, committed_at: float) -> None:
        with self.lock:
            if url not in self.latest:
                self.urls.append(url)
            self.latest[url] = (marker, committed_at)
            self.recent = [*self.recent, (marker, committed_at)][-self.RECENT :]

    def pick(self, rng: random.Random) -> str | None:
        with self.lock:
            return rng.choice(self.urls[-10:]) if self.urls else None

    def due(self, url: str, sent: float) -> list[tuple[str, float]]:
        """The changes a page asked for at `sent` must show: those made over a second before."""
        with self.lock:
            if url in ("/", "/feed/"):
                candidates = self.recent
            else:
                candidates = [self.latest[url]] if url in self.latest else []
        return [change for change in candidates if sent > change[1] + MAX_STALENESS]


def reader(base_url, urls, results: Results, changes: Changes, stop: threading.Event, seed: int):
    rng = random.Random(seed)
    kinds = [kind for kind, weight in MIX.items() for _ in range(weight)]
    session = requests.Session()
    while not stop.is_set():
        kind = rng.choice(kinds)
        url = rng.choice(urls[kind])
        if kind == "story" and rng.random() < 0.3:
            url = changes.pick(rng) or url  # the stories being changed are what people read
        sent = time.monotonic()
        due = changes.due(url, sent)
        try:
            response = session.get(base_url + url, timeout=15)
        except requests.RequestException as exc:
            results.record(kind, None, 0, type(exc).__name__)
            session = requests.Session()
            continue
        results.record(kind, response.status_code, time.monotonic() - sent)
        if due and response.ok:
            # Asked for more than a second after these changes: the page must show them.
            with results.lock:
                results.checked_reads += 1
                for marker, committed_at in due:
                    if marker not in response.text:
                        results.stale_reads.append(sent - committed_at)


# --- The editor and the watchers ----------------------------------------------------------------

PROBE_EVERY = 0.1  # seconds between a watcher's requests, each sent without waiting for the last


def watch(base_url: str, url: str, text: str, committed_at: float) -> dict:
    """How long `url` took to show `text` after the commit.

    Requests go out every PROBE_EVERY seconds until one comes back showing the change. The lag
    is counted to the moment the first such request was sent (what a reader asking then got)
    and, for information, to when its answer arrived (which adds the time spent queueing).
    Requests sent over a second after the commit that still got the old page are counted too.
    """
    answers: list[tuple[float, float, bool]] = []
    lock = threading.Lock()
    fresh = threading.Event()

    def probe() -> None:
        sent = time.monotonic()
        try:
            response = requests.get(base_url + url, timeout=15)
            shown = response.ok and text in response.text
        except requests.RequestException:
            return
        with lock:
            answers.append((sent, time.monotonic(), shown))
        if shown:
            fresh.set()

    probes = []
    while not fresh.is_set() and time.monotonic() < committed_at + WATCH_TIMEOUT:
        thread = threading.Thread(target=probe, daemon=True)
        thread.start()
        probes.append(thread)
        fresh.wait(PROBE_EVERY)
    for thread in probes:
        thread.join(16)
    shown = [(sent, arrived) for sent, arrived, ok in answers if ok]
    return {
        "sent": min(sent for sent, _ in shown) - committed_at if shown else None,
        "arrived": min(arrived for _, arrived in shown) - committed_at if shown else None,
        "stale_late": sum(
            1 for sent, _, ok in answers if not ok and sent > committed_at + MAX_STALENESS
        ),
    }


def editor(base_url: str, results: Results, changes: Changes, stop: threading.Event):
    from django.db import transaction
    from django.utils import timezone

    from articles.models import Article

    number = 0
    watchers: list[threading.Thread] = []
    next_at = time.monotonic() + 1
    while not stop.is_set():
        time.sleep(max(0.0, next_at - time.monotonic()))
        next_at += 1
        number += 1
        marker = f"LT{number:04d}{secrets.token_hex(3)}"
        newest = Article.objects.published().latest_first().first()
        assert newest is not None  # the site under test has published stories
        if number % 2:
            # Rewrite the newest story's headline (it is on its page, the home page and feeds).
            with transaction.atomic():
                story = Article.objects.select_for_update().get(pk=newest.pk)
                # The new marker goes in front; an earlier one (its publication) stays.
                story.headline = f"Actualizare {marker} · {story.headline}"[:200]
                story.updated_at = timezone.now()
                story.save()
            action = "edit"
        else:
            # Publish a new story: it leads the home page and the feed.
            story = Article.objects.create(
                headline=f"Ultima oră {marker}: test de încărcare",
                slug=f"ultima-ora-{marker.lower()}",
                standfirst="O știre publicată în timpul testului de încărcare.",
                body="<p>Text publicat în timpul testului de încărcare.</p>",
                section=newest.section,
                status=Article.Status.PUBLISHED,
                publish_at=timezone.now(),
            )
            action = "publish"
        committed_at = time.monotonic()
        changes.add(story.get_absolute_url(), marker, committed_at)
        record = {"number": number, "action": action, "lags": {}}
        results.edits.append(record)

        def follow(url, kind, record=record, marker=marker, committed_at=committed_at):
            lag = watch(base_url, url, marker, committed_at)
            with results.lock:
                record["lags"][kind] = lag
                results.lags[kind].append(lag)

        # One watcher per page, all at once: each lag is that page's own.
        pages = [(story.get_absolute_url(), "story"), ("/", "home"), ("/feed/", "feed")]
        for url, kind in pages:
            watcher = threading.Thread(target=follow, args=(url, kind), daemon=True)
            watcher.start()
            watchers.append(watcher)
    for watcher in watchers:
        watcher.join(WATCH_TIMEOUT + 16)


# --- Report ------------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def summary(results: Results, seconds: float, connections: int) -> dict:
    every = [value for values in results.latencies.values() for value in values]
    server_errors = sum(count for status, count in results.statuses.items() if status >= 500)
    return {
        "connections": connections,
        "seconds": round(seconds, 1),
        "requests": len(every) + sum(results.errors.values()),
        "requests_per_second": round(len(every) / seconds, 1),
        "statuses": {str(status): count for status, count in sorted(results.statuses.items())},
        "server_errors": server_errors,
        "connection_errors": dict(results.errors),
        "latency_ms": {
            kind: {
                "count": len(values),
                "p50": round(percentile(values, 0.50) * 1000, 1),
                "p90": round(percentile(values, 0.90) * 1000, 1),
                "p99": round(percentile(values, 0.99) * 1000, 1),
                "max": round(max(values) * 1000, 1),
            }
            for kind, values in sorted({**results.latencies, "all": every}.items())
            if values
        },
        "changes": len(results.edits),
        # Per page: seconds from a change to the first request that got it (by when the request
        # was sent, and by when its answer arrived), and requests sent over a second after a
        # change that still got the old page.
        "staleness_seconds": {
            kind: {
                "sent_p50": round(statistics.median(by_sent), 3) if by_sent else None,
                "sent_max": round(max(by_sent), 3) if by_sent else None,
                "arrived_p50": round(statistics.median(by_arrival), 3) if by_arrival else None,
                "arrived_max": round(max(by_arrival), 3) if by_arrival else None,
                "never_shown": sum(1 for lag in lags if lag["sent"] is None),
                "over_limit": sum(
                    1 for lag in lags if lag["sent"] is None or lag["sent"] > MAX_STALENESS
                ),
                "stale_answers_after_a_second": sum(lag["stale_late"] for lag in lags),
            }
            for kind, lags in sorted(results.lags.items())
            for by_sent in [[lag["sent"] for lag in lags if lag["sent"] is not None]]
            for by_arrival in [[lag["arrived"] for lag in lags if lag["arrived"] is not None]]
        },
        "reads_checked_for_changes": results.checked_reads,
        "stale_reads": len(results.stale_reads),
        "max_stale_read_seconds": round(max(results.stale_reads, default=0.0), 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("LOADTEST_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="a PostgreSQL database for the load test alone (created and filled if need be)",
    )
    options = parser.parse_args()
    if not options.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("the load test runs on PostgreSQL")
    WORK_DIR.mkdir(parents=True, exist_ok=True)

    with ExitStack() as stack:
        cache_url = stack.enter_context(serve.redis_server())
        if cache_url is None:
            raise SystemExit("The load test needs redis-server (Debian's redis-server package).")
        env = serve.site_environment(options.database_url, WORK_DIR, cache_url)
        print(f"Preparing {options.database_url} …", flush=True)
        prepare_database(options.database_url, env)
        base_url, _master = stack.enter_context(serve.gunicorn(env, workers=os.cpu_count() or 2))
        # This process is the editor: the same database and cache as the site.
        os.environ.update(env)
        import django

        django.setup()
        urls = reader_urls()
        # A site that has been up for a while: every page readers ask for was rendered once.
        every_url = sorted({url for kind_urls in urls.values() for url in kind_urls})
        print(f"Warming {len(every_url)} pages …", flush=True)

        def warm(url: str) -> None:
            requests.get(base_url + url, timeout=60).raise_for_status()

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(warm, every_url))

        results, changes, stop = Results(), Changes(), threading.Event()
        print(
            f"{options.connections} readers for {options.seconds:.0f} s against {base_url}, "
            "an edit or a new story every second …",
            flush=True,
        )
        threads = [
            threading.Thread(
                target=reader, args=(base_url, urls, results, changes, stop, seed), daemon=True
            )
            for seed in range(options.connections)
        ]
        editing = threading.Thread(
            target=editor, args=(base_url, results, changes, stop), daemon=True
        )
        started = time.monotonic()
        for thread in [*threads, editing]:
            thread.start()
        time.sleep(options.seconds)
        stop.set()
        for thread in threads:
            thread.join(30)
        elapsed = time.monotonic() - started
        editing.join(WATCH_TIMEOUT + 5)

    report = summary(results, elapsed, options.connections)
    report["load_average_before_end"] = os.getloadavg()
    report["cpu_count"] = os.cpu_count()
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    (WORK_DIR / f"loadtest-{stamp}.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    stale = any(
        item["over_limit"] or item["stale_answers_after_a_second"]
        for item in report["staleness_seconds"].values()
    )
    failed = report["server_errors"] or report["connection_errors"] or stale
    failed = failed or report["stale_reads"]
    print("FAILED" if failed else "PASSED: no 5xx, no connection error, nothing stale over 1 s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
