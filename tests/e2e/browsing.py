"""Browser pages that fail a journey on what a user would suffer: a script error, a dialog, a
server error, or a page that axe-core finds seriously inaccessible.

A `Visitor` is one person's browser (a context with its own cookies); each page it opens,
including ones opened by a link with target=_blank, is a `Tab` that records every console error,
uncaught exception, dialog and 5xx answer. `Tab.audit()` runs axe-core on the page as it stands
and asserts nothing went wrong so far; every page a journey loads must be audited before the test
ends (the `browse` fixture checks it).
"""

import functools
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Locator, Page, Response

from tests.e2e.site import LiveSite

AXE = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 1,
}
FAILING_IMPACTS = ("serious", "critical")
ARTIFACTS = Path(__file__).parent / "artifacts"
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS_DIR") or ARTIFACTS / "screenshots")


@dataclass(frozen=True)
class Exclusion:
    """An axe finding we accept: one rule, on elements matching a selector, on some pages."""

    rule: str
    selector: str  # CSS the element axe reports must match
    path: str  # a regular expression the page's path must match
    why: str


ADMIN = r"^/admin/"
# Findings in Django's stock admin markup, not in ours. Each names one rule and the elements it is
# accepted on; everything else on those pages still counts.
DJANGO_ADMIN = [
    Exclusion(
        "aria-input-field-name",
        ".select2-selection, .select2-selection__rendered",
        ADMIN,
        "Django's autocomplete widget (its vendored select2 4.0) names its combobox through "
        "aria-labelledby pointing at the chosen value, empty until one is chosen, and gives the "
        "value's box role=textbox without a name. The <select> it stands for is labelled.",
    ),
    Exclusion(
        "label",
        ".select2-search--inline .select2-search__field",
        ADMIN,
        "Django's autocomplete widget for a many-to-many field (its vendored select2 4.0) types "
        "into an unlabelled inline search box; the <select> it stands for is labelled.",
    ),
    *[
        Exclusion(
            rule,
            ".tabular td:is([class^='field-'], .delete) :is(input, select, textarea)",
            ADMIN,
            "Django's TabularInline heads each column (and the delete boxes') instead of "
            "labelling the inputs in its cells.",
        )
        for rule in ("label", "select-name", "label-title-only")
    ],
    Exclusion(
        "label",
        ".form-row fieldset > .flex-container input[type=file]",
        ADMIN,
        "Django renders a file input inside a <fieldset> whose <legend> names it "
        "(ClearableFileInput.use_fieldset); axe wants a <label> on the input itself.",
    ),
    Exclusion(
        "label-content-name-mismatch",
        ".datetimeshortcuts > a[role=button]",
        ADMIN,
        "Django's calendar shortcut (DateTimeShortcuts.js) shows “Astăzi” but names itself "
        "“Today (…)”: its JavaScript catalog has no Romanian for that label.",
    ),
]
# Findings in our own pages that the journeys found and reported to the files' owners. They are
# bugs, accepted here only until fixed, so that the journeys keep guarding everything else:
# delete each entry with its fix.
AWAITING_FIX: list[Exclusion] = []
EXCLUSIONS = DJANGO_ADMIN + AWAITING_FIX

RUN_AXE = """
async ({exclusions, impacts}) => {
  const excluded = (rule, target) => {
    if (target.length !== 1) return false;  // inside a frame or shadow root: never excluded
    const element = document.querySelector(target[0]);
    return !!element && exclusions.some((e) => e.rule === rule && element.matches(e.selector));
  };
  // WCAG 2.2's target size (24 px) holds on every public page; Django's admin is not ours.
  const rules = {"target-size": {enabled: !location.pathname.startsWith("/admin/")}};
  const result = await axe.run(document, {resultTypes: ["violations"], rules});
  return result.violations
    .filter((v) => impacts.includes(v.impact))
    .flatMap((v) => v.nodes
      .filter((n) => !excluded(v.id, n.target))
      .map((n) => `${v.impact} ${v.id} (${v.help}) at ${n.target.join(" ")}: ` +
                  n.html.slice(0, 300)));
}
"""


@functools.cache
def axe_source() -> str:
    # Evaluated, not added as a <script>: the site's Content-Security-Policy rightly refuses
    # inline scripts, and the audit must not need an exception to it.
    return AXE.read_text() + "\n;0"


