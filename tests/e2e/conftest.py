"""Browser tests drive the system Chromium; a machine without it skips them, CI never does.

The journeys (test_journey_*.py) visit a site served by gunicorn with production settings on a
database of their own (tests/e2e/site.py), one per test session. They are plain pytest tests,
not Django TestCases: they never touch the test database, only the site, through a browser and
HTTP. Each test makes the stories it needs under headlines of its own, so tests can run alone,
in any order, or again on the same site.
"""

import os
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.browsing import ARTIFACTS, open_visitor
from tests.e2e.site import live_site
from tests.helpers import CHROMIUM

HERE = os.path.dirname(__file__)
# CI (and `make e2e`, which asks for the browser tests by name) must run them: there a missing
# browser fails them, and so does any skip.
REQUIRED = os.environ.get("CI") == "true" or os.environ.get("E2E_REQUIRED") == "1"
MISSING = f"{CHROMIUM} is not installed (apt-get install chromium); the browser tests need it"

expect.set_options(timeout=10_000)


def _in_e2e(item) -> bool:
    return str(item.path).startswith(HERE + os.sep)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _in_e2e(item):
            item.add_marker(pytest.mark.e2e)
    if CHROMIUM.exists() or REQUIRED:
        return
    skip = pytest.mark.skip(reason=MISSING)
    for item in items:
        if _in_e2e(item):
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if item.get_closest_marker("e2e") is None:
        return report
    setattr(item, f"report_{report.when}", report)
    if REQUIRED and report.skipped:
        # A skip would hide a broken journey.
        report.outcome = "failed"
        report.longrepr = f"A browser test was skipped where it must run: {report.longrepr}"
    return report


def pytest_terminal_summary(terminalreporter):
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if "e2e" in r.keywords]
    if skipped:
        reasons = {r.longrepr[2] for r in skipped if isinstance(r.longrepr, tuple)}
        terminalreporter.write_line(
            f"Browser tests: {len(skipped)} SKIPPED ({'; '.join(sorted(reasons))}). "
            "CI and `make e2e` never skip them.",
            yellow=True,
            bold=True,
        )


@pytest.fixture(scope="session")
def site():
    """The running site, for the whole session."""
    with live_site() as running:
        yield running


@pytest.fixture
def browse(request, browser, site):
    """`browse(device)` opens a visitor's browser; at the end every page it loaded must have
    been audited, and neither the pages nor the server may have reported an error."""
    visitors = []
    marks = site.log_marks()

    def open_browser(device):
        visitor = open_visitor(browser, site, device)
        visitors.append(visitor)
        return visitor

    yield open_browser

    call = getattr(request.node, "report_call", None)
    failed = call is None or call.failed
    problems = []
    for number, visitor in enumerate(visitors):
        for index, tab in enumerate(visitor.tabs):
            problems += tab.problems
            if tab.audited != tab.loads:
                problems.append(f"{tab.path} was loaded but not audited")
            if failed and not tab.page.is_closed():
                ARTIFACTS.mkdir(exist_ok=True)
                name = re.sub(r"\W+", "-", request.node.name).strip("-")
                tab.page.screenshot(path=ARTIFACTS / f"{name}-{number}-{index}.png")
        visitor.context.close()
    problems += site.problems_since(marks)
    if failed:
        # The test has failed already; what else went wrong may tell why.
        print("Also seen:", *problems, sep="\n")
    else:
        assert problems == [], "\n".join(problems)
