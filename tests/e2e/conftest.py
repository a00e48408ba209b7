"""Browser tests drive the system Chromium; a machine without it skips them, CI never does."""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")


def pytest_collection_modifyitems(config, items):
    # In CI the browser must be there (.ci/run installs it): a missing one fails the tests.
    if CHROMIUM.exists() or os.environ.get("CI") == "true":
        return
    here = Path(__file__).parent
    skip = pytest.mark.skip(
        reason=f"{CHROMIUM} is not installed (apt-get install chromium); the browser tests need it"
    )
    for item in items:
        if here in item.path.parents:
            item.add_marker(skip)
