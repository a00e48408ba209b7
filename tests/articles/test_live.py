"""Live coverage: the reader's stream, the polling answer, feeds, JSON-LD and the admin screen."""

import json
import re
from datetime import timedelta
from unittest import mock

import feedparser
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version

from articles.live import views
from articles.live.models import LiveEntry
from articles.live.stream import cursor_now
from articles.models import Article
from newsroom.chrome.models import BreakingNews, SiteSettings
from tests.factories import image_upload, make_article, make_author, make_user
from tests.helpers import StoresPagesAtOnce

MAX_QUERIES = 8
JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def live_story(**fields) -> Article:
    fields.setdefault("coverage_started_at", timezone.now() - timedelta(hours=2))
    return make_article(**fields)


def post(article: Article, minutes_ago: float = 0, **fields) -> LiveEntry:
    fields.setdefault("body", "<p>Something happened.</p>")
    return LiveEntry.objects.create(
        article=article, posted_at=timezone.now() - timedelta(minutes=minutes_ago), **fields
    )


def entry_ids(html: str) -> list[int]:
    stream = html.split('id="live-entries"', 1)[1]
    return [int(pk) for pk in re.findall(r'data-entry="(\d+)"', stream)]


def json_ld(response) -> dict:
    found = JSON_LD.search(response.content.decode())
    assert found is not None
    return json.loads(found.group(1))


class LiveTestCase(TestCase):
    def setUp(self):
        cache.clear()
        self.addCleanup(cache.clear)
        SiteSettings(pk=1, language="en").save()
        self.article = live_story(headline="Drones over Kyiv", slug="drones-over-kyiv")

    def updates_url(self, after: int | str) -> str:
        return f"{self.article.get_absolute_url()}live/updates/?after={after}"

    def updates(self, after: int | str) -> dict:
        response = self.client.get(self.updates_url(after))
        assert response.status_code == 200, response.content
        return response.json()


@override_settings(LIVE_PAGE_SIZE=3)
class ReaderStreamTests(LiveTestCase):
    def test_newest_first_paged_with_pinned_and_key_events(self):
        entries = [post(self.article, minutes_ago=10 - n, title=f"Update {n}") for n in range(7)]
        entries[0].key_event = entries[5].key_event = True
        entries[1].pinned = True
        for entry in (entries[0], entries[1], entries[5]):
            entry.save()
        post(self.article, status=LiveEntry.Status.DRAFT, title="Not yet")
        gone = post(self.article, title="Withdrawn", deleted_at=timezone.now())

        response = self.client.get(self.article.get_absolute_url())
        html = response.content.decode()
        assert entry_ids(html) == [entries[6].pk, entries[5].pk, entries[4].pk]
        # The pinned update is on top of the first page, the key events jump to their pages.
        assert html.index(f'id="update-{entries[1].pk}"') < html.index('id="live-entries"')
        assert f'href="#update-{entries[5].pk}"' in html
        far = f'href="?update={entries[0].pk}#update-{entries[0].pk}"'
        assert far in html
        # The key event on another page is found when asked for.
        found = self.client.get(f"{self.article.get_absolute_url()}?update={entries[0].pk}")
        assert found.status_code == 302
        assert found["Location"].endswith(f"?page=3#update-{entries[0].pk}")
        for bad in ("x", "999999", str(gone.pk)):
            assert (
                self.client.get(f"{self.article.get_absolute_url()}?update={bad}").status_code
                == 404
            )
        assert "Not yet" not in html and "Withdrawn" not in html, html[
            html.find("Not yet") - 300 :
        ][:400]
        assert f"update-{gone.pk}" not in html
        assert 'data-live-updates="' in html and "live-updates.js" in html
        assert "Page 1 of 3" in html

        older = self.client.get(self.article.get_absolute_url() + "?page=3").content.decode()
        assert entry_ids(older) == [entries[0].pk]
        assert 'data-live-places-new=""' in older  # new updates do not belong here

        oldest = self.client.get(self.article.get_absolute_url() + "?order=oldest")
        assert entry_ids(oldest.content.decode()) == [e.pk for e in entries[:3]]

    def test_one_anchor_per_update_when_the_pinned_one_is_also_in_the_stream(self):
        first, pinned = post(self.article, title="First"), post(self.article, title="Pinned")
        pinned.pinned = True
        pinned.save()

        html = self.client.get(self.article.get_absolute_url()).content.decode()
        assert html.count(f'data-entry="{pinned.pk}"') == 2
        assert html.count(f'id="update-{pinned.pk}"') == 1
        assert html.index(f'id="update-{pinned.pk}"') > html.index('id="live-entries"')
        assert f'id="update-{first.pk}"' in html

    def test_bad_page_is_a_404_and_no_updates_yet_says_so(self):
        assert self.client.get(self.article.get_absolute_url() + "?page=9").status_code == 404
        assert self.client.get(self.article.get_absolute_url() + "?page=x").status_code == 404
        assert (
            "No updates yet." in self.client.get(self.article.get_absolute_url()).content.decode()
        )

    def test_edited_mark_and_ended_coverage(self):
        entry = post(self.article, title="First")
        entry.edited_at = timezone.now()
        entry.save()
        self.article.coverage_ended_at = timezone.now()
        self.article.save()
        html = self.client.get(self.article.get_absolute_url()).content.decode()
        assert "live-entry__edited" in html
        assert "Live coverage ended on" in html
        assert "data-live-updates" not in html and "live-updates.js" not in html

    def test_lists_and_the_banner_mark_live_stories(self):
        BreakingNews.objects.create(text="Air-raid alert in Kyiv", article=self.article)
        home = self.client.get(reverse("home")).content.decode()
        assert "story-label--live" in home
        assert '<strong class="breaking__label">LIVE</strong>' in home
        self.article.coverage_ended_at = timezone.now()
        self.article.save()
        home = self.client.get(reverse("home")).content.decode()
        assert "story-label--live" not in home and 'breaking__label">LIVE' not in home


