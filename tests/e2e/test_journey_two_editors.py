"""Journey 3, two editors at once: the second save is refused, the first one's text stands."""

from playwright.sync_api import expect

from tests.e2e.admin_ui import editor as body_editor
from tests.e2e.admin_ui import messages, ro
from tests.e2e.browsing import DESKTOP

HEADLINE = "Podul de la Brăila se deschide circulației în weekend"
FIRST_STANDFIRST = "Primele mașini trec sâmbătă la ora 10; taxa de trecere începe de luni."
FIRST_SENTENCE = "Ministerul a confirmat data într-un comunicat."
SECOND_HEADLINE = "Podul de la Brăila se deschide sâmbătă"
STALE = (
    "%(who)s saved this story at %(when)s, after you opened it, so your changes were not saved. "
    "Fields that differ from the saved story: %(fields)s. Your text is still below. Check the "
    "saved story (open it in another tab or compare in its history); saving again will replace "
    "it with what is below."
)


def test_second_save_of_the_same_story_is_refused_and_the_first_stands(browse, site):
    story = site.seed(
        "story",
        headline=HEADLINE,
        section="economie",
        standfirst="Podul suspendat leagă Brăila de Tulcea.",
        body="<p>Lucrările au durat cinci ani.</p>",
        by="editor",
    )
    first, second = browse(DESKTOP), browse(DESKTOP)
    first.login("editor")
    second.login("editor2")
    first.tab.open(story["change_url"])
    second.tab.open(story["change_url"])

    # The first editor rewrites the standfirst and adds to the body, and saves.
    first.page.fill("#id_standfirst", FIRST_STANDFIRST)
    body_editor(first.page).locator("p").last.click()
    first.page.keyboard.press("End")
    first.page.keyboard.type(" " + FIRST_SENTENCE)
    first.tab.follow(first.page.locator("button[name=publishing].default"))
    expect(messages(first.page)).to_have_count(1)

    # The second, who opened the story before that save, takes it over (the first has it open),
    # changes the headline and saves.
    second.page.locator("#desk-lock").get_by_role("button", name=ro("Take over")).click()
    expect(second.page.locator("#desk-lock")).to_be_hidden()
    second.page.fill("#id_headline", SECOND_HEADLINE)
    second.tab.follow(second.page.locator("button[name=publishing].default"))
    refusal = second.page.locator("ul.errorlist.nonfield")
    who_and_when = ro(STALE).split("%(when)s")[0] % {"who": "Ioana Marinescu"}
    expect(refusal).to_contain_text(who_and_when)
    expect(refusal).to_contain_text(ro("headline")[0].upper() + ro("headline")[1:])
    expect(messages(second.page)).to_have_count(0)
    # Nothing of theirs is lost from the form: they can compare, then save again on purpose.
    expect(second.page.locator("#id_headline")).to_have_value(SECOND_HEADLINE)

    # The saved story is the first editor's, whole.
    saved = site.seed("article", id=story["id"])
    assert saved["headline"] == HEADLINE
    assert saved["standfirst"] == FIRST_STANDFIRST
    assert FIRST_SENTENCE in saved["body"] and "Lucrările au durat cinci ani." in saved["body"]
    reader = browse(DESKTOP)
    reader.tab.open(story["url"])
    expect(reader.page.locator("h1")).to_have_text(HEADLINE)
    expect(reader.page.locator(".story__standfirst")).to_have_text(FIRST_STANDFIRST)
    expect(reader.page.locator(".story__body")).to_contain_text(FIRST_SENTENCE)


TAKEN_OVER = "Spitalul a primit aparatul, spune directorul."


def test_the_second_editor_sees_the_lock_takes_over_and_the_first_keeps_their_text(browse, site):
    story = site.seed(
        "story",
        headline="Spitalul din Galați primește un aparat RMN",
        section="economie",
        standfirst="Aparatul vine din fonduri europene.",
        body="<p>Aparatul a costat 1,2 milioane de lei.</p>",
        by="editor",
    )
    first, second = browse(DESKTOP), browse(DESKTOP)
    first.login("editor")
    second.login("editor2")
    first.tab.open(story["change_url"])
    lock = first.page.locator("#desk-lock")
    expect(lock).to_be_hidden()
    first.page.fill("#id_standfirst", TAKEN_OVER)  # typed, not saved

    # The second sees who has it and since when; the buttons wait.
    second.tab.open(story["change_url"])
    banner = second.page.locator("#desk-lock")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Ioana Marinescu")
    expect(second.page.locator("button[name=publishing]").first).to_be_disabled()

    # Take over: the second may save; the first hears of it at their next heartbeat.
    banner.get_by_role("button", name=ro("Take over")).click()
    expect(banner).to_be_hidden()
    expect(second.page.locator("button[name=publishing]").first).to_be_enabled()
    expect(lock).to_be_visible()
    expect(lock).to_contain_text("Dan Luca")  # the second editor, named in the first one's banner
    expect(first.page.locator("button[name=publishing]").first).to_be_disabled()
    # Nothing the first typed is lost.
    expect(first.page.locator("#id_standfirst")).to_have_value(TAKEN_OVER)

    # The second saves; the first takes it back and saves: refused, their text still there.
    second.page.fill("#id_headline", SECOND_HEADLINE)
    second.tab.follow(second.page.locator("button[name=publishing].default"))
    expect(messages(second.page)).to_have_count(1)
    lock.get_by_role("button", name=ro("Take over")).click()
    expect(lock).to_be_hidden()
    first.tab.follow(first.page.locator("button[name=publishing].default"))
    expect(first.page.locator("ul.errorlist.nonfield")).to_be_visible()
    expect(first.page.locator("#id_standfirst")).to_have_value(TAKEN_OVER)
    saved = site.seed("article", id=story["id"])
    assert saved["headline"] == SECOND_HEADLINE
