"""The front page's curation and the breaking-news banner, as editors set them and readers see
them: through the page cache, changed at once, ended by the clock."""

import json
import re
from datetime import timedelta
from unittest import mock

from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from newsroom.chrome.models import BreakingNews, FrontPage, FrontPageStory, SectionPin, SiteSettings
from tests.factories import curate, make_article, make_section, make_user
from tests.helpers import StoresPagesAtOnce, text_of


def later(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


@override_settings(PAGE_CACHE=True)
class CurationTests(StoresPagesAtOnce, TestCase):
    def setUp(self):
        super().setUp()
        cache.clear()
        SiteSettings(pk=1, language="en").save()
        self.politics = make_section(name="Politics", slug="politics", position=1)
        self.sport = make_section(name="Sport", slug="sport", position=2)
        start = timezone.now() - timedelta(hours=30)
        # Thirty stories an hour apart, the newest last.
        self.stories = [
            make_article(
                headline=f"Story {n:02d}",
                section=self.sport if n % 2 else self.politics,
                publish_at=start + timedelta(hours=n),
                language="en",  # the site's
            )
            for n in range(30)
        ]

    def home(self):
        response = self.client.get(reverse("home"))
        assert response.status_code == 200
        return response

    def headlines(self, part: str) -> list[str]:
        """The headlines of the lead, the top stories or the latest, as printed."""
        html = self.home().content.decode()
        if part == "lead":
            return re.findall(r'class="lead__headline"><a href="[^"]*">([^<]*)</a>', html)
        if part == "top":
            grid = html[html.index('class="top-grid"') : html.index("</section>")]
            return re.findall(r'class="teaser__headline"><a href="[^"]*">([^<]*)</a>', grid)
        latest = html[html.index('class="latest-list"') : html.index("</ol>")]
        return re.findall(r'<li>\s*<a href="[^"]*">([^<]*)</a>', latest)

    def test_without_curation_the_newest_fill_every_place(self):
        assert self.headlines("lead") == ["Story 29"]
        assert self.headlines("top") == ["Story 28", "Story 27", "Story 26", "Story 25"]

    def test_editors_order_the_lead_and_top_stories_and_the_rest_fill_with_the_newest(self):
        old, older = self.stories[3], self.stories[1]
        self.home()  # stored
        curate(old, self.stories[20], older)
        assert self.headlines("lead") == ["Story 03"]
        assert self.headlines("top") == ["Story 20", "Story 01", "Story 29", "Story 28"]
        curate(older, old)  # reordered: shows at once, through the page cache
        assert self.headlines("lead") == ["Story 01"]
        assert self.headlines("top")[:2] == ["Story 03", "Story 29"]

    def test_the_number_of_top_stories_is_set_by_editors(self):
        curate(top_count=2)
        assert len(self.headlines("top")) == 2
        curate(top_count=6)
        assert len(self.headlines("top")) == 6

    def test_latest_is_the_newest_whatever_else_the_page_shows(self):
        curate(self.stories[0])
        assert self.headlines("latest") == [f"Story {n:02d}" for n in range(29, 19, -1)]

    def test_a_dropped_story_leaves_the_front_page_and_stays_published(self):
        newest = self.stories[-1]
        front = curate(newest)
        self.home()
        front.dropped.add(newest)
        html = text_of(self.home())
        assert "Story 29" not in html
        assert self.headlines("lead") == ["Story 28"]
        assert self.client.get(newest.get_absolute_url()).status_code == 200
        front.dropped.remove(newest)
        assert self.headlines("lead") == ["Story 29"]

    def test_a_chosen_story_that_is_not_public_is_passed_over(self):
        draft = make_article(status=Article.Status.DRAFT, headline="Secret draft")
        curate(draft)
        response = self.home()
        assert "Secret draft" not in response.content.decode()
        assert self.headlines("lead") == ["Story 29"]

    def test_a_place_given_until_a_time_returns_to_the_newest_then(self):
        until = timezone.now() + timedelta(minutes=10)
        curate(self.stories[2])
        FrontPageStory.objects.filter(article=self.stories[2]).update(until=until)
        cache.clear()
        assert self.headlines("lead") == ["Story 02"]
        with later(until - timedelta(seconds=1)):
            assert self.client.get(reverse("home"))["X-Page-Cache"] == "hit"
        with later(until + timedelta(seconds=1)):
            assert self.headlines("lead") == ["Story 29"]

    def blocks(self):
        return {
            section.name: [story.headline for story in stories]
            for section, stories in self.home().context["blocks"]
        }

    def test_a_pin_heads_its_section_block_until_it_expires(self):
        front = FrontPage.objects.get_or_create(pk=1)[0]
        old = self.stories[4]  # politics
        assert "Story 04" not in self.blocks()["Politics"]
        until = timezone.now() + timedelta(hours=2)
        pin = SectionPin.objects.create(
            front_page=front, section=self.politics, article=old, until=until
        )
        assert self.blocks()["Politics"][0] == "Story 04"
        with later(until + timedelta(seconds=1)):
            assert "Story 04" not in self.blocks()["Politics"]
        pin.until = None
        pin.save()
        assert self.blocks()["Politics"][0] == "Story 04"
        pin.delete()
        assert "Story 04" not in self.blocks()["Politics"]

    def test_without_its_row_nothing_is_curated_and_the_home_page_is_stored(self):
        """A database emptied since the migration made the row: reading the curation must not
        make it again (saving it would bump the key of the home page being built)."""
        FrontPage.objects.all().delete()
        assert self.headlines("lead") == ["Story 29"]
        assert len(self.headlines("top")) == FrontPage._meta.get_field("top_count").default
        assert self.home()["X-Page-Cache"] == "hit"
        assert not FrontPage.objects.exists()

    def test_sections_blocks_repeat_no_story_shown_above(self):
        response = self.home()
        above = {story.pk for story in [response.context["lead"], *response.context["top"]]}
        above |= {story.pk for story in response.context["latest"]}
        for _section, stories in response.context["blocks"]:
            assert not above & {story.pk for story in stories}


@override_settings(PAGE_CACHE=True)
class BreakingNewsTests(StoresPagesAtOnce, TestCase):
    def setUp(self):
        super().setUp()
        cache.clear()
        SiteSettings(pk=1, language="en").save()
        self.section = make_section(name="Politics", slug="politics")
        self.story = make_article(headline="Government falls", section=self.section, tags=["vote"])
        self.pages = [
            reverse("home"),
            self.story.get_absolute_url(),
            reverse("articles:section", args=["politics"]),
            reverse("articles:tag", args=["vote"]),
            reverse("articles:search") + "?q=government",
        ]

    def banner(self, url: str) -> str:
        html = self.client.get(url).content.decode()
        if 'class="breaking"' not in html:
            return ""
        start = html.index('class="breaking"')
        return html[start : html.index("</div>", start)]

    def test_on_every_page_at_once_linked_to_its_story(self):
        for url in self.pages:
            assert self.banner(url) == ""
        BreakingNews.objects.create(text="Parliament dismisses the cabinet", article=self.story)
        for url in self.pages:
            banner = self.banner(url)
            assert "Parliament dismisses the cabinet" in banner, url
            assert f'href="{self.story.get_absolute_url()}"' in banner
            assert "Breaking news" in banner

    def test_starts_and_ends_by_the_clock_on_stored_pages(self):
        start = timezone.now() + timedelta(minutes=5)
        end = start + timedelta(minutes=30)
        BreakingNews.objects.create(
            text="Earthquake in Vrancea",
            url="https://example.com/live",
            starts_at=start,
            ends_at=end,
        )
        for url in self.pages:
            assert self.banner(url) == ""
        with later(start + timedelta(seconds=1)):
            for url in self.pages:
                assert 'href="https://example.com/live"' in self.banner(url), url
        with later(end + timedelta(seconds=1)):
            for url in self.pages:
                assert self.banner(url) == "", url

    def test_switched_off_or_deleted_it_goes_at_once(self):
        banner = BreakingNews.objects.create(text="Flood warning")
        assert "Flood warning" in self.banner("/")
        banner.is_active = False
        banner.save()
        assert self.banner("/") == ""
        banner.is_active = True
        banner.save()
        assert "Flood warning" in self.banner("/")
        banner.delete()
        assert self.banner("/") == ""

    def test_a_story_withdrawn_keeps_the_text_without_the_link(self):
        BreakingNews.objects.create(text="Cabinet falls", article=self.story)
        assert "href=" in self.banner("/")
        self.story.status = Article.Status.DRAFT
        self.story.save()
        banner = self.banner("/")
        assert "Cabinet falls" in banner and "href=" not in banner

    def test_text_is_escaped_and_unsafe_links_refused(self):
        BreakingNews.objects.create(text="<script>alert(1)</script>")
        assert "<script>alert" not in self.banner("/")
        banner = BreakingNews(text="Bad", url="javascript:alert(1)")
        with self.assertRaises(ValidationError):
            banner.full_clean()
        both = BreakingNews(text="Both", url="/x/", article=self.story)
        with self.assertRaises(ValidationError):
            both.full_clean()
        backwards = BreakingNews(
            text="Backwards", starts_at=timezone.now(), ends_at=timezone.now() - timedelta(hours=1)
        )
        with self.assertRaises(ValidationError):
            backwards.full_clean()


class CurationAdminTests(TestCase):
    def setUp(self):
        cache.clear()
        SiteSettings(pk=1, language="en").save()
        self.editor = make_user("editor", group="Editor")
        self.client.force_login(self.editor)
        self.section = make_section(name="Politics", slug="politics")
        self.story = make_article(headline="Budget passes the Senate", section=self.section)
        self.draft = make_article(headline="Budget draft notes", status=Article.Status.DRAFT)

    def test_editors_may_curate_but_not_delete_the_front_page(self):
        assert (
            Group.objects.get(name="Editor")
            .permissions.filter(
                codename__in=["change_frontpage", "add_sectionpin", "add_breakingnews"]
            )
            .count()
            == 3
        )
        assert self.client.get(reverse("admin:chrome_frontpage_changelist")).status_code == 200
        url = reverse("admin:chrome_frontpage_change", args=[1])
        assert self.client.get(url).status_code == 200
        assert (
            self.client.get(reverse("admin:chrome_frontpage_delete", args=[1])).status_code == 403
        )
        assert self.client.get(reverse("admin:chrome_breakingnews_add")).status_code == 200
        assert self.client.get(reverse("admin:chrome_breakingnews_changelist")).status_code == 200

    def test_the_curation_page_makes_its_row_again_if_it_is_missing(self):
        FrontPage.objects.all().delete()
        url = reverse("admin:chrome_frontpage_change", args=[1])
        assert self.client.get(url).status_code == 200
        assert FrontPage.objects.filter(pk=1).exists()
        other = reverse("admin:chrome_frontpage_change", args=[2])
        assert self.client.get(other).status_code == 302  # no second row is made
        assert FrontPage.objects.count() == 1

    def test_stories_are_found_by_headline_published_ones_only(self):
        response = self.client.get(
            reverse("admin:autocomplete"),
            {
                "term": "budget",
                "app_label": "chrome",
                "model_name": "frontpagestory",
                "field_name": "article",
            },
        )
        assert response.status_code == 200
        found = [row["text"] for row in json.loads(response.content)["results"]]
        assert found == ["Budget passes the Senate"]

    def test_reorder_and_pin_through_the_form(self):
        other = make_article(headline="Storm hits the coast", section=self.section)
        url = reverse("admin:chrome_frontpage_change", args=[1])
        form = {
            "top_count": "3",
            "dropped": [str(self.story.pk)],
            "stories-TOTAL_FORMS": "2",
            "stories-INITIAL_FORMS": "0",
            "stories-0-position": "0",
            "stories-0-article": str(other.pk),
            "stories-1-position": "1",
            "stories-1-article": str(self.draft.pk),
            "pins-TOTAL_FORMS": "1",
            "pins-INITIAL_FORMS": "0",
            "pins-0-section": str(self.section.pk),
            "pins-0-position": "0",
            "pins-0-article": str(other.pk),
        }
        response = self.client.post(url, form)
        # A draft cannot be chosen: the form says so and keeps nothing.
        assert response.status_code == 200
        assert FrontPageStory.objects.count() == 0
        form["stories-TOTAL_FORMS"] = "1"
        response = self.client.post(url, form)
        assert response.status_code == 302
        assert list(FrontPageStory.objects.values_list("article", flat=True)) == [other.pk]
        assert SectionPin.objects.get().article == other
        assert list(FrontPage.objects.get().dropped.all()) == [self.story]
        self.client.logout()
        home = self.client.get("/").context
        assert home["lead"] == other
        assert len(home["top"]) <= 3