class Tab:
    """One browser page and everything that went wrong on it."""

    def __init__(self, page: Page, site: LiveSite):
        self.page = page
        self.site = site
        self.problems: list[str] = []
        self.expected_failures: set[str] = set()
        self.loads = 0
        self.audited = 0
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught error: {error}"))
        page.on("dialog", self._dialog)
        page.on("response", self._response)
        page.on("load", self._load)

    def _console(self, message) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "")
        if message.text.startswith("Failed to load resource"):
            if url in self.expected_failures:
                return  # a page the journey expects to be gone (404)
            if url == f"{self.site.url}/favicon.ico" and self.path.startswith("/admin/"):
                # The admin's pages name no icon, so Chromium asks for /favicon.ico and gets a
                # 404: not a script error. (Public pages name theirs.)
                return
        self.problems.append(f"console error on {self.page.url}: {message.text} ({url})")

    def _dialog(self, dialog) -> None:
        self.problems.append(f"a {dialog.type} dialog opened on {self.page.url}: {dialog.message}")
        dialog.dismiss()

    def _response(self, response: Response) -> None:
        if response.status >= 500:
            self.problems.append(f"{response.status} from {response.url}")

    def _load(self, _page) -> None:
        self.loads += 1

    @property
    def path(self) -> str:
        return self.page.url.removeprefix(self.site.url)

    def open(self, path: str, status: int = 200) -> Response:
        """Go to `path` on the site, expect `status`, and audit the page."""
        url = self.site.url + path
        if status >= 400:
            self.expected_failures.add(url)
        response = self.page.goto(url)
        assert response is not None and response.status == status, (
            f"{path} answered {response and response.status}, expected {status}"
        )
        self.audit()
        return response

    def follow(self, link: Locator) -> None:
        """Click something that loads a new page (a link, a submit button), then audit it."""
        with self.page.expect_navigation():
            link.click()
        self.audit()

    def audit(self) -> None:
        """axe-core on the page as it stands; no serious finding and no problem so far."""
        self.page.wait_for_load_state("load")
        if not self.page.evaluate("() => typeof window.axe === 'object'"):
            self.page.evaluate(axe_source())
        exclusions = [
            {"rule": e.rule, "selector": e.selector}
            for e in EXCLUSIONS
            if re.search(e.path, self.path)
        ]
        findings = self.page.evaluate(
            RUN_AXE, {"exclusions": exclusions, "impacts": list(FAILING_IMPACTS)}
        )
        self.audited = self.loads
        assert findings == [], f"axe-core on {self.path}:\n" + "\n".join(findings)
        self.check()

    def check(self) -> None:
        assert self.problems == [], "\n".join(self.problems)

    def screenshot(self, name: str) -> Path:
        """Save what the viewport shows as a small PNG (256 colours) in SCREENSHOTS_DIR."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        target = SCREENSHOTS / f"{name}.png"
        shot = Image.open(io.BytesIO(self.page.screenshot(animations="disabled")))
        shot.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT).save(
            target, optimize=True
        )
        return target


@dataclass
class Visitor:
    """One person's browser: a context of its own (cookies, viewport) and the tabs it opened."""

    site: LiveSite
    context: BrowserContext
    tabs: list[Tab] = field(default_factory=list)

    def __post_init__(self):
        self.context.on("page", lambda page: self.tabs.append(Tab(page, self.site)))
        self.context.new_page()

    @property
    def tab(self) -> Tab:
        return self.tabs[0]

    @property
    def page(self) -> Page:
        return self.tabs[0].page

    def login(self, username: str) -> None:
        """Log in through the admin's form and land on the admin's index."""
        tab = self.tab
        tab.open("/admin/login/")
        tab.page.fill("#id_username", username)
        tab.page.fill("#id_password", self.site.password)
        tab.follow(tab.page.locator("#login-form [type=submit]"))
        assert tab.path == "/admin/", f"{username} did not get in: {tab.path}"

    def popup(self, link: Locator) -> Tab:
        """Click a link that opens a new tab; audit that tab once it has loaded."""
        with self.context.expect_page() as opened:
            link.click()
        tab = next(tab for tab in self.tabs if tab.page is opened.value)
        tab.page.wait_for_load_state("load")
        tab.audit()
        return tab


def open_visitor(browser: Browser, site: LiveSite, device: dict) -> Visitor:
    context = browser.new_context(
        base_url=site.url, locale="ro-RO", timezone_id="Europe/Bucharest", **device
    )
    context.set_default_timeout(10_000)
    context.set_default_navigation_timeout(30_000)
    return Visitor(site, context)
