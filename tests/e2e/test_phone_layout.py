"""Phones: every public page type fits 320, 360, 390 and 412 px wide, with its pictures and with
every picture failing to load, and holds WCAG 2.2's target size (axe's rule, on every page the
journeys audit); the main menu opens from its button and reaches every section and sub-item."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.admin_ui import ro
from tests.e2e.browsing import PHONE

WIDTHS = [320, 360, 390, 412]
HEADLINE = "Consiliul Județean Maramureș aprobă bugetul pentru drumurile de munte"


@pytest.fixture(scope="module")
def pages(site):
    story = site.seed(
        "story",
        headline=HEADLINE,
        minutes_ago=1,
        section="politica",
        authors=[{"name": "Ana Lazăr", "bio": "Scrie despre administrația locală."}],
        tags=["Administrație locală"],
        standfirst="Consilierii au votat în unanimitate, după o ședință de patru ore.",
        body="<p>Bugetul crește cu 12 la sută față de anul trecut.</p>" * 6,
        image=True,
        image_alt="Un drum de munte în Maramureș",
    )
    day = timezone.localtime()
    return [
        "/",
        story["url"],
        story["section"]["url"],
        story["tags"][0]["url"],
        story["authors"][0]["url"],
        f"/{day:%Y}/",
        f"/{day:%Y/%m}/",
        f"/{day:%Y/%m/%d}/",
        "/search/?q=bugetul",
        "/info/despre-noi/",
    ]


def phone(width: int) -> dict:
    return PHONE | {"viewport": {"width": width, "height": 800}}


@pytest.mark.parametrize("pictures", ["loaded", "failing"])
@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_is_wider_than_the_phone(browse, pages, width, pictures):
    reader = browse(phone(width))
    if pictures == "failing":

        def fail(route):
            reader.tab.expected_failures.add(route.request.url)  # not a script error
            route.abort()

        reader.context.route("**/media/**", fail)
    for path in pages:
        reader.tab.open(path)
        # Every picture, those below the fold too.
        reader.page.evaluate("document.querySelectorAll('img').forEach(i => i.loading = 'eager')")
        for _try in range(100):
            if reader.page.evaluate("[...document.images].every(i => i.complete)"):
                break
            reader.page.wait_for_timeout(50)
        images = reader.page.evaluate(
            "[...document.images].filter(i => i.src.includes('/media/'))"
            ".map(i => i.complete && i.naturalWidth > 0)"
        )
        if pictures == "failing":
            assert not any(images), path
        else:
            assert all(images), (path, images)
            assert images or path.startswith("/info/"), path  # static pages have no pictures
        widest = reader.page.evaluate("document.documentElement.scrollWidth")
        assert widest <= width, f"{path} is {widest} px wide on a {width} px phone ({pictures})"


def test_the_menu_button_opens_every_section_and_sub_item(browse, site):
    reader = browse(phone(360))
    tab, page = reader.tab, reader.page
    tab.open("/")
    menu = page.get_by_role("navigation", name=ro("Main menu"))
    button = menu.get_by_role("button", name=ro("Menu"))
    expect(button).to_have_attribute("aria-expanded", "false")
    links = menu.get_by_role("link")
    expect(links.first).to_be_hidden()
    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    count = links.count()
    assert count > 8  # the sections and the topics under some of them
    for index in range(count):
        link = links.nth(index)
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box["height"] >= 24 and box["x"] >= 0 and box["x"] + box["width"] <= 360
    tab.audit()
    page.keyboard.press("Escape")
    expect(button).to_have_attribute("aria-expanded", "false")
    # A sub-item leads to its page.
    button.click()
    topic = menu.locator(".site-nav__sub a").first
    name = topic.inner_text()
    tab.follow(topic)
    expect(page.locator("h1")).to_have_text(name)


def test_without_scripts_the_menu_wraps_with_every_item(browser, site):
    context = browser.new_context(base_url=site.url, java_script_enabled=False, **phone(320))
    page = context.new_page()
    page.goto("/")
    menu = page.get_by_role("navigation", name=ro("Main menu"))
    expect(menu.get_by_role("button")).to_be_hidden()
    links = menu.get_by_role("link")
    assert links.count() > 8
    for index in range(links.count()):
        box = links.nth(index).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 320
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    context.close()
