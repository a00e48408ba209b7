"""Tables in the body: the editor's tables survive the sanitizer with nothing hostile, and
readers get them captioned (an italic paragraph right before), with a real header row, in a
named region that scrolls sideways and takes the keyboard focus."""

import re
from pathlib import Path

from django.contrib.staticfiles import finders
from django.test import TestCase
from django.utils import translation

from articles.richtext import sanitize_body
from articles.tables import captioned
from tests.factories import make_article

# What the editor (Tiptap's table with a header row) sends.
EDITOR_TABLE = (
    '<table style="min-width: 50px"><colgroup><col style="min-width: 25px"></colgroup><tbody>'
    '<tr><th colspan="1" rowspan="1"><p>Județ</p></th>'
    '<th colspan="1" rowspan="1"><p>Voturi</p></th></tr>'
    '<tr><td colspan="1" rowspan="1"><p>Cluj</p></td>'
    '<td colspan="1" rowspan="1"><p>1.204</p></td></tr>'
    '<tr><td colspan="2" rowspan="1"><p>Total</p></td></tr>'
    "</tbody></table>"
)


class SanitizerTests(TestCase):
    def test_the_editor_table_survives_without_styles(self):
        clean = sanitize_body(EDITOR_TABLE)
        assert "<th" in clean and "<td" in clean and 'colspan="2"' in clean
        assert "style" not in clean and "colgroup" not in clean

    def test_nothing_hostile_rides_in_a_table(self):
        hostile = (
            '<table onclick="alert(1)" background="javascript:alert(1)"><tbody>'
            '<tr><td onmouseover="alert(1)" style="x:expression(1)"><script>alert(1)</script>'
            '<iframe src="https://evil.example/"></iframe>ok</td></tr></tbody></table>'
        )
        clean = sanitize_body(hostile)
        for bad in ("onclick", "onmouseover", "javascript", "script", "iframe", "style"):
            assert bad not in clean, bad
        assert "<td>ok</td>" in clean


class CaptionedTests(TestCase):
    def setUp(self):
        self.enterContext(translation.override("en"))

    def test_an_italic_paragraph_before_a_table_is_its_caption(self):
        html = captioned(sanitize_body("<p><em>Rezultate la 22:00</em></p>" + EDITOR_TABLE))
        assert html.startswith(
            '<div class="table-scroll" role="region" tabindex="0" aria-labelledby="story-table-1">'
            '<table><caption id="story-table-1">Rezultate la 22:00</caption>'
            '<thead><tr><th scope="col"><p>Județ</p></th><th scope="col"><p>Voturi</p></th></tr>'
            "</thead><tbody><tr><td><p>Cluj</p></td>"
        )
        assert '<td colspan="2"><p>Total</p></td>' in html
        assert "<p><em>" not in html

    def test_without_a_caption_the_region_is_numbered(self):
        table = "<table><tbody><tr><td>1</td></tr></tbody></table>"
        html = captioned(
            "<p>Text.</p>" + table + "<p><em>Not right before</em></p><p>x</p>" + table
        )
        assert html.count('aria-label="Table') == 2
        assert 'aria-label="Table 1"' in html and 'aria-label="Table 2"' in html
        assert "<p><em>Not right before</em></p>" in html
        assert "<thead>" not in html

    def test_a_paragraph_only_partly_italic_is_not_a_caption(self):
        html = captioned(
            "<p><em>Half</em> plain</p><table><tbody><tr><td>1</td></tr></tbody></table>"
        )
        assert "<caption" not in html and "<p><em>Half</em> plain</p>" in html

    def test_header_cells_in_the_first_column_are_row_headers(self):
        html = captioned(
            "<table><tbody><tr><th>Year</th><th>Votes</th></tr>"
            "<tr><th>2024</th><td>10</td></tr></tbody></table>"
        )
        assert '<th scope="row">2024</th>' in html and '<th scope="col">Year</th>' in html

    def test_the_story_page_shows_the_captioned_table(self):
        story = make_article(body="<p><em>Rezultate</em></p>" + EDITOR_TABLE)
        html = self.client.get(story.get_absolute_url()).content.decode()
        assert 'aria-labelledby="story-table-1"' in html
        assert '<caption id="story-table-1">Rezultate</caption>' in html
        assert len(re.findall(r'id="story-table-1"', html)) == 1

    def test_the_stylesheet_makes_the_region_scroll_with_a_focus_ring(self):
        css = Path(finders.find("css/site.css")).read_text(encoding="utf-8")
        assert re.search(r"\.table-scroll \{[^}]*overflow-x: auto", css)
        assert re.search(r"\.table-scroll:focus-visible \{[^}]*outline: 3px solid", css)
