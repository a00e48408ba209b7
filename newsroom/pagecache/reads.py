"""How complete the rows a request reads are: a replica has replayed the primary's writes only
up to some moment, and what is built from its rows must not be kept under versions from after it.

Whoever sends a request's reads to a replica wraps them in `data_as_of(moment)`: every write
committed before `moment` (nanoseconds, the clock versions use) is in the rows read. A page or a
remembered value built meanwhile is kept only if each of its keys was last bumped before then;
otherwise it is used once and built again on the next request.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

_as_of: ContextVar[int | None] = ContextVar("pagecache_data_as_of", default=None)


@contextmanager
def data_as_of(moment_ns: int) -> Iterator[None]:
    token = _as_of.set(moment_ns)
    try:
        yield
    finally:
        _as_of.reset(token)


def complete(current: Mapping[str, int], moment_ns: int | None = None) -> bool:
    """Whether rows read as of `moment_ns` (by default the request's) hold every write behind
    these key versions. Rows read from the primary always do."""
    moment = _as_of.get() if moment_ns is None else moment_ns
    return moment is None or all(version < moment for version in current.values())
