"""Load test: readers at 64 connections for 60 s while an editor changes the site every second.

    python -m benchmarks.loadtest [--connections 64] [--seconds 60] [--database-url …]
                                  [--compare REV] [--no-edits]

Breaking news: every second a story changes or a new one leads the home page, and the pages
showing it are out of date at once, in every worker.

`make loadtest` runs it. Everything stays on 127.0.0.1 and ends by itself:

1. A PostgreSQL database of its own (`newsroom_loadtest` by default) is migrated and given the
   demo content once (`setup_demo`), static files are collected, and a private redis-server
   starts on a free port (cached pages and their invalidation must be shared by all workers).
2. gunicorn serves the site with production settings and deploy/gunicorn.conf.py.
3. Readers, each with its own connection, request a mix of pages as fast as they are answered:
   home, stories, section/tag/author listings, search, RSS and Atom feeds, and
   /live/header.json. Most are wrk's (benchmarks/readers.lua, every answer recorded with its
   address, time and X-Page-Cache); four are Python threads that also check each answer's text.
4. Meanwhile an editor, through the ORM like the admin, alternately rewrites the headline of
   the newest story and publishes a new one, once a second. After each change, watchers ask for
   the story's page, the home page and the feed every 0.1 s until they show it, and record the
   lag; and every checking reader's answer for one of those pages, asked for more than a second
   after a change, is checked for it.

It prints the figures and writes them to var/loadtest/: requests per second, latency
percentiles per page type, how each answer was served (X-Page-Cache: hit, miss — built for that
request — or stale), builds per second against the pages each change made out of date, how long
after each change readers still got the previous page, and the gunicorn workers' CPU time per
request. The exit status is 1 when any answer was a 5xx, any connection failed, any reader or
watcher saw a change later than a second, or a change never showed (a lost edit).

`--no-edits` runs the same readers with no editor, every page stored: the ceiling that the
edits lower.

Meanwhile `--pollers` readers (2,000 by default) of the demo's live page ask its updates every
10 s, as the page's script does; their polls' latency and errors are reported (an error fails the
run).

`--servers N` starts N app servers (each its own gunicorn) sharing the database and Redis;
`--edge` puts Varnish with the shipped deploy/varnish.vcl in front of them (the editor's writes
purge it by key through the task worker, which then runs beside them): readers and watchers go
through it, and the report adds the edge's hit ratio and origin requests per edge request. A
crowd of unchecked readers (wrk, the same mix of addresses) runs beside them, so that the edge
sees a news site's request rate; the hit ratio over every reader is read from varnishstat.

`--compare REV` runs the same scenario in one go against REV (exported from git into
var/loadtest/) and then against this checkout, `--rounds` times in turns, and prints them side by
side; only this checkout's runs decide the exit status.
"""

import argparse
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tarfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from datetime import datetime
from io import BytesIO
from itertools import pairwise
from pathlib import Path
from tempfile import TemporaryDirectory
from urllib.parse import quote, urlsplit

import requests

from benchmarks import serve

BASE_DIR = Path(__file__).resolve().parent.parent
WORK_DIR = BASE_DIR / "var" / "loadtest"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/newsroom_loadtest"
DEMO_ARTICLES = 1000
MAX_STALENESS = 1.0  # seconds: the promise to readers
WATCH_TIMEOUT = 5.0
# Answers the page cache never keeps (the live header's small JSON is cheap and per-minute).
NEVER_CACHED = {"header"}
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
        # How each answer was served (X-Page-Cache), per page type.
        self.served: dict[str, Counter] = defaultdict(Counter)
        # (when sent, address) of each answer built for its request.
        self.builds: list[tuple[float, str]] = []
        # With an edge in front: its X-Cache (HIT or MISS) of each answer.
        self.edge: Counter = Counter()

    def record(
        self,
        kind: str,
        status: int | None,
        seconds: float,
        error: str | None = None,
        served: str | None = None,
        url: str = "",
        sent: float = 0.0,
        edge: str | None = None,
    ):
        with self.lock:
            if error:
                self.errors[error] += 1
            else:
                self.statuses[status] += 1
                self.latencies[kind].append(seconds)
                if edge:
                    self.edge[edge] += 1
                if edge == "HIT":
                    # The edge's copy: its X-Page-Cache is the one the app sent when it was
                    # fetched, not news of this request.
                    self.served[kind]["edge"] += 1
                    return
                self.served[kind][served or "uncached"] += 1
                # Built for this request: stored ("miss"), or not kept (no header), unless the
                # address is never cached at all.
                if served == "miss" or (served is None and kind not in NEVER_CACHED):
                    self.builds.append((sent, url))