class PollingTests(StoresPagesAtOnce, LiveTestCase):
    def test_new_edited_and_deleted_updates_and_the_end(self):
        cursor = cursor_now()
        assert self.updates(cursor)["entries"] == []
        first = post(self.article, title="First")
        answer = self.updates(cursor)
        assert [entry["id"] for entry in answer["entries"]] == [first.pk]
        assert answer["entries"][0]["shown"] and "First" in answer["entries"][0]["html"]
        assert answer["cursor"] >= cursor and answer["ended"] is None

        first.body = "<p>Corrected.</p>"
        first.save()
        edited = self.updates(cursor)["entries"][0]
        assert edited["version"] == 2 and "Corrected." in edited["html"]

        first.deleted_at = timezone.now()
        first.save()
        deleted = self.updates(cursor)["entries"][0]
        assert deleted == {**deleted, "shown": False, "html": ""}

        self.article.coverage_ended_at = timezone.now()
        self.article.save()
        assert self.updates(cursor)["ended"]

    def test_drafts_are_never_sent(self):
        post(self.article, status=LiveEntry.Status.DRAFT, body="<p>Secret draft.</p>")
        assert self.updates(cursor_now())["entries"] == []

    def test_the_answer_is_cached_shared_and_revalidated(self):
        post(self.article)
        url = self.updates_url(cursor_now())
        first = self.client.get(url)
        assert first["X-Page-Cache"] == "miss"
        with CaptureQueriesContext(connection) as served:
            again = self.client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304 and len(served) == 0
        assert "max-age" in again["Cache-Control"]
        post(self.article, title="Later")
        assert "Later" in self.client.get(url).content.decode()  # exactly invalidated

    def test_bad_moments_and_other_stories(self):
        for after in ("", "soon", "-5", "1e9", str(cursor_now() + 3600), "9" * 40):
            response = self.client.get(self.updates_url(after))
            assert response.status_code == 400, after
            assert "error" in response.json()
        plain = make_article()
        assert (
            self.client.get(f"{plain.get_absolute_url()}live/updates/?after=1").status_code == 404
        )
        draft = live_story(status=Article.Status.DRAFT)
        assert (
            self.client.get(f"{draft.get_absolute_url()}live/updates/?after=1").status_code == 404
        )
        wrong_day = self.updates_url(1).replace(
            self.article.get_absolute_url(), "/2001/01/01/drones-over-kyiv/"
        )
        assert self.client.get(wrong_day).status_code == 404

    def test_a_reader_far_behind_is_asked_to_reload(self):
        LiveEntry.objects.bulk_create(
            LiveEntry(article=self.article, body=f"<p>{n}</p>") for n in range(101)
        )
        answer = self.updates(cursor_now() - 30)
        assert answer["reload"] and answer["entries"] == []


