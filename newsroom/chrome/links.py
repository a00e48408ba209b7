"""Addresses a menu may link to: this site, the web and e-mail.

A "javascript:" or "data:" link would run code in a reader's browser; browsers ignore spaces and
control characters in the scheme, so they are ignored here too.
"""

import re

SAFE_SCHEMES = {"http", "https", "mailto"}
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.IGNORECASE)
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20\x7f]")


def is_safe_link(url: str) -> bool:
    """True for a relative address or an http(s) or mailto one."""
    scheme = _SCHEME.match(_IGNORED_IN_SCHEME.sub("", url))
    return scheme is None or scheme.group(1).lower() in SAFE_SCHEMES
