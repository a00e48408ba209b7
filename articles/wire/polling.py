"""Reading wire sources: drop folders and HTTP(S) addresses, each on its own interval.

A drop folder's files are read oldest first and moved, once stored, into `done/` (or into
`refused/` when the document cannot be read). An address is fetched with an overall deadline
(settings.WIRE_HTTP_DEADLINE), however slowly its server trickles the answer, and at most
settings.WIRE_MAX_BYTES. Credentials come from the environment variable the source names, or
from the database; they are sent, never logged or printed.
"""

import base64
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from articles.wire.ingest import Outcome, ingest_document
from articles.wire.models import WireSource

logger = logging.getLogger(__name__)

DONE, REFUSED = "done", "refused"
CHUNK = 64 * 1024


class FetchFailed(Exception):
    """The address could not be read (network, status, deadline, size)."""


class SourceUnreadable(Exception):
    """A whole source could not be read: no folder, no answer, a refused login."""


@dataclass
class Arrival:
    """One document from a source: its name (file or address) and what became of its items."""

    name: str
    outcomes: list[Outcome]


def fetch(
    url: str,
    *,
    headers: dict[str, str] | None = None,
    max_bytes: int | None = None,
    deadline: float | None = None,
) -> bytes:
    """The body at `url`, within `deadline` seconds overall and `max_bytes`; FetchFailed if not."""
    limit = max_bytes or settings.WIRE_MAX_BYTES
    seconds = deadline or settings.WIRE_HTTP_DEADLINE
    if not url.startswith(("http://", "https://")):
        raise FetchFailed(_("not an http(s) address"))
    ends = time.monotonic() + seconds

    def remaining() -> float:
        left = ends - time.monotonic()
        if left <= 0:
            raise FetchFailed(_("no complete answer within %(seconds)s s") % {"seconds": seconds})
        return left

    try:
        with requests.get(
            url, headers=headers or {}, stream=True, timeout=remaining(), allow_redirects=True
        ) as response:
            # The socket's timeout bounds each read, not their sum: at the deadline the
            # connection is shut down from this timer, which ends a read however slow.
            timer = threading.Timer(remaining(), response.raw.shutdown)
            timer.daemon = True
            timer.start()
            try:
                return _body(response, limit, remaining)
            finally:
                timer.cancel()
    except requests.RequestException as exc:
        remaining()  # a read ended by the deadline says so
        raise FetchFailed(type(exc).__name__) from None


def _body(response: requests.Response, limit: int, remaining) -> bytes:
    if response.status_code != 200:
        raise FetchFailed(_("HTTP status %(status)s") % {"status": response.status_code})
    declared = response.headers.get("Content-Length", "")
    too_large = _("larger than the limit of %(limit)s bytes") % {"limit": f"{limit:,}"}
    if declared.isdigit() and int(declared) > limit:
        raise FetchFailed(too_large)
    body = bytearray()
    for chunk in response.iter_content(CHUNK):
        body += chunk
        if len(body) > limit:
            raise FetchFailed(too_large)
    remaining()  # a body cut short by the deadline is not a whole one
    return bytes(body)


def credentials(source: WireSource) -> str:
    """user:password or the token, from the named environment variable or the database."""
    if source.credentials_env:
        return os.environ.get(source.credentials_env, "")
    return source.stored_credentials


def auth_headers(source: WireSource) -> dict[str, str]:
    secret = credentials(source) if source.auth else ""
    if not secret:
        return {}
    if source.auth == WireSource.Auth.BASIC:
        return {"Authorization": "Basic " + base64.b64encode(secret.encode()).decode()}
    return {"Authorization": f"Bearer {secret}"}


def masked(secret: str) -> str:
    """What the admin shows of stored credentials: their length hidden, two characters shown."""
    return "••••••" + secret[-2:] if len(secret) > 6 else ("••••••" if secret else "")


def poll(source: WireSource) -> Iterator[Arrival]:
    """Read a source now: each document and its outcomes. SourceUnreadable when it cannot be
    read at all (the documents read before that are stored)."""
    try:
        if source.kind == WireSource.Kind.FOLDER:
            yield from _poll_folder(source)
        else:
            try:
                data = fetch(source.location, headers=auth_headers(source))
            except FetchFailed as exc:
                raise SourceUnreadable(str(exc)) from None
            yield Arrival(
                source.location, ingest_document(data, source.service, source.format, source)
            )
        source.last_result = _("read")
    except SourceUnreadable as exc:
        source.last_result = str(exc)[:300]
        raise
    finally:
        source.last_polled_at = timezone.now()
        source.save(update_fields=["last_polled_at", "last_result"])


def _poll_folder(source: WireSource) -> Iterator[Arrival]:
    folder = Path(source.location)
    if not folder.is_dir():
        raise SourceUnreadable(_("no such folder: %(folder)s") % {"folder": folder})
    try:
        files = sorted(
            (
                entry
                for entry in folder.iterdir()
                if entry.is_file() and not entry.name.startswith(".")
            ),
            key=lambda entry: (entry.stat().st_mtime, entry.name),
        )
    except OSError as exc:
        raise SourceUnreadable(exc.strerror or str(exc)) from None
    for path in files:
        outcomes = read_file(path, source.service, source.format, source)
        refused = len(outcomes) == 1 and outcomes[0].action == "refused" and not outcomes[0].guid
        _move(path, folder / (REFUSED if refused else DONE))
        yield Arrival(path.name, outcomes)


def read_file(
    path: Path, service, format: str = "auto", source: WireSource | None = None
) -> list[Outcome]:
    """A file's outcomes; one that is too large is refused before it is read into memory."""
    limit = settings.WIRE_MAX_BYTES
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        return [Outcome("refused", detail=exc.strerror or str(exc))]
    if len(data) > limit:
        return [
            Outcome(
                "refused",
                detail=_("larger than the limit of %(limit)s bytes") % {"limit": f"{limit:,}"},
            )
        ]
    return ingest_document(data, service, format, source)


def _move(path: Path, folder: Path) -> None:
    try:
        folder.mkdir(exist_ok=True)
        shutil.move(path, folder / path.name)
    except OSError as exc:
        logger.error("Wire file %s could not be moved to %s: %s", path, folder, exc)


def due_sources(now=None) -> list[WireSource]:
    now = now or timezone.now()
    sources = WireSource.objects.filter(active=True).select_related(
        "service", "auto_publish_section"
    )
    return [source for source in sources if source.is_due(now)]
