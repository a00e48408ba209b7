"""Journey 2, the editor: finds a story in review, corrects it, schedules it, publishes it,
adds a correction, then compares two versions in its history and restores the earlier
headline. The story is a reporter's submission, saved in a first revision as the admin saves
one (journey 1 writes one through the form; this test does not depend on it)."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.admin_ui import (
    fits_the_screen,
    messages,
    ro,
    ro_count,
    row,
    run_action,
    save_button,
)
from tests.e2e.browsing import DESKTOP

# The screen the admin must fit without scrolling sideways.
DESK = {"viewport": {"width": 1366, "height": 900}}
SUBMITTED = "Spitalul Județean primește un nou aparat RMN"
CORRECTED = "Spitalul Județean primește primul său aparat RMN"
CORRECTION = "O versiune anterioară spunea că aparatul a costat 2 milioane de lei; a costat 1,2."


def read(browse, url: str, status: int = 200):
    """A reader opens `url`: a new browser each time, since a browser may keep a public page
    for a few seconds (Cache-Control max-age) and this journey checks what the site serves."""
    reader = browse(DESKTOP)
    reader.tab.open(url, status=status)
    return reader.page


def test_editor_corrects_schedules_publishes_corrects_and_restores(browse, site):
    story = site.seed(
        "story",
        headline=SUBMITTED,
        status="review",
        section="sanatate",
        authors=["Mihai Dobre"],
        standfirst="Aparatul a fost cumpărat din fonduri europene.",
        by="reporter",
    )
    editor = browse(DESK)
    editor.login("editor")
    tab, page = editor.tab, editor.page

    # The desk: the story waits for review, with who submitted it.
    waiting = page.locator(".desk-panel--review li").filter(has_text=SUBMITTED)
    expect(waiting).to_have_count(1)
    tab.screenshot("admin-desk")

    # The change list, then only the stories in review; it fits the screen.
    tab.follow(page.locator(".model-article th a"))
    fits_the_screen(page)
    tab.screenshot("admin-change-list")
    tab.follow(page.locator("#changelist-filter").get_by_role("link", name=ro("In review")))
    expect(row(page, SUBMITTED)).to_contain_text(ro("In review"))
    for status in page.locator("#result_list td.field-status_display").all_inner_texts():
        assert status == ro("In review")

    # The headline, corrected.
    tab.follow(row(page, SUBMITTED).get_by_role("link", name=SUBMITTED, exact=True))
    page.fill("#id_headline", CORRECTED)
    tab.follow(save_button(page, "save"))
    expect(messages(page)).to_have_count(1)
    assert site.seed("article", id=story["id"])["headline"] == CORRECTED

    # Scheduled two minutes ahead: not on the site yet.
    in_two_minutes = timezone.now().astimezone(ZoneInfo("Europe/Bucharest")) + timedelta(minutes=2)
    page.fill("#id_publish_at", in_two_minutes.strftime("%Y-%m-%dT%H:%M"))
    tab.follow(save_button(page, "schedule"))
    expect(messages(page)).to_have_count(1)
    scheduled = site.seed("article", id=story["id"])
    assert scheduled["is_scheduled"], scheduled
    read(browse, scheduled["url"], status=404)

    # Published now, from the story's own form: readers see it.
    tab.follow(save_button(page, "publish"))
    expect(messages(page)).to_have_count(1)
    live = site.seed("article", id=story["id"])
    assert live["is_published"], live
    expect(read(browse, live["url"]).locator("h1")).to_have_text(CORRECTED)

    # Later, a correction on the same form, shown at the foot of the story.
    page.locator("#corrections-group .add-row a").click()
    page.fill("#id_corrections-0-text", CORRECTION)
    tab.follow(save_button(page, "update"))
    expect(messages(page)).to_have_count(1)
    reader = read(browse, live["url"])
    expect(reader.locator(".corrections")).to_contain_text(CORRECTION)
    # The correction moved the story's updated time: readers see when.
    corrected = site.seed("article", id=story["id"])
    assert corrected["updated_at"], corrected
    expect(reader.locator(".story__times")).to_contain_text(ro("Updated"))

    # Later still: the history, the first version compared with the last, and a restore.
    tab.follow(page.locator(".object-tools a.historylink"))
    versions = page.locator("#change-history tbody tr")
    expect(versions).to_have_count(5)  # added, corrected, scheduled, published, corrected
    versions.last.locator("input[name=from]").check()
    versions.first.locator("input[name=to]").check()
    tab.follow(page.locator("#change-history input[type=submit]"))
    label = ro("headline")
    headline_change = page.locator(".version-diff tbody tr").filter(
        has=page.locator("th", has_text=label[0].upper() + label[1:])
    )
    expect(headline_change.locator("del")).to_have_text(["un", "nou"])
    expect(headline_change.locator("ins")).to_have_text(["primul", "său"])
    restore = page.locator(".submit-row input[type=submit]")
    expect(restore).to_have_count(1)  # only the older one: the newer is the story as it is
    tab.follow(restore)
    expect(messages(page)).to_have_count(1)
    expect(page.locator("#id_headline")).to_have_value(SUBMITTED)

    # A version is the whole story: the restored one was in review, before the correction.
    restored = site.seed("article", id=story["id"])
    assert restored["headline"] == SUBMITTED
    assert restored["status"] == "review" and restored["corrections"] == []
    read(browse, live["url"], status=410)  # readers saw it: gone, not missing
    # The editor publishes it again, under the earlier headline.
    tab.follow(page.locator(".breadcrumbs a").nth(2))
    run_action(page, SUBMITTED, "publish_now")
    tab.follow(page.locator("button[name=index]"))
    expect(messages(page)).to_have_text(
        ro_count("%(count)d story published.", "%(count)d stories published.", 1)
    )
    republished = site.seed("article", id=story["id"])
    expect(read(browse, republished["url"]).locator("h1")).to_have_text(SUBMITTED)
    tab.follow(page.locator("#changelist-filter").get_by_role("link", name=ro("Published today")))
    expect(row(page, SUBMITTED)).to_have_count(1)

    # The menu editor fits the same screen.
    tab.open("/admin/chrome/menu/")
    tab.follow(page.locator("#result_list tbody tr a").first)
    fits_the_screen(page)


# Every kind of admin page an editor opens: the desk, each list, each add form, a story.
ADMIN_PAGES = [
    "/admin/",
    "/admin/articles/",
    "/admin/articles/article/",
    "/admin/articles/article/?status=review&mine=1",
    "/admin/articles/article/add/",
    "/admin/articles/section/",
    "/admin/articles/section/add/",
    "/admin/articles/author/",
    "/admin/articles/author/add/",
    "/admin/articles/wireservice/",
    "/admin/articles/wireservice/add/",
    "/admin/taggit/tag/",
    "/admin/taggit/tag/add/",
    "/admin/chrome/menu/",
    "/admin/chrome/menu/add/",
    "/admin/chrome/adslot/",
    "/admin/chrome/adslot/add/",
    "/admin/password_change/",
]


def test_every_admin_page_is_accessible_and_romanian(browse, site):
    story = site.seed("story", headline="Un articol de verificat", status="review", by="reporter")
    editor = browse(DESK)
    editor.login("editor")
    for path in [
        *ADMIN_PAGES,
        story["change_url"],
        story["change_url"].replace("change", "history"),
    ]:
        editor.tab.open(path)  # audited by axe-core on the way
        text = editor.page.locator("body").inner_text()
        for english in ("Django", "Select an option", "Show counts", "Filter by", "Run"):
            assert english not in text.split("\n"), (path, english)
        assert "Django" not in text, path
