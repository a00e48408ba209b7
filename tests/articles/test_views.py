"""The public site's pages: home, story, listings, archives, SEO, errors and what never leaks."""

import json
import re
from datetime import UTC, datetime, timedelta

from django.core.cache import cache
from django.template import loader
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Correction
from newsroom.chrome.models import SiteSettings
from tests.factories import (
    curate,
    image_upload,
    make_article,
    make_author,
    make_picture,
    make_section,
    make_user,
    wire_service,
)
from tests.helpers import listing_text, text_of


def json_ld_of(response) -> dict:
    match = re.search(
        r'<script type="application/ld\+json">(.*?)</script>', response.content.decode(), re.S
    )
    assert match, "no JSON-LD on the page"
    return json.loads(match.group(1))


class SiteTestCase(TestCase):
    """English site in Bucharest time, fresh caches."""

    language = "en"

    def setUp(self):
        cache.clear()
        SiteSettings(pk=1, language=self.language, time_zone="Europe/Bucharest").save()


class HomeTests(SiteTestCase):
    def test_empty_site_still_renders(self):
        response = self.client.get(reverse("home"))
        assert response.status_code == 200
        assert "No stories yet" in text_of(response)

    def test_lead_is_the_latest_story_unless_one_is_pinned(self):
        older = make_article(headline="Older story", publish_at=timezone.now() - timedelta(days=2))
        newest = make_article(headline="Newest story")
        response = self.client.get(reverse("home"))
        assert response.context["lead"] == newest

        curate(older)
        response = self.client.get(reverse("home"))
        assert response.context["lead"] == older
        assert newest in response.context["top"] + response.context["latest"]

    def test_pinned_story_that_is_not_public_is_ignored(self):
        newest = make_article(headline="Newest story")
        for status, when in [
            (Article.Status.DRAFT, None),
            (Article.Status.PUBLISHED, timezone.now() + timedelta(hours=1)),
        ]:
            hidden = make_article(status=status, publish_at=when, headline="Pinned secret")
            curate(hidden)
            response = self.client.get(reverse("home"))
            assert response.context["lead"] == newest
            assert "Pinned secret" not in response.content.decode()

    def test_lead_shows_its_image_eagerly(self):
        make_article(
            picture=make_picture(file=image_upload(size=(800, 500)), alt="Crowd in the square")
        )
        html = self.client.get(reverse("home")).content.decode()
        lead = html[html.index('class="lead"') :]
        img = re.search(r"<img [^>]+>", lead).group(0)
        assert 'alt="Crowd in the square"' in img
        assert 'fetchpriority="high"' in img
        assert 'loading="lazy"' not in img

    def test_one_block_per_home_section_in_position_order(self):
        sport = make_section(name="Sport", position=2)
        politics = make_section(name="Politics", position=1)
        hidden = make_section(name="Hidden", position=0, show_on_home=False)
        # Enough stories that the blocks hold more than the lead and top stories.
        for n in range(8):
            make_article(section=sport, headline=f"Sport story {n}")
            make_article(section=politics, headline=f"Politics story {n}")
        make_article(section=hidden, headline="Hidden section story")
        make_article(section=sport, status=Article.Status.DRAFT, headline="Sport draft")
        response = self.client.get(reverse("home"))
        blocks = response.context["blocks"]
        assert [section.name for section, _stories in blocks] == ["Politics", "Sport"]
        for section, stories in blocks:
            assert 1 <= len(stories) <= 4
            assert all(story.section_id == section.pk for story in stories)
            assert stories == sorted(stories, key=lambda s: s.publish_at, reverse=True)
        assert "Sport draft" not in response.content.decode()

    @override_settings(PAGE_CACHE=False)  # the blocks are read from each built page's context
    def test_home_blocks_follow_changes_to_their_sections(self):
        sport = make_section(name="Sport", position=1)
        politics = make_section(name="Politics", position=2)
        # Lead, four top stories and the ten latest are not repeated in the blocks.
        stories = [make_article(section=sport, headline=f"Sport story {n}") for n in range(14)]
        self.client.get(reverse("home"))  # which stories the blocks hold is remembered

        def block_headlines():
            response = self.client.get(reverse("home"))
            return {
                section.name: [story.headline for story in block]
                for section, block in response.context["blocks"]
            }

        assert "Sport story 4" not in block_headlines()["Sport"]  # among the latest
        make_article(section=sport, headline="Fresh sport story")  # pushes it into the block
        assert "Sport story 4" in block_headlines()["Sport"]
        oldest = stories[1]
        assert "Sport story 1" in block_headlines()["Sport"]
        oldest.headline = "Sport story renamed"
        oldest.save()
        assert "Sport story renamed" in block_headlines()["Sport"]
        oldest.section = politics
        oldest.save()
        assert block_headlines()["Politics"] == ["Sport story renamed"]
        oldest.status = Article.Status.DRAFT
        oldest.save()
        assert "Politics" not in block_headlines()


