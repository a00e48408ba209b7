"""The story form's publishing actions, by role, enforced on the server; the preview of an
unsaved story; corrections moving the story's updated time."""

from datetime import timedelta

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Correction, Withdrawal
from tests.factories import make_article, make_author, make_section, make_user
from tests.helpers import datetime_data, errors, form_data

ADD = reverse("admin:articles_article_add")
PREVIEW = reverse("admin:articles_article_preview")


def change_url(article: Article) -> str:
    return reverse("admin:articles_article_change", args=[article.pk])


def buttons(response) -> list[str]:
    return [action.value for action in response.context["publishing_actions"]]


class ReporterActionTests(TestCase):
    def setUp(self):
        self.reporter = make_user("reporter", group="Reporter")
        self.client.force_login(self.reporter)
        self.section = make_section()

    def story_data(self, **fields) -> dict:
        return form_data(self.client.get(ADD)) | {
            "headline": "Consiliul se întrunește",
            "slug": "consiliul-se-intruneste",
            "body": "<p>Consiliul s-a întrunit.</p>",
            "section": str(self.section.pk),
            **fields,
        }

    def test_a_reporter_saves_a_draft_then_submits_it(self):
        assert buttons(self.client.get(ADD)) == ["draft", "review"]
        response = self.client.post(ADD, self.story_data(publishing="draft"))
        story = Article.objects.get()
        # A draft saved: back to the form, to go on writing.
        assert response.status_code == 302 and response.url == change_url(story)
        assert story.status == Article.Status.DRAFT
        data = form_data(self.client.get(change_url(story))) | {"publishing": "review"}
        response = self.client.post(change_url(story), data)
        assert response.url == reverse("admin:articles_article_changelist")
        story.refresh_from_db()
        assert story.status == Article.Status.REVIEW
        # In review, Save keeps it there; Save draft takes it back.
        assert buttons(self.client.get(change_url(story))) == ["save", "draft"]
        data = form_data(self.client.get(change_url(story))) | {"publishing": "save"}
        assert self.client.post(change_url(story), data).url == change_url(story)
        story.refresh_from_db()
        assert story.status == Article.Status.REVIEW

    def test_forged_publishing_actions_are_refused(self):
        draft = make_article(status=Article.Status.DRAFT, publish_at=None, section=self.section)
        tomorrow = timezone.now() + timedelta(days=1)
        for action in ["publish", "schedule", "update", "unpublish"]:
            response = self.client.get(change_url(draft))
            data = form_data(response) | {"publishing": action}
            data |= datetime_data(response, "publish_at", tomorrow)
            response = self.client.post(change_url(draft), data)
            assert response.status_code == 200, action
            assert errors(response) == {"__all__": ["publish"]}, action
        draft.refresh_from_db()
        assert draft.status == Article.Status.DRAFT and draft.publish_at is None
        # A made-up action is no action at all.
        data = form_data(self.client.get(change_url(draft))) | {"publishing": "go-live"}
        assert errors(self.client.post(change_url(draft), data)) == {
            "publishing": ["invalid_choice"]
        }
        # Nor does the add form publish.
        response = self.client.post(ADD, self.story_data(publishing="publish"))
        assert errors(response) == {"__all__": ["publish"]}
        assert Article.objects.count() == 1

    def test_preview_before_the_first_save(self):
        author = make_author(name="Ana Pop")
        data = self.story_data(
            **{
                "standfirst": "Pe scurt.",
                "tags": "Buget, Transport",
                "bylines-TOTAL_FORMS": "1",
                "bylines-0-author": str(author.pk),
                "bylines-0-position": "1",
            }
        )
        response = self.client.post(PREVIEW, data)
        assert response.status_code == 200
        html = response.content.decode()
        assert "Consiliul se întrunește" in html and "Ana Pop" in html and "Transport" in html
        assert "preview-banner" in html
        assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
        assert "no-cache" in response.headers["Cache-Control"]
        assert not Article.objects.exists()  # nothing saved

    def test_preview_without_a_headline_says_what_is_missing(self):
        response = self.client.post(PREVIEW, self.story_data(headline=""))
        assert response.status_code == 400
        assert "titlu" in response.content.decode()
        assert self.client.get(PREVIEW).status_code == 405

    def test_preview_of_a_story_the_user_may_not_edit_is_refused(self):
        live = make_article(section=self.section)
        data = self.story_data()
        assert self.client.post(f"{PREVIEW}?story={live.pk}", data).status_code == 403


