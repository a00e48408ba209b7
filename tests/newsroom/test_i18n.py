"""The site speaks the language editors chose: Romanian by default, English on request."""

import re
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.test import TestCase
from django.urls import reverse
from django.utils import translation

from newsroom.chrome.models import SiteSettings
from tests.factories import make_article, make_author, make_section, make_user, wire_service
from tests.helpers import text_of


class LanguageTests(TestCase):
    def setUp(self):
        cache.clear()
        section = make_section(name="Politică", slug="politica")
        author = make_author(name="Ioana Popescu")
        self.story = make_article(
            section=section,
            authors=[author],
            tags=["buget"],
            wire_service=wire_service("reuters"),
            wire_attribution="according",
            publish_at=datetime(2024, 12, 23, 2, 17, tzinfo=UTC),
        )
        make_article(section=section)

    def use(self, language: str) -> None:
        SiteSettings(pk=1, language=language, time_zone="Europe/Bucharest").save()

    def test_both_catalogs_are_compiled_and_committed(self):
        for language in ("ro", "en"):
            locale = Path(settings.BASE_DIR) / "locale" / language / "LC_MESSAGES"
            assert (locale / "django.po").exists(), language
            assert (locale / "django.mo").exists(), language

    def test_romanian_site(self):
        self.use("ro")
        home = self.client.get("/")
        assert '<html lang="ro">' in home.content.decode()
        text = text_of(home)
        assert "Salt la conținut" in text
        assert "Ultimele știri" in text
        assert "Secțiuni" in text
        assert "Skip to content" not in text and "Latest" not in text

        story = text_of(self.client.get(self.story.get_absolute_url()))
        assert "Publicat luni, 23 decembrie 2024 - 4:17" in story
        assert "De Ioana Popescu" in story
        assert "potrivit Reuters" in story
        assert "Published" not in story and "according to" not in story

    def test_admin_story_form_speaks_romanian_too(self):
        self.use("ro")
        self.client.force_login(make_user("editor", group="Editor"))
        html = self.client.get(reverse("admin:articles_article_add")).content.decode()
        assert "Despărțiți etichetele prin virgule" in html  # taggit's help text is English only
        assert "A comma-separated list of tags" not in html

    def test_english_site(self):
        self.use("en")
        home = self.client.get("/")
        assert '<html lang="en">' in home.content.decode()
        text = text_of(home)
        assert "Skip to content" in text and "Latest" in text and "Sections" in text
        assert "Ultimele știri" not in text

        story = text_of(self.client.get(self.story.get_absolute_url()))
        assert "Published Monday, 23 December 2024 - 4:17" in story
        assert "By Ioana Popescu" in story
        assert "according to Reuters" in story

    def test_error_pages_follow_the_language(self):
        self.use("ro")
        assert "Pagina nu a fost găsită" in text_of(self.client.get("/nu-exista/"))
        self.use("en")
        assert "Page not found" in text_of(self.client.get("/nu-exista/"))

    def test_every_msgid_has_a_romanian_translation(self):
        po = Path(settings.BASE_DIR) / "locale" / "ro" / "LC_MESSAGES" / "django.po"
        entries = po.read_text(encoding="utf-8").split("\n\n")[1:]
        missing = []
        for entry in entries:
            if entry.lstrip().startswith("#~") or "#, fuzzy" in entry:
                missing.append(entry)
                continue
            msgstrs = re.findall(r'^msgstr(?:\[\d\])? "(.*)"\n?((?:".*"\n?)*)', entry, re.M)
            if not msgstrs or any(not (head or tail.strip()) for head, tail in msgstrs):
                missing.append(entry)
        assert missing == [], missing[:3]

    def test_templates_translate_through_the_active_language(self):
        with translation.override("ro"):
            assert translation.gettext("Related stories") == "Articole similare"
        with translation.override("en"):
            assert translation.gettext("Related stories") == "Related stories"
