"""Live coverage under polling: 2,000 readers ask a live story for its updates every 10 s,
paced, while an editor posts an update every 5 s for 60 s (part of `make bench`;
`python -m benchmarks.livepoll` runs it alone).

    python -m benchmarks.livepoll [--readers 2000] [--seconds 60] [--interval 10]
        [--post-every 5] [--compare-readers 200] [--compare-seconds 30] [--database-url …]

The issue's targets: no errors, every update shown to every poller within 15 s, p95 of a poll
under 20 ms, and O(1) database queries per posting interval, not per reader.

1. A PostgreSQL database of its own (`newsroom_livepoll`, on the benchmark's server) is made if
   missing; a child process migrates it and adds a fresh published story with live coverage and
   30 earlier updates through the ORM (and collects static files once, for the story page).
2. gunicorn serves it (deploy/gunicorn.conf.py, two workers) with the page cache on in Redis and
   LIVE_POLL_SECONDS = --interval.
3. The readers, one asyncio client: each asks `<story>live/updates/?after=<cursor>` as
   static/js/live-updates.js does — first one interval after its page loaded (first polls spread
   evenly over the first interval), then one interval after each answer (doubling after a
   failure), always with the answer's cursor. The client keeps a connection open when the
   server allows; gunicorn's sync workers close it after every answer, so each poll connects anew.
4. The editor, another child process, posts an update every --post-every seconds through the
   ORM, in one transaction as the admin does, and reports when each committed; a reader notes
   when an answer first holds each update. Polling stops once every reader has seen every
   update, or 16 s after the last one.
5. The database's work from gunicorn's start to its stop (warm-up and editor included): the
   statements pg_stat_statements counted, when the server preloads it; otherwise the
   transactions pg_stat_database counted — every query the site makes runs in autocommit, so
   each is one, and so is each check of a pooled connection (CONN_HEALTH_CHECKS) and each
   connection's start: an upper bound of the queries. It is given per --post-every seconds of
   polling; a second round with --compare-readers readers shows whether it grows with readers.
"""

import argparse
import asyncio
import bisect
import gzip
import json
import math
import os
import re
import resource
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

from benchmarks import load, serve
from benchmarks.loadtest import percentile

DATABASE_NAME = "newsroom_livepoll"
SLUG_PREFIX = "livepoll-"
AUTHOR_SLUG = "livepoll-desk"
EARLIER_UPDATES = 30
# The targets.
VISIBLE_WITHIN = 15.0  # seconds from an update's commit to every poller seeing it
P95_LIMIT_MS = 20.0
# Queries per posting interval may grow this much for ten times the readers (the two default
# rounds) and still count as flat, allowing for noise: a cost per reader would grow tenfold.
FLAT_RATIO = 1.5
# Answers built anew this soon after a post are counted as that post's (the rest: new cursors).
REBUILT_WITHIN = 1.0
REQUEST_TIMEOUT = 10.0
MAX_DELAY = 120.0  # the polling script's longest wait after failures
PROTOCOL = "LIVEPOLL "  # marks the children's lines to the parent on stdout
STATEMENTS = "pg_stat_statements (statements)"
TRANSACTIONS = "pg_stat_database (transactions committed or rolled back)"
# The first snapshot's own connection is two transactions in the database, counted after it:
# the backend's start (it reads the catalogs in one) and the read.
SNAPSHOT_TRANSACTIONS = 2


@dataclass(frozen=True)
class Plan:
    readers: int = 2000
    seconds: float = 60.0
    interval: float = 10.0
    post_every: float = 5.0
    compare_readers: int = 200
    compare_seconds: float = 30.0


# --- The database ------------------------------------------------------------------------------


def own_database(database_url: str) -> str:
    """The benchmark database's server, with this benchmark's own database on it."""
    return urlsplit(database_url)._replace(path=f"/{DATABASE_NAME}").geturl()


