"""Facts: the slots a story template can name, filled from the word lists in `data/words.json`.

Word lists live in the data file; the numbers stay here, next to the Romanian formatting rules
they depend on.
"""

import random
from collections.abc import Callable

from .datafiles import load

_words = load("words")

# "București" is listed three times on purpose, so the capital comes up most often.
CITIES: list[str] = _words["cities"]
FOREIGN_CITIES: list[str] = _words["foreign_cities"]
COUNTRIES: list[str] = _words["countries"]
QUAKE_COUNTRIES: list[str] = _words["quake_countries"]
MEN: list[str] = _words["men"]
WOMEN: list[str] = _words["women"]
LAST_NAMES: list[str] = _words["last_names"]
MINISTRIES: list[str] = _words["ministries"]
MONTHS: list[str] = _words["months"]
POLICIES: list[str] = _words["policies"]
LOCAL_TOPICS: list[str] = _words["local_topics"]
INTL_TOPICS: list[str] = _words["intl_topics"]
PROTEST_TOPICS: list[str] = _words["protest_topics"]
OPINION_TOPICS: list[str] = _words["opinion_topics"]
COMPANIES: list[str] = _words["companies"]
STARTUPS: list[str] = _words["startups"]
TEAMS: list[str] = _words["teams"]
COMPETITIONS: list[str] = _words["competitions"]
TOURNAMENTS: list[str] = _words["tournaments"]
BOOKS: list[str] = _words["books"]
APP_TOPICS: list[str] = _words["app_topics"]
SENSOR_TOPICS: list[str] = _words["sensor_topics"]
WINNING_SCORES: list[str] = _words["winning_scores"]
DRAWN_SCORES: list[str] = _words["drawn_scores"]


def _ro_decimal(value: float, places: int = 1) -> str:
    return f"{value:.{places}f}".replace(".", ",")


def _ro_thousands(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _de(value: int) -> str:
    """A count that reads right before "de": Romanian drops it after 1–19 (and x01–x19)."""
    if 1 <= value % 100 <= 19:
        value += 20
    return _ro_thousands(value)


FACTS: dict[str, Callable[[random.Random], str]] = {
    "city": lambda r: r.choice(CITIES),
    "fcity": lambda r: r.choice(FOREIGN_CITIES),
    "country": lambda r: r.choice(COUNTRIES),
    "quake_country": lambda r: r.choice(QUAKE_COUNTRIES),
    "person": lambda r: f"{r.choice(MEN + WOMEN)} {r.choice(LAST_NAMES)}",
    "man": lambda r: f"{r.choice(MEN)} {r.choice(LAST_NAMES)}",
    "woman": lambda r: f"{r.choice(WOMEN)} {r.choice(LAST_NAMES)}",
    "ministry": lambda r: r.choice(MINISTRIES),
    "month": lambda r: r.choice(MONTHS),
    "policy": lambda r: r.choice(POLICIES),
    "local_topic": lambda r: r.choice(LOCAL_TOPICS),
    "intl_topic": lambda r: r.choice(INTL_TOPICS),
    "protest_topic": lambda r: r.choice(PROTEST_TOPICS),
    "opinion_topic": lambda r: r.choice(OPINION_TOPICS),
    "company": lambda r: r.choice(COMPANIES),
    "startup": lambda r: r.choice(STARTUPS),
    "team": lambda r: r.choice(TEAMS),
    "competition": lambda r: r.choice(COMPETITIONS),
    "tournament": lambda r: r.choice(TOURNAMENTS),
    "book": lambda r: r.choice(BOOKS),
    "app_topic": lambda r: r.choice(APP_TOPICS),
    "sensor_topic": lambda r: r.choice(SENSOR_TOPICS),
    "year": lambda r: str(r.choice([2025, 2026, 2027])),
    # Numbers that take "de" in Romanian are always 20 or more.
    "votes": lambda r: str(r.randint(64, 98)),
    "count": lambda r: _de(r.choice([r.randint(20, 99), r.randint(120, 9_800)])),
    "mil": lambda r: _de(r.randint(20, 480)),
    "salary": lambda r: _de(r.randint(5_100, 5_900)),
    "crowd": lambda r: _ro_thousands(r.randint(21, 48) * 1_000),
    "visitors": lambda r: _ro_thousands(r.randint(25, 140) * 1_000),
    "artists": lambda r: str(r.randint(20, 85)),
    "points": lambda r: str(r.randint(20, 58)),
    "pages": lambda r: _de(r.randint(24, 310)),
    "pct": lambda r: str(r.randint(3, 68)),
    "turnout": lambda r: str(r.randint(41, 78)),
    "decimal_pct": lambda r: _ro_decimal(r.uniform(1.2, 9.8)),
    "rate": lambda r: _ro_decimal(r.choice([5.75, 6.0, 6.25, 6.5, 6.75]), 2),
    "eur": lambda r: _ro_decimal(r.uniform(4.96, 5.12), 4),
    "fuel": lambda r: _ro_decimal(r.uniform(6.8, 7.9), 2),
    "magnitude": lambda r: _ro_decimal(r.uniform(4.6, 6.4)),
    "hours": lambda r: str(r.randint(6, 19)),
    "days": lambda r: str(r.randint(5, 15)),
    "weeks": lambda r: str(r.randint(2, 9)),
    "months": lambda r: str(r.randint(3, 11)),
    "years": lambda r: str(r.randint(5, 19)),
    "towns": lambda r: str(r.randint(3, 17)),
    "countries": lambda r: str(r.randint(4, 18)),
    "losses": lambda r: str(r.randint(3, 6)),
    "streak": lambda r: str(r.randint(2, 6)),
    "place": lambda r: str(r.randint(1, 6)),
    "minute": lambda r: str(r.randint(8, 90)),
    "transfer": lambda r: _ro_decimal(r.uniform(2.5, 9.5)),
    "funding": lambda r: _ro_decimal(r.uniform(1.5, 18)),
    "win": lambda r: r.choice(WINNING_SCORES),
    "draw": lambda r: r.choice(DRAWN_SCORES),
}


class Facts(dict):
    """Template slots filled on first use, so a story names the same city throughout.

    `{city2}` is another city than `{city}`; `{agency}` is set by the caller.
    """

    def __init__(self, rng: random.Random, **given):
        super().__init__(given)
        self.rng = rng

    def __missing__(self, key: str) -> str:
        base = key.rstrip("0123456789")
        taken = {value for name, value in self.items() if name.rstrip("0123456789") == base}
        value = FACTS[base](self.rng)
        for _attempt in range(8):
            if value not in taken:
                break
            value = FACTS[base](self.rng)
        self[key] = value
        return value

    def fill(self, template: str) -> str:
        return template.format_map(self)
