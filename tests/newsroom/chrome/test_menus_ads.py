"""Admin-managed menus and ad slots as readers see them."""

import re
from datetime import timedelta
from unittest import mock

from django.core.cache import cache
from django.template import Context, Template
from django.test import RequestFactory, TestCase
from django.urls import reverse
from django.utils import timezone
from taggit.models import Tag

from articles.models import Article
from articles.richtext import paragraph_ends
from newsroom.chrome import ads, menus
from newsroom.chrome.models import AdSlot, Menu, MenuItem, SiteSettings
from tests.factories import image_upload, make_article, make_section


def nav_html(response) -> str:
    match = re.search(r'<nav class="site-nav".*?</nav>', response.content.decode(), re.S)
    return match.group(0) if match else ""


class MenuTests(TestCase):
    def setUp(self):
        cache.clear()
        SiteSettings(pk=1, language="en").save()
        self.menu = Menu.objects.create(name="Main", slug="main")

    def add(self, label, position=0, **target):
        return MenuItem.objects.create(menu=self.menu, label=label, position=position, **target)

    def test_missing_or_empty_menu_renders_nothing(self):
        Menu.objects.all().delete()
        response = self.client.get(reverse("home"))
        assert nav_html(response) == ""
        Menu.objects.create(name="Main", slug="main")
        response = self.client.get(reverse("home"))
        assert nav_html(response) == ""
        assert "No menu items" not in response.content.decode()

    def test_items_in_order_with_every_kind_of_target(self):
        section = make_section(slug="sport", name="Sport")
        story = make_article(headline="Big story")
        tag = Tag.objects.create(name="Elections", slug="elections")
        self.add("Search", position=4, url="/search/")
        self.add("A story", position=3, article=story)
        self.add("Elections", position=2, tag=tag)
        self.add("Sport", position=1, section=section)
        nav = nav_html(self.client.get(reverse("home")))
        hrefs = re.findall(r'href="([^"]+)"', nav)
        assert hrefs == ["/section/sport/", "/tag/elections/", story.get_absolute_url(), "/search/"]
        assert 'aria-label="Main menu"' in nav

    def test_one_level_of_children(self):
        world = self.add("World", url="/section/world/")
        MenuItem.objects.create(menu=self.menu, parent=world, label="Europe", url="/tag/europe/")
        MenuItem.objects.create(
            menu=self.menu, parent=world, label="Asia", url="/tag/asia/", position=1
        )
        nav = nav_html(self.client.get(reverse("home")))
        sub = re.search(r'<ul class="site-nav__sub">(.*?)</ul>', nav, re.S).group(1)
        assert re.findall(r">(\w+)</a>", sub) == ["Europe", "Asia"]

    def test_items_linking_to_stories_that_are_not_public_are_hidden(self):
        draft = make_article(status=Article.Status.DRAFT, headline="Draft")
        scheduled = make_article(publish_at=timezone.now() + timedelta(hours=1))
        parent = self.add("Draft parent", article=draft)
        MenuItem.objects.create(menu=self.menu, parent=parent, label="Child", url="/x/")
        self.add("Coming soon", position=1, article=scheduled)
        self.add("Visible", position=2, url="/visible/")
        nav = nav_html(self.client.get(reverse("home")))
        assert "Draft parent" not in nav and "Child" not in nav
        assert "Coming soon" not in nav
        assert "Visible" in nav

    def test_scheduled_story_joins_the_menu_by_itself(self):
        go_live = timezone.now() + timedelta(hours=1)
        scheduled = make_article(publish_at=go_live)
        self.add("Coming soon", article=scheduled)
        assert [link.label for link in menus.menu("main")] == []
        # Time passes (no save, no signal): the kept menu knows when the story goes live.
        later = go_live + timedelta(seconds=1)
        with mock.patch("django.utils.timezone.now", return_value=later):
            assert [link.label for link in menus.menu("main")] == ["Coming soon"]

    def test_edits_show_at_once(self):
        item = self.add("Old label", url="/a/")
        assert "Old label" in nav_html(self.client.get("/"))
        item.label = "New label"
        item.save()
        assert "New label" in nav_html(self.client.get("/"))
        item.delete()
        assert nav_html(self.client.get("/")) == ""

    def test_renamed_section_shows_at_once(self):
        section = make_section(slug="old-slug", name="Old name")
        self.add("Section", section=section)
        assert 'href="/section/old-slug/"' in nav_html(self.client.get("/"))
        section.slug = "new-slug"
        section.name = "New name"
        section.save()
        response = self.client.get("/")
        assert 'href="/section/new-slug/"' in nav_html(response)
        assert "New name" in response.content.decode()  # the footer's section list
        assert self.client.get("/section/new-slug/").status_code == 200

    def test_current_page_is_marked(self):
        make_section(slug="sport")
        self.add("Sport", url="/section/sport/")
        nav = nav_html(self.client.get("/section/sport/"))
        assert 'href="/section/sport/" aria-current="page"' in nav

    def test_footer_menu(self):
        footer = Menu.objects.create(name="Footer", slug="footer")
        MenuItem.objects.create(menu=footer, label="About us", url="/about/")
        html = self.client.get("/").content.decode()
        footer_html = html[html.index('<footer class="site-footer"') :]
        assert 'href="/about/"' in footer_html and "About us" in footer_html


