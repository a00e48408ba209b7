"""Journey 4, the reader, on a phone and on a desktop: home, story, header, menu, section, tag,
author, search, and paging through a listing with the keyboard alone."""

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from newsroom.dates import long_date
from tests.e2e.admin_ui import ro
from tests.e2e.browsing import DESKTOP, PHONE, Tab

HEADLINE = "Hidrologii anunță că nivelul Dunării scade sub pragul de alertă"
AUTHOR = {
    "name": "Elena Stan",
    "bio": "Scrie despre mediu și transportul pe Dunăre din 2015, de la Galați.",
}
TAG = "Dunărea"
CREDIT = "Foto: Elena Stan / Newsroom"
ALT = "Un șlep încărcat cu cereale pe Dunăre, lângă Galați"


@pytest.fixture(scope="module")
def story(site):
    """The newest story (the home page's lead), in a section with two pages of stories."""
    site.seed("listing", headline="Bursa de mărfuri, bilanțul zilei", count=22, section="economie")
    return site.seed(
        "story",
        headline=HEADLINE,
        minutes_ago=0,
        section="economie",
        authors=[AUTHOR],
        tags=[TAG],
        standfirst="Navigația rămâne deschisă, dar cu restricții de pescaj la Brăila.",
        body="<p>Cotele au scăzut cu 40 de centimetri într-o săptămână.</p>",
        image=True,
        image_alt=ALT,
        image_caption="Șlepurile încarcă mai puțin din cauza apelor mici.",
        image_credit=CREDIT,
    )


def image_shows(page: Page, selector: str) -> bool:
    return page.locator(selector).first.evaluate("img => img.complete && img.naturalWidth > 0")


def tab_to(tab: Tab, selector: str, limit: int = 200) -> None:
    """Press Tab until the element matching `selector` has the focus, and check it shows."""
    for _press in range(limit):
        tab.page.keyboard.press("Tab")
        if tab.page.evaluate(f"document.activeElement.matches({selector!r})"):
            style = tab.page.evaluate(
                "getComputedStyle(document.activeElement).outlineStyle"
                " + ' ' + getComputedStyle(document.activeElement).outlineWidth"
            )
            assert not style.startswith("none") and not style.endswith(" 0px"), style
            return
    raise AssertionError(f"{selector} never took the focus after {limit} presses of Tab")


def skip_to_content(tab: Tab) -> None:
    tab.page.keyboard.press("Tab")
    assert tab.page.evaluate("document.activeElement.matches('.skip-link')")
    tab.page.keyboard.press("Enter")
    assert tab.page.evaluate("document.activeElement.id") == "main"


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_reader_finds_reads_and_browses_the_story(browse, story, device):
    name = "phone" if device is PHONE else "desktop"
    reader = browse(device)
    tab, page = reader.tab, reader.page

    # Home: the story leads, with its picture; the header gives city, date and temperature.
    before = timezone.now()
    tab.open("/")
    lead = page.locator(".lead")
    expect(lead.locator(".lead__headline")).to_have_text(HEADLINE)
    expect(lead.locator(".teaser__meta")).to_contain_text(AUTHOR["name"])
    assert image_shows(page, ".lead img")
    header = page.locator("[data-live-header]")
    expect(header.locator(".lh-city")).to_have_text("București")
    expect(header.locator(".lh-temp")).to_have_text("3 °C")
    today = {long_date(moment, "ro", "Europe/Bucharest") for moment in (before, timezone.now())}
    clock = header.locator(".lh-now").inner_text()
    assert any(clock.startswith(day) for day in today), clock
    tab.screenshot(f"home-{name}")

    # The story: picture with caption and credit, byline, tags.
    tab.follow(lead.get_by_role("link", name=HEADLINE))
    expect(page.locator("h1")).to_have_text(HEADLINE)
    figure = page.locator(".story__figure")
    expect(figure.locator("img")).to_have_attribute("alt", ALT)
    assert image_shows(page, ".story__figure img")
    expect(figure.locator("figcaption")).to_contain_text("Șlepurile încarcă mai puțin")
    expect(figure.locator(".credit")).to_have_text(CREDIT)
    tab.screenshot(f"story-{name}")

    # The author, from the byline.
    tab.follow(page.locator(".byline").get_by_role("link", name=AUTHOR["name"]))
    expect(page.locator("h1")).to_contain_text(AUTHOR["name"])
    expect(page.locator("main")).to_contain_text(AUTHOR["bio"])
    expect(page.locator(".story-list").get_by_role("link", name=HEADLINE)).to_be_visible()

    # The section, from the main menu: the story is its newest.
    menu = page.get_by_role("navigation", name=ro("Main menu"))
    if device is PHONE:  # the menu opens from its button
        menu.get_by_role("button", name=ro("Menu")).click()
    tab.follow(menu.get_by_role("link", name="Economie", exact=True))
    expect(page.locator("h1")).to_have_text("Economie")
    expect(page.locator(".story-list .teaser__headline").first).to_have_text(HEADLINE)

    # Its two pages, with the keyboard alone: skip link, Tab to the next page, Enter; and back.
    skip_to_content(tab)
    tab_to(tab, "a[rel=next]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab.audit()
    assert tab.path.endswith("?page=2")
    expect(page.locator(".pagination__current")).to_contain_text("2")
    skip_to_content(tab)
    tab_to(tab, "a[rel=prev]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab.audit()
    assert "page=" not in tab.path
    expect(page.locator(".story-list .teaser__headline").first).to_have_text(HEADLINE)

    # The tag, from the story's page.
    tab.follow(page.locator(".story-list").get_by_role("link", name=HEADLINE))
    tab.follow(page.locator(".story__tags").get_by_role("link", name=TAG))
    expect(page.locator("h1")).to_have_text(TAG)
    expect(page.locator(".story-list .teaser__headline").first).to_have_text(HEADLINE)

    # A search for a word of the story (phones search from the search page).
    if device is PHONE:
        tab.follow(page.locator(".site-search button"))
        page.fill("#search-q", "hidrologii")
    else:
        page.fill("#site-search-q", "hidrologii")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab.audit()
    expect(page.locator(".search-results").get_by_role("link", name=HEADLINE)).to_be_visible()
