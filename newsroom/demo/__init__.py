"""Demo content for `seed_demo`: Romanian news copy from templates, and images drawn with Pillow.

Everything here is pure (no database): given a `random.Random`, the same seed writes the same
stories and draws the same pictures. The people, clubs, companies and books are invented.

The words, copy and colours are in `data/*.json`; the modules beside this one hold the code:
`masthead` (sections, authors, tags), `facts` (template slots), `stories` (story text and
credits) and `pictures` (lead images and portraits).
"""

from .facts import Facts
from .facts import _de as _de
from .masthead import AUTHORS, COLUMNISTS, COMMON_TAGS, SECTION_TAGS, SECTIONS
from .pictures import LEAD_SIZE, lead_image, lead_image_alt, portrait
from .stories import (
    COMMON_SENTENCES,
    COPY,
    CORRECTIONS,
    UPDATES,
    WIRE_SENTENCES,
    photo_credit,
    wire_story_id,
    write_story,
)

__all__ = [
    "AUTHORS",
    "COLUMNISTS",
    "COMMON_SENTENCES",
    "COMMON_TAGS",
    "COPY",
    "CORRECTIONS",
    "LEAD_SIZE",
    "SECTIONS",
    "SECTION_TAGS",
    "UPDATES",
    "WIRE_SENTENCES",
    "Facts",
    "lead_image",
    "lead_image_alt",
    "photo_credit",
    "portrait",
    "wire_story_id",
    "write_story",
]
