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
