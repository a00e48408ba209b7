"""The desk: the admin's first page, what each role needs to see at the start of a shift.

Each list is one query however many stories there are (a slice of an indexed order), so the
page costs the same with ten stories as with a million.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db.models import F, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from articles import locks
from articles.forms import display_name
from articles.models import Article, Correction, SendBack, StoryLock

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Rows a list shows; the rest are one click away in the story list, filtered the same way.
ROWS = 10


@dataclass
class Panel:
    """One list of the desk: a heading, its rows, and the story list filtered the same way."""

    key: str
    title: "StrOrPromise"
    rows: list = field(default_factory=list)
    more: str = ""  # the story list's query string showing all of them
    empty: "StrOrPromise" = ""


def my_drafts(user) -> QuerySet[Article]:
    """The user's drafts, last touched first, with the newest note sending one back."""
    latest = SendBack.objects.filter(article=OuterRef("pk")).order_by("-sent_at", "-pk")
    return (
        Article.objects.filter(created_by=user, status=Article.Status.DRAFT)
        .select_related("section")
        .annotate(send_back_note=Subquery(latest.values("note")[:1]))
        .order_by("-modified_at", "-pk")
    )


def review_queue() -> QuerySet[Article]:
    """Stories waiting for an editor, the longest waiting first, with who submitted them."""
    return (
        Article.objects.filter(status=Article.Status.REVIEW)
        .select_related("section", "submitted_by", "created_by")
        .order_by(F("submitted_at").asc(nulls_first=True), "pk")
    )


def scheduled() -> QuerySet[Article]:
    return Article.objects.scheduled().select_related("section").order_by("publish_at", "pk")


def published_since(hours: int = 24) -> QuerySet[Article]:
    since = timezone.now() - timedelta(hours=hours)
    return (
        Article.objects.published()
        .filter(publish_at__gte=since)
        .select_related("section")
        .latest_first()
    )


def corrections_today() -> QuerySet[Correction]:
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return (
        Correction.objects.filter(created_at__gte=midnight)
        .select_related("article")
        .order_by("-created_at", "-pk")
    )


def being_edited() -> QuerySet[StoryLock]:
    """Stories open in someone's admin right now, and by whom, the longest open first."""
    return locks.held().select_related("article", "holder").order_by("since")


def panels(user, can_publish: bool) -> list[Panel]:
    """The desk's lists for this user, in the order their role works them."""
    drafts = Panel(
        "drafts",
        _("My drafts"),
        list(my_drafts(user)[:ROWS]),
        "?mine=1&status=draft",
        _("No drafts. New story?"),
    )
    waiting = list(review_queue()[:ROWS])
    for story in waiting:
        story.submitter = display_name(story.submitted_by or story.created_by)  # type: ignore[attr-defined]
    review = Panel(
        "review",
        _("Waiting for review"),
        waiting,
        "?status=review",
        _("Nothing waits for review."),
    )
    upcoming = Panel(
        "scheduled",
        _("Scheduled stories"),
        list(scheduled()[:ROWS]),
        "?status=scheduled",
        _("Nothing is scheduled."),
    )
    recent = Panel(
        "published",
        _("Published in the last 24 hours"),
        list(published_since()[:ROWS]),
        "?status=today",
        _("Nothing published in the last 24 hours."),
    )
    corrected = Panel(
        "corrections",
        _("Corrections and updates today"),
        list(corrections_today()[:ROWS]),
        "",
        _("No corrections or updates today."),
    )
    editing = list(being_edited()[:ROWS])
    for lock in editing:
        lock.holder_name = display_name(lock.holder)  # type: ignore[attr-defined]
    open_now = Panel("editing", _("Being edited now"), editing, "", _("Nobody has a story open."))
    if can_publish:
        return [review, upcoming, recent, corrected, open_now, drafts]
    return [drafts, review, recent, upcoming, open_now]
