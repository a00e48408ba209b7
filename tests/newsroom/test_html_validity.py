"""Every public page type, crawled from the home page of the demo site, is valid HTML by the Nu
HTML Checker (vnu.jar, from the npm registry's vnu-jar; it runs on a JRE). Once per CI run,
in the PostgreSQL pass: the checker takes a few seconds to start."""

import json
import re
import subprocess
from collections import Counter
from io import StringIO
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
from django.core.management import call_command
from django.db.models import Q
from django.test import TestCase, override_settings
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from articles.models import Article
from newsroom.demo import rich as rich_story
from tests.helpers import BASE_DIR, need_program

VNU = BASE_DIR / "var" / "tools" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
# Pages of one kind (one URL name) checked at most this many times: types, not every story.
PER_TYPE = 3
LINK = re.compile(r'<a\b[^>]*\bhref="([^"]+)"')


def need_vnu() -> Path:
    need_program("java")
    if not VNU.exists():
        need_program(str(VNU))  # skips here, fails in CI: .ci/run installs it
    return VNU


@pytest.mark.services
@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class NuHtmlCheckerTests(TestCase):
    def crawl(self) -> dict[str, str]:
        """Pages found by following the site's own links from the home page, by URL name; the
        stories with rich blocks, the live page (with its second page) and the archives first."""
        live = Article.objects.exclude(coverage_started_at=None).get()
        day = timezone.localtime(live.publish_at)
        seen: Counter[str] = Counter()
        pages: dict[str, str] = {}
        # The stories with rich blocks (tables, embeds), and the English one and its translation.
        rich = Article.objects.filter(Q(slug=rich_story.SLUG) | Q(language="en"))
        queue = [
            *(story.get_absolute_url() for story in rich),
            live.get_absolute_url(),
            f"{live.get_absolute_url()}?page=2&order=oldest",
            reverse("articles:archive-year", args=[day.year]),
            reverse("articles:archive-month", args=[day.year, day.month]),
            reverse("articles:archive-day", args=[day.year, day.month, day.day]),
            "/",
        ]
        while queue:
            url = queue.pop(0)
            if url in pages:
                continue
            try:
                name = resolve(urlsplit(url).path).view_name
            except Resolver404:
                continue
            if seen[name] >= PER_TYPE or name.startswith("admin"):
                continue
            response = self.client.get(url)
            if response.status_code != 200 or "text/html" not in response["Content-Type"]:
                continue
            seen[name] += 1
            html = response.content.decode()
            pages[url] = html
            for href in LINK.findall(html):
                parts = urlsplit(urldefrag(href.replace("&amp;", "&")).url)
                if parts.scheme in ("", "http", "https") and parts.netloc in ("", "testserver"):
                    queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
        pages["/no-such-page/"] = self.client.get("/no-such-page/").content.decode()
        return pages

    def test_every_public_page_type_is_valid_html(self):
        vnu = need_vnu()
        with self.settings(DEBUG=True):  # the demo is seeded in development only
            call_command("setup_demo", articles=12, images=1, seed=5, stdout=StringIO())
        pages = self.crawl()
        names = {resolve(urlsplit(url).path).view_name for url in pages if url != "/no-such-page/"}
        for expected in (
            "home",
            "articles:detail",
            "articles:section",
            "articles:tag",
            "articles:author",
            "articles:archive-day",
            "articles:search",
            "page",
        ):
            assert expected in names, f"the crawl never reached {expected}: {sorted(names)}"
        # The rich story is checked with its pictures, its gallery and the viewer's controls,
        # and its library video's player; the authors' pages with their photos.
        rich = pages[Article.objects.get(slug=rich_story.SLUG).get_absolute_url()]
        assert '<ol class="gallery">' in rich and 'id="gallery-viewer"' in rich
        assert '<figure class="video"><video controls preload="none" poster="' in rich
        assert any(
            'class="author-card"' in html and 'class="author-photo"' in html
            for html in pages.values()
        )
        folder = BASE_DIR / "var" / "vnu"
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.html"):
            old.unlink()
        files = {}
        for number, (url, html) in enumerate(pages.items()):
            path = folder / f"page-{number:03}.html"
            path.write_text(html)
            files[str(path.resolve())] = url
        checked = subprocess.run(
            ["java", "-jar", str(vnu), "--errors-only", "--format", "json", *files],
            capture_output=True,
            text=True,
            timeout=600,
        )
        messages = json.loads(checked.stderr or checked.stdout)["messages"]
        errors = [
            f"{files.get(urlsplit(message.get('url', '')).path, message.get('url'))}"
            f":{message.get('lastLine')}: {message['message']}"
            for message in messages
            if message["type"] == "error"
        ]
        assert not errors, f"{len(errors)} errors in {len(pages)} pages:\n" + "\n".join(
            errors[:200]
        )
