"""Where the header's weather is for, as the site's settings say.

The weather knows no settings model: the chrome, which owns the site's settings, tells it how to
read them (`use()`, from ChromeConfig.ready).
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Protocol


class Site(Protocol):
    """What the weather reads of the site's settings (read-only)."""

    @property
    def city(self) -> str: ...
    @property
    def latitude(self) -> Decimal | float: ...
    @property
    def longitude(self) -> Decimal | float: ...
    @property
    def time_zone(self) -> str: ...
    @property
    def temperature_unit(self) -> str: ...
    @property
    def language(self) -> str: ...


_load: Callable[[], Site] | None = None
_defaults: Callable[[], Site] | None = None


def use(load: Callable[[], Site], defaults: Callable[[], Site]) -> None:
    """Read the site's settings with `load()` from now on; `defaults()` when it cannot."""
    global _load, _defaults
    _load, _defaults = load, defaults


def current() -> Site:
    """The site's settings as they are now."""
    if _load is None:
        raise RuntimeError("No site settings: the chrome app calls weather.site.use() when ready.")
    return _load()


def defaults() -> Site:
    """The settings a new site starts with, for when the stored ones cannot be read."""
    if _defaults is None:
        raise RuntimeError("No site settings: the chrome app calls weather.site.use() when ready.")
    return _defaults()
