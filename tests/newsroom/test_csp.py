"""Content-Security-Policy: strict on every public page, a nonce only where the admin needs it."""

import os
import re
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from django.template import loader
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from django.utils.csp import CSP
from playwright.sync_api import Browser

from articles.models import Article
from newsroom.chrome.models import SiteSettings
from tests.factories import make_article, make_author, make_section, make_user
from tests.helpers import BASE_DIR, PRODUCTION_ENV

# The sources a strict policy may name: this site, or nothing.
OWN_SOURCES = {"'self'", "'none'"}
DATA_SCRIPT_TYPES = {"application/ld+json", "application/json"}


def policy_of(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.wsgi_request.path}"
    policy = {}
    for part in header.split(";"):
        name, *sources = part.split()
        assert name not in policy, f"{name} given twice"
        policy[name] = sources
    return policy


class InlineCodeFinder(HTMLParser):
    """Everything on a page that a strict policy would block or that needs a nonce."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.nonces: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "nonce" in attributes:
            self.nonces.append(attributes["nonce"] or "")
        for name, _value in attrs:
            if name.startswith("on"):
                self.found.append(f"{name}= handler on <{tag}>")
            if name == "style":
                self.found.append(f"style attribute on <{tag}>")
        if tag == "script" and attributes.get("src"):
            self.check_own(tag, attributes["src"])
        elif tag == "script" and (attributes.get("type") or "").lower() not in DATA_SCRIPT_TYPES:
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("inline <style>")
        if tag == "link" and "stylesheet" in (attributes.get("rel") or ""):
            self.check_own(tag, attributes.get("href") or "")

    handle_startendtag = handle_starttag

    def check_own(self, tag: str, url: str):
        if not url.startswith("/") or url.startswith("//"):
            self.found.append(f"<{tag}> from another origin: {url}")


def inline_code(html: str) -> InlineCodeFinder:
    finder = InlineCodeFinder()
    finder.feed(html)
    finder.close()
    return finder


class PolicyTestCase(TestCase):
    def setUp(self):
        SiteSettings(pk=1, language="en").save()
        self.section = make_section(slug="politics", description="All about politics.")
        self.author = make_author(slug="writer", bio="Writes.")
        self.story = make_article(
            section=self.section, authors=[self.author], tags=["budget"], headline="Budget vote"
        )

    def public_urls(self) -> list[str]:
        local = timezone.localtime(self.story.publish_at)
        return [
            "/",
            self.story.get_absolute_url(),
            self.section.get_absolute_url(),
            reverse("articles:tag", args=["budget"]),
            self.author.get_absolute_url(),
            f"/{local:%Y}/",
            f"/{local:%Y/%m}/",
            f"/{local:%Y/%m/%d}/",
            "/search/?q=budget",
            "/search/",
            "/no-such-page/",
            "/feed/",
            "/feed/atom/",
            "/sitemap.xml",
            "/robots.txt",
            "/live/header.json",
            "/healthz",
        ]


class PublicPolicyTests(PolicyTestCase):
    def test_every_public_response_carries_the_strict_policy(self):
        for url in self.public_urls():
            response = self.client.get(url)
            assert response.status_code in (200, 404), url
            policy = policy_of(response)
            for directive in ["default-src", "script-src", "style-src", "img-src", "font-src"]:
                assert policy[directive] == ["'self'"], (url, directive)
            assert policy["object-src"] == ["'none'"]
            assert policy["frame-ancestors"] == ["'none'"]
            assert policy["base-uri"] == ["'self'"]
            assert policy["form-action"] == ["'self'"]
            for directive, sources in policy.items():
                if directive.endswith("-src"):
                    assert set(sources) <= OWN_SOURCES, (url, directive, sources)

    def test_public_pages_hold_nothing_the_policy_would_block_and_no_nonce(self):
        preview = make_article(section=self.section, status=Article.Status.DRAFT)
        staff = self.client_class()
        staff.force_login(make_user("reporter", group="Reporter"))
        pages = [(self.client, url) for url in self.public_urls() if "/feed/" not in url]
        pages.append((staff, preview.get_absolute_url()))
        pages.append((self.client, preview.get_preview_url()))
        for client, url in pages:
            response = client.get(url)
            html = response.content.decode()
            finder = inline_code(html)
            assert finder.found == [], (url, finder.found)
            # A cached page must not carry a nonce: it would be the same for every reader.
            assert finder.nonces == [], url
            assert "nonce" not in response["Content-Security-Policy"], url
            assert '<script type="application/ld+json">' in html or url != str(
                self.story.get_absolute_url()
            )

    def test_error_pages_have_no_inline_style(self):
        for template in ["500.html", "503.html"]:
            html = loader.render_to_string(template)
            assert inline_code(html).found == [], template

    def test_the_other_security_headers(self):
        response = self.client.get("/")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"


class AdminPolicyTests(PolicyTestCase):
    def test_admin_pages_get_a_fresh_nonce_on_every_tag_that_needs_one(self):
        self.client.force_login(make_user("editor", group="Editor"))
        url = reverse("admin:articles_article_change", args=[self.story.pk])
        seen = set()
        for _ in range(2):
            response = self.client.get(url)
            policy = policy_of(response)
            nonces = [s for s in policy["script-src"] if s.startswith("'nonce-")]
            assert len(nonces) == 1 and set(policy["script-src"]) == {"'self'", nonces[0]}
            nonce = nonces[0][len("'nonce-") : -1]
            seen.add(nonce)
            html = response.content.decode()
            # django-prose-editor's import map is the one inline script the editor needs.
            assert re.search(rf'<script type="importmap" nonce="{re.escape(nonce)}">', html)
            finder = inline_code(html)
            assert finder.nonces and set(finder.nonces) == {nonce}
            # Every script and stylesheet comes from this site; none relies on inline handlers.
            problems = [p for p in finder.found if p not in {"inline <script>", "inline <style>"}]
            assert problems == []
        assert len(seen) == 2  # never reused

    def test_the_login_page_has_the_admin_policy(self):
        response = self.client.get(reverse("admin:login"))
        policy = policy_of(response)
        assert any(source.startswith("'nonce-") for source in policy["script-src"])
        assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]

    def test_neither_policy_allows_inline_code_or_other_origins(self):
        for config in [settings.SECURE_CSP, settings.SECURE_CSP_ADMIN]:
            for directive, sources in config.items():
                if not directive.endswith("-src"):
                    continue
                for source in sources:
                    assert source in OWN_SOURCES or source in {
                        CSP.NONCE,
                        settings.TIPTAP_STYLE_HASH,
                    }, (directive, source)
        assert settings.TIPTAP_STYLE_HASH not in settings.SECURE_CSP_ADMIN["script-src"]


class ReportEndpointTests(TestCase):
    def test_a_report_address_can_be_configured(self):
        code = (
            "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'newsroom.settings'; "
            "from django.conf import settings; print(settings.SECURE_CSP.get('report-uri'))"
        )
        env = {**os.environ, **PRODUCTION_ENV}
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=BASE_DIR,
            env={**env, "CSP_REPORT_URI": "https://reports.example.org/csp"},
            capture_output=True,
            text=True,
            check=True,
        )
        assert result.stdout.strip() == "['https://reports.example.org/csp']"
        env.pop("CSP_REPORT_URI", None)
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert result.stdout.strip() == "None"


# --- In a real browser ---------------------------------------------------------------------

# Collects violations as the page reports them, from the first script on.
LISTEN_FOR_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.mark.e2e
@pytest.mark.usefixtures("testcase_browser")
class BrowserPolicyTests(StaticLiveServerTestCase):
    """Chromium enforces the policy: public pages break no rule, the admin's editor still loads."""

    browser: Browser

    def setUp(self):
        SiteSettings(pk=1, language="en").save()
        self.section = make_section(slug="politics")
        self.story = make_article(
            section=self.section,
            authors=[make_author()],
            tags=["budget"],
            headline="Budget vote",
            body="<p>The council <strong>voted</strong>.</p>",
        )
        self.context = self.browser.new_context()
        self.addCleanup(self.context.close)
        self.context.add_init_script(LISTEN_FOR_VIOLATIONS)
        self.console: list[str] = []
        self.page = self.context.new_page()
        self.page.on("console", lambda message: self.console.append(message.text))

    def violations(self) -> list[str]:
        reported = self.page.evaluate("window.__cspViolations")
        logged = [text for text in self.console if "Content Security Policy" in text]
        return reported + logged

    def test_public_pages_break_no_rule(self):
        for path in [
            "/",
            self.story.get_absolute_url(),
            self.section.get_absolute_url(),
            "/search/?q=budget",
        ]:
            self.console.clear()
            response = self.page.goto(self.live_server_url + path)
            assert response.status == 200, path
            self.page.wait_for_load_state("load")
            assert self.violations() == [], path
        # The live header's script did run under the policy.
        assert self.page.locator("[data-live-header] .lh-now").inner_text().strip()

    def test_the_admin_rich_text_editor_loads_under_the_policy(self):
        # A live-server test empties the database, groups included: log in as a superuser.
        self.client.force_login(make_user("chief", superuser=True))
        session = self.client.cookies[settings.SESSION_COOKIE_NAME].value
        self.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": self.live_server_url}]
        )
        url = reverse("admin:articles_article_change", args=[self.story.pk])
        response = self.page.goto(self.live_server_url + url)
        assert response.status == 200
        assert "nonce-" in response.headers["content-security-policy"]
        editor = self.page.locator(".ProseMirror[contenteditable=true]")
        editor.wait_for(timeout=15_000)
        assert "voted" in editor.inner_text()
        # It edits: typing goes into the body field the form sends.
        editor.click()
        self.page.keyboard.press("End")
        self.page.keyboard.type(" Late addition.")
        self.page.wait_for_function(
            "document.querySelector('textarea[name=body]').value.includes('Late addition')"
        )
        # The toolbar and the admin's own scripts ran too.
        assert self.page.locator(".prose-menubar button").count() > 0
        assert self.violations() == [], "\n".join(self.violations())

    def test_other_admin_pages_break_no_rule(self):
        login = self.page.goto(self.live_server_url + reverse("admin:login"))
        assert login.status == 200
        assert self.violations() == [], "\n".join(self.violations())
        self.client.force_login(make_user("chief", superuser=True))
        session = self.client.cookies[settings.SESSION_COOKIE_NAME].value
        self.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": self.live_server_url}]
        )
        for url in [
            reverse("admin:index"),
            reverse("admin:articles_article_changelist") + "?status=live",
            reverse("admin:articles_article_add"),
            reverse("admin:articles_article_history", args=[self.story.pk]),
            reverse("admin:chrome_menu_add"),
            reverse("admin:chrome_sitesettings_changelist"),
        ]:
            self.console.clear()
            response = self.page.goto(self.live_server_url + url)
            assert response.status == 200, url
            self.page.wait_for_load_state("load")
            assert self.violations() == [], (url, self.violations())
