"""Taking a story down: an address readers have seen answers 410 Gone, never a stale page.

Whatever takes a live story off the site — an editor unpublishing or rescheduling it, a bulk
action or `QuerySet.update()`, restoring an earlier unpublished version, deleting it, an
agency's kill — leaves a `Withdrawal` at its address, and a live story at that address again
removes it. The story's state before a save or delete is the snapshot `invalidation` takes in
pre_save and pre_delete. `connect()` wires the saves and deletes (ArticlesConfig.ready).
"""

from django.db.models.signals import post_delete, post_save

from articles.models import Article, Withdrawal, is_live, story_path

# What a story's withdrawal depends on; the rows compared are read with these.
STATE_FIELDS = ("pk", "status", "publish_at", "slug", "headline")


def live_path(row: dict | None) -> str | None:
    """Where readers see the story in this state (pk, status, publish_at, slug), if anywhere."""
    if row is None or not is_live(row["status"], row["publish_at"]):
        return None
    return story_path(row["slug"], row["publish_at"])


def taken_down(before: dict | None, after: dict | None) -> bool:
    """Whether a write took the story off an address readers saw it at (`after` is None when
    it was deleted): then caches must drop it hard, keeping no stale copy to serve (the edge's
    grace included), and its old address answers 410."""
    path = live_path(before)
    return path is not None and live_path(after) != path


def stories_changed(before: list[dict], after: list[dict], reason: str | None = None) -> None:
    """After a write to stories: withdraw those no longer live, restore those live again.

    Each row: pk, status, publish_at, slug, headline (as read before and after the write).
    `reason` overrides the one the write implies (an agency's kill).
    """

    before_by_pk = {row["pk"]: row for row in before}
    now_by_pk = {row["pk"]: row for row in after}
    gone = [(old, live_path(old)) for old in before if taken_down(old, now_by_pk.get(old["pk"]))]
    # Live at an address it was not live at before: any withdrawal there is over.
    back = [
        path
        for new in after
        if (path := live_path(new)) is not None and live_path(before_by_pk.get(new["pk"])) != path
    ]
    if back:
        Withdrawal.objects.filter(path__in=back).delete()
    for old, path in gone:
        Withdrawal.objects.update_or_create(
            path=path,
            defaults={
                "article_id": old["pk"] if old["pk"] in now_by_pk else None,
                "headline": old["headline"],
                "reason": reason
                or (
                    Withdrawal.Reason.UNPUBLISHED
                    if old["pk"] in now_by_pk
                    else Withdrawal.Reason.DELETED
                ),
            },
        )


def states(pks) -> list[dict]:
    """The stories' rows as they stand, as stories_changed() compares them."""
    return list(Article._base_manager.filter(pk__in=pks).values(*STATE_FIELDS))


def withdraw(article: Article, reason: str) -> None:
    """Take a story off the site now (back to draft), its address answering 410 for `reason`."""
    article._withdrawal_reason = reason  # type: ignore[attr-defined]  # read by _story_saved
    article.status = Article.Status.DRAFT
    try:
        article.save()
    finally:
        del article._withdrawal_reason  # type: ignore[attr-defined]


def _story_saved(sender, instance, **kwargs) -> None:
    before = instance.__dict__.get("_before")
    now = {name: getattr(instance, name) for name in STATE_FIELDS}
    reason = instance.__dict__.get("_withdrawal_reason")
    stories_changed([before] if before else [], [now], reason)


def _story_deleted(sender, instance, **kwargs) -> None:
    before = instance.__dict__.get("_before")
    if before:
        stories_changed([before], [])


def connect() -> None:
    post_save.connect(_story_saved, sender=Article, dispatch_uid="withdrawals-save")
    post_delete.connect(_story_deleted, sender=Article, dispatch_uid="withdrawals-delete")
