from io import StringIO

from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db.models import Model
from django.test import TestCase, override_settings
from django.urls import reverse

from articles.models import Article, Author, Embed, Section, Video
from newsroom.chrome.models import BreakingNews, FrontPageStory, Menu, MenuItem
from newsroom.demo import rich as rich_story
from tests.factories import make_article, make_user

User = get_user_model()
LOGINS = {"admin": "admin", "editor": "editor", "reporter": "reporter"}
# Hashing a password the production way takes a third of a second; these tests hash many.
FAST_HASHING = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])


def setup_demo() -> str:
    out = StringIO()
    call_command("setup_demo", articles=12, images=1, seed=5, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    models: list[type[Model]] = [Article, Author, Section, User, Menu, MenuItem]
    return {model.__name__: model._default_manager.count() for model in models}


@FAST_HASHING
@override_settings(DEBUG=True)
class NewDatabaseTests(TestCase):
    def test_seeds_content_menus_and_three_demo_accounts(self):
        output = setup_demo()

        # The stories asked for, a live page (on the front page with the banner on it), an
        # English agency story with its Romanian translation, and a story with a table and
        # embeds (their links only: nothing is fetched).
        assert Article.objects.count() == 16
        english = Article.objects.get(language="en")
        assert english.is_wire_copy and english.translation.language == "ro"
        assert english.translation.translation == english
        assert english.translation.seo_title
        assert Article.objects.exclude(seo_title="").count() >= 3
        rich = self.client.get(Article.objects.get(slug=rich_story.SLUG).get_absolute_url())
        html = rich.content.decode()
        assert "<caption" in html and html.count('<figure class="embed') == 3
        # Two pictures from the demo's library in the body, and a gallery of five.
        body = html[html.index('class="story__body"') : html.index("</article>")]
        gallery = body[body.index('<ol class="gallery">') : body.index("</ol>")]
        assert gallery.count("<li>") == 5
        assert body.count('<figure class="story-picture">') == 7
        assert "js/gallery" in html and 'id="gallery-viewer"' in html
        # And a library video, its poster a picture from the pool.
        video = Video.objects.get()
        assert (video.width, video.height, video.content_type) == (64, 36, "video/mp4")
        assert default_storage.exists(video.file.name) and not video.poster.authors.exists()
        assert body.count('<figure class="video">') == 1 and video.file.url in body
        assert "youtube-nocookie" in rich.headers["Content-Security-Policy"]
        assert not Embed.objects.exists()
        live = Article.objects.get(coverage_started_at__isnull=False)
        assert live.is_published() and live.coverage_is_ongoing
        entries = live.live_entries.all()
        assert entries.count() >= 25
        assert entries.filter(key_event=True).count() >= 3
        assert entries.filter(pinned=True).count() == 1
        assert entries.exclude(image="").count() == 1
        assert BreakingNews.objects.get().article == live
        assert FrontPageStory.objects.order_by("position").first().article == live
        assert "story-label--live" in self.client.get("/").content.decode()
        admin = User.objects.get(username="admin")
        assert admin.is_superuser and admin.is_staff
        for username, group in [("editor", "Editor"), ("reporter", "Reporter")]:
            user = User.objects.get(username=username)
            assert user.is_staff and not user.is_superuser
            assert list(user.groups.values_list("name", flat=True)) == [group]
        assert User.objects.get(username="editor").has_perm("articles.publish_article")
        reporter = User.objects.get(username="reporter")
        assert reporter.has_perm("articles.add_article")
        assert not reporter.has_perm("articles.publish_article")

        for username, password in LOGINS.items():
            user = User.objects.get(username=username)
            assert user.check_password(password)
            assert Author.objects.get(user=user).name == user.get_full_name()
            assert f"{username:<9} password: {password}" in output
        assert "http://127.0.0.1:8000/" in output

    def test_printed_logins_open_the_admin(self):
        setup_demo()
        for username, password in LOGINS.items():
            response = self.client.post(
                reverse("admin:login"),
                {"username": username, "password": password, "next": reverse("admin:index")},
            )
            assert response.status_code == 302, username
            assert response.headers["Location"] == reverse("admin:index")
            self.client.logout()

    def test_menus_list_the_sections_in_order_and_the_footer_links(self):
        setup_demo()
        main = Menu.objects.get(slug="main")
        top = main.items.filter(parent=None).order_by("position")
        assert list(top.values_list("label", flat=True)) == list(
            Section.objects.values_list("name", flat=True)
        )
        assert all(item.section_id for item in top)
        # Topics under some sections link to their tags.
        assert all(item.tag_id for item in main.items.exclude(parent=None))
        footer = Menu.objects.get(slug="footer")
        # The feeds have their own column in the footer: not again in its menu.
        assert "/search/" in footer.items.values_list("url", flat=True)
        assert "/feed/" not in footer.items.values_list("url", flat=True)
        for item in MenuItem.objects.all():
            item.full_clean()

    def test_second_run_only_prints_the_logins(self):
        setup_demo()
        before = counts()
        output = setup_demo()
        assert counts() == before
        assert "Added" not in output
        for username, password in LOGINS.items():
            assert f"{username:<9} password: {password}" in output

    def test_deleted_demo_accounts_are_not_printed_or_recreated(self):
        setup_demo()
        User.objects.get(username="reporter").delete()
        output = setup_demo()
        assert "reporter" not in output
        assert "editor" in output
        assert not User.objects.filter(username="reporter").exists()


@FAST_HASHING
class ExistingDataTests(TestCase):
    @override_settings(DEBUG=False)
    def test_no_content_accounts_or_logins_with_debug_off(self):
        output = setup_demo()
        assert not User.objects.exists()
        assert not Article.objects.exists()
        assert not Menu.objects.exists()
        assert "password" not in output
        assert "createsuperuser" in output

    @override_settings(DEBUG=True)
    def test_no_accounts_when_the_database_already_has_users(self):
        make_article()
        make_user("ana")
        output = setup_demo()
        assert list(User.objects.values_list("username", flat=True)) == ["ana"]
        assert "password" not in output

    @override_settings(DEBUG=True)
    def test_stories_and_menus_already_there_are_left_alone(self):
        make_article()
        Menu.objects.create(name="Ours", slug="main")
        setup_demo()
        assert Article.objects.count() == 1
        assert Menu.objects.count() == 1
        assert not MenuItem.objects.exists()


@FAST_HASHING
@override_settings(DEBUG=True)
class DemoSiteTests(TestCase):
    """Around the stories, a site that works offline: pages, a curated front page, a banner,
    a stored weather reading, a main menu with topics under its sections."""

    def test_pages_front_page_banner_and_weather(self):
        from django.core.cache import cache

        from newsroom.chrome.models import BreakingNews, FrontPageStory, SectionPin
        from newsroom.pages.models import Page
        from newsroom.weather.models import WeatherReading

        call_command("setup_demo", articles=60, images=1, seed=5, stdout=StringIO())
        cache.clear()
        slugs = set(Page.objects.values_list("slug", flat=True))
        assert {"despre-noi", "contact", "confidentialitate", "termeni"} <= slugs
        chosen = list(FrontPageStory.objects.order_by("position"))
        assert chosen and all(story.article.is_published() for story in chosen)
        assert SectionPin.objects.get().article.is_published()
        banner = BreakingNews.objects.active().get()
        assert banner.article == chosen[0].article
        assert WeatherReading.objects.get().provider == "demo"
        response = self.client.get("/")
        assert response.context["lead"] == chosen[0].article
        html = response.content.decode()
        assert 'class="breaking"' in html and "3 °C" in html
        assert "/info/despre-noi/" in html
        # Run again: nothing doubles, and the first real reading would replace the demo's.
        call_command("setup_demo", stdout=StringIO())
        assert Page.objects.count() == len(slugs) and WeatherReading.objects.count() == 1
