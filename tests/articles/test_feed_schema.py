"""Every Atom feed of the site, live pages' included, is valid against RFC 4287's RELAX NG
grammar (schema/atom.rnc), checked by Debian's jing."""

import subprocess
import tempfile
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from articles.live.models import LiveEntry
from newsroom.chrome.models import SiteSettings
from tests.factories import (
    image_upload,
    make_article,
    make_author,
    make_picture,
    make_section,
    wire_service,
)
from tests.helpers import need_program

SCHEMA = Path(__file__).parent / "schema" / "atom.rnc"


@pytest.mark.services
class AtomSchemaTests(TestCase):
    def setUp(self):
        cache.clear()
        self.addCleanup(cache.clear)
        SiteSettings.load()

    def validate(self, feeds: dict[str, bytes]) -> None:
        jing = need_program("jing")
        with tempfile.TemporaryDirectory() as folder:
            paths = []
            for name, content in feeds.items():
                path = Path(folder) / f"{name}.xml"
                path.write_bytes(content)
                paths.append(str(path))
            result = subprocess.run(
                [jing, "-c", str(SCHEMA), *paths], capture_output=True, text=True, timeout=120
            )
        assert result.returncode == 0, result.stdout + result.stderr

    def test_every_atom_feed_is_valid(self):
        section = make_section(slug="externe")
        author = make_author(slug="ana")
        make_article(
            section=section,
            authors=[author],
            tags=["Ucraina"],
            wire_service=wire_service(),
            wire_attribution="wire",
            picture=make_picture(file=image_upload(), alt="A picture"),
        )
        live = make_article(
            section=section, coverage_started_at=timezone.now(), headline="Live & <loud>"
        )
        entry = LiveEntry.objects.create(article=live, title="Sirens <now>", body="<p>Text.</p>")
        entry.authors.add(author)
        LiveEntry.objects.create(
            article=live, body="<p>Photo.</p>", image=image_upload(), image_alt="Smoke"
        )
        urls = {
            "site": reverse("articles:feed-atom"),
            "section": reverse("articles:section-feed-atom", args=["externe"]),
            "tag": reverse("articles:tag-feed-atom", args=["ucraina"]),
            "author": reverse("articles:author-feed-atom", args=["ana"]),
            "live": live.get_absolute_url() + "live/feed/atom/",
        }
        feeds = {}
        for name, url in urls.items():
            response = self.client.get(url)
            assert response.status_code == 200, name
            feeds[name] = response.content
        self.validate(feeds)

    def test_the_grammar_rejects_an_invalid_feed(self):
        # The check can fail: an entry without its required id and updated is refused.
        broken = (
            b'<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title><id>x</id>'
            b"<updated>2026-12-05T10:00:00Z</updated><entry><title>y</title></entry></feed>"
        )
        with pytest.raises(AssertionError):
            self.validate({"broken": broken})
