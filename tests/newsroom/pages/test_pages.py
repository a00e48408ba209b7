"""Static pages, the footer that lists them, and the story's share links."""

import re
import xml.etree.ElementTree as ET

from django.core.cache import cache
from django.test import TestCase, override_settings
from django.urls import reverse

from newsroom.chrome.models import SiteSettings
from newsroom.pages.models import Page
from tests.factories import make_article, make_section
from tests.helpers import StoresPagesAtOnce, text_of


@override_settings(PAGE_CACHE=True)
class PageTests(StoresPagesAtOnce, TestCase):
    def setUp(self):
        super().setUp()
        cache.clear()
        SiteSettings(pk=1, language="en").save()
        self.about = Page.objects.create(
            title="About us", slug="about", body="<p>Who we are.</p><script>x()</script>"
        )
        self.terms = Page.objects.create(
            title="Terms of use", slug="terms", body="<p>The rules.</p>", position=2
        )

    def footer(self, url="/"):
        html = self.client.get(url).content.decode()
        return html[html.index('<footer class="site-footer"') :]

    def test_a_page_with_its_sanitized_body(self):
        response = self.client.get("/info/about/")
        assert response.status_code == 200
        html = response.content.decode()
        assert "<p>Who we are.</p>" in html and "<script>x()" not in html
        assert "About us" in text_of(response)
        assert self.client.head("/info/about/").status_code == 200
        assert self.client.get("/info/nothing/").status_code == 404

    def test_unpublished_pages_are_not_public(self):
        self.about.is_published = False
        self.about.save()
        assert self.client.get("/info/about/").status_code == 404
        assert "/info/about/" not in self.footer()

    def test_the_footer_lists_pages_in_order_and_each_link_once(self):
        make_section(name="Politics")
        footer = self.footer()
        links = re.findall(r'href="([^"]+)"', footer)
        assert links.index("/info/about/") < links.index("/info/terms/")
        assert len(links) == len(set(links)), links
        assert 'href="/feed/"' in footer and 'href="/feed/atom/"' in footer

    def test_edits_show_at_once_on_stored_pages(self):
        self.client.get("/")
        self.client.get("/info/about/")
        self.about.title = "Who we are"
        self.about.body = "<p>A newsroom in Bucharest.</p>"
        self.about.save()
        assert "Who we are" in self.footer()
        assert "A newsroom in Bucharest." in text_of(self.client.get("/info/about/"))
        self.terms.delete()
        assert "/info/terms/" not in self.footer()

    def test_pages_are_in_the_sitemap(self):
        response = self.client.get(reverse("sitemap-section", args=["pages"]))
        assert response.status_code == 200
        locations = [
            element.text
            for element in ET.fromstring(response.content).iter(
                "{http://www.sitemaps.org/schemas/sitemap/0.9}loc"
            )
        ]
        assert locations == ["http://testserver/info/about/", "http://testserver/info/terms/"]
        assert "sitemap-pages.xml" in self.client.get(reverse("sitemap")).content.decode()


class ShareLinkTests(TestCase):
    def setUp(self):
        cache.clear()
        SiteSettings(pk=1, language="en").save()

    def test_plain_links_with_the_story_s_address_and_no_script_of_theirs(self):
        story = make_article(headline="Floods & storms")
        html = self.client.get(story.get_absolute_url()).content.decode()
        share = html[
            html.index('class="share"') : html.index("</section>", html.index('class="share"'))
        ]
        address = f"http%3A%2F%2Ftestserver{story.get_absolute_url().replace('/', '%2F')}"
        hrefs = re.findall(r'href="([^"]+)"', share)
        assert [href.split("?")[0].split(":")[0] for href in hrefs][:5] == [
            "https",
            "https",
            "https",
            "https",
            "mailto",
        ]
        assert all(address in href for href in hrefs[:5]), hrefs
        assert "Floods%20%26%20storms" in hrefs[1]
        assert hrefs[5] == f"http://testserver{story.get_absolute_url()}"
        # Nothing is loaded from those sites.
        assert not re.search(r"<(script|img|iframe)[^>]+(facebook|x\.com|t\.me|wa\.me)", html)