class Changes:
    """The editor's changes: what each page must show once a second has passed."""

    # The newest changes are on the home page and at the top of the feed whatever follows.
    RECENT = 4
    # Readers of stories turn to the last few changed ones (those being read during the news).
    READ = 10

    def __init__(self, listing: Path | None = None):
        self.lock = threading.Lock()
        self.latest: dict[str, tuple[str, float]] = {}  # story url -> (marker, committed_at)
        self.recent: list[tuple[str, float]] = []  # (marker, committed_at), newest last
        self.urls: list[str] = []
        # The stories being changed, one a line, for the wrk readers (benchmarks/readers.lua).
        self.listing = listing

    def add(self, url: str, marker: str, committed_at: float) -> None:
        with self.lock:
            if url not in self.latest:
                self.urls.append(url)
            self.latest[url] = (marker, committed_at)
            self.recent = [*self.recent, (marker, committed_at)][-self.RECENT :]
            if self.listing is not None:
                fresh = self.listing.with_suffix(".new")
                fresh.write_text("\n".join(self.urls[-self.READ :]) + "\n")
                fresh.replace(self.listing)  # readers never see half a file

    def pick(self, rng: random.Random) -> str | None:
        with self.lock:
            return rng.choice(self.urls[-self.READ :]) if self.urls else None

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
        results.record(
            kind,
            response.status_code,
            time.monotonic() - sent,
            served=response.headers.get("X-Page-Cache"),
            url=url,
            sent=sent,
            edge=response.headers.get("X-Cache"),
        )
        if due and response.ok:
            # Asked for more than a second after these changes: the page must show them.
            with results.lock:
                results.checked_reads += 1
                for marker, committed_at in due:
                    if marker not in response.text:
                        results.stale_reads.append(sent - committed_at)


READERS_LUA = Path(__file__).resolve().parent / "readers.lua"
# Of the readers, this many are the Python ones above, which check every answer for the changes
# it must show; the others are wrk's (benchmarks/readers.lua): a Python client on these two cores
# could not ask as fast as the site answers, and the figures would be its own.
CHECKED_READERS = 4


def wrk_readers(
    bases: list[str],
    urls: dict[str, list[str]],
    connections: int,
    seconds: float,
    workdir: Path,
    changed: Path,
    results: Results,
    started: float,
) -> dict:
    """`connections` wrk readers, shared out among the servers, on the mix of addresses; each
    answer is recorded in `results` like a Python reader's (not checked for its content)."""
    rng = random.Random(7)
    kinds, weights = zip(*MIX.items(), strict=True)
    picks = workdir / "picks.txt"
    picks.write_text(
        "".join(
            f"{kind} {quote(rng.choice(urls[kind]), safe='/?=&')}\n"
            for kind in rng.choices(kinds, weights, k=20_000)
        )
    )
    runs: list[dict] = []

    def read(base: str, share: int, records: Path) -> None:
        records.mkdir()
        runs.append(
            serve.wrk(
                base + "/",
                int(seconds),
                share,
                threads=share,
                script=READERS_LUA,
                script_env={
                    "WRK_PICKS": str(picks),
                    "WRK_CHANGED": str(changed),
                    "WRK_RECORDS": str(records),
                },
            )
        )

    shares = [connections // len(bases) + (n < connections % len(bases)) for n in range(len(bases))]
    threads = [
        threading.Thread(target=read, args=(base, share, workdir / f"records-{n}"), daemon=True)
        for n, (base, share) in enumerate(zip(bases, shares, strict=True))
        if share
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for path in sorted(workdir.glob("records-*/*.tsv")):
        for line in path.read_text().splitlines():
            sent, took, status, served, edge, kind, url = line.split("\t")
            if float(sent) < started:
                continue
            results.record(
                kind,
                int(status),
                float(took),
                served=None if served == "-" else served,
                url=url,
                sent=float(sent),
                edge=None if edge == "-" else edge,
            )
    return {
        "connections": connections,
        "requests_per_second": round(sum(run["rps"] for run in runs), 1),
        "socket_errors": sum(run["socket_errors"] for run in runs),
        "cpu_seconds": round(sum(run["cpu_seconds"] for run in runs), 1),
    }


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
        record = {"number": number, "action": action, "lags": {}, "at": committed_at}
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
                "p95": round(percentile(values, 0.95) * 1000, 1),
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
                "sent_p95": round(percentile(by_sent, 0.95), 3) if by_sent else None,
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
        # How long after each change the previous version was still served, all pages together.
        "stale_age_distribution": stale_ages(
            [lag["sent"] for lags in results.lags.values() for lag in lags]
        ),
        "lost_edits": sum(
            1 for edit in results.edits if any(lag["sent"] is None for lag in edit["lags"].values())
        ),
        "reads_checked_for_changes": results.checked_reads,
        "stale_reads": len(results.stale_reads),
        "max_stale_read_seconds": round(max(results.stale_reads, default=0.0), 3),
        "served": {kind: dict(counts) for kind, counts in sorted(results.served.items())},
        "builds": builds(results, seconds),
        "edge": edge_figures(results.edge),
    }


def edge_figures(answers: Counter) -> dict | None:
    """The edge's share of the answers: hits it served alone, misses it asked an app server for
    (passes included)."""
    total = answers["HIT"] + answers["MISS"]
    if not total:
        return None
    return {
        "hits": answers["HIT"],
        "misses": answers["MISS"],
        "hit_ratio": round(answers["HIT"] / total, 4),
        "origin_requests_per_edge_request": round(answers["MISS"] / total, 4),
    }


STALE_AGE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0)