class StoryPageTests(SiteTestCase):
    def setUp(self):
        super().setUp()
        self.section = make_section(name="Politics")
        self.first = make_author(name="Zoe Marin", slug="zoe-marin")
        self.second = make_author(name="Adam Pop", slug="adam-pop")
        self.story = make_article(
            headline="Parliament passes the budget",
            standfirst="After a night of talks.",
            body="<p>First paragraph.</p><blockquote><p>A quote.</p></blockquote><p>Second.</p>",
            section=self.section,
            authors=[self.first, self.second],
            tags=["budget", "parliament"],
            dateline="Bucharest",
            publish_at=datetime(2024, 12, 23, 2, 17, tzinfo=UTC),
            updated_at=datetime(2024, 12, 23, 8, 5, tzinfo=UTC),
            picture=make_picture(
                file=image_upload(size=(1200, 800)),
                alt="MPs voting",
                caption="The vote on Monday.",
                credit="Jane Doe",
            ),
        )

    def get(self, article=None):
        return self.client.get((article or self.story).get_absolute_url())

    def test_address_uses_the_local_publication_date(self):
        # 02:17 UTC is 04:17 in Bucharest; a late-evening UTC time would move the day.
        assert self.story.get_absolute_url() == "/2024/12/23/" + self.story.slug + "/"

    def test_story_prints_everything_a_reader_expects(self):
        response = self.get()
        assert response.status_code == 200
        text = text_of(response)
        assert "Parliament passes the budget" in text
        assert "After a night of talks." in text
        assert "By Zoe Marin and Adam Pop" in text
        assert "Bucharest" in text
        assert "Monday, 23 December 2024 - 4:17" in text
        assert "Monday, 23 December 2024 - 10:05" in text
        assert "The vote on Monday." in text and "Jane Doe" in text
        html = response.content.decode()
        assert html.index('href="/author/zoe-marin/"') < html.index('href="/author/adam-pop/"')
        assert "<blockquote><p>A quote.</p></blockquote>" in html
        assert 'href="/tag/budget/"' in html and 'href="/tag/parliament/"' in html

    def test_time_zone_and_language_come_from_site_settings(self):
        SiteSettings(pk=1, language="ro", time_zone="America/New_York").save()
        response = self.client.get(self.story.get_absolute_url(), follow=True)
        # 02:17 UTC on the 23rd is 21:17 on the 22nd in New York: a new address, too.
        assert response.redirect_chain == [(f"/2024/12/22/{self.story.slug}/", 301)]
        text = text_of(response)
        # Romanian writes day and month names in lower case.
        assert "duminică, 22 decembrie 2024 - 21:17" in text

    def test_wire_credit_as_printed(self):
        reuters = wire_service("reuters")
        cases = {
            Article.Attribution.WIRE_COPY: "Reuters",
            Article.Attribution.ACCORDING_TO: "according to Reuters",
            Article.Attribution.ADDITIONAL_REPORTING: "with reporting by Reuters",
        }
        for attribution, credit in cases.items():
            story = make_article(
                section=self.section,
                authors=[self.first],
                wire_service=reuters,
                wire_attribution=attribution,
            )
            assert credit in text_of(self.get(story))
        agency_only = make_article(
            section=self.section, wire_service=reuters, wire_attribution="according"
        )
        assert "According to Reuters" in text_of(self.get(agency_only))

    def test_corrections_and_updates_are_shown(self):
        Correction.objects.create(article=self.story, text="An earlier version misnamed the MP.")
        Correction.objects.create(
            article=self.story, kind=Correction.Kind.UPDATE, text="Adds the final vote count."
        )
        text = text_of(self.get())
        assert "Corrections and updates" in text
        assert "An earlier version misnamed the MP." in text
        assert "Adds the final vote count." in text

    def test_related_stories_share_tags_first_then_section(self):
        other = make_section()
        two_tags = make_article(section=other, tags=["budget", "parliament"], headline="Two tags")
        one_tag = make_article(section=other, tags=["budget"], headline="One tag")
        same_section = make_article(section=self.section, headline="Same section")
        make_article(section=other, headline="Unrelated")
        make_article(
            section=self.section,
            tags=["budget", "parliament"],
            status=Article.Status.DRAFT,
            headline="Related draft",
        )
        html = self.get().content.decode()
        related = html.split('id="related-heading"', 1)[1].split("</section>", 1)[0]
        shown = [story.headline for story in (two_tags, one_tag, same_section)]
        assert sorted(shown, key=related.index) == shown
        assert "Unrelated" not in html
        assert "Related draft" not in html

    def test_previous_and_next_in_the_section(self):
        at = self.story.publish_at
        before = make_article(section=self.section, publish_at=at - timedelta(hours=1))
        after = make_article(section=self.section, publish_at=at + timedelta(hours=1))
        make_article(section=self.section, publish_at=at - timedelta(minutes=5), status="draft")
        make_article(section=make_section(), publish_at=at + timedelta(minutes=5))
        html = self.get().content.decode()
        assert f'href="{before.get_absolute_url()}" rel="prev"' in html
        assert f'href="{after.get_absolute_url()}" rel="next"' in html
        assert html.count('rel="prev"') == html.count('rel="next"') == 1
        newest = self.client.get(after.get_absolute_url()).content.decode()
        assert 'rel="next"' not in newest and 'rel="prev"' in newest

    def test_the_newest_story_has_no_next_story_even_if_one_is_scheduled(self):
        make_article(section=self.section, publish_at=timezone.now() + timedelta(hours=2))
        assert 'rel="next"' not in self.get().content.decode()

    def test_wrong_date_redirects_to_the_canonical_address(self):
        canonical = self.story.get_absolute_url()
        for wrong in ["/2020/01/01/", "/2024/12/24/", "/2024/12/3/", "/2024/13/45/"]:
            response = self.client.get(f"{wrong}{self.story.slug}/?utm_source=x")
            assert response.status_code == 301, wrong
            assert response["Location"] == canonical + "?utm_source=x"

    def test_unknown_slug_is_404(self):
        assert self.client.get("/2024/12/23/no-such-story/").status_code == 404

    def test_unpublished_stories_are_404_for_the_public(self):
        for fields in [
            {"status": Article.Status.DRAFT},
            {"status": Article.Status.REVIEW},
            {"publish_at": timezone.now() + timedelta(hours=1)},
        ]:
            hidden = make_article(section=self.section, **fields)
            assert self.get(hidden).status_code == 404, fields

    def test_staff_preview_is_marked_and_never_cached(self):
        draft = make_article(section=self.section, status=Article.Status.DRAFT, headline="Draft")
        self.client.force_login(make_user("reporter", group="Reporter"))
        response = self.get(draft)
        assert response.status_code == 200
        html = response.content.decode()
        assert "Preview — not published" in html
        assert '<meta name="robots" content="noindex">' in html
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]

    def test_scheduled_preview_says_when(self):
        scheduled = make_article(
            section=self.section, publish_at=timezone.now() + timedelta(days=1)
        )
        self.client.force_login(make_user("editor", group="Editor"))
        response = self.get(scheduled)
        assert response.status_code == 200
        assert "Scheduled for" in text_of(response)

    def test_preview_needs_staff_with_view_permission(self):
        draft = make_article(section=self.section, status=Article.Status.DRAFT)
        user = make_user("outsider")
        user.is_staff = False
        user.save()
        self.client.force_login(user)
        assert self.get(draft).status_code == 404

    def test_published_story_has_no_preview_banner_or_noindex(self):
        html = self.get().content.decode()
        assert "Preview — not published" not in html
        assert "noindex" not in html

    def test_lead_image_is_a_responsive_picture(self):
        html = self.get().content.decode()
        figure = html[html.index('class="story__figure"') :]
        assert '<source type="image/webp"' in figure
        img = re.search(r"<img [^>]+>", figure).group(0)
        assert 'width="1200"' in img and 'height="800"' in img
        assert "srcset=" in img and "sizes=" in img
        assert 'fetchpriority="high"' in img


