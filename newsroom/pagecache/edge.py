"""The edge in front of the site (Varnish, Fastly or Cloudflare): what it may keep, and purges.

What it may keep: a public page carries the keys it was built from in EDGE_KEYS_HEADER (`xkey`,
`Surrogate-Key`, `Cache-Tag`), which the edge strips before the reader, and — when the page was
built from current versions, so that the page cache stored it — a lifetime for the edge alone in
EDGE_CONTROL_HEADER (`Surrogate-Control: max-age=…`): up to EDGE_MAX_AGE, never past the clock's
next change (a scheduled go-live, an ad's end, midnight), since no purge announces those.
Browsers and deploy/nginx.conf keep the short Cache-Control of `pages`.

Purges: `bump()` hands every bumped key to `queue()`, which writes them as an EdgePurge row in
the write's own transaction (so they exist exactly when the write does) and, once it commits,
enqueues `send_purges`, a task of Django's tasks framework: every due row, merged and sent in
batches through the purger settings.EDGE_PURGER names (`purgers`). Where tasks wait for a worker,
the process that made the write also sends them at once, from a thread (EDGE_PURGE_AT_ONCE): a
worker polling its queue would add its interval to every change's way to readers, and the task
stays the durable path for what the thread could not send. Rows the edge took are
deleted; after a failure they stay, with the error, and are sent again after a growing delay (a
deferred task with the database backend, a timer in this process with the immediate one) —
never dropped, and never a reason for a save to fail. A hard purge (a story taken down) leaves
the edge no stale copy to serve; a soft one lets it serve the old page for EDGE_GRACE_SECONDS
while it refetches. Every purge is sent twice, the second time EDGE_REPURGE_SECONDS later: a page
built just before a write's commit may reach the edge just after the first.
"""

import logging
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.http import HttpResponse
from django.tasks import task, task_backends
from django.tasks.backends.immediate import ImmediateBackend
from django.utils import timezone

from newsroom.pagecache.purgers import PurgeError, purger

logger = logging.getLogger(__name__)

# Edges refuse longer headers (Varnish: 8 KB; Fastly and Cloudflare: 16 KB). A page with more
# keys than fit is not given the edge's long lifetime: a purge could not reach it.
MAX_KEYS_BYTES = 8000
# Rows read (and then purged) at once.
ROWS_PER_ROUND = 500
MAX_RETRY_SECONDS = 60.0
MAX_RETRY_AFTER_SECONDS = 300.0


def enabled() -> bool:
    """Whether an edge is purged, and so may keep pages long."""
    return settings.EDGE_PURGER != "none"


# --- What the edge may keep -------------------------------------------------------------------