def stale_ages(lags: list[float | None]) -> dict:
    """How many changes showed within each bound (seconds), by when the first request that got
    them was sent; "never" counts changes that did not show within the watch."""
    shown = [lag for lag in lags if lag is not None]
    found: dict[str, int | float] = {
        f"<= {bound}": sum(1 for lag in shown if lag <= bound) for bound in STALE_AGE_BUCKETS
    }
    found[f"> {STALE_AGE_BUCKETS[-1]}"] = sum(1 for lag in shown if lag > STALE_AGE_BUCKETS[-1])
    found["never"] = len(lags) - len(shown)
    for name, fraction in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
        found[name] = round(percentile(shown, fraction), 3)
    return found


def builds(results: Results, seconds: float) -> dict:
    """Pages built (not served from the cache) per second, against the pages each change made
    out of date: between two changes, each address readers asked for and that was built at
    all counts as one page the change affected; the ideal is one build of each."""
    moments = sorted(edit["at"] for edit in results.edits)
    # The pages built from each change to the next, and how often each.
    per_change = [
        built
        for start, end in pairwise([*moments, float("inf")])
        if (built := Counter(url for sent, url in results.builds if start <= sent < end))
    ]
    total = sum(built.total() for built in per_change)
    pages = sum(len(built) for built in per_change)
    return {
        "builds_per_second": round(len(results.builds) / seconds, 1),
        "changes_per_second": round(len(moments) / seconds, 2),
        "pages_affected_per_change": round(pages / len(per_change), 1) if per_change else 0,
        # At most 2 is the goal: one build per page per change, and one of the page read
        # between the change and its commit.
        "builds_per_affected_page": round(total / pages, 2) if pages else 0,
        "most_builds_of_one_page_after_one_change": max(
            (max(built.values()) for built in per_change), default=0
        ),
    }


# --- CPU ---------------------------------------------------------------------------------------


def gunicorn_cpu_seconds(master: subprocess.Popen) -> float:
    """CPU time (user + system) spent so far by a gunicorn master's workers, those it already
    replaced included (its children's times, once reaped)."""
    ticks = os.sysconf("SC_CLK_TCK")

    def times(pid: str | int) -> list[int]:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        # utime, stime, cutime, cstime: fields 14–17 of proc(5), after the name.
        return [int(value) for value in fields[11:15]]

    own = times(master.pid)
    total = sum(own)
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    for pid in children:
        with suppress(FileNotFoundError):  # it exited since
            total += sum(times(pid)[:2])
    return total / ticks