class SeoTests(SiteTestCase):
    def test_json_ld_has_the_three_shapes_google_asks_for_at_1200_pixels_or_more(self):
        picture = make_picture(file=image_upload(size=(2000, 1400)), alt="Vote", focal_x=0.8)
        story = make_article(picture=picture)
        data = json_ld_of(self.client.get(story.get_absolute_url()))
        shapes = []
        for image in data["image"]:
            assert image["@type"] == "ImageObject" and image["width"] >= 1200
            assert image["url"].startswith("http://testserver/media/renditions/pictures/")
            shapes.append(round(image["width"] / image["height"], 2))
        assert shapes == [1.78, 1.33, 1.0]
        html = self.client.get(story.get_absolute_url()).content.decode()
        og_width = re.search(r'<meta property="og:image:width" content="(\d+)">', html).group(1)
        og_height = re.search(r'<meta property="og:image:height" content="(\d+)">', html).group(1)
        assert round(int(og_width) / int(og_height), 2) == 1.78 and int(og_width) >= 1200

    def test_json_ld_of_a_small_picture_gives_what_there_is(self):
        story = make_article(picture=make_picture(file=image_upload(size=(640, 480))))
        data = json_ld_of(self.client.get(story.get_absolute_url()))
        assert [(image["width"], image["height"]) for image in data["image"]] == [
            (640, 360),
            (640, 480),
            (480, 480),
        ]

    def test_story_meta_and_json_ld(self):
        author = make_author(name="Zoe Marin")
        story = make_article(
            headline="Budget passes",
            standfirst="After talks.",
            authors=[author],
            tags=["budget"],
            wire_service=wire_service("reuters"),
            wire_attribution="reporting",
            picture=make_picture(file=image_upload(size=(1600, 900)), alt="MPs"),
        )
        response = self.client.get(story.get_absolute_url())
        html = response.content.decode()
        url = "http://testserver" + story.get_absolute_url()
        assert f'<link rel="canonical" href="{url}">' in html
        assert '<meta property="og:type" content="article">' in html
        assert '<meta property="og:title" content="Budget passes">' in html
        assert f'<meta property="og:url" content="{url}">' in html
        assert '<meta name="twitter:card" content="summary_large_image">' in html
        og_image = re.search(r'<meta property="og:image" content="([^"]+)">', html).group(1)
        assert og_image.startswith("http://testserver/media/") and og_image.endswith(".jpg")

        data = json_ld_of(response)
        assert data["@type"] == "NewsArticle"
        assert data["headline"] == "Budget passes"
        # The 16:9 crop shared (the original's shape here), then 4:3 and 1:1 for search engines.
        assert [image["url"] for image in data["image"]][0] == og_image
        assert len(data["image"]) == 3
        assert data["datePublished"] == story.publish_at.isoformat()
        assert data["dateModified"] == story.publish_at.isoformat()
        assert data["author"] == [
            {
                "@type": "Person",
                "name": "Zoe Marin",
                "url": "http://testserver/author/" + author.slug + "/",
            }
        ]
        assert data["publisher"]["name"]
        assert data["articleSection"] == story.section.name
        # Reporting by an agency makes it a contributor; only its own copy is from it.
        assert data["contributor"][0]["name"] == "Reuters"
        assert "sourceOrganization" not in data

    def test_json_ld_gives_the_authors_photos(self):
        portrait = make_picture(file=image_upload(size=(600, 800)), alt="Zoe Marin")
        pictured, plain = make_author(picture=portrait), make_author()
        story = make_article(authors=[pictured, plain])
        people = json_ld_of(self.client.get(story.get_absolute_url()))["author"]
        portrait.refresh_from_db()
        square = [name for width, _h, name in portrait.crop("1:1")["jpeg"] if width == 256]
        assert people[0]["image"] == f"http://testserver/media/{square[0]}"
        assert "image" not in people[1]

    def test_json_ld_cannot_be_broken_out_of(self):
        evil = "</script><script>alert(1)</script><!--"
        story = make_article(headline=evil, standfirst=evil, tags=[evil[:40]])
        response = self.client.get(story.get_absolute_url())
        html = response.content.decode()
        assert "<script>alert(1)" not in html
        data = json_ld_of(response)
        assert data["headline"] == evil
        assert data["description"] == evil

    def test_story_without_wire_has_no_source_organization(self):
        story = make_article()
        assert "sourceOrganization" not in json_ld_of(self.client.get(story.get_absolute_url()))

    def test_listing_canonical_names_the_page(self):
        section = make_section(slug="politics")
        for _ in range(21):
            make_article(section=section)
        first = self.client.get("/section/politics/").content.decode()
        assert '<link rel="canonical" href="http://testserver/section/politics/">' in first
        second = self.client.get("/section/politics/?page=2&utm=x").content.decode()
        assert '<link rel="canonical" href="http://testserver/section/politics/?page=2">' in second


