"""The demo's content lives in `data/*.json`, apart from the code that writes with it.

Editors change a word list or a headline there without touching Python; each module reads its
file once, at import.
"""

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"


def load(name: str) -> Any:
    """The parsed contents of `data/<name>.json`."""
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