def export(rev: str) -> Path:
    """REV's files in a directory of their own under var/loadtest/ (kept for the next run)."""
    sha = subprocess.run(
        ["git", "rev-parse", "--short", rev],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    tree = WORK_DIR / f"checkout-{sha}"
    if not tree.exists():
        archive = subprocess.run(
            ["git", "archive", sha], cwd=BASE_DIR, capture_output=True, check=True
        ).stdout
        with tarfile.open(fileobj=BytesIO(archive)) as files:
            files.extractall(tree, filter="data")
    return tree


def run(
    label: str,
    tree: Path,
    env: dict[str, str],
    connections: int,
    seconds: float,
    workers: int,
    servers: int = 1,
    edge_port: int | None = None,
    pollers: int = 0,
    edits: bool = True,
) -> dict:
    """The scenario against the checkout in `tree`, its cache emptied first."""
    import redis

    redis.Redis.from_url(env["CACHE_URL"]).flushdb()  # the load test's own server
    with ExitStack() as stack:
        started_servers = [
            stack.enter_context(serve.gunicorn(env, workers=workers, base_dir=tree))
            for _ in range(servers)
        ]
        masters = [master for _base, master in started_servers]
        bases = [base for base, _master in started_servers]
        varnish_root = None
        if edge_port is not None:
            # The editor writes in this process: its purges leave through the task worker.
            stack.enter_context(task_worker(env, tree))
            varnish_root = Path(stack.enter_context(TemporaryDirectory(prefix="newsroom-varnish-")))
            varnish = stack.enter_context(
                serve.varnishd(
                    serve.ensure_varnish(),
                    [int(base.rsplit(":", 1)[1]) for base in bases],
                    edge_port,
                    varnish_root,
                )
            )
            bases = [varnish]
        base_url = bases[0]
        urls = reader_urls()
        # A site that has been up for a while: every page readers ask for was rendered once.
        every_url = sorted({url for kind_urls in urls.values() for url in kind_urls})
        print(f"[{label}] Warming {len(every_url)} pages …", flush=True)

        def warm(url: str) -> None:
            requests.get(base_url + url, timeout=60).raise_for_status()

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(warm, every_url))

        workdir = Path(stack.enter_context(TemporaryDirectory(prefix="newsroom-readers-")))
        changed = workdir / "changed.txt"
        results, changes, stop = Results(), Changes(changed), threading.Event()
        checked = min(CHECKED_READERS, connections)
        print(
            f"[{label}] {connections} readers ({connections - checked} wrk, {checked} checking "
            f"every answer) for {seconds:.0f} s against {', '.join(bases)}, "
            + ("an edit or a new story every second …" if edits else "no edits …"),
            flush=True,
        )
        threads = [
            threading.Thread(
                target=reader,
                args=(bases[seed % len(bases)], urls, results, changes, stop, seed),
                daemon=True,
            )
            for seed in range(checked)
        ]
        readers: dict = {}
        threads.append(
            threading.Thread(
                target=lambda: readers.update(
                    wrk_readers(
                        bases,
                        urls,
                        connections - checked,
                        seconds,
                        workdir,
                        changed,
                        results,
                        time.monotonic(),
                    )
                ),
                daemon=True,
            )
        )
        editing = threading.Thread(
            target=editor, args=(base_url, results, changes, stop), daemon=True
        )
        crowd: dict = {}
        polled: dict = {}
        if pollers:
            threads.append(
                threading.Thread(
                    target=lambda: polled.update(live_pollers(base_url, pollers, seconds)),
                    daemon=True,
                )
            )
        if varnish_root is not None:
            threads.append(
                threading.Thread(
                    target=lambda: crowd.update(
                        edge_crowd(base_url, urls, seconds, varnish_root / "work")
                    ),
                    daemon=True,
                )
            )
        cpu_before, own_before = sum(map(gunicorn_cpu_seconds, masters)), os.times()
        started = time.monotonic()
        for thread in [*threads, editing] if edits else threads:
            thread.start()
        time.sleep(seconds)
        stop.set()
        elapsed = time.monotonic() - started
        for thread in threads:
            thread.join(30)
        cpu = sum(map(gunicorn_cpu_seconds, masters)) - cpu_before
        own_after = os.times()
        if edits:
            editing.join(WATCH_TIMEOUT + 5)

    if not readers:  # wrk failed: its answers are missing, not fine
        results.errors["wrk readers did not finish"] += 1
    elif readers["socket_errors"]:
        results.errors["wrk"] += readers["socket_errors"]
    report = summary(results, elapsed, connections)
    report["wrk_readers"] = readers
    if crowd:
        report["edge"] = {**(report["edge"] or {}), "with_crowd": crowd}
    if polled:
        report["live_pollers"] = polled
    answered = sum(results.statuses.values())
    report["label"] = label
    report["workers"] = workers
    report["servers"] = servers
    report["cpu"] = {
        "workers_seconds": round(cpu, 1),
        "workers_ms_per_request": round(cpu * 1000 / answered, 2) if answered else None,
        # The readers run on the same machine and take their share of it.
        "load_generator_seconds": round(
            (own_after.user + own_after.system) - (own_before.user + own_before.system), 1
        )
        + readers.get("cpu_seconds", 0),
    }
    report["load_average_before_end"] = os.getloadavg()
    report["cpu_count"] = os.cpu_count()
    return report