class ListingTests(SiteTestCase):
    def test_section_lists_only_its_public_stories_newest_first(self):
        section = make_section(slug="sport", name="Sport", description="Games and players.")
        old = make_article(section=section, publish_at=timezone.now() - timedelta(days=1))
        new = make_article(section=section)
        make_article(section=section, status=Article.Status.DRAFT, headline="Secret draft")
        make_article(headline="Elsewhere")
        response = self.client.get("/section/sport/")
        assert response.status_code == 200
        assert response.context["page"].object_list == [new, old]
        text = listing_text(response)
        assert "Games and players." in text
        assert "Secret draft" not in text_of(response) and "Elsewhere" not in text

    def test_empty_section_is_a_page_unknown_section_is_404(self):
        make_section(slug="empty")
        assert self.client.get("/section/empty/").status_code == 200
        assert self.client.get("/section/missing/").status_code == 404

    def test_pagination(self):
        section = make_section(slug="busy")
        for _ in range(21):
            make_article(section=section)
        assert len(self.client.get("/section/busy/").context["page"].object_list) == 20
        second = self.client.get("/section/busy/?page=2")
        assert len(second.context["page"].object_list) == 1
        assert 'rel="prev"' in second.content.decode()
        for bad in ["0", "-1", "3", "abc", "1.5", "99999999999999999999", "%00"]:
            assert self.client.get(f"/section/busy/?page={bad}").status_code == 404, bad

    def test_tag_page_and_unicode_slugs(self):
        story = make_article(tags=["România"])
        tag = story.tags.get()
        response = self.client.get(reverse("articles:tag", args=[tag.slug]))
        assert response.status_code == 200
        assert response.context["page"].object_list == [story]
        assert "România" in text_of(response)

    def test_tag_only_on_drafts_is_404(self):
        make_article(status=Article.Status.DRAFT, tags=["embargoed"])
        assert self.client.get("/tag/embargoed/").status_code == 404
        assert self.client.get("/tag/never-used/").status_code == 404

    def test_author_page_shows_bio_photo_and_their_stories(self):
        author = make_author(
            slug="zoe", name="Zoe Marin", job_title="Political editor", bio="Covers parliament."
        )
        author.picture = make_picture(file=image_upload(size=(300, 400)), alt="Zoe Marin")
        author.save()
        mine = make_article(authors=[author])
        make_article(authors=[author], status=Article.Status.DRAFT, headline="Her draft")
        make_article(headline="Someone else's")
        response = self.client.get("/author/zoe/")
        assert response.status_code == 200
        assert response.context["page"].object_list == [mine]
        text = text_of(response)
        assert "Political editor" in text and "Covers parliament." in text
        assert "Her draft" not in text
        # Others' stories only in the rail of the site's latest.
        assert "Someone else" not in listing_text(response)
        assert 'class="author-photo"' in response.content.decode()
        assert 'alt="Zoe Marin"' in response.content.decode()
        assert self.client.get("/author/nobody/").status_code == 404


