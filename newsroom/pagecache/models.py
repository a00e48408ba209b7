from django.db import models


class PendingBump(models.Model):
    """Keys whose bump the shared cache did not take (Redis down or stalled): kept here, in the
    write's own transaction, until it does. An invalidation is never dropped."""

    keys = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return ", ".join(self.keys)


class EdgePurge(models.Model):
    """Keys the edge (Varnish or a CDN) must drop, written in the transaction of the write that
    bumped them and deleted once the edge took the purge: a purge that failed stays here, with
    its error, and is sent again at `next_try_at`. Hard: no stale copy served meanwhile."""

    keys = models.JSONField()
    hard = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    tries = models.PositiveIntegerField(default=0)
    next_try_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return ", ".join(self.keys)