def ensure_database(database_url: str) -> None:
    name = load.database_name(database_url)
    with psycopg.connect(load.maintenance_url(database_url), autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def query_method(database_url: str) -> str:
    """pg_stat_statements when the server preloads it (exact, and counted at once); otherwise
    pg_stat_database's transactions."""
    with psycopg.connect(load.conninfo(database_url), autocommit=True) as connection:
        row = connection.execute("SHOW shared_preload_libraries").fetchone()
        if row and "pg_stat_statements" in row[0]:
            try:
                connection.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            except psycopg.Error:
                return TRANSACTIONS
            return STATEMENTS
    return TRANSACTIONS


def wait_until_idle(database_url: str, seconds: float = 30) -> None:
    """No client connected to the database: every backend has exited, and a backend's counts
    reach pg_stat_database when it exits (a live one sends them up to 10 s late)."""
    name = load.database_name(database_url)
    deadline = time.monotonic() + seconds
    with psycopg.connect(load.maintenance_url(database_url), autocommit=True) as connection:
        while True:
            row = connection.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = %s AND backend_type = 'client backend'",
                [name],
            ).fetchone()
            if row is None or row[0] == 0:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{row[0]} connections to {name} stay open: is a run left?")
            time.sleep(0.1)
    time.sleep(0.3)


def database_counts(database_url: str, method: str) -> tuple[int, int]:
    """(queries so far, scans of the live-update table so far), in one statement."""
    if method == STATEMENTS:
        queries = (
            "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements "
            "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND query NOT LIKE '%pg_stat_%'"
        )
    else:
        queries = (
            "SELECT xact_commit + xact_rollback FROM pg_stat_database "
            "WHERE datname = current_database()"
        )
    scans = (
        "SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables "
        "WHERE relname = 'articles_liveentry'"
    )
    with psycopg.connect(load.conninfo(database_url), autocommit=True) as connection:
        row = connection.execute(f"SELECT ({queries}), ({scans})").fetchone()
    assert row is not None  # a SELECT of two subqueries returns its one row
    return int(row[0] or 0), int(row[1] or 0)


# --- The children: the story's preparation and the editor (Django in their own process) --------


def say(message: dict) -> None:
    print(PROTOCOL + json.dumps(message), flush=True)


def prepare_story() -> dict:
    """Migrated, static files collected, and a fresh live story with earlier updates."""
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    from articles.live.models import LiveEntry
    from articles.models import Article, Author, Section

    call_command("migrate", interactive=False, verbosity=0)
    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)
    # Earlier runs' stories go, with their updates: each round starts from the same page.
    Article.objects.filter(slug__startswith=SLUG_PREFIX).delete()
    section, _ = Section.objects.get_or_create(slug="livepoll", defaults={"name": "Live bench"})
    author, _ = Author.objects.get_or_create(slug=AUTHOR_SLUG, defaults={"name": "Live desk"})
    started = timezone.now() - timedelta(hours=2)
    story = Article.objects.create(
        headline="Live: the storm over the capital",
        slug=f"{SLUG_PREFIX}{time.time_ns()}",
        standfirst="Updates as they come in.",
        body="<p>The story so far.</p>",
        section=section,
        status=Article.Status.PUBLISHED,
        publish_at=started,
        coverage_started_at=started,
    )
    # Posted over the last two hours; their last change long before the pollers' moment.
    step = timedelta(hours=2) / EARLIER_UPDATES
    earlier = LiveEntry.objects.bulk_create(
        LiveEntry(
            article=story,
            posted_at=started + step * number,
            changed_at=started + step * number,
            title=f"Earlier update {number}" if number % 3 == 0 else "",
            body=f"<p>Earlier update number {number}: what happened, in a sentence or two.</p>",
            key_event=number % 6 == 0,
            pinned=number == 1,
        )
        for number in range(1, EARLIER_UPDATES + 1)
    )
    LiveEntry.authors.through.objects.bulk_create(
        LiveEntry.authors.through(liveentry_id=entry.pk, author_id=author.pk) for entry in earlier
    )
    return {"story": story.pk, "path": story.get_absolute_url()}