def live_pollers(base_url: str, count: int, seconds: float) -> dict:
    """`count` readers of the demo's live page polling its updates as the page's script does,
    for `seconds`, in a process of their own (benchmarks/livepoll.py's readers): in this one they
    would share the interpreter with the checked readers and slow them."""
    from articles.models import Article

    story = Article.objects.published().filter(coverage_started_at__isnull=False).first()
    if story is None:
        raise RuntimeError("the demo content has no live page to poll")
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.livepoll",
            "--role=pollers",
            f"--base-url={base_url}",
            f"--path={story.get_absolute_url()}live/updates/",
            f"--readers={count}",
            f"--seconds={seconds}",
        ],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(finished.stdout.splitlines()[-1])


# Readers the edge serves without their answers being checked (wrk): Varnish sees the request
# rate a news site's edge sees, which the checking readers above (Python) cannot make.
CROWD_CONNECTIONS = 16


def edge_crowd(base_url: str, urls: dict[str, list[str]], seconds: float, workdir: Path) -> dict:
    """wrk through the edge on the readers' mix of addresses; the edge's own hit ratio over
    every reader (varnishstat), and the crowd's rate."""
    rng = random.Random(7)
    kinds, weights = zip(*MIX.items(), strict=True)
    paths = [rng.choice(urls[kind]) for kind in rng.choices(kinds, weights, k=2000)]
    before = varnish_counters(workdir)
    run = serve.wrk(
        base_url + "/",
        int(seconds),
        CROWD_CONNECTIONS,
        paths=paths,
        headers={"Accept-Encoding": "gzip"},
    )
    after = varnish_counters(workdir)
    hits, misses, passes = (
        after[name] - before[name] for name in ("MAIN.cache_hit", "MAIN.cache_miss", "MAIN.s_pass")
    )
    total = hits + misses + passes
    return {
        "crowd_requests_per_second": run["rps"],
        "edge_requests": total,
        "hit_ratio": round(hits / total, 4) if total else None,
        "origin_requests_per_edge_request": round((misses + passes) / total, 4) if total else None,
    }


def varnish_counters(workdir: Path) -> dict[str, int]:
    program = serve.ensure_program("varnishstat", "varnish")
    found = json.loads(
        subprocess.run(
            [program, "-n", str(workdir), "-1", "-j"], capture_output=True, check=True, text=True
        ).stdout
    )
    counters = found.get("counters", found)
    return {
        name: counters[name]["value"]
        for name in ("MAIN.cache_hit", "MAIN.cache_miss", "MAIN.s_pass")
    }


@contextmanager
def task_worker(env: dict[str, str], tree: Path):
    process = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--interval", "0.1", "--no-startup-delay"],
        cwd=tree,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        serve.stop(process)


def failures(report: dict) -> list[str]:
    found = []
    if report["server_errors"]:
        found.append(f"{report['server_errors']} answers 5xx")
    if report["connection_errors"]:
        found.append(f"connection errors {report['connection_errors']}")
    if (
        any(
            item["over_limit"] or item["stale_answers_after_a_second"]
            for item in report["staleness_seconds"].values()
        )
        or report["stale_reads"]
    ):
        found.append("a page staler than a second")
    if report["lost_edits"]:
        found.append(f"{report['lost_edits']} lost edits")
    polled = report.get("live_pollers") or {}
    if polled.get("errors"):
        found.append(f"live polls failed: {polled['errors']}")
    return found