class RightAfterAPostTests(LiveTestCase):
    """With the real settle window: the answer thousands poll right after a post is built once."""

    def test_an_answer_built_right_after_a_post_is_kept_at_once(self):
        url = self.updates_url(cursor_now())
        post(self.article, title="Just posted")
        assert self.client.get(url)["X-Page-Cache"] == "miss"
        again = self.client.get(url)
        assert again["X-Page-Cache"] == "hit" and "Just posted" in again.content.decode()

    def test_a_post_while_the_answer_is_built_is_not_kept(self):
        url = self.updates_url(cursor_now())
        real = views.with_authors

        def posted_meanwhile(entries):
            post(self.article, title="Posted meanwhile")
            return real(entries)

        with mock.patch.object(views, "with_authors", posted_meanwhile):
            self.client.get(url)
        again = self.client.get(url)
        assert again["X-Page-Cache"] == "miss" and "Posted meanwhile" in again.content.decode()


class QueryBudgetTests(StoresPagesAtOnce, LiveTestCase):
    """A live page's first page costs the same few queries with 5 updates or 5,000."""

    def count(self) -> int:
        url = self.article.get_absolute_url()
        with override_settings(PAGE_CACHE=False):
            assert self.client.get(url).status_code == 200  # warms the chrome caches
            with CaptureQueriesContext(connection) as queries:
                assert self.client.get(url).status_code == 200
        return len(queries)

    def add(self, count: int) -> None:
        now = timezone.now()
        LiveEntry.objects.bulk_create(
            LiveEntry(
                article=self.article,
                posted_at=now - timedelta(seconds=n),
                title=f"Update {n}",
                body="<p>Text.</p>",
                key_event=n % 250 == 0,
                pinned=n == 4000,
            )
            for n in range(count)
        )

    def test_five_thousand_updates_cost_what_five_do(self):
        self.add(5)
        few = self.count()
        LiveEntry.objects.all().delete()
        cache.clear()
        self.add(5000)
        many = self.count()
        assert many <= MAX_QUERIES, many
        assert many == few, (few, many)


class SearchAndFeedTests(LiveTestCase):
    def test_live_blog_posting(self):
        author = make_author(name="Ana Ionescu")
        entry = post(self.article, title="Explosions heard", minutes_ago=5)
        entry.authors.add(author)
        post(self.article, body="<p>Air-raid alert lifted.</p>")
        data = json_ld(self.client.get(self.article.get_absolute_url()))
        assert data["@type"] == "LiveBlogPosting"
        for name in ("headline", "datePublished", "dateModified", "coverageStartTime"):
            assert data[name], name
        assert "coverageEndTime" not in data
        updates = data["liveBlogUpdate"]
        assert [update["@type"] for update in updates] == ["BlogPosting", "BlogPosting"]
        assert updates[1]["headline"] == "Explosions heard"
        assert updates[1]["author"][0]["name"] == "Ana Ionescu"
        assert updates[0]["headline"] == "Air-raid alert lifted."
        assert all(update["datePublished"] and update["url"] for update in updates)
        assert data["dateModified"] >= updates[0]["datePublished"][:19]

        self.article.coverage_ended_at = timezone.now()
        self.article.save()
        assert json_ld(self.client.get(self.article.get_absolute_url()))["coverageEndTime"]

    def test_feeds_of_updates(self):
        post(self.article, title="First <b>bold</b> & more", minutes_ago=3)
        post(
            self.article,
            body="<p>Second, with a\x0b control.</p>",
            image=image_upload(),
            image_alt="Smoke",
        )
        post(self.article, title="Draft", status=LiveEntry.Status.DRAFT)
        for suffix in ("live/feed/", "live/feed/atom/"):
            response = self.client.get(self.article.get_absolute_url() + suffix)
            assert response.status_code == 200
            parsed = feedparser.parse(response.content)
            assert not parsed.bozo, parsed.bozo_exception
            titles = [item.title for item in parsed.entries]
            assert titles[1] == "First <b>bold</b> & more" and "Draft" not in titles
            assert "<img" in parsed.entries[0].content[0].value
            assert response["ETag"]
        assert self.client.get(make_article().get_absolute_url() + "live/feed/").status_code == 404