def edit(story_id: int, post_every: float, seconds: float) -> None:
    """Post an update every `post_every` seconds for `seconds`, from the parent's "go"."""
    import django

    django.setup()
    from django.db import connection, transaction

    from articles.live.models import LiveEntry
    from articles.models import Article, Author

    statements = 0

    def count(execute, statement, params, many, context):
        nonlocal statements
        statements += 1
        return execute(statement, params, many, context)

    story = Article.objects.get(pk=story_id)
    author = Author.objects.get(slug=AUTHOR_SLUG)
    say({"ready": True})
    if not sys.stdin.readline():
        return  # the parent is gone
    start = time.monotonic()
    with connection.execute_wrapper(count):
        for number in range(1, int(seconds // post_every) + 1):
            time.sleep(max(0.0, start + number * post_every - time.monotonic()))
            # As the admin's form saves one: the update and its byline together.
            with transaction.atomic():
                entry = LiveEntry.objects.create(
                    article=story,
                    title=f"Update {number}" if number % 2 else "",
                    body=f"<p>New this minute, number {number}: a line or two of news.</p>",
                    key_event=number % 4 == 0,
                )
                entry.authors.add(author)
            say({"id": entry.pk, "committed": time.time()})
    say({"done": True, "statements": statements})


def child(env: dict[str, str], *arguments: str) -> dict:
    """Run this module as a child with the site's environment; its one message back."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.livepoll", *arguments],
        cwd=serve.BASE_DIR,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith(PROTOCOL)]
    return json.loads(lines[-1][len(PROTOCOL) :])


# --- The readers -------------------------------------------------------------------------------


class Connection:
    """One reader's HTTP/1.1 connection, kept between polls when the server allows it."""

    def __init__(self, host: str, port: int):
        self.host = host
        self.port = port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None

    async def get(self, target: str) -> tuple[int, dict[str, str], bytes]:
        request = (
            f"GET {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            "Accept: application/json\r\nAccept-Encoding: gzip\r\n"
            "User-Agent: newsroom-livepoll\r\n\r\n"
        ).encode()
        for attempt in (1, 2):
            reused = self.streams is not None
            if self.streams is None:
                self.streams = await asyncio.open_connection(self.host, self.port)
            reader, writer = self.streams
            try:
                writer.write(request)
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if reused and attempt == 1:
                    continue  # the server dropped a kept connection: once more, as browsers do
                raise
            return await self._rest(head, reader)
        raise AssertionError("unreachable")

    async def _rest(
        self, head: bytes, reader: asyncio.StreamReader
    ) -> tuple[int, dict[str, str], bytes]:
        status_line, *lines = head.decode("latin-1").split("\r\n")
        version, status = status_line.split(" ", 2)[:2]
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            if name:
                headers[name.strip().lower()] = value.strip()
        keep = headers.get("connection", "").lower() != "close" and version == "HTTP/1.1"
        if "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self._chunked(reader)
        else:
            body, keep = await reader.read(), False
        if not keep:
            self.close()
        if headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        return int(status), headers, body

    @staticmethod
    async def _chunked(reader: asyncio.StreamReader) -> bytes:
        parts = []
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        await reader.readuntil(b"\r\n")  # no trailers are sent
        return b"".join(parts)


@dataclass
class Tally:
    """What the readers saw."""

    seen: list[dict[int, float]]  # per reader: update id -> when an answer first held it
    requests: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    page_cache: Counter[str] = field(default_factory=Counter)
    rebuilt: list[float] = field(default_factory=list)  # when answers not from the cache came
    stopped: Counter[str] = field(default_factory=Counter)  # told to reload, or coverage ended


async def reader(
    number: int,
    connection: Connection,
    path: str,
    first_poll: float,
    cursor: int,
    plan: Plan,
    tally: Tally,
) -> None:
    """One reader's polling script: a poll, then the next one interval after its answer."""
    loop = asyncio.get_running_loop()
    seen = tally.seen[number]
    delay = plan.interval
    await asyncio.sleep(max(0.0, first_poll - loop.time()))
    try:
        while True:
            sent = time.perf_counter()
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT):
                    status, headers, body = await connection.get(f"{path}?after={cursor}")
            except (OSError, EOFError, ValueError, asyncio.LimitOverrunError) as error:
                connection.close()
                tally.requests += 1
                tally.errors[type(error).__name__] += 1
                delay = min(delay * 2, MAX_DELAY)
                await asyncio.sleep(delay)
                continue
            tally.requests += 1
            tally.latencies.append(time.perf_counter() - sent)
            cached = headers.get("x-page-cache", "not cached")
            tally.page_cache[cached] += 1
            if cached != "hit":
                tally.rebuilt.append(time.time())
            try:
                if status != 200:
                    raise ValueError(f"HTTP {status}")
                answer = json.loads(body)
                cursor = int(answer["cursor"])
            except (ValueError, KeyError, TypeError) as error:
                tally.errors[str(error) if status != 200 else "bad answer"] += 1
                delay = min(delay * 2, MAX_DELAY)
                await asyncio.sleep(delay)
                continue
            arrived = time.time()
            for entry in answer["entries"]:
                if entry["shown"]:
                    seen.setdefault(entry["id"], arrived)
            if answer["reload"] or answer["ended"]:
                tally.stopped["reload" if answer["reload"] else "ended"] += 1
                return
            delay = plan.interval
            await asyncio.sleep(delay)
    finally:
        connection.close()


def keep_polling(base_url: str, path: str, readers: int, seconds: float, interval: float) -> dict:
    """`readers` polling `path` for `seconds` (beside other load: the breaking-news load test);
    their polls, latency percentiles and errors."""
    host, port = urlsplit(base_url).netloc.split(":")
    plan = Plan(readers=readers, interval=interval)
    tally = Tally(seen=[{} for _ in range(readers)])

    async def polling() -> None:
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.5
        step = max(1, math.ceil(interval))
        tasks = []
        for number in range(readers):
            first_poll = start + interval * number / readers
            # The cursor its page printed when it loaded, one interval before its first poll.
            loaded = time.time() + (first_poll - interval - loop.time())
            cursor = int(loaded) // step * step
            connection = Connection(host, int(port))
            tasks.append(
                asyncio.create_task(
                    reader(number, connection, path, first_poll, cursor, plan, tally)
                )
            )
        await asyncio.sleep(seconds)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(polling())
    latencies = sorted(tally.latencies)
    return {
        "pollers": readers,
        "polls": tally.requests,
        "errors": dict(tally.errors),
        "latency_ms": {
            name: round(percentile(latencies, share) * 1000, 1)
            for name, share in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
        },
        "page_cache": dict(tally.page_cache),
    }


async def follow_editor(process: asyncio.subprocess.Process, posted: dict[int, float]) -> int:
    """Note each update's commit time as the editor reports it; its statement count at the end."""
    assert process.stdout is not None  # started with stdout=PIPE
    async for raw in process.stdout:
        line = raw.decode()
        if not line.startswith(PROTOCOL):
            continue
        message = json.loads(line[len(PROTOCOL) :])
        if message.get("done"):
            return int(message["statements"])
        posted[int(message["id"])] = float(message["committed"])
    raise RuntimeError(f"the editor stopped early (exit status {await process.wait()})")


async def poll(
    base_url: str,
    path: str,
    env: dict[str, str],
    story: int,
    readers: int,
    seconds: float,
    plan: Plan,
) -> dict:
    """The readers and the editor together; what they saw and how long it took."""
    host, port = urlsplit(base_url).netloc.split(":")
    editor = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.livepoll",
        "--role=editor",
        f"--story={story}",
        f"--post-every={plan.post_every}",
        f"--seconds={seconds}",
        cwd=serve.BASE_DIR,
        env={**os.environ, **env},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert editor.stdin is not None and editor.stdout is not None  # both are pipes
    try:
        line = (await editor.stdout.readline()).decode()
        while line and not line.startswith(PROTOCOL):
            line = (await editor.stdout.readline()).decode()
        if not line:
            raise RuntimeError("the editor did not start")
        loop = asyncio.get_running_loop()
        step = max(1, math.ceil(plan.interval))
        tally = Tally(seen=[{} for _ in range(readers)])
        posted: dict[int, float] = {}
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        start = loop.time() + 0.5
        tasks = []
        for number in range(readers):
            first_poll = start + plan.interval * number / readers
            # The cursor its page printed when it loaded, one interval before the first poll.
            loaded = time.time() + (first_poll - plan.interval - loop.time())
            tasks.append(
                asyncio.create_task(
                    reader(
                        number,
                        Connection(host, int(port)),
                        path,
                        first_poll,
                        int(loaded) // step * step,
                        plan,
                        tally,
                    )
                )
            )
        await asyncio.sleep(max(0.0, start - loop.time()))
        editor.stdin.write(b"go\n")
        await editor.stdin.drain()
        statements = await follow_editor(editor, posted)
        last = max(posted.values(), default=time.time())
        deadline = loop.time() + (last + VISIBLE_WITHIN + 1 - time.time())
        while loop.time() < deadline and not all(
            all(pk in seen for pk in posted) for seen in tally.seen
        ):
            await asyncio.sleep(0.25)
        polling_seconds = loop.time() - start
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        await editor.wait()
    finally:
        if editor.returncode is None:
            editor.kill()
            await editor.wait()
    client_cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (
        cpu_before.ru_utime + cpu_before.ru_stime
    )
    return {
        "tally": tally,
        "posted": posted,
        "polling_seconds": polling_seconds,
        "editor_statements": statements,
        "client_cpu_seconds": round(client_cpu, 1),
    }


# --- A round: the site, the editor and the readers, and what the database did ----------------


def worker_cpu_seconds(master: subprocess.Popen) -> float:
    """CPU time the gunicorn workers have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    total = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def warm(base_url: str, story_path: str) -> str:
    """The story page as readers load it (both workers, the page stored), and the address of
    its updates it tells the polling script; that answered too."""
    for _ in range(3):
        status, _headers, body = serve.fetch(base_url + story_path)
        if status != 200:
            raise RuntimeError(f"{story_path} answered {status}")
    html = body.decode()
    updates = re.search(r'data-live-updates="([^"]+)"', html)
    cursor = re.search(r'data-live-cursor="(\d+)"', html)
    if not (updates and cursor):
        raise RuntimeError(f"{story_path} is no live page: no data-live-updates on it")
    for _ in range(4):
        status, _headers, _body = serve.fetch(f"{base_url}{updates[1]}?after={cursor[1]}")
        if status != 200:
            raise RuntimeError(f"{updates[1]} answered {status}")
    return updates[1]


def run_round(
    env: dict[str, str],
    redis_url: str,
    database_url: str,
    method: str,
    readers: int,
    seconds: float,
    plan: Plan,
) -> dict:
    import redis

    redis.Redis.from_url(redis_url).flushall()
    site_env = {
        **env,
        "DATABASE_URL": database_url,
        "CACHE_URL": redis_url,
        "PAGE_CACHE": "1",
        "LIVE_POLL_SECONDS": f"{plan.interval:g}",
    }
    story = child(site_env, "--role=prepare")
    wait_until_idle(database_url)
    queries_before, scans_before = database_counts(database_url, method)
    load_before = [round(value, 2) for value in os.getloadavg()]
    print(
        f"  live poll: {readers:,} readers every {plan.interval:g} s, an update every "
        f"{plan.post_every:g} s for {seconds:g} s …",
        flush=True,
    )
    with serve.gunicorn(site_env) as (base_url, master):
        updates_path = warm(base_url, story["path"])
        workers_before = worker_cpu_seconds(master)
        polled = asyncio.run(
            poll(base_url, updates_path, site_env, story["story"], readers, seconds, plan)
        )
        workers_cpu = worker_cpu_seconds(master) - workers_before
    load_after = [round(value, 2) for value in os.getloadavg()]
    wait_until_idle(database_url)
    queries_after, scans_after = database_counts(database_url, method)
    queries = queries_after - queries_before
    if method == TRANSACTIONS:
        queries -= SNAPSHOT_TRANSACTIONS
    return summary(
        polled,
        readers,
        seconds,
        plan,
        {
            "method": method,
            "queries": queries,
            "live_update_scans": scans_after - scans_before,
        },
        {
            "load_average": {"before": load_before, "after": load_after},
            "worker_cpu_seconds": round(workers_cpu, 1),
        },
    )


def summary(
    polled: dict, readers: int, seconds: float, plan: Plan, database: dict, machine: dict
) -> dict:
    tally: Tally = polled["tally"]
    posted: dict[int, float] = polled["posted"]
    elapsed: float = polled["polling_seconds"]
    delays = [
        seen[pk] - committed
        for seen in tally.seen
        for pk, committed in posted.items()
        if pk in seen
    ]
    never = readers * len(posted) - len(delays)
    intervals = elapsed / plan.post_every
    requests = tally.requests
    # How long after the latest post each answer built anew (not from the page cache) came.
    commits = sorted(posted.values())
    since_post = [
        arrived - commits[index - 1]
        for arrived in tally.rebuilt
        if (index := bisect.bisect_right(commits, arrived))
    ]
    soon = [delay for delay in since_post if delay <= REBUILT_WITHIN]
    return {
        "readers": readers,
        "seconds": seconds,
        "polling_seconds": round(elapsed, 1),
        "requests": requests,
        "requests_per_second": round(requests / elapsed, 1),
        "errors": sum(tally.errors.values()),
        "error_kinds": dict(tally.errors),
        "readers_stopped": dict(tally.stopped),
        "latency_ms": {
            name: round(percentile(tally.latencies, fraction) * 1000, 2)
            for name, fraction in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99), ("max", 1.0))
        },
        "page_cache": dict(tally.page_cache),
        "rebuilt": {
            "answers": len(tally.rebuilt),
            f"within_{REBUILT_WITHIN:g}_s_of_a_post": len(soon),
            "per_post": round(len(soon) / max(1, len(posted)), 1),
            "seconds_after_post": {
                name: round(percentile(since_post, fraction), 2)
                for name, fraction in (("p50", 0.5), ("p95", 0.95), ("max", 1.0))
            },
        },
        "updates_posted": len(posted),
        "visibility_s": {
            name: round(percentile(delays, fraction), 2)
            for name, fraction in (("p50", 0.5), ("p95", 0.95), ("max", 1.0))
        },
        "pairs": readers * len(posted),
        "never_seen": never,
        "database": {
            **database,
            "per_interval": round(database["queries"] / intervals, 1),
            "per_request": round(database["queries"] / max(1, requests), 4),
            "live_update_scans_per_interval": round(database["live_update_scans"] / intervals, 1),
            "editor_statements": polled["editor_statements"],
        },
        "client_cpu_seconds": polled["client_cpu_seconds"],
        **machine,
    }


def runs(env: dict[str, str], redis_url: str | None, database_url: str, plan: Plan) -> dict:
    """The round at `plan.readers`, then (with fewer readers) the one to compare with."""
    if redis_url is None:
        return {"plan": asdict(plan), "skipped": "redis-server is missing"}
    if not database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("The live poll benchmark needs PostgreSQL: a postgres:// URL.")
    ensure_database(database_url)
    method = query_method(database_url)
    rounds = [run_round(env, redis_url, database_url, method, plan.readers, plan.seconds, plan)]
    if 0 < plan.compare_readers < plan.readers:
        rounds.append(
            run_round(
                env,
                redis_url,
                database_url,
                method,
                plan.compare_readers,
                plan.compare_seconds,
                plan,
            )
        )
    return {
        "plan": asdict(plan),
        "database": load.database_name(database_url),
        "cores": os.cpu_count(),
        "rounds": rounds,
    }


# --- Report ------------------------------------------------------------------------------------


def checks(result: dict) -> list[tuple[str, bool, str]]:
    """The issue's targets for live polling: (what, met, the figures)."""
    if "skipped" in result:
        return [("live poll under load", False, f"not run: {result['skipped']}")]
    main, *others = result["rounds"]
    plan = result["plan"]
    name = f"live poll, {main['readers']:,} readers"
    latency = main["latency_ms"]
    seen = main["visibility_s"]
    found = [
        (
            f"{name}: 0 errors",
            main["errors"] == 0,
            f"{main['errors']} in {main['requests']:,} polls {main['error_kinds'] or ''}".strip(),
        ),
        (
            f"{name}: every update seen within {VISIBLE_WITHIN:g} s",
            main["never_seen"] == 0
            and main["updates_posted"] > 0
            and seen["max"] <= VISIBLE_WITHIN,
            f"p95 {seen['p95']} s, max {seen['max']} s; {main['never_seen']} of "
            f"{main['pairs']:,} (reader, update) never seen",
        ),
        (
            f"{name}: poll p95 < {P95_LIMIT_MS:g} ms",
            latency["p95"] < P95_LIMIT_MS,
            f"p50 {latency['p50']} / p95 {latency['p95']} / p99 {latency['p99']} ms",
        ),
    ]
    if others:
        fewer = others[0]
        ours, theirs = main["database"]["per_interval"], fewer["database"]["per_interval"]
        found.append(
            (
                f"live poll: queries per {plan['post_every']:g} s flat in readers "
                f"(≤ {FLAT_RATIO:g}× for {main['readers'] / fewer['readers']:g}× the readers)",
                ours <= FLAT_RATIO * theirs,
                f"{ours} at {main['readers']:,} readers vs {theirs} at {fewer['readers']:,} "
                f"({ours / max(theirs, 0.1):.2f}×, {main['database']['method'].split()[0]}); "
                f"answers built anew per post {main['rebuilt']['per_post']} vs "
                f"{fewer['rebuilt']['per_post']}",
            )
        )
    return found


def table_lines(result: dict) -> list[str]:
    if "skipped" in result:
        return [f"live poll: not run ({result['skipped']})."]
    plan = result["plan"]
    every = f"{plan['post_every']:g} s"
    lines = [
        f"live poll: readers every {plan['interval']:g} s, an update every {every}; gunicorn "
        "(2 workers), Redis page cache; queries by "
        f"{result['rounds'][0]['database']['method']}",
        f"{'readers':>8} {'polls':>7} {'req/s':>6} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'p99 ms':>7} {'seen p95':>8} {'max s':>6} {'never':>5} {'queries':>8} "
        f"{'rebuilt':>7} {'load':>11}",
        f"{'':>8} {'':>7} {'':>6} {'':>6} {'':>7} {'':>7} {'':>7} {'s':>8} {'':>6} {'':>5} "
        f"{'/ ' + every:>8} {'/ post':>7} {'before→after':>11}",
    ]
    for each in result["rounds"]:
        latency, seen, database = each["latency_ms"], each["visibility_s"], each["database"]
        load_average = f"{each['load_average']['before'][0]}→{each['load_average']['after'][0]}"
        lines.append(
            f"{each['readers']:>8,} {each['requests']:>7,} {each['requests_per_second']:>6} "
            f"{each['errors']:>6} {latency['p50']:>7} {latency['p95']:>7} {latency['p99']:>7} "
            f"{seen['p95']:>8} {seen['max']:>6} {each['never_seen']:>5} "
            f"{database['per_interval']:>8} {each['rebuilt']['per_post']:>7} "
            f"{load_average:>11}"
        )
    for each in result["rounds"]:
        lines.append(
            f"  {each['readers']:,} readers: {each['updates_posted']} updates over "
            f"{each['polling_seconds']} s of polling; {each['database']['queries']} queries "
            f"({each['database']['per_request']} a poll), live-update table read "
            f"{each['database']['live_update_scans_per_interval']} times / {every}; CPU s: "
            f"gunicorn {each['worker_cpu_seconds']}, client {each['client_cpu_seconds']}; "
            f"page cache {each['page_cache']}; answers built anew came "
            f"{each['rebuilt']['seconds_after_post']['p50']} s (p50) / "
            f"{each['rebuilt']['seconds_after_post']['p95']} s (p95) after the latest post"
        )
    if len(result["rounds"]) == 1:
        lines.append(
            "  (no second round to compare queries with: --readers must exceed "
            f"--compare-readers, {plan['compare_readers']})"
        )
    return lines


def parse(argv: list[str] | None) -> argparse.Namespace:
    from benchmarks.__main__ import DEFAULT_DATABASE_URL

    default = Plan()
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.livepoll", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--readers", type=int, default=default.readers)
    parser.add_argument("--seconds", type=float, default=default.seconds, help="of posting")
    parser.add_argument("--interval", type=float, default=default.interval, help="of polling")
    parser.add_argument("--post-every", type=float, default=default.post_every)
    parser.add_argument(
        "--compare-readers",
        type=int,
        default=default.compare_readers,
        help="readers of the round to compare queries with (0: none)",
    )
    parser.add_argument("--compare-seconds", type=float, default=default.compare_seconds)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("LIVEPOLL_DATABASE_URL")
        or own_database(
            os.environ.get("BENCH_DATABASE_URL")
            or os.environ.get("DATABASE_URL")
            or DEFAULT_DATABASE_URL
        ),
        help=f"a PostgreSQL database for this benchmark alone (default: {DATABASE_NAME})",
    )
    # The children's parts (this module, run by itself).
    parser.add_argument("--role", choices=["prepare", "editor", "pollers"], help=argparse.SUPPRESS)
    parser.add_argument("--story", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.interval < 1 or args.post_every <= 0 or args.readers < 1:
        parser.error("--interval must be at least 1 s, --post-every and --readers positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.role == "prepare":
        say(prepare_story())
        return 0
    if args.role == "editor":
        edit(args.story, args.post_every, args.seconds)
        return 0
    if args.role == "pollers":
        found = keep_polling(args.base_url, args.path, args.readers, args.seconds, args.interval)
        print(json.dumps(found))
        return 0
    from benchmarks.__main__ import VAR

    plan = Plan(
        readers=args.readers,
        seconds=args.seconds,
        interval=args.interval,
        post_every=args.post_every,
        compare_readers=args.compare_readers,
        compare_seconds=args.compare_seconds,
    )
    env = serve.site_environment(args.database_url, VAR, "locmem://")
    VAR.mkdir(parents=True, exist_ok=True)
    with serve.redis_server() as redis_url:
        if redis_url is None:
            raise SystemExit("The live poll benchmark needs redis-server (Debian's redis-server).")
        result = runs(env, redis_url, args.database_url, plan)
    print()
    print("\n".join(table_lines(result)))
    print()
    failed = False
    for what, met, figures in checks(result):
        print(f"{'MET ' if met else 'MISS'} {what}: {figures}")
        failed |= not met
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    written = VAR / f"livepoll-{args.readers}-{stamp}.json"
    written.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nWritten to {written}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