def table(reports: list[dict]) -> str:
    """The figures that matter, one column per run."""
    rows = [("", [report["label"] for report in reports])]
    rows.append(("req/s", [str(report["requests_per_second"]) for report in reports]))
    kinds = sorted({kind for report in reports for kind in report["latency_ms"]})
    for kind in kinds:
        rows.append(
            (
                f"{kind} p50/p95/p99 ms",
                [
                    "/".join(
                        str(report["latency_ms"].get(kind, {}).get(name, "-"))
                        for name in ("p50", "p95", "p99")
                    )
                    for report in reports
                ],
            )
        )
    for name, pick in (
        ("5xx", lambda r: r["server_errors"]),
        ("stale > 1 s", lambda r: r["stale_reads"]),
        ("lost edits", lambda r: r["lost_edits"]),
        ("builds/s", lambda r: r["builds"]["builds_per_second"]),
        ("changes/s", lambda r: r["builds"]["changes_per_second"]),
        ("pages affected/change", lambda r: r["builds"]["pages_affected_per_change"]),
        ("builds/affected page", lambda r: r["builds"]["builds_per_affected_page"]),
        (
            "stale age p50/p95/max s",
            lambda r: "/".join(
                str(r["stale_age_distribution"][name]) for name in ("p50", "p95", "p99")
            ),
        ),
        ("worker CPU ms/request", lambda r: r["cpu"]["workers_ms_per_request"]),
        (
            "live pollers: polls, p50/p95/p99 ms, errors",
            lambda r: (
                (
                    f"{r['live_pollers']['polls']}, "
                    + "/".join(str(v) for v in r["live_pollers"]["latency_ms"].values())
                    + f", {sum(r['live_pollers']['errors'].values())}"
                )
                if r.get("live_pollers")
                else "-"
            ),
        ),
        ("edge hit ratio", lambda r: (r["edge"] or {}).get("hit_ratio", "-")),
        (
            "origin requests/edge request",
            lambda r: (r["edge"] or {}).get("origin_requests_per_edge_request", "-"),
        ),
        (
            "edge req/s with the crowd (wrk)",
            lambda r: ((r["edge"] or {}).get("with_crowd") or {}).get(
                "crowd_requests_per_second", "-"
            ),
        ),
        (
            "edge hit ratio, every reader",
            lambda r: ((r["edge"] or {}).get("with_crowd") or {}).get("hit_ratio", "-"),
        ),
    ):
        rows.append((name, [str(pick(report)) for report in reports]))
    width = max(len(name) for name, _values in rows)
    return "\n".join(
        name.ljust(width) + "  " + "  ".join(value.rjust(20) for value in values)
        for name, values in rows
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--compare",
        metavar="REV",
        help="run the scenario against this git revision first, then against this checkout",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="with --compare: alternate REV and this checkout this many times each",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("LOADTEST_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="a PostgreSQL database for the load test alone (created and filled if need be)",
    )
    parser.add_argument("--servers", type=int, default=1, help="app servers (gunicorns)")
    parser.add_argument(
        "--pollers",
        type=int,
        default=2000,
        help="readers of the demo's live page polling its updates every 10 s (0: none)",
    )
    parser.add_argument(
        "--no-edits",
        action="store_true",
        help="no editor: the same readers with every page stored (the ceiling edits lower)",
    )
    parser.add_argument(
        "--edge", action="store_true", help="readers through Varnish (deploy/varnish.vcl)"
    )
    options = parser.parse_args()
    if not options.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("the load test runs on PostgreSQL")
    if options.edge and options.compare:
        parser.error("--edge measures this checkout alone")
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    runs = [("this checkout", BASE_DIR)]
    if options.compare:
        # In turns, so that the machine's mood weighs on both alike.
        earlier = export(options.compare)
        runs = [
            (f"{label} #{number}" if options.rounds > 1 else label, tree)
            for number in range(1, options.rounds + 1)
            for label, tree in ((options.compare, earlier), ("this checkout", BASE_DIR))
        ]
    with serve.redis_server() as cache_url:
        if cache_url is None:
            raise SystemExit("The load test needs redis-server (Debian's redis-server package).")
        env = serve.site_environment(options.database_url, WORK_DIR, cache_url)
        edge_port = serve.free_port() if options.edge else None
        if edge_port is not None:
            env |= {
                "EDGE_PURGER": "varnish",
                "EDGE_VARNISH_URLS": f"http://127.0.0.1:{edge_port}",
            }
        print(f"Preparing {options.database_url} …", flush=True)
        prepare_database(options.database_url, env)
        # This process is the editor: the same database and cache as the site.
        os.environ.update(env)
        import django

        django.setup()
        reports = [
            run(
                label,
                tree,
                env,
                options.connections,
                options.seconds,
                options.workers,
                options.servers,
                edge_port,
                options.pollers,
                not options.no_edits,
            )
            for label, tree in runs
        ]
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    (WORK_DIR / f"loadtest-{stamp}.json").write_text(json.dumps(reports, indent=2))
    print(json.dumps(reports, indent=2))
    print(table(reports))
    failed = False
    for report in reports:
        found = failures(report)
        print(f"[{report['label']}] " + ("FAILED: " + "; ".join(found) if found else "PASSED"))
        # The earlier revision is measured for comparison; this checkout must pass.
        failed = failed or (bool(found) and report["label"].startswith("this checkout"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
