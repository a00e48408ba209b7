"""Journey 1, the reporter: writes a story, previews it, submits it, and cannot publish it."""

import re

from playwright.sync_api import expect

from tests.e2e.admin_ui import (
    add_link,
    block_type,
    choose,
    editor,
    lead_image,
    menu_button,
    messages,
    ro,
    row,
    save_button,
)
from tests.e2e.browsing import DESKTOP

EDIT_PICTURE = "Edit the picture: its description, credit and focal point"
HEADLINE = "Consiliul local aprobă bugetul pentru transportul public"
NEW_TAG = "Transport public metropolitan"


def test_reporter_writes_previews_and_submits_a_story_but_cannot_publish(browse, site):
    reporter = browse(DESKTOP)
    reporter.login("reporter")
    tab, page = reporter.tab, reporter.page

    # From the admin's index to a new story.
    tab.follow(page.locator(".model-article a.addlink"))
    page.fill("#id_headline", HEADLINE)
    page.fill(
        "#id_standfirst", "Primăria va cumpăra 120 de autobuze electrice până la sfârșitul anului."
    )

    # The body, in the rich-text editor: a paragraph with a link, a heading, a block quote.
    body = editor(page)
    body.click()
    page.keyboard.type("Consilierii au votat joi bugetul, publicat pe site-ul primăriei.")
    page.keyboard.press("Enter")
    page.keyboard.type("Ce urmează")
    block_type(page, "heading2")
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.type("Licitația începe luna viitoare.")
    page.keyboard.press("Enter")
    page.keyboard.type("Este cel mai mare buget din ultimii zece ani.")
    menu_button(page, "blockquote").click()
    add_link(page, "site-ul primăriei", "https://example.org/buget")
    expect(body.locator("h2")).to_have_text("Ce urmează")
    expect(body.locator("blockquote")).to_have_text("Este cel mai mare buget din ultimii zece ani.")
    expect(body.locator("a")).to_have_attribute("href", "https://example.org/buget")

    # Two authors, in the order chosen: the second one added is moved up, first in the byline.
    choose(page, page.locator("#bylines-0"), "Andrei Ionescu")
    choose(page, page.locator("#bylines-1"), "Mihai Dobre")
    page.locator('#bylines-1 button.desk-move[data-step="-1"]').click()  # "Mută mai sus"
    expect(page.locator("#bylines-group tr.form-row:not(.empty-form)").first).to_contain_text(
        "Mihai Dobre"
    )

    page.select_option("#id_section", label="Economie")
    page.fill("#id_tags", f"Taxe, {NEW_TAG}")
    page.fill("#id_dateline", "Cluj-Napoca")

    # The wire attribution sits in a collapsed fieldset.
    page.locator(
        "fieldset.collapse summary, details summary", has_text=ro("Wire attribution")
    ).click()
    page.select_option("#id_wire_service", label="Reuters")
    page.select_option("#id_wire_attribution", "according")

    # The lead picture: the library has none like it, so the "+" by the picture box opens the
    # library's upload form in a window of its own, which hands the new picture back.
    upload = reporter.popup(page.locator("#add_id_picture"))
    library = upload.page
    library.set_input_files("#id_file", lead_image("Autobuze electrice"))
    library.fill("#id_alt", "Un autobuz electric alb în stația din Piața Unirii")
    library.fill("#id_caption", "Primele autobuze electrice au ajuns în depou în martie.")
    library.fill("#id_credit", "Foto: Ana Pop")
    library.fill("#id_usage_note", "Fotografie proprie.")
    with library.expect_event("close"):
        library.locator("input[name=_save]").click()
    # Its last page only hands the choice back to the story form and closes the window.
    upload.audited = upload.loads
    expect(page.locator("#id_picture + .select2 .select2-selection__rendered")).to_contain_text(
        "Un autobuz electric alb"
    )

    # The headline's count, as the reporter types it.
    expect(page.locator("#id_headline-count")).to_contain_text(f"{len(HEADLINE)} ")

    # A preview before the first save, in a tab of its own.
    unsaved = reporter.popup(page.get_by_role("button", name=ro("Preview")))
    expect(unsaved.page.locator(".preview-banner")).to_be_visible()
    expect(unsaved.page.locator("h1")).to_have_text(HEADLINE)
    expect(unsaved.page.locator(".story__meta .byline a[rel=author]")).to_have_text(
        ["Mihai Dobre", "Andrei Ionescu"]
    )
    unsaved.page.close()

    # A draft, saved, and the form again.
    tab.follow(save_button(page, "draft"))
    expect(messages(page)).to_have_count(1)
    expect(page.locator(".field-picture_preview img")).to_be_visible()
    tab.screenshot("admin-story-form")
    story_form = page.url
    story = site.seed("find", headline=HEADLINE)
    saved = site.seed("article", id=story["id"])
    assert saved["status"] == "draft"
    assert [author["name"] for author in saved["authors"]] == ["Mihai Dobre", "Andrei Ionescu"]
    assert sorted(tag["name"] for tag in saved["tags"]) == sorted(["Taxe", NEW_TAG])
    assert saved["wire_service"] == "reuters" and saved["wire_attribution"] == "according"
    assert saved["dateline"] == "Cluj-Napoca" and saved["created_by"] == "reporter"
    assert saved["image"] and saved["image_alt"].startswith("Un autobuz electric")
    for markup in ("<h2>Ce urmează</h2>", "<blockquote>", 'href="https://example.org/buget"'):
        assert markup in saved["body"]

    # The picture's focal point, on its own form (linked from the story's): a click on the
    # picture moves the marker there and fills the two numbers; the arrow keys move it too.
    tab.follow(page.get_by_role("link", name=ro(EDIT_PICTURE)))
    picker = page.locator("[data-focal-picker]")
    shown = picker.locator("img").bounding_box()
    assert shown is not None
    picker.locator("img").click(position={"x": shown["width"] / 4, "y": shown["height"] * 3 / 4})
    expect(page.locator("#id_focal_x")).to_have_value(re.compile(r"^0\.2[45]\d$"))
    expect(page.locator("#id_focal_y")).to_have_value(re.compile(r"^0\.7[45]\d$"))
    # Measured again: the click scrolled the picture into view.
    shown = picker.locator("img").bounding_box()
    marker = picker.locator(".focal-picker__marker").bounding_box()
    assert shown is not None and marker is not None
    centre = (marker["x"] + marker["width"] / 2, marker["y"] + marker["height"] / 2)
    assert abs(centre[0] - (shown["x"] + shown["width"] / 4)) < 3, (centre, shown)
    assert abs(centre[1] - (shown["y"] + shown["height"] * 3 / 4)) < 3, (centre, shown)
    picker.focus()
    page.keyboard.press("ArrowUp")
    expect(page.locator("#id_focal_y")).to_have_value(re.compile(r"^0\.7[23]\d$"))
    tab.follow(page.locator("input[name=_save]"))
    expect(messages(page)).to_have_count(1)
    saved = site.seed("article", id=story["id"])
    assert 0.24 <= saved["focal"][0] <= 0.26 and 0.72 <= saved["focal"][1] <= 0.74
    tab.open(story_form.removeprefix(site.url))

    # The preview, in a tab of its own, as readers would see the story.
    preview = reporter.popup(page.locator(".object-tools a.viewsitelink"))
    story_page = preview.page
    expect(story_page.locator(".preview-banner")).to_contain_text(ro("Preview — not published"))
    expect(story_page.locator("h1")).to_have_text(HEADLINE)
    byline = story_page.locator(".story__meta .byline")
    expect(byline.locator("a[rel=author]")).to_have_text(["Mihai Dobre", "Andrei Ionescu"])
    expect(byline.locator(".wire-credit")).to_have_text(
        ro("according to %(agency)s", agency="Reuters")
    )
    expect(story_page.locator(".dateline")).to_have_text("Cluj-Napoca")
    body = story_page.locator(".story__body")
    expect(body.locator("h2")).to_have_text("Ce urmează")
    expect(body.locator("blockquote")).to_contain_text("cel mai mare buget")
    expect(body.get_by_role("link", name="site-ul primăriei")).to_have_attribute(
        "href", "https://example.org/buget"
    )
    image = story_page.locator(".story__figure img")
    expect(image).to_have_attribute("alt", "Un autobuz electric alb în stația din Piața Unirii")
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    expect(story_page.locator(".story__figure figcaption")).to_contain_text("Foto: Ana Pop")
    story_page.close()

    # Submitted for review.
    tab.follow(save_button(page, "review"))
    expect(messages(page)).to_have_count(1)
    expect(row(page, HEADLINE)).to_contain_text(ro("In review"))
    assert site.seed("article", id=story["id"])["status"] == "review"

    # No way to publish: no bulk action, no "Published" status, no publishing time to set.
    actions = page.locator("select[name=action] option")
    assert "publish_now" not in actions.evaluate_all("options => options.map(o => o.value)")
    tab.follow(row(page, HEADLINE).get_by_role("link", name=HEADLINE, exact=True))
    actions = page.locator("button[name=publishing]").evaluate_all(
        "buttons => buttons.map(b => b.value)"
    )
    assert actions == ["save", "draft"]
    expect(page.locator("[name^=publish_at]")).to_have_count(0)

    # Nor by forging the form: the server refuses, and the story stays in review.
    save_button(page, "save").evaluate("button => button.value = 'publish'")
    tab.follow(save_button(page, "publish"))
    expect(page.locator(".errorlist")).to_contain_text(
        ro("Only editors can publish, schedule, update or unpublish a story.")
    )
    assert site.seed("article", id=story["id"])["status"] == "review"


def test_slugs_typed_from_a_headline_are_ascii(browse, site):
    reporter = browse(DESKTOP)
    reporter.login("reporter")
    reporter.tab.follow(reporter.page.locator(".model-article a.addlink"))
    reporter.page.locator("#id_headline").press_sequentially(
        "Ţara şi-a închis spaţiul aerian, anunţă MApN"
    )
    expect(reporter.page.locator("#id_slug")).to_have_value(
        "tara-si-a-inchis-spatiul-aerian-anunta-mapn"
    )