class EditorActionTests(TestCase):
    def setUp(self):
        self.editor = make_user("editor", group="Editor")
        self.client.force_login(self.editor)

    def act(self, story: Article, action: str, **fields):
        response = self.client.get(change_url(story))
        data = form_data(response) | {"publishing": action}
        for name, value in fields.items():
            data |= datetime_data(response, name, value)
        return self.client.post(change_url(story), data)

    def test_buttons_follow_the_story(self):
        draft = make_article(status=Article.Status.DRAFT, publish_at=None)
        scheduled = make_article(publish_at=timezone.now() + timedelta(hours=3))
        live = make_article()
        assert buttons(self.client.get(ADD)) == ["draft", "publish", "schedule"]
        assert buttons(self.client.get(change_url(draft))) == ["draft", "publish", "schedule"]
        assert buttons(self.client.get(change_url(scheduled))) == [
            "schedule",
            "publish",
            "unpublish",
        ]
        assert buttons(self.client.get(change_url(live))) == ["update", "unpublish"]
        review = make_article(status=Article.Status.REVIEW, publish_at=None)
        assert buttons(self.client.get(change_url(review))) == [
            "save",
            "publish",
            "schedule",
            "send_back",
        ]
        assert errors(self.act(live, "save")) == {"__all__": ["save_published"]}

    def test_publish_now_schedule_update_and_unpublish(self):
        story = make_article(status=Article.Status.REVIEW, publish_at=None)
        soon = (timezone.now() + timedelta(hours=2)).replace(second=0, microsecond=0)
        assert self.act(story, "schedule", publish_at=soon).status_code == 302
        story.refresh_from_db()
        assert story.is_scheduled() and story.publish_at == soon

        before = timezone.now()
        assert self.act(story, "publish").status_code == 302
        story.refresh_from_db()
        assert story.is_published() and before <= story.publish_at <= timezone.now()
        first = story.publish_at

        response = self.act(story, "update")
        assert response.status_code == 302 and response.url == change_url(story)
        story.refresh_from_db()
        assert story.is_published() and story.publish_at == first

        assert self.act(story, "unpublish").status_code == 302
        story.refresh_from_db()
        assert story.status == Article.Status.DRAFT
        # Readers saw it: its address answers 410 (the takedown's withdrawal).
        assert Withdrawal.objects.filter(article=story).exists()

        # Published again, it keeps the date it first went out (its address).
        assert self.act(story, "publish").status_code == 302
        story.refresh_from_db()
        assert story.publish_at == first

    def test_schedule_needs_a_time_to_come(self):
        story = make_article(status=Article.Status.DRAFT, publish_at=None)
        response = self.act(story, "schedule", publish_at=timezone.now() - timedelta(hours=1))
        assert errors(response) == {"publish_at": ["schedule_in_past"]}
        response = self.act(story, "schedule")
        assert errors(response) == {"publish_at": ["schedule_in_past"]}
        story.refresh_from_db()
        assert story.status == Article.Status.DRAFT

    def test_update_is_for_published_stories(self):
        draft = make_article(status=Article.Status.DRAFT, publish_at=None)
        assert errors(self.act(draft, "update")) == {"__all__": ["update_unpublished"]}

    def test_an_update_time_before_publication_is_refused(self):
        live = make_article()
        response = self.act(live, "update", updated_at=live.publish_at - timedelta(minutes=1))
        assert errors(response) == {"updated_at": ["update_before_publication"]}


class CorrectionTimeTests(TestCase):
    def setUp(self):
        self.editor = make_user("editor", group="Editor")
        self.client.force_login(self.editor)

    def test_a_correction_moves_the_updated_time_and_shows_everywhere(self):
        story = make_article(publish_at=timezone.now() - timedelta(minutes=30))
        response = self.client.get(change_url(story))
        data = form_data(response) | {
            "publishing": "update",
            "corrections-TOTAL_FORMS": "1",
            "corrections-0-kind": "correction",
            "corrections-0-text": "Numele primarului era greșit.",
        }
        data |= datetime_data(response, "corrections-0-created_at", timezone.now())
        assert self.client.post(change_url(story), data).status_code == 302
        story.refresh_from_db()
        note = Correction.objects.get()
        assert story.updated_at == note.created_at > story.publish_at
        self.client.logout()
        page = self.client.get(story.get_absolute_url()).content.decode()
        assert '"dateModified": "' + story.updated_at.isoformat() in page.replace("\\u0022", '"')
        assert "Actualizat" in page
        feed = self.client.get(reverse("articles:feed-atom")).content.decode()
        assert timezone.localtime(story.updated_at).strftime("%Y-%m-%dT%H:%M") in feed

    def test_a_note_left_at_its_default_time_comes_after_the_publication(self):
        # Published seconds ago: the time box's default (to the minute) may be before that.
        story = make_article(publish_at=timezone.now() - timedelta(seconds=1))
        response = self.client.get(change_url(story))
        data = form_data(response) | {
            "publishing": "update",
            "corrections-TOTAL_FORMS": "1",
            "corrections-0-kind": "update",
            "corrections-0-text": "Bilanțul a crescut.",
        }
        # The new row as the browser copies it: its default time, to the minute, unchanged.
        shown = datetime_data(
            response, "corrections-0-created_at", timezone.now().replace(second=0)
        )
        data |= shown | {f"initial-{key}": value for key, value in shown.items()}
        assert self.client.post(change_url(story), data).status_code == 302
        story.refresh_from_db()
        assert story.updated_at > story.publish_at

    def test_an_earlier_note_leaves_a_later_update_time(self):
        later = timezone.now()
        story = make_article(updated_at=later)
        Correction.objects.create(article=story, text="x", created_at=later - timedelta(hours=1))
        story.refresh_from_db()
        assert story.updated_at == later

    def test_the_history_keeps_kind_time_and_text_of_each_note(self):
        story = make_article(publish_at=timezone.now() - timedelta(minutes=30))
        for text in ["Primul text.", "Al doilea text."]:
            response = self.client.get(change_url(story))
            data = form_data(response) | {"publishing": "update"}
            if text != "Primul text.":
                data |= {
                    "corrections-TOTAL_FORMS": "1",
                    "corrections-0-kind": "update",
                    "corrections-0-text": text,
                }
                data |= datetime_data(response, "corrections-0-created_at", timezone.now())
            assert self.client.post(change_url(story), data).status_code == 302
        versions = self.client.get(
            reverse("admin:articles_article_history", args=[story.pk])
        ).context["versions"]
        compare = reverse("admin:articles_article_compare", args=[story.pk])
        page = self.client.get(f"{compare}?from={versions[1].pk}&to={versions[0].pk}")
        text = page.content.decode()
        assert "Actualizare (" in text and "Al doilea text." in text
