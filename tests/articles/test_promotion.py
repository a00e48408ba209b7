"""What search results and sharing previews show of a story: the Promovare fields and their
fallbacks, the canonical address, the sharing picture, and who is credited as the source."""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from django.conf import settings
from django.contrib.admin.utils import quote
from django.test import TestCase
from django.urls import reverse
from PIL import Image

from articles.models import Article
from tests.articles.test_views import SiteTestCase, json_ld_of
from tests.factories import (
    image_upload,
    make_article,
    make_author,
    make_picture,
    make_section,
    make_user,
    wire_service,
)
from tests.helpers import errors, form_data


def meta(html: str, name: str) -> str | None:
    found = re.search(rf'<meta (?:property|name)="{re.escape(name)}" content="([^"]*)"', html)
    return found.group(1) if found else None


def canonical(html: str) -> str:
    found = re.search(r'<link rel="canonical" href="([^"]+)">', html)
    assert found, "no canonical link"
    return found.group(1)


class FallbackTests(SiteTestCase):
    def test_blank_fields_fall_back_to_the_headline_and_standfirst(self):
        story = make_article(
            headline="Budget passes", standfirst="After a night of talks.", language="en"
        )
        response = self.client.get(story.get_absolute_url())
        html = response.content.decode()
        assert "<title>Budget passes · Newsroom</title>" in html
        assert meta(html, "description") == "After a night of talks."
        assert meta(html, "og:title") == meta(html, "twitter:title") == "Budget passes"
        assert meta(html, "og:description") == "After a night of talks."
        assert meta(html, "twitter:description") == "After a night of talks."
        assert canonical(html) == "http://testserver" + story.get_absolute_url()
        data = json_ld_of(response)
        assert data["headline"] == "Budget passes" and "name" not in data
        assert data["description"] == "After a night of talks."

    def test_filled_fields_are_what_search_and_sharing_show(self):
        story = make_article(
            headline="Parliament passes the 2027 budget after a night of talks",
            standfirst="The standfirst.",
            seo_title="2027 budget passes",
            meta_description="What the budget means for pensions and wages.",
            social_title="The budget, in five numbers",
            social_description="Pensions up, wages frozen.",
            canonical_url="https://agency.example/2027/budget",
            language="en",
        )
        response = self.client.get(story.get_absolute_url())
        html = response.content.decode()
        assert "<title>2027 budget passes · Newsroom</title>" in html
        assert meta(html, "description") == "What the budget means for pensions and wages."
        assert meta(html, "og:title") == meta(html, "twitter:title")
        assert meta(html, "og:title") == "The budget, in five numbers"
        assert meta(html, "og:description") == "Pensions up, wages frozen."
        assert meta(html, "twitter:description") == "Pensions up, wages frozen."
        assert canonical(html) == "https://agency.example/2027/budget"
        data = json_ld_of(response)
        assert data["headline"] == story.headline
        assert data["name"] == "2027 budget passes"
        assert data["description"] == "What the budget means for pensions and wages."
        # Sharing buttons share this page, not the original elsewhere.
        share = "http%3A%2F%2Ftestserver" + story.get_absolute_url().replace("/", "%2F")
        assert f"sharer.php?u={share}" in html

    def test_the_social_description_falls_back_to_the_meta_description(self):
        story = make_article(meta_description="For search.", standfirst="The standfirst.")
        html = self.client.get(story.get_absolute_url()).content.decode()
        assert meta(html, "og:description") == "For search."


class SharingPictureTests(SiteTestCase):
    def test_a_lead_image_gives_its_sharing_renditions_size_and_alt(self):
        story = make_article(
            picture=make_picture(file=image_upload(size=(1600, 900)), alt="MPs voting")
        )
        story.refresh_from_db()
        html = self.client.get(story.get_absolute_url()).content.decode()
        url = meta(html, "og:image")
        width, height, name = next(
            entry
            for entry in story.picture.renditions["crops"]["16:9"]["jpeg"]
            if url.endswith(entry[2])
        )
        assert (width, height) == (1280, 720)  # the rendition nearest 1200 pixels wide
        assert meta(html, "og:image:width") == "1280"
        assert meta(html, "og:image:height") == "720"
        assert meta(html, "og:image:alt") == meta(html, "twitter:image:alt") == "MPs voting"
        assert meta(html, "twitter:card") == "summary_large_image"

    def test_pages_without_a_picture_share_the_sites(self):
        story = make_article()
        for url in [story.get_absolute_url(), reverse("home"), story.section.get_absolute_url()]:
            html = self.client.get(url).content.decode()
            assert meta(html, "og:image").startswith("http://testserver/static/img/social-default")
            assert meta(html, "og:image:width") == "1200"
            assert meta(html, "og:image:height") == "630"
            assert meta(html, "og:image:alt") == "Newsroom"

    def test_the_sites_picture_is_1200_by_630(self):
        path = Path(settings.BASE_DIR) / "static" / "img" / "social-default.png"
        with Image.open(path) as picture:
            assert picture.format == "PNG" and picture.size == (1200, 630)