class ArchiveTests(SiteTestCase):
    def setUp(self):
        super().setUp()
        # 22:30 UTC on 31 March 2024 is 01:30 on 1 April in Bucharest (summer time, UTC+3).
        self.april = make_article(
            headline="Just after midnight", publish_at=datetime(2024, 3, 31, 22, 30, tzinfo=UTC)
        )
        self.march = make_article(
            headline="Late in March", publish_at=datetime(2024, 3, 31, 20, 30, tzinfo=UTC)
        )
        self.older = make_article(
            headline="Last year", publish_at=datetime(2023, 6, 1, 12, 0, tzinfo=UTC)
        )

    def listed(self, url: str) -> list:
        response = self.client.get(url)
        assert response.status_code == 200, url
        return response.context["page"].object_list

    def test_days_and_months_are_the_sites(self):
        assert self.listed("/2024/04/01/") == [self.april]
        assert self.listed("/2024/03/31/") == [self.march]
        assert self.listed("/2024/04/") == [self.april]
        assert self.listed("/2024/03/") == [self.march]
        assert self.listed("/2024/") == [self.april, self.march]

    def test_year_lists_its_months_and_links_neighbours(self):
        response = self.client.get("/2024/")
        html = response.content.decode()
        assert 'href="/2024/03/"' in html and 'href="/2024/04/"' in html
        assert response.context["previous_period"] == "/2023/"
        assert response.context["next_period"] == ""
        month = self.client.get("/2024/03/")
        assert month.context["previous_period"] == "/2023/06/"
        assert month.context["next_period"] == "/2024/04/"

    def test_impossible_or_empty_dates_are_404(self):
        for url in [
            "/2024/13/",
            "/2024/00/",
            "/2024/02/30/",
            "/2024/13/45/",
            "/2023/02/29/",
            "/0000/",
            "/9999/",
            "/2024/05/",
            "/2022/",
        ]:
            assert self.client.get(url).status_code == 404, url

    def test_unpadded_dates_redirect(self):
        response = self.client.get("/2024/4/1/?page=1")
        assert response.status_code == 301
        assert response["Location"] == "/2024/04/01/?page=1"

    def test_non_public_stories_are_not_archived(self):
        make_article(
            headline="Hidden draft",
            status=Article.Status.DRAFT,
            publish_at=datetime(2024, 4, 1, 8, 0, tzinfo=UTC),
        )
        when = timezone.now() + timedelta(days=1)
        make_article(headline="Scheduled", publish_at=when)
        assert self.listed("/2024/04/01/") == [self.april]
        local = timezone.localtime(when, timezone.get_fixed_timezone(180))
        assert self.client.get(f"/{local:%Y/%m/%d}/").status_code == 404