class AdSlotTests(TestCase):
    def setUp(self):
        cache.clear()
        SiteSettings(pk=1, language="en").save()

    def slot(self, placement="sidebar", **fields):
        fields.setdefault("name", f"{placement} slot")
        if "image" not in fields:
            fields.setdefault("html", f"<p class='promo'>{placement} promo</p>")
        return AdSlot.objects.create(placement=placement, **fields)

    def test_empty_placements_render_nothing(self):
        story = make_article()
        html = self.client.get(story.get_absolute_url()).content.decode()
        assert 'class="ad' not in html
        assert "spot_img" not in html
        assert "Advertisement" not in html

    def test_each_placement_renders_where_it_belongs(self):
        story = make_article()
        for placement in ["top", "sidebar", "footer"]:
            self.slot(placement)
        for url in ["/", story.get_absolute_url()]:
            html = self.client.get(url).content.decode()
            # Every ad sits inside a landmark: header, aside or footer.
            top = html.index("top promo")
            assert html.index('<header class="site-header"') < top < html.index("</header>")
            sidebar = html.index("sidebar promo")
            assert html.index("<aside") < sidebar < html.index("</main>")
            footer = html.index("footer promo")
            assert html.index('<footer class="site-footer"') < footer < html.index("</footer>")
            assert "in_story promo" not in html

    def test_only_active_slots_show(self):
        now = timezone.now()
        self.slot("top", html="<p>AD-OFF</p>", is_active=False)
        self.slot("top", html="<p>AD-FUTURE</p>", starts_at=now + timedelta(hours=1))
        self.slot("top", html="<p>AD-ENDED</p>", ends_at=now - timedelta(minutes=1))
        self.slot("top", html="<p>AD-RUNNING</p>", starts_at=now - timedelta(hours=1))
        html = self.client.get("/").content.decode()
        assert "AD-RUNNING" in html
        assert "AD-OFF" not in html and "AD-FUTURE" not in html and "AD-ENDED" not in html

    def test_ended_slot_disappears_even_from_a_warm_cache(self):
        ends = timezone.now() + timedelta(hours=1)
        self.slot("top", html="<p>short campaign</p>", ends_at=ends)
        assert [ad.html for ad in ads.ads_for("top")] == ["<p>short campaign</p>"]
        later = ends + timedelta(seconds=1)
        with mock.patch("django.utils.timezone.now", return_value=later):
            assert ads.ads_for("top") == []

    def test_edits_show_at_once(self):
        slot = self.slot("top", html="<p>first</p>")
        assert "first" in self.client.get("/").content.decode()
        slot.html = "<p>second</p>"
        slot.save()
        assert "second" in self.client.get("/").content.decode()
        slot.delete()
        assert "second" not in self.client.get("/").content.decode()

    def test_image_ad_with_link(self):
        self.slot(
            "top",
            image=image_upload("banner.png", size=(728, 90), fmt="PNG", content_type="image/png"),
            image_alt="Subscribe today",
            link="https://example.com/subscribe",
        )
        html = self.client.get("/").content.decode()
        ad = re.search(r'<div class="ad ad--top">.*?</div>', html, re.S).group(0)
        assert 'href="https://example.com/subscribe" rel="sponsored noopener"' in ad
        assert 'alt="Subscribe today"' in ad
        assert 'width="728" height="90"' in ad

    def test_html_snippet_is_rendered_as_markup(self):
        self.slot("top", html='<a href="https://example.com/"><strong>Promo</strong></a>')
        html = self.client.get("/").content.decode()
        assert '<a href="https://example.com/"><strong>Promo</strong></a>' in html

    def test_in_story_slot_goes_after_its_paragraph(self):
        self.slot("in_story", html="<p>IN-STORY</p>", after_paragraph=2)
        story = make_article(
            body="<p>One.</p><blockquote><p>Quoted.</p></blockquote><p>Two.</p><p>Three.</p>"
        )
        html = self.client.get(story.get_absolute_url()).content.decode()
        assert html.index("Two.") < html.index("IN-STORY") < html.index("Three.")

    def test_in_story_slot_skips_stories_that_are_too_short(self):
        self.slot("in_story", html="<p>IN-STORY</p>", after_paragraph=5)
        story = make_article(body="<p>One.</p><p>Two.</p>")
        html = self.client.get(story.get_absolute_url()).content.decode()
        assert "IN-STORY" not in html
        assert "<p>One.</p><p>Two.</p>" in html

    def test_paragraphs_inside_quotes_and_lists_do_not_count(self):
        body = "<p>a</p><blockquote><p>b</p><p>c</p></blockquote><ul><li><p>d</p></li></ul><p>e</p>"
        ends = paragraph_ends(body)
        assert [body[:end].rsplit("<p>", 1)[-1] for end in ends] == ["a</p>", "e</p>"]

    def test_ad_slot_tag_renders_nothing_for_an_unknown_placement(self):
        self.slot("top")
        request = RequestFactory().get("/")
        html = Template('{% load chrome %}{% ad_slot "nowhere" %}').render(
            Context({"request": request})
        )
        assert html.strip() == ""