class AttributionTests(SiteTestCase):
    def test_wire_copy_names_the_agency_as_its_source(self):
        story = make_article(wire_service=wire_service("reuters"), wire_attribution="wire")
        data = json_ld_of(self.client.get(story.get_absolute_url()))
        assert data["sourceOrganization"]["name"] == "Reuters"
        assert data["author"] == [{"@type": "Organization", "name": "Reuters"}]
        item = self.rss_item(story)
        assert item.find("source").text == "Reuters"

    def test_according_to_an_agency_is_a_credit_not_a_source(self):
        story = make_article(
            wire_service=wire_service("reuters"),
            wire_attribution="according",
            authors=[make_author(name="Ana Pop")],
        )
        response = self.client.get(story.get_absolute_url())
        assert "according to Reuters" in response.content.decode()
        data = json_ld_of(response)
        assert "sourceOrganization" not in data
        assert data["creditText"] == "according to Reuters"
        assert data["author"][0]["name"] == "Ana Pop"
        item = self.rss_item(story)
        assert item.find("source") is None
        assert "according to Reuters" in item.findtext(
            "{http://purl.org/rss/1.0/modules/content/}encoded"
        )

    def test_according_to_without_a_byline_is_the_newsrooms_story(self):
        story = make_article(wire_service=wire_service("afp"), wire_attribution="according")
        data = json_ld_of(self.client.get(story.get_absolute_url()))
        assert data["author"] == [{"@type": "Organization", "name": "Newsroom"}]

    def rss_item(self, story: Article) -> ET.Element:
        root = ET.fromstring(self.client.get(reverse("articles:feed")).content)
        return next(item for item in root.iter("item") if item.findtext("title") == story.headline)


class PromotionFormTests(TestCase):
    def setUp(self):
        self.client.force_login(make_user("editor", group="Editor"))
        self.add = reverse("admin:articles_article_add")
        self.typed = {
            "headline": "Mayor resigns after audit",
            "slug": "mayor-resigns",
            "standfirst": "The audit found missing funds.",
            "body": "<p>The mayor resigned on Monday.</p>",
            "section": str(make_section().pk),
        }

    def post(self, **changes):
        data = form_data(self.client.get(self.add)) | self.typed | changes
        return self.client.post(self.add, data)

    def test_the_promovare_fieldset_is_collapsed_with_counts(self):
        response = self.client.get(self.add)
        fieldsets = {str(fs.name): fs for fs in response.context["adminform"]}
        promotion = fieldsets["Promovare"]
        assert "collapse" in promotion.classes
        assert list(promotion.fields) == [
            "seo_title",
            "meta_description",
            "social_title",
            "social_description",
            "canonical_url",
        ]
        html = response.content.decode()
        for name, recommended, limit in [
            ("seo_title", 70, 100),
            ("meta_description", 160, 300),
            ("social_title", 90, 150),
            ("social_description", 160, 300),
        ]:
            box = re.search(rf'<(?:input|textarea)[^>]*name="{name}"[^>]*>', html).group(0)
            assert f'data-count-recommended="{recommended}"' in box, box
            assert f'maxlength="{limit}"' in box, box
        assert list(fieldsets["Limbă"].fields) == ["language", "translation"]

    def test_hostile_or_partial_canonical_addresses_are_refused(self):
        for value in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "/2024/01/01/story/",
            "example.com/story",
            "//example.com/story",
            "ftp://example.com/story",
            "data:text/html,<script>alert(1)</script>",
            "https://exa mple.com/",
            "https://example.com/\nSet-Cookie: x",
            "https://",
            "https://example.com/" + "a" * 600,
        ]:
            count = Article.objects.count()
            response = self.post(canonical_url=value)
            assert response.status_code == 200, value
            assert list(errors(response)) == ["canonical_url"], (value, errors(response))
            assert Article.objects.count() == count

    def test_a_full_address_is_kept(self):
        response = self.post(canonical_url="https://www.agerpres.ro/politica/2026/12/05/x")
        assert response.status_code == 302, errors(response)
        story = Article.objects.get(slug="mayor-resigns")
        assert story.canonical_url == "https://www.agerpres.ro/politica/2026/12/05/x"

    def test_over_long_titles_are_refused(self):
        response = self.post(seo_title="x" * 101)
        assert list(errors(response)) == ["seo_title"]

    def test_a_translation_is_chosen_with_an_autocomplete_and_linked_both_ways(self):
        english = make_article(language="en", headline="Mayor quits")
        html = self.client.get(self.add).content.decode()
        assert re.search(r'<select name="translation"[^>]*class="admin-autocomplete', html)
        found = self.client.get(
            reverse("admin:autocomplete"),
            {
                "term": "Mayor",
                "app_label": "articles",
                "model_name": "article",
                "field_name": "translation",
            },
        ).json()
        assert [r["text"] for r in found["results"]] == ["Mayor quits"]
        response = self.post(language="ro", translation=str(english.pk))
        assert response.status_code == 302, errors(response)
        romanian = Article.objects.get(slug="mayor-resigns")
        english.refresh_from_db()
        assert english.translation == romanian
        change = reverse("admin:articles_article_change", args=[quote(english.pk)])
        assert self.client.get(change).status_code == 200

    def test_a_translation_in_the_same_language_is_refused(self):
        other = make_article(language="ro")
        response = self.post(language="ro", translation=str(other.pk))
        assert list(errors(response)) == ["translation"]

    def test_a_new_story_is_in_the_language_the_site_is_served_in(self):
        from newsroom.chrome.models import SiteSettings

        assert self.client.get(self.add).context["adminform"].form["language"].value() == "ro"
        SiteSettings(pk=1, language="en").save()
        assert self.client.get(self.add).context["adminform"].form["language"].value() == "en"
