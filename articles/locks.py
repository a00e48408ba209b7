"""Story locks and presence: who has a story open in the admin, from their browser's heartbeats.

Only the story form's script takes a lock (with JavaScript off there is none) and keeps it with a
heartbeat every third of STORY_LOCK_SECONDS; a lock not heard from for that long is gone. A lock
is advice for people: it never refuses a save (the version check does that, for everyone).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from articles.models import Article, StoryLock


def fresh_since() -> datetime:
    """Locks heard from after this moment are held."""
    return timezone.now() - timedelta(seconds=settings.STORY_LOCK_SECONDS)


def held() -> QuerySet[StoryLock]:
    """Locks whose holder's browser is still sending heartbeats."""
    return StoryLock.objects.filter(heartbeat__gte=fresh_since())


def holder_of(article: Article) -> StoryLock | None:
    return held().select_related("holder").filter(article=article).first()


@dataclass
class Answer:
    """What a heartbeat tells the browser: whether it holds the lock, and who does if not."""

    mine: bool
    lock: StoryLock | None
    taken_over: bool = False  # someone else took it from this user since their last heartbeat


def beat(article: Article, user, take_over: bool = False) -> Answer:
    """The user's browser has the story open: keep (or take) its lock if nobody else holds it."""
    now = timezone.now()
    with transaction.atomic():
        lock = StoryLock.objects.select_for_update().filter(article=article).first()
        if lock is None:
            try:
                with transaction.atomic():
                    lock = StoryLock.objects.create(
                        article=article, holder=user, since=now, heartbeat=now
                    )
            except IntegrityError:  # another browser took it at the same moment
                return Answer(False, holder_of(article))
            return Answer(True, lock)
        alive = lock.heartbeat >= fresh_since()
        if lock.holder_id == user.pk:
            lock.heartbeat = now
            lock.save(update_fields=["heartbeat"])
            return Answer(True, lock)
        if alive and not take_over:
            return Answer(False, lock, taken_over=lock.taken_from_id == user.pk)
        lock.taken_from = lock.holder if alive else None
        lock.holder, lock.since, lock.heartbeat = user, now, now
        lock.save()
        return Answer(True, lock)


def release(article: Article, user) -> None:
    """The holder left the story (closed the tab, saved and moved on)."""
    StoryLock.objects.filter(article=article, holder=user).delete()
