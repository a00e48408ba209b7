"""How the journeys work the editorial admin: its widgets, as a person uses them."""

import random
from datetime import datetime

from django.utils import formats, translation
from django.utils.translation import gettext, ngettext
from playwright.sync_api import Locator, Page, expect

from newsroom import demo


def ro(text: str, **params) -> str:
    """`text` as the site shows it: in Romanian, its default language."""
    with translation.override("ro"):
        translated = gettext(text)
    return translated % params if params else translated


def ro_count(singular: str, plural: str, count: int) -> str:
    with translation.override("ro"):
        return ngettext(singular, plural, count) % {"count": count}


def ro_date_time(moment: datetime) -> tuple[str, str]:
    """A local time as typed into the admin's date and time boxes in Romanian."""
    with translation.override("ro"):
        return (
            moment.strftime(formats.get_format("DATE_INPUT_FORMATS")[0]),
            moment.strftime(formats.get_format("TIME_INPUT_FORMATS")[0]),
        )


def lead_image(label: str) -> dict:
    """A photo to upload, as Playwright's file chooser takes it."""
    picture = demo.lead_image(random.Random(label), "economie")
    return {"name": "lead-photo.jpg", "mimeType": "image/jpeg", "buffer": picture}


def choose(page: Page, field: Locator, text: str) -> None:
    """Pick `text` in one of the admin's autocomplete boxes (select2), by typing part of it."""
    field.locator(".select2-selection").click()
    search = page.locator(".select2-container--open .select2-search__field")
    search.fill(text[:4])
    option = page.locator(".select2-container--open .select2-results__option", has_text=text)
    option.first.click()
    expect(field.locator(".select2-selection__rendered")).to_contain_text(text)


def editor(page: Page) -> Locator:
    """The body's rich-text editor."""
    return page.locator(".field-body .ProseMirror[contenteditable=true]")


def block_type(page: Page, name: str) -> None:
    """Turn the current block into `name` (heading2, paragraph…) from the editor's menu."""
    page.locator(".field-body .prose-menubar__selected").click()
    page.locator(f".field-body .prose-menubar__option[data-name={name}]").click()


def menu_button(page: Page, name: str) -> Locator:
    return page.locator(f".field-body .prose-menubar__button[data-name={name}]")


def add_link(page: Page, words: str, url: str) -> None:
    """Select `words` in the body and make them a link through the editor's link dialog."""
    page.evaluate(
        """(words) => {
          const root = document.querySelector('.field-body .ProseMirror[contenteditable=true]');
          const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
          while (walker.nextNode()) {
            const at = walker.currentNode.data.indexOf(words);
            if (at >= 0) {
              const range = document.createRange();
              range.setStart(walker.currentNode, at);
              range.setEnd(walker.currentNode, at + words.length);
              const selection = window.getSelection();
              selection.removeAllRanges();
              selection.addRange(range);
              return;
            }
          }
          throw new Error('not in the body: ' + words);
        }""",
        words,
    )
    menu_button(page, "link").click()
    dialog = page.locator("dialog.prose-editor-dialog[open]")
    dialog.locator("input[name=href]").fill(url)
    dialog.locator("button[type=submit]").click()
    expect(dialog).to_have_count(0)


def messages(page: Page) -> Locator:
    """The admin's messages after a save or an action."""
    return page.locator("ul.messagelist li")


def run_action(page: Page, headline: str, action: str) -> None:
    """Tick the story's row in the change list and choose a bulk action (then press Go)."""
    row(page, headline).locator("input.action-select").check()
    page.select_option("select[name=action]", action)


def row(page: Page, headline: str) -> Locator:
    """The change list's row of the story with this headline."""
    return page.locator("#result_list tbody tr").filter(
        has=page.get_by_role("link", name=headline, exact=True)
    )


def save_button(page: Page, action: str) -> Locator:
    """One of the story form's publishing buttons (Save draft, Submit for review, Publish now…)."""
    return page.locator(f"button[name=publishing][value={action}]")


def fits_the_screen(page: Page) -> None:
    """Nothing on the page scrolls sideways: not the page, not a table in its own box."""
    overflowing = page.evaluate(
        """() => [
            document.documentElement,
            ...document.querySelectorAll('#changelist .results, .inline-group .tabular, .wrapper'),
        ]
            .filter(box => box.scrollWidth > box.clientWidth + 1)
            .map(box => `${box.id || box.className || box.tagName}: ${box.scrollWidth}`)"""
    )
    assert overflowing == [], overflowing
