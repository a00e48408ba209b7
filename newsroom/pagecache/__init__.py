"""The page cache: whole public pages for anonymous readers, kept and dropped exactly.

It knows no model. Views say what their page depends on — keys, plain strings that the content
apps name, such as "article:12" or "listings" — with `public_page(*keys)` and `depends_on()`;
whoever writes bumps the keys the write changes with `bump()`, each app in its own
`invalidation` module, and the next request in any process that shares the cache rebuilds only
the pages recorded with an older version of one of them: nothing is flushed. Costly values a
page prints are kept the same way (`remembered()`), and pages and values expire by themselves
at the moments the clock changes them (`clock.register()`).

Modules: `keys` (the keys and their versions), `pages` (stored pages and the view decorator),
`middleware` (serving and storing), `values` (remembered values), `pieces` (parts kept on their
own and set into stored pages as they are served), `clock`, `backend` (a Redis
cache the site survives losing), and `edge` with `purgers` (the same keys told to Varnish or a
CDN in front, and purged there on every bump).
"""

from newsroom.pagecache.keys import bump, version, versions
from newsroom.pagecache.pages import (
    EVERY_PAGE,
    GZIP_MIN_BYTES,
    PAGE_SECONDS,
    SHARED_MAX_AGE,
    depends_on,
    depends_on_before_reading,
    has_session,
    public_page,
    session_in,
)
from newsroom.pagecache.values import remembered

__all__ = [
    "EVERY_PAGE",
    "GZIP_MIN_BYTES",
    "PAGE_SECONDS",
    "SHARED_MAX_AGE",
    "bump",
    "depends_on",
    "depends_on_before_reading",
    "has_session",
    "public_page",
    "remembered",
    "session_in",
    "version",
    "versions",
]
