"""Story locks: heartbeats, expiry, Take over, and never a bar to saving."""

from datetime import timedelta

from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from articles import locks
from articles.models import Article, StoryLock
from tests.factories import make_article, make_user
from tests.helpers import form_data, text_of

JSON = {"HTTP_ACCEPT": "application/json"}


def lock_url(article: Article) -> str:
    return reverse("admin:articles_article_lock", args=[article.pk])


def change_url(article: Article) -> str:
    return reverse("admin:articles_article_change", args=[article.pk])


@override_settings(STORY_LOCK_SECONDS=60)
class LockTests(TestCase):
    def setUp(self):
        self.first = make_user("ana", group="Editor")
        self.second = make_user("ion", group="Editor")
        self.story = make_article(status=Article.Status.DRAFT, publish_at=None)

    def beat(self, user, **data):
        self.client.force_login(user)
        return self.client.post(lock_url(self.story), data, **JSON).json()

    def test_the_first_holds_the_second_sees_who_and_takes_over(self):
        assert self.beat(self.first)["mine"] is True
        answer = self.beat(self.second)
        assert answer["mine"] is False and answer["who"] == "ana"
        # The second opens the form: it says who has it, and since when.
        page = self.client.get(change_url(self.story))
        assert page.context["lock"].holder == self.first
        assert "ana lucrează la acest articol din" in text_of(page)
        # Take over: the second holds it; the first hears of it at their next heartbeat.
        assert self.beat(self.second, take_over="1")["mine"] is True
        answer = self.beat(self.first)
        assert answer == {
            "mine": False,
            "taken_over": True,
            "who": "ion",
            "when": answer["when"],
        }

    def test_a_lock_not_heard_from_expires(self):
        self.beat(self.first)
        StoryLock.objects.update(heartbeat=timezone.now() - timedelta(seconds=61))
        assert locks.holder_of(self.story) is None
        assert self.beat(self.second)["mine"] is True
        assert self.beat(self.first)["mine"] is False

    def test_no_lock_without_the_script_and_take_over_as_a_plain_form(self):
        self.client.force_login(self.first)
        self.client.get(change_url(self.story))  # opening the form takes no lock
        assert not StoryLock.objects.exists()
        self.beat(self.first)
        self.client.force_login(self.second)
        response = self.client.post(lock_url(self.story), {"take_over": "1"})
        assert response.status_code == 302 and response.url == change_url(self.story)
        assert StoryLock.objects.get().holder == self.second

    def test_a_lock_never_refuses_a_save(self):
        self.beat(self.first)
        self.client.force_login(self.second)
        data = form_data(self.client.get(change_url(self.story))) | {
            "headline": "Titlul celui de-al doilea",
            "publishing": "draft",
        }
        response = self.client.post(change_url(self.story), data, follow=True)
        self.story.refresh_from_db()
        assert self.story.headline == "Titlul celui de-al doilea"
        assert "Ana are articolul deschis" in text_of(response)  # the message, capitalised

    def test_release_and_who_may_lock(self):
        self.beat(self.first)
        self.client.post(lock_url(self.story), {"release": "1"})
        assert not StoryLock.objects.exists()
        assert self.client.get(lock_url(self.story)).status_code == 405
        reporter = make_user("rep", group="Reporter")
        live = make_article()
        self.client.force_login(reporter)
        assert self.client.post(lock_url(live), **JSON).status_code == 403

    def test_the_desk_and_the_story_list_say_who_is_editing(self):
        self.beat(self.first)
        self.client.force_login(self.second)
        desk = self.client.get(reverse("admin:index"))
        panels = {panel.key: panel for panel in desk.context["panels"]}
        assert [lock.article for lock in panels["editing"].rows] == [self.story]
        listing = self.client.get(reverse("admin:articles_article_changelist"))
        assert '<td class="field-editing">ana</td>' in listing.content.decode()
