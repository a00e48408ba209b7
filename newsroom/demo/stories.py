"""Story text for `seed_demo`: Romanian news copy written from the templates in `data/copy.json`."""

import random
import string
from dataclasses import dataclass, field
from typing import TypedDict

from .datafiles import load
from .facts import Facts
from .masthead import COMMON_TAGS, PHOTOGRAPHERS, SECTION_TAGS

# Each section: its stories (headline, standfirst and the body sentences about that very story),
# neutral sentences that fit any story of the section, subheads, quotes, the roles of the people
# quoted ("m:" or "f:" where Romanian marks the speaker's gender), links and captions. Slots in
# braces are filled by Facts.


class StoryCopy(TypedDict):
    headline: str
    standfirst: str
    sentences: list[str]


class SectionCopy(TypedDict):
    stories: list[StoryCopy]
    sentences: list[str]
    subheads: list[str]
    quotes: list[str]
    roles: list[str]
    links: list[tuple[str, str]]
    captions: list[str]


_copy = load("copy")

COPY: dict[str, SectionCopy] = {
    section: {
        "stories": [
            {
                "headline": story["headline"],
                "standfirst": story["standfirst"],
                "sentences": story["sentences"],
            }
            for story in copy["stories"]
        ],
        "sentences": copy["sentences"],
        "subheads": copy["subheads"],
        "quotes": copy["quotes"],
        "roles": copy["roles"],
        "links": [(link["url"], link["text"]) for link in copy["links"]],
        "captions": copy["captions"],
    }
    for section, copy in _copy["sections"].items()
}

# Said of any story, whatever its section.
COMMON_SENTENCES: list[str] = _copy["common_sentences"]
WIRE_SENTENCES: list[str] = _copy["wire_sentences"]

CORRECTIONS: list[str] = _copy["corrections"]
UPDATES: list[str] = _copy["updates"]


@dataclass
class Story:
    headline: str
    standfirst: str
    body: str
    dateline: str
    caption: str
    tags: list[str] = field(default_factory=list)
    correction: str = ""
    update: str = ""


def _sentences(rng: random.Random, pool: list[str], count: int) -> list[str]:
    return rng.sample(pool, min(count, len(pool)))


def write_story(rng: random.Random, section: str, *, agency: str = "") -> Story:
    """A story for a section (a slug from SECTIONS), in the section's voice."""
    copy = COPY[section]
    facts = Facts(rng, agency=agency)
    entry = rng.choice(copy["stories"])
    headline, standfirst = facts.fill(entry["headline"]), facts.fill(entry["standfirst"])
    opinion = section == "opinii"

    # The story's own sentences lead, in their order, so the body tells what the headline
    # promises; at most two of the section's neutral sentences and one stock newsroom phrase
    # follow, never in the first paragraph.
    own = list(entry["sentences"])
    sentences = own + _sentences(rng, copy["sentences"], rng.randint(0, 2))
    stock = [] if opinion else COMMON_SENTENCES + (WIRE_SENTENCES if agency else [])
    for sentence in _sentences(rng, stock, rng.randint(0, 1)):
        sentences.insert(rng.randint(3, len(sentences)), sentence)
    sentences = [facts.fill(sentence) for sentence in sentences]
    paragraphs = []
    while sentences:
        size = rng.randint(2, 3)
        paragraphs.append(" ".join(sentences[:size]))
        sentences = sentences[size:]

    role = rng.choice(copy["roles"])
    gender = ""
    if role[1:2] == ":":
        gender, role = role[0], role[2:]
    speaker = facts.fill({"m": "{man}", "f": "{woman}"}.get(gender, "{person2}"))
    role = facts.fill(role)
    quote = facts.fill(rng.choice(copy["quotes"]))
    url, link_text = rng.choice(copy["links"])
    subhead = facts.fill(rng.choice(copy["subheads"]))
    said = "spunea recent" if opinion else "a explicat pentru redacție"

    blocks = [f"<p>{paragraph}</p>" for paragraph in paragraphs]
    blocks.insert(min(2, len(blocks)), f"<h2>{subhead}</h2>")
    blocks.insert(
        min(4, len(blocks)),
        f"<p>{speaker}, {role}, {said}:</p><blockquote><p>„{quote}”</p></blockquote>",
    )
    if rng.random() < 0.25:
        # A summary of the story itself, in the order it is told.
        picked = sorted(rng.sample(range(len(own)), min(3, len(own))))
        items = "".join(f"<li>{facts.fill(own[i])}</li>" for i in picked)
        blocks.insert(-1, f"<p>Pe scurt:</p><ul>{items}</ul>")
    closing = "" if opinion else " <em>Vom actualiza acest articol.</em>"
    blocks.append(f'<p>Mai multe detalii găsiți în <a href="{url}">{link_text}</a>.{closing}</p>')

    dateline = facts["fcity"] if section == "externe" else facts["city"]
    tags = _sentences(rng, SECTION_TAGS[section], rng.randint(1, 3))
    tags += _sentences(rng, COMMON_TAGS, max(0, rng.randint(2, 5) - len(tags)))
    if agency:  # agency copy is nobody's exclusive, nor our interview
        tags = [tag for tag in tags if tag not in ("Exclusiv", "Interviu")]
    return Story(
        headline=headline,
        standfirst=standfirst,
        body="".join(blocks),
        dateline=dateline,
        # The pictures are drawn, not photographed: the caption says so.
        caption=facts.fill(rng.choice(copy["captions"])) + " (Imagine ilustrativă.)",
        tags=tags,
        correction=facts.fill(rng.choice(CORRECTIONS)),
        update=facts.fill(rng.choice(UPDATES)),
    )


def photo_credit(rng: random.Random, agency: str = "") -> str:
    """The credit as printed after the caption (templates add the "Photo" label)."""
    if agency and rng.random() < 0.7:
        return agency
    return f"{rng.choice(PHOTOGRAPHERS)} / Newsroom"


def wire_story_id(rng: random.Random, agency_slug: str) -> str:
    """An id shaped like the agency's own story ids."""
    upper = string.ascii_uppercase + string.digits
    pick = lambda alphabet, n: "".join(rng.choice(alphabet) for _ in range(n))  # noqa: E731
    if agency_slug == "reuters":
        return f"L{rng.randint(1, 8)}N3{pick(upper, 5)}"
    if agency_slug == "associated-press":
        return pick("0123456789abcdef", 32)
    if agency_slug == "afp":
        return f"AFP-{pick(upper, 6)}"
    if agency_slug == "bloomberg":
        return f"S{pick(upper, 11)}"
    if agency_slug == "dpa":
        return f"dpa:{rng.randint(240101, 261231)}-99-{rng.randint(100000, 999999)}"
    return str(rng.randint(1_000_000, 9_999_999))
