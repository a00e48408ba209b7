"""The editor curates the front page (orders the lead and a top story, pins a story to a section
block, sets a breaking-news banner) and a reader sees each change at once; the banner goes by
itself at its end, with no request from staff."""

import time
import urllib.request
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from tests.e2e.admin_ui import messages, ro_date_time
from tests.e2e.browsing import DESKTOP

FIRST = "Guvernul adoptă bugetul pe anul viitor după o noapte de negocieri"
SECOND = "Inundații în Delta Dunării: satele din Sulina, evacuate preventiv"
PINNED = "Comentariu: de ce reforma pensiilor nu mai poate aștepta"
BANNER = "Cutremur de 5,1 grade în Vrancea, resimțit în București"


def choose(page: Page, field: Locator, text: str) -> None:
    """Pick `text` in an autocomplete box by typing the start of it."""
    field.locator(".select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(text[:24])
    page.locator(".select2-container--open .select2-results__option", has_text=text).first.click()
    expect(field.locator(".select2-selection__rendered")).to_contain_text(text)


def read(browse, path: str = "/"):
    """A new reader each time: a browser may keep a public page a few seconds."""
    reader = browse(DESKTOP)
    reader.tab.open(path)
    return reader.page


@pytest.fixture
def curating(site):
    """The journeys share one site: the front page goes back to the newest stories after."""
    yield
    site.seed("clear_front_page")


@pytest.mark.usefixtures("curating")
def test_editor_curates_and_readers_see_it_at_once(browse, site):
    urls = {
        headline: site.seed(
            "story", headline=headline, minutes_ago=minutes, section=section, image=True
        )["url"]
        for minutes, headline, section in [
            (300, FIRST, "politica"),
            (320, SECOND, "externe"),
            (3000, PINNED, "politica"),  # older than the stories that fill the top
        ]
    }
    pinned_url = urls[PINNED]
    editor = browse(DESKTOP)
    editor.login("editor")
    tab, page = editor.tab, editor.page

    # Lead and a top story, in that order.
    tab.open("/admin/chrome/frontpage/1/change/")
    choose(page, page.locator("#stories-0 .field-article"), FIRST)
    page.fill("#id_stories-0-position", "0")
    page.locator("#stories-group .add-row a").click()
    choose(page, page.locator("#stories-1 .field-article"), SECOND)
    page.fill("#id_stories-1-position", "1")
    # A story pinned to the top of its section's block.
    choose(page, page.locator("#pins-0 .field-section"), "Politică")
    choose(page, page.locator("#pins-0 .field-article"), PINNED)
    tab.follow(page.locator("input[name=_continue]"))
    expect(messages(page)).to_have_count(1)
    # The very next request shows it, well within a second of the save.
    saved = time.monotonic()
    with urllib.request.urlopen(site.url + "/", timeout=5) as response:
        html = response.read().decode()
    assert time.monotonic() - saved < 1.0
    lead = html.index('class="lead__headline"')
    assert FIRST in html[lead : lead + 600]
    home = read(browse)
    expect(home.locator(".lead__headline")).to_have_text(FIRST)
    expect(home.locator(".top-grid .teaser__headline").first).to_have_text(SECOND)
    politics = home.locator(".section-block", has=home.locator("#section-politica"))
    expect(politics.locator(".teaser__headline").first).to_have_text(PINNED)

    # Reordered: the second story leads.
    page.fill("#id_stories-0-position", "1")
    page.fill("#id_stories-1-position", "0")
    tab.follow(page.locator("input[name=_continue]"))
    expect(read(browse).locator(".lead__headline")).to_have_text(SECOND)

    # A breaking-news banner for a few seconds, linked to a story: on every page, then gone.
    tab.open("/admin/chrome/breakingnews/add/")
    page.fill("#id_text", BANNER)
    choose(page, page.locator(".field-article"), FIRST)
    ends = timezone.now().astimezone(ZoneInfo("Europe/Bucharest")) + timedelta(seconds=12)
    day, _minutes = ro_date_time(ends)
    page.fill("#id_ends_at_0", day)
    page.fill("#id_ends_at_1", f"{ends:%H:%M:%S}")
    tab.follow(page.locator("input[name=_save]"))
    expect(messages(page)).to_have_count(1)
    for path in ("/", pinned_url, "/section/politica/"):
        banner = read(browse, path).locator(".breaking")
        expect(banner).to_contain_text(BANNER)
        expect(banner.get_by_role("link")).to_have_attribute("href", urls[FIRST])
    stored = ends.replace(microsecond=0) + timedelta(seconds=1)
    while timezone.now() < stored:
        time.sleep(0.25)
    for path in ("/", pinned_url):
        expect(read(browse, path).locator(".breaking")).to_have_count(0)
