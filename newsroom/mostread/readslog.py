"""Beacons answered by nginx and counted from its log (deploy/nginx.conf, `manage.py count_reads`).

Answered by gunicorn, a beacon costs a sync worker about 0.3 ms of CPU, nearly all of it
gunicorn's own reading, answering and closing of the connection (wsgi.py); at a news site's
rate that is CPU the pages need. nginx instead answers the beacon itself (an empty 204) and
writes one JSON line per beacon to a buffered log; this module reads those lines and counts
them with the same rules as views.read: staff (a session or message cookie) and bots are not
counted, nor a story that is not among the newest published ones, and each address is limited
per minute (counting.record). Counts reach the shared cache as the workers' do.

A line (log_format newsroom_reads):
    {"t":1733480000.123,"a":"203.0.113.7","id":"42","s":"0","ua":"Mozilla/5.0 …"}
"""

import json
import logging
import os
import time
from collections.abc import Iterable
from pathlib import Path

from newsroom.mostread import counting

logger = logging.getLogger(__name__)

# A line longer than this is not nginx's (its User-Agent is capped well below): skipped.
MAX_LINE = 8192
# The largest story id a line may name (the beacon's address takes up to ten digits).
MAX_ID = 2**31 - 1


def reading(line: bytes) -> tuple[float, str, int] | None:
    """(time, address, story id) of a line that counts as a reader's; None for staff, a bot,
    or a line that is not a well-formed beacon."""
    if len(line) > MAX_LINE:
        return None
    try:
        fields = json.loads(line)
        when = float(fields["t"])
        address = str(fields["a"])
        story = int(fields["id"])
        personal = fields["s"] != "0"
        agent = str(fields["ua"])
    except (ValueError, TypeError, KeyError):
        return None
    if personal or not address or not 0 < story <= MAX_ID or counting.is_bot(agent):
        return None
    return when, address, story


def count(lines: Iterable[bytes], now: float) -> tuple[int, int]:
    """Count the readings among `lines`; (counted, skipped). A line's own time is used when it
    is within the last bucket (a backlog read after a pause lands where it belongs)."""
    counted = skipped = 0
    for line in lines:
        found = reading(line)
        if found is None:
            skipped += 1
            continue
        when, address, story = found
        if not now - counting.BUCKET_SECONDS < when <= now:
            when = now
        if counting.record(story, address, when):
            counted += 1
        else:
            skipped += 1
    return counted, skipped


class LogFollower:
    """Reads the lines added to a log since the last call, whole lines only. A file that was
    rotated (another inode) or truncated is read again from its start; one that does not exist
    yet is waited for."""

    def __init__(self, path: Path, from_start: bool = False):
        self.path = path
        self.inode: int | None = None
        self.position = 0
        self.partial = b""
        if not from_start and path.exists():
            status = path.stat()
            self.inode, self.position = status.st_ino, status.st_size

    def new_lines(self) -> list[bytes]:
        try:
            status = self.path.stat()
        except FileNotFoundError:
            return []
        if status.st_ino != self.inode or status.st_size < self.position:
            self.inode, self.position, self.partial = status.st_ino, 0, b""
        if status.st_size == self.position:
            return []
        with open(self.path, "rb") as log:
            log.seek(self.position)
            data = log.read(status.st_size - self.position)
        self.position += len(data)
        *lines, self.partial = (self.partial + data).split(b"\n")
        if len(self.partial) > MAX_LINE:  # never a line of nginx's: do not hold it forever
            self.partial = b""
        return [line for line in lines if line]


def follow(path: Path, every: float, from_start: bool = False, once: bool = False) -> None:
    """Count what nginx logs at `path`, every `every` seconds, until stopped (or, with `once`,
    what is there now)."""
    follower = LogFollower(path, from_start)
    logger.info("counting readings logged at %s (process %d)", path, os.getpid())
    while True:
        started = time.monotonic()
        lines = follower.new_lines()
        if lines:
            counted, skipped = count(lines, time.time())
            counting.flush()
            logger.debug("%d readings counted, %d lines skipped", counted, skipped)
        if once:
            return
        time.sleep(max(every - (time.monotonic() - started), 0.0))