def annotate(response: HttpResponse, keys: tuple[str, ...], until: float, moment: float) -> None:
    """Name the page's keys for the edge and, if it may keep the page, until when."""
    header = settings.EDGE_KEYS_HEADER
    if not header or not keys:
        return
    value = (", " if header.lower() == "cache-tag" else " ").join(keys)
    if len(value) > MAX_KEYS_BYTES:
        return  # the edge keeps it as briefly as browsers do (Cache-Control)
    response.headers[header] = value
    if not enabled():
        return
    remaining = int(until - moment)
    if remaining < 2:
        # Not a page the cache stored (built while what it shows changed, or the previous one
        # standing in while the next is built): the edge must not keep it either, not even for
        # the seconds Cache-Control gives browsers, or it would outlive the purge that follows.
        response.headers[settings.EDGE_CONTROL_HEADER] = "max-age=0"
        return
    # Stale copies (after a soft purge) are served only within the lifetime: never past a
    # moment the clock changes the page.
    grace = min(settings.EDGE_GRACE_SECONDS, remaining // 2)
    control = f"max-age={remaining - grace}"
    if grace:
        control += f", stale-while-revalidate={grace}"
    response.headers[settings.EDGE_CONTROL_HEADER] = control


# --- Purges -----------------------------------------------------------------------------------


def queue(keys: frozenset[str], hard: bool = False) -> None:
    """Purge these keys at the edge once the current transaction commits (at once outside one)."""
    if not enabled() or not keys:
        return
    from newsroom.pagecache.models import EdgePurge

    rows = [EdgePurge(keys=sorted(keys), hard=hard)]
    if settings.EDGE_REPURGE_SECONDS > 0:
        # A page built just before the commit may reach the edge just after the purge and stay
        # there: the same keys go again a moment later.
        again = timezone.now() + timedelta(seconds=settings.EDGE_REPURGE_SECONDS)
        rows.append(EdgePurge(keys=sorted(keys), hard=hard, next_try_at=again))
    try:
        with transaction.atomic():  # a savepoint: a failure here must not break the write's
            EdgePurge.objects.bulk_create(rows)
    except DatabaseError:
        logger.exception("cannot keep the edge purge of %s", ", ".join(sorted(keys)))
        return
    connection = transaction.get_connection()
    # One task per transaction, however many bumps it made (Django forgets the callback if the
    # savepoint that registered it rolls back, and then a later bump registers it again).
    if not any(entry[1] is _after_commit for entry in connection.run_on_commit):
        transaction.on_commit(_after_commit, robust=True)


def _after_commit() -> None:
    _enqueue_send()
    again = settings.EDGE_REPURGE_SECONDS
    if again > 0:
        retry_later(again)
    backend = task_backends[send_purges.backend]
    if settings.EDGE_PURGE_AT_ONCE and not isinstance(backend, ImmediateBackend):
        # Whichever of the thread and the tasks comes second finds the rows sent (or locked).
        threading.Thread(target=_send_here, args=(again,), name="edge-purge", daemon=True).start()


def _send_here(again: float) -> None:
    from django.db import connections

    try:
        drain()
        if again > 0:
            time.sleep(again)
            drain()
    except PurgeError:
        pass  # kept with its error, and sent again by the task or its retry
    except Exception:
        logger.exception("cannot send the edge purge")
    finally:
        connections.close_all()


def _enqueue_send() -> None:
    try:
        send_purges.enqueue()
    except Exception:
        # The rows stay: the next write's task, or the retry, sends them.
        logger.exception("cannot enqueue the edge purge")


@task
def send_purges() -> int:
    """Send every due edge purge; the number of keys the edge took."""
    return drain()


def drain() -> int:
    """Send the due EdgePurge rows, merged and batched; delete those the edge took. On a
    failure, keep them for a retry (scheduled here) and raise PurgeError, so the task's result
    shows the failure to staff."""
    edge = purger()
    if edge is None:
        return 0
    sent = 0
    while True:
        count, full = _round(edge)
        sent += count
        if not full:
            return sent


def _round(edge) -> tuple[int, bool]:
    from newsroom.pagecache.models import EdgePurge

    moment = timezone.now()
    due = EdgePurge.objects.filter(Q(next_try_at__isnull=True) | Q(next_try_at__lte=moment))
    with transaction.atomic():
        if transaction.get_connection().features.has_select_for_update_skip_locked:
            # Another process sending the same rows would only purge twice; this spares it.
            due = due.select_for_update(skip_locked=True)
        rows = list(due.values_list("pk", "keys", "hard", "tries")[:ROWS_PER_ROUND])
        if not rows:
            return 0, False
        hard = {key for _pk, keys, is_hard, _tries in rows if is_hard for key in keys}
        soft = {key for _pk, keys, is_hard, _tries in rows if not is_hard for key in keys} - hard
        pks = [pk for pk, *_rest in rows]
        try:
            for is_hard, keys in ((True, sorted(hard)), (False, sorted(soft))):
                for start in range(0, len(keys), edge.batch_size):
                    edge.purge(keys[start : start + edge.batch_size], is_hard)
        except PurgeError as error:
            tries = max(row[3] for row in rows) + 1
            delay = min(settings.EDGE_PURGE_RETRY_SECONDS * 2 ** (tries - 1), MAX_RETRY_SECONDS)
            if error.retry_after is not None:
                delay = max(delay, min(error.retry_after, MAX_RETRY_AFTER_SECONDS))
            EdgePurge.objects.filter(pk__in=pks).update(
                tries=F("tries") + 1,
                next_try_at=moment + timedelta(seconds=delay),
                last_error=str(error)[:1000],
            )
            failed = error
        else:
            EdgePurge.objects.filter(pk__in=pks).delete()
            return len(hard) + len(soft), len(rows) == ROWS_PER_ROUND
    logger.warning("edge purge failed, retried in %.1f s: %s", delay, failed)
    retry_later(delay)
    raise failed


def retry_later(seconds: float) -> None:
    """Send the due purges again in `seconds`."""
    backend = task_backends[send_purges.backend]
    if backend.supports_defer:
        run_after = timezone.now() + timedelta(seconds=seconds)
        send_purges.using(run_after=run_after).enqueue()
        return
    timer = threading.Timer(seconds, _retry_here)
    timer.daemon = True
    timer.start()


def _retry_here() -> None:
    from django.db import connections

    try:
        _enqueue_send()
    finally:
        connections.close_all()
