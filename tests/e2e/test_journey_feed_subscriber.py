"""Journey 5, the feed subscriber: a new story is in the site, section, tag and author feeds
(RSS and Atom); once an editor unpublishes it, it is gone from every one of them."""

import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

import feedparser
from playwright.sync_api import expect

from tests.e2e.admin_ui import messages, ro_count, run_action
from tests.e2e.browsing import DESKTOP

HEADLINE = "Gala Gopo 2027: lungmetrajul „Iarna de la Sulina” ia cinci premii"
EARLIER = "Cinema românesc: cinci filme noi în săptămâna festivalului"
SHARED_TAG, OWN_TAG = "Cinema românesc", "Gala Gopo 2027"
NEW_AUTHOR, SHARED_AUTHOR = "Victor Lungu", "Irina Pavel"
# The site promises that a change shows on every page it affects within a second.
WITHIN = 2.0


@dataclass
class Subscription:
    """A feed as a feed reader follows it: its address and the validators of its last copy."""

    url: str
    etag: str = ""
    last_modified: str = ""
    entries: list[str] = field(default_factory=list)

    def poll(self) -> int:
        """Fetch the feed as readers do (conditionally once they have a copy); the status."""
        headers = {"User-Agent": "NewsroomTestReader/1.0"}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        try:
            request = urllib.request.Request(self.url, headers=headers)
            with urllib.request.urlopen(request, timeout=30) as got:
                body, status = got.read(), got.status
                self.etag = got.headers.get("ETag", "")
                self.last_modified = got.headers.get("Last-Modified", "")
        except urllib.error.HTTPError as error:
            if error.code in (304, 404):
                if error.code == 404:
                    self.entries = []
                return error.code
            raise
        parsed = feedparser.parse(body)
        assert not parsed.bozo, f"{self.url}: {parsed.bozo_exception}"
        assert parsed.version in ("rss20", "atom10"), parsed.version
        self.entries = [entry.link for entry in parsed.entries]
        return status


def test_story_comes_and_goes_in_every_feed(browse, site):
    earlier = site.seed(
        "story",
        headline=EARLIER,
        minutes_ago=60,
        section="cultura",
        authors=[SHARED_AUTHOR],
        tags=[SHARED_TAG],
    )
    story = site.seed(
        "story",
        headline=HEADLINE,
        minutes_ago=0,
        section="cultura",
        authors=[NEW_AUTHOR, SHARED_AUTHOR],
        tags=[SHARED_TAG, OWN_TAG],
        image=True,
        image_alt="Actorii filmului pe scena galei",
    )
    link, earlier_link = site.url + story["url"], site.url + earlier["url"]

    # The subscriber finds the feeds where readers do: announced by the pages, for autodiscovery.
    reader = browse(DESKTOP)
    reader.tab.open(story["url"])
    pages = [story["section"], *story["tags"], *story["authors"]]
    feeds: dict[str, Subscription] = {}
    for subject in pages:
        reader.tab.open(subject["url"])
        announced = reader.page.locator("head link[rel=alternate]")
        expect(announced).to_have_count(4)  # the page's own RSS and Atom, then the site's
        for href in announced.evaluate_all("links => links.map(link => link.href)"):
            feeds.setdefault(href, Subscription(href))
    assert len(feeds) == 2 + 2 * len(pages), sorted(feeds)

    for feed in feeds.values():
        assert feed.poll() == 200, feed.url
        assert link in feed.entries, f"{feed.url} does not list the story"
        # Asked again with what it has, a reader is told nothing changed.
        assert feed.poll() == 304, f"{feed.url} answered a conditional request in full"

    # An editor unpublishes the story.
    editor = browse(DESKTOP)
    editor.login("editor")
    editor.tab.follow(editor.page.locator(".model-article th a"))
    run_action(editor.page, HEADLINE, "unpublish")
    editor.tab.follow(editor.page.locator("button[name=index]"))
    expect(messages(editor.page)).to_have_text(
        ro_count("%(count)d story unpublished.", "%(count)d stories unpublished.", 1)
    )
    browse(DESKTOP).tab.open(story["url"], status=410)  # readers saw it: gone, not missing

    # Every feed drops it at once. Those of subjects another live story has keep that one; the
    # new author's is empty, and a tag no live story carries has no feed at all.
    tags = {tag["name"]: tag["url"] for tag in story["tags"]}
    authors = {author["name"]: author["url"] for author in story["authors"]}
    after = {
        "/": "earlier",
        story["section"]["url"]: "earlier",
        tags[SHARED_TAG]: "earlier",
        authors[SHARED_AUTHOR]: "earlier",
        tags[OWN_TAG]: "gone",
        authors[NEW_AUTHOR]: "empty",
    }
    for subject, expected in after.items():
        for kind in ("feed/", "feed/atom/"):
            feed = feeds.pop(f"{site.url}{subject}{kind}")
            deadline = time.monotonic() + WITHIN
            while (status := feed.poll()) == 304 or link in feed.entries:
                assert time.monotonic() < deadline, f"{feed.url} still has the story ({status})"
                time.sleep(0.2)
            if expected == "earlier":
                assert status == 200 and earlier_link in feed.entries, feed.url
            elif expected == "gone":
                assert status == 404, feed.url
            else:
                assert status == 200 and feed.entries == [], feed.url
    assert feeds == {}
