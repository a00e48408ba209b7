"""Journey 7, the wire desk: an agency item lands in the drop folder, poll_wires takes it, an
editor uses it as a story and publishes it; the agency kills the item, and within a second the
reader's page answers 410 and the home page and feeds no longer show it."""

import json
import secrets
import time
import urllib.error
import urllib.request

from playwright.sync_api import expect

from tests.e2e.admin_ui import messages, ro, save_button
from tests.e2e.browsing import DESKTOP, PHONE

HEADLINE = "Podul de la Giurgiu se redeschide după reparații"


def item(guid: str, version: int, status: str = "usable") -> dict:
    return {
        "uri": guid,
        "version": str(version),
        "type": "text",
        "pubstatus": status,
        "language": "ro",
        "urgency": 2,
        "headlines": [{"role": "main", "value": HEADLINE}],
        "bodies": [
            {
                "role": "main",
                "contenttype": "text/html",
                "value": "<p>Podul Prieteniei se redeschide luni.</p><p>Traficul va fi reluat "
                "treptat, a anunțat compania de drumuri.</p>",
            }
        ],
        "by": "Elena Stoica",
        "located": "Giurgiu",
        "keywords": ["transport"],
    }


def status_of(site, path: str) -> int:
    try:
        with urllib.request.urlopen(site.url + path, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def fetched(site, path: str) -> str:
    with urllib.request.urlopen(site.url + path, timeout=10) as response:
        return response.read().decode()


def test_wire_item_used_published_then_killed(browse, site):
    drop = site.folder / "wire-drop"
    drop.mkdir(exist_ok=True)
    site.seed("wire_drop", folder=str(drop))
    guid = f"urn:e2e:reuters:{secrets.token_hex(4)}"
    (drop / "bridge.json").write_text(json.dumps(item(guid, 1)))
    lines = site.seed("poll_wires")["lines"]
    assert any(line.startswith("new ") and guid in line for line in lines), lines

    # The editor finds it on the desk, reads it, and uses it as a story.
    editor = browse(DESKTOP)
    editor.login("editor")
    tab, page = editor.tab, editor.page
    tab.follow(page.locator(".model-wireitem th a"))
    tab.screenshot("admin-wire-desk")
    tab.follow(page.get_by_role("link", name=HEADLINE))
    expect(page.locator(".wire-body")).to_contain_text("Podul Prieteniei se redeschide luni.")
    tab.screenshot("admin-wire-item")
    page.select_option("#id_section", label="Economie")
    tab.follow(page.locator(f"input[type=submit][value='{ro('Use as story')}']"))
    expect(messages(page)).to_contain_text(
        ro("A draft was made from the agency's item. Check it, then publish it.")
    )
    expect(page.locator("#id_headline")).to_have_value(HEADLINE)
    expect(page.locator("#id_wire_story_id")).to_have_value(guid)

    # Published from the form.
    tab.follow(save_button(page, "publish"))
    story = site.seed("article", id=site.seed("find", headline=HEADLINE)["id"])
    assert story["is_published"], story
    reader = browse(PHONE)
    reader.tab.open(story["url"])
    expect(reader.page.locator("h1")).to_have_text(HEADLINE)
    assert HEADLINE in fetched(site, "/feed/")

    # The agency kills it.
    (drop / "bridge-kill.json").write_text(json.dumps(item(guid, 2, "canceled")))
    lines = site.seed("poll_wires")["lines"]
    assert any(line.startswith("killed ") and guid in line for line in lines), lines
    killed_at = time.monotonic()
    assert status_of(site, story["url"]) == 410
    assert time.monotonic() - killed_at < 1.0
    # In a new browser (the first may keep the page a few seconds: Cache-Control max-age).
    reader = browse(PHONE)
    reader.tab.open(story["url"], status=410)
    reader.tab.screenshot("wire-killed-phone")
    expect(reader.page.locator("main")).not_to_contain_text(HEADLINE)
    home = browse(PHONE)
    home.tab.open("/")
    expect(home.page.locator("body")).not_to_contain_text(HEADLINE)
    for feed in ("/feed/", "/feed/atom/", "/api/ninjs/"):
        assert HEADLINE not in fetched(site, feed), feed

    # The desk tells the editor what happened.
    tab.open("/admin/articles/wireitem/")
    expect(messages(page)).to_contain_text("Reuters a anulat această știre")
    tab.screenshot("admin-wire-desk-alert")
