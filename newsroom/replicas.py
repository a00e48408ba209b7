"""Public pages built from PostgreSQL read replicas (DATABASE_REPLICA_URLS), never stale ones.

Only an anonymous GET or HEAD of a public page (one the page cache may store) reads from a
replica; writes, staff (a session), previews and everything else use the primary, so an editor
always sees what they just saved. Each process watches its replicas from a thread of its own:
every DATABASE_REPLICA_CHECK_SECONDS it reads the primary's WAL position, then asks each replica
whether it has replayed that far. A replica that has is known to hold every write committed
before the moment the primary was asked; one that has not done so for DATABASE_REPLICA_MAX_LAG
seconds, or does not answer, is skipped until it catches up.

That moment travels with the request (`pagecache.reads.data_as_of`): a page or remembered value
whose keys were bumped after it is not kept, and `ReplicaMiddleware` builds such a page again on
the primary. So a replica that lags, even within the bound, never puts a changed or withdrawn
story back into the page cache or the edge.
"""

import logging
import os
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse

from newsroom.pagecache import has_session, versions
from newsroom.pagecache.clock import watched_keys
from newsroom.pagecache.pages import public_reads
from newsroom.pagecache.reads import complete, data_as_of

logger = logging.getLogger(__name__)

_reading_from: ContextVar[str | None] = ContextVar("replica_alias", default=None)


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith("replica")]


class ReplicaRouter:
    """Reads go where the request was sent (`reading_from`), the primary otherwise."""

    def db_for_read(self, model, **hints) -> str | None:
        return _reading_from.get()

    def db_for_write(self, model, **hints) -> str:
        return "default"

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # the same rows, wherever they were read

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db == "default"  # replicas replay the primary's schema


@contextmanager
def reading_from(alias: str, moment_ns: int) -> Iterator[None]:
    token = _reading_from.set(alias)
    try:
        with data_as_of(moment_ns):
            yield
    finally:
        _reading_from.reset(token)


class Watch:
    """Up to which moment each replica is known to hold every committed write (0: never)."""

    def __init__(self) -> None:
        self.caught_up: dict[str, int] = {}
        self.lock = threading.Lock()
        self.pid = 0

    def usable(self) -> tuple[str, int] | None:
        """A replica whose rows are at most DATABASE_REPLICA_MAX_LAG old, and how complete."""
        self.start()
        oldest = time.time_ns() - int(settings.DATABASE_REPLICA_MAX_LAG * 1e9)
        fresh = [(alias, moment) for alias, moment in self.caught_up.items() if moment >= oldest]
        return random.choice(fresh) if fresh else None

    def start(self) -> None:
        # One thread per process, started on first use (after gunicorn forks its workers); the
        # first look is taken at once, so the first page already knows its replicas.
        if self.pid == os.getpid():
            return
        with self.lock:
            if self.pid != os.getpid():
                self.caught_up = {}
                self.check()
                threading.Thread(target=self.watch, name="replica-watch", daemon=True).start()
                self.pid = os.getpid()

    def watch(self) -> None:
        while True:
            time.sleep(settings.DATABASE_REPLICA_CHECK_SECONDS)
            self.check()

    def check(self) -> None:
        # The insert position, not the write position: a commit made with synchronous_commit
        # off is already visible on the primary before its WAL is written out.
        asked = time.time_ns()
        try:
            try:
                with connections["default"].cursor() as cursor:
                    cursor.execute("SELECT pg_current_wal_insert_lsn()")
                    (position,) = cursor.fetchone()
            except DatabaseError:
                logger.warning("replicas: the primary does not answer", exc_info=True)
                return
            for alias in replica_aliases():
                try:
                    with connections[alias].cursor() as cursor:
                        cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [position])
                        (replayed,) = cursor.fetchone()
                except DatabaseError:
                    logger.warning("replicas: %s does not answer", alias, exc_info=True)
                    self.caught_up[alias] = 0
                    continue
                if replayed:
                    self.caught_up[alias] = asked
                else:
                    self.caught_up.setdefault(alias, 0)
        finally:
            connections.close_all()  # this thread's: back to the pools


watch = Watch()


def eligible(request: HttpRequest) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and not has_session(request)
        and "preview" not in request.GET
        and public_reads(request.path_info) is not None
    )


class ReplicaMiddleware:
    """Build anonymous public pages from a replica; place it right after PageCacheMiddleware
    (stored pages need no database at all)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not eligible(request) or (usable := watch.usable()) is None:
            return self.get_response(request)
        alias, moment = usable
        with reading_from(alias, moment):
            response = self.get_response(request)
        if response.status_code >= 500:
            watch.caught_up[alias] = 0  # gone since it was last asked: skipped till it answers
        else:
            plan = getattr(request, "page_plan", None)
            if plan is None:
                return response
            current = versions(plan.keys | watched_keys())
            if current is not None and complete(current, moment):
                return response
        # The replica failed, or something the page shows changed after its rows (or the
        # cache cannot tell): built again on the primary.
        if hasattr(request, "page_plan"):
            del request.page_plan
        return self.get_response(request)