class AdminTests(LiveTestCase):
    def setUp(self):
        super().setUp()
        self.editor = make_user("editor", group="Editor")
        self.reporter = make_user("reporter", group="Reporter")
        self.url = reverse("admin:articles_article_live", args=[self.article.pk])

    def entry_url(self, entry: LiveEntry) -> str:
        return reverse("admin:articles_article_live_entry", args=[self.article.pk, entry.pk])

    def test_an_editor_posts_edits_pins_and_deletes(self):
        self.client.force_login(self.editor)
        page = self.client.get(self.url)
        assert page.status_code == 200 and "New update" in page.content.decode()
        response = self.client.post(
            self.url, {"title": "", "body": "<p>Sirens <script>x()</script>now.</p>"}
        )
        assert response.status_code == 302
        entry = LiveEntry.objects.get()
        assert entry.is_shown() and entry.created_by == self.editor
        assert "<script>" not in entry.body and entry.edited_at is None
        self.client.post(self.url, {"body": "<p>Draft text.</p>", "draft": "1"})
        assert LiveEntry.objects.filter(status=LiveEntry.Status.DRAFT).count() == 1

        response = self.client.post(
            self.entry_url(entry),
            {
                "title": "Sirens",
                "body": "<p>Sirens in Kyiv.</p>",
                "posted_at": entry.posted_at.strftime("%Y-%m-%d %H:%M:%S"),
            },
        )
        assert response.status_code == 302, response.content
        entry.refresh_from_db()
        assert entry.edited_at is not None and entry.title == "Sirens"

        other = post(self.article, pinned=True)
        self.client.post(self.entry_url(entry), {"do": "pin"})
        entry.refresh_from_db()
        other.refresh_from_db()
        assert entry.pinned and not other.pinned

        self.client.post(self.entry_url(entry), {"do": "delete"})
        entry.refresh_from_db()
        assert entry.deleted_at is not None  # kept, with its history
        assert Version.objects.get_for_object(entry).count() >= 3
        assert "Sirens" not in self.client.get(self.article.get_absolute_url()).content.decode()
        self.client.post(self.entry_url(entry), {"do": "restore"})
        entry.refresh_from_db()
        assert entry.deleted_at is None

    def test_bad_input_gets_a_clear_error(self):
        self.client.force_login(self.editor)
        response = self.client.post(self.url, {"body": "<p> </p>"})
        assert response.status_code == 200
        assert "Write the update, or add a picture." in response.content.decode()
        response = self.client.post(self.url, {"body": "<p>x</p>", "image": image_upload()})
        assert "Describe the picture" in response.content.decode()
        fake = SimpleUploadedFile("a.jpg", b"<html><script>x()</script>", content_type="image/jpeg")
        response = self.client.post(self.url, {"body": "<p>x</p>", "image": fake, "image_alt": "x"})
        assert response.status_code == 200 and "errorlist" in response.content.decode()
        assert LiveEntry.objects.count() == 0
        assert (
            self.client.post(self.entry_url(post(self.article)), {"do": "explode"}).status_code
            == 404
        )

    def test_coverage_is_opened_and_ended_by_editors_only(self):
        story = make_article(headline="Election night")
        url = reverse("admin:articles_article_live", args=[story.pk])
        self.client.force_login(self.reporter)
        assert self.client.post(url, {"coverage": "start"}).status_code == 403
        self.client.force_login(self.editor)
        self.client.post(url, {"coverage": "start"})
        story.refresh_from_db()
        assert story.coverage_is_ongoing
        self.client.post(url, {"coverage": "end"})
        story.refresh_from_db()
        assert story.coverage_ended_at is not None and not story.coverage_is_ongoing
        # Ended: nothing more is posted to it until an editor resumes the coverage.
        assert "New update" not in self.client.get(url).content.decode()
        assert self.client.post(url, {"body": "<p>Late.</p>"}).status_code == 403
        self.client.post(url, {"coverage": "start"})
        assert self.client.post(url, {"body": "<p>Back on.</p>"}).status_code == 302

    def test_reporters_post_where_an_editor_allows(self):
        self.client.force_login(self.reporter)
        assert self.client.post(self.url, {"body": "<p>From the scene.</p>"}).status_code == 403
        self.client.force_login(self.editor)
        self.client.post(self.url, {"coverage": "reporters-on"})
        self.client.force_login(self.reporter)
        assert self.client.post(self.url, {"body": "<p>From the scene.</p>"}).status_code == 302
        assert LiveEntry.objects.get().created_by == self.reporter
        assert self.client.post(self.url, {"coverage": "end"}).status_code == 403

    def test_anonymous_and_readers_without_rights_are_refused(self):
        response = self.client.get(self.url)
        assert response.status_code == 302 and "login" in response["Location"]
        self.client.force_login(make_user("nobody"))
        assert self.client.get(self.url).status_code == 403