class NothingLeaksTests(SiteTestCase):
    def test_no_page_shows_a_story_that_is_not_public(self):
        section = make_section(slug="news")
        author = make_author(slug="writer")
        live = make_article(
            section=section,
            authors=[author],
            tags=["shared"],
            publish_at=timezone.now() - timedelta(hours=2),
        )
        secrets = [
            make_article(
                section=section,
                authors=[author],
                tags=["shared"],
                headline=f"SECRET {status} story",
                status=status,
                publish_at=when,
            )
            for status, when in [
                (Article.Status.DRAFT, timezone.now() - timedelta(hours=1)),
                (Article.Status.REVIEW, timezone.now() - timedelta(hours=1)),
                (Article.Status.PUBLISHED, timezone.now() + timedelta(minutes=30)),
            ]
        ]
        local = timezone.localtime(live.publish_at, timezone.get_fixed_timezone(0))
        pages = [
            "/",
            live.get_absolute_url(),
            "/section/news/",
            "/tag/shared/",
            "/author/writer/",
            f"/{local:%Y}/",
            f"/{local:%Y/%m}/",
        ]
        for url in pages:
            response = self.client.get(url, follow=True)
            assert response.status_code == 200, url
            assert "SECRET" not in response.content.decode(), url
        for secret in secrets:
            assert self.client.get(secret.get_absolute_url()).status_code == 404


class ErrorPageTests(SiteTestCase):
    def test_404_page_is_in_the_sites_design(self):
        response = self.client.get("/no/such/page/")
        assert response.status_code == 404
        html = response.content.decode()
        assert 'class="skip-link"' in html
        assert 'class="site-footer"' in html
        assert "couldn" in html
        assert '<meta name="robots" content="noindex">' in html

    def test_500_page_needs_no_context_nor_database(self):
        with self.assertNumQueries(0):
            html = loader.get_template("500.html").render({})
        assert "500" in html and "<html" in html
