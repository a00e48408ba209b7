"""The desk (the admin's first page) per role, its cost, and sending a story back."""

from datetime import timedelta

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Correction, SendBack
from tests.factories import bulk_published, make_article, make_section, make_user
from tests.helpers import errors, form_data, text_of

INDEX = reverse("admin:index")


def change_url(article: Article) -> str:
    return reverse("admin:articles_article_change", args=[article.pk])


def panel(response, key: str) -> list:
    """The rows of one of the desk's lists."""
    panels = {found.key: found for found in response.context["panels"]}
    return panels[key].rows


class DeskTests(TestCase):
    def setUp(self):
        self.editor = make_user("editor", group="Editor")
        self.reporter = make_user("reporter", group="Reporter")
        self.section = make_section()
        now = timezone.now()
        self.older = make_article(
            headline="Prima în așteptare",
            status=Article.Status.REVIEW,
            publish_at=None,
            submitted_at=now - timedelta(hours=3),
            submitted_by=self.reporter,
            section=self.section,
        )
        self.newer = make_article(
            headline="A doua în așteptare",
            status=Article.Status.REVIEW,
            publish_at=None,
            submitted_at=now - timedelta(hours=1),
            submitted_by=self.reporter,
            section=self.section,
        )
        self.scheduled = make_article(
            headline="Programată", publish_at=now + timedelta(hours=2), section=self.section
        )
        self.live = make_article(
            headline="Publicată azi", publish_at=now - timedelta(hours=2), section=self.section
        )
        self.old = make_article(
            headline="Publicată ieri", publish_at=now - timedelta(hours=30), section=self.section
        )
        self.draft = make_article(
            headline="Ciorna reporterului",
            status=Article.Status.DRAFT,
            publish_at=None,
            created_by=self.reporter,
            section=self.section,
        )
        Correction.objects.create(article=self.live, text="Cifra corectă este 12.")

    def test_the_editor_desk(self):
        self.client.force_login(self.editor)
        response = self.client.get(INDEX)
        assert response.status_code == 200
        keys = [found.key for found in response.context["panels"]]
        assert keys[:4] == ["review", "scheduled", "published", "corrections"]
        assert panel(response, "review") == [self.older, self.newer]  # oldest first
        assert panel(response, "scheduled") == [self.scheduled]
        assert panel(response, "published") == [self.live]  # not yesterday's
        assert [note.article for note in panel(response, "corrections")] == [self.live]
        text = text_of(response)
        assert "trimis de reporter" in text
        assert "Cifra corectă este 12." in text
        assert "Redacția" in text and "Django" not in text

    def test_the_reporter_desk_starts_with_their_drafts(self):
        self.client.force_login(self.reporter)
        response = self.client.get(INDEX)
        assert [found.key for found in response.context["panels"]][0] == "drafts"
        assert panel(response, "drafts") == [self.draft]

    def test_the_desk_costs_the_same_with_ten_and_a_thousand_stories(self):
        self.client.force_login(self.editor)
        self.client.get(INDEX)  # content types and sessions warm

        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                assert self.client.get(INDEX).status_code == 200
            return len(captured)

        few = queries()
        bulk_published(
            1000,
            self.section,
            headline="Știre",
            slug="stire",
            newest=timedelta(minutes=1),
            apart=timedelta(minutes=1),
        )
        for _n in range(20):
            make_article(
                status=Article.Status.REVIEW,
                publish_at=None,
                submitted_by=self.reporter,
                submitted_at=timezone.now(),
                section=self.section,
            )
            make_article(
                status=Article.Status.DRAFT,
                publish_at=None,
                created_by=self.editor,
                section=self.section,
            )
        many = queries()
        assert many == few, (few, many)
        assert few <= 14  # session, user, permissions, the desk's five lists, the app list


class SendBackTests(TestCase):
    def setUp(self):
        self.editor = make_user("editor", group="Editor")
        self.reporter = make_user("reporter", group="Reporter")
        self.story = make_article(
            headline="De verificat",
            status=Article.Status.DRAFT,
            publish_at=None,
            created_by=self.reporter,
        )

    def post(self, user, **fields):
        self.client.force_login(user)
        data = form_data(self.client.get(change_url(self.story))) | fields
        return self.client.post(change_url(self.story), data)

    def test_submitted_then_sent_back_with_a_note(self):
        before = timezone.now()
        assert self.post(self.reporter, publishing="review").status_code == 302
        self.story.refresh_from_db()
        assert self.story.status == Article.Status.REVIEW
        assert self.story.submitted_by == self.reporter and self.story.submitted_at >= before

        response = self.post(self.editor, publishing="send_back")
        assert errors(response) == {"send_back_note": ["send_back_note"]}

        note = "Sursa pentru cifra din titlu, vă rog."
        response = self.post(self.editor, publishing="send_back", send_back_note=note)
        assert response.status_code == 302
        self.story.refresh_from_db()
        assert self.story.status == Article.Status.DRAFT
        sent = SendBack.objects.get()
        assert sent.note == note and sent.sent_by == self.editor

        # In the story's history, and on the reporter's desk.
        history = self.client.get(reverse("admin:articles_article_history", args=[self.story.pk]))
        assert note in text_of(history)
        self.client.force_login(self.reporter)
        desk = self.client.get(INDEX)
        assert panel(desk, "drafts")[0].send_back_note == note
        assert note in text_of(desk)

    def test_only_editors_send_back_and_only_stories_in_review(self):
        response = self.post(self.editor, publishing="send_back", send_back_note="x")
        assert errors(response) == {"__all__": ["send_back_status"]}
        self.story.status = Article.Status.REVIEW
        self.story.save()
        response = self.post(self.reporter, publishing="send_back", send_back_note="x")
        assert errors(response) == {"__all__": ["publish"]}
        assert not SendBack.objects.exists()
