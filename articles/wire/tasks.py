"""Wire polling as tasks of Django's tasks framework, for the task worker.

`poll_wires --enqueue` (cron, every minute) queues one `poll_wire_source` per due source; the
worker reads it. A source that cannot be read fails its task, with the reason, where staff see
tasks; it is tried again when its interval comes round. A source queued twice (a busy worker, two
cron runs) is read once: the task claims the round first.
"""

from collections import Counter

from django.tasks import task
from django.utils import timezone

from articles.wire.models import WireSource
from articles.wire.polling import poll


class SourceNotRead(Exception):
    pass


@task
def poll_wire_source(source_id: int) -> str:
    """Read one source if it is still due; what became of its items, as "new 2, unchanged 5"."""
    source = (
        WireSource.objects.filter(pk=source_id, active=True)
        .select_related("service", "auto_publish_section")
        .first()
    )
    now = timezone.now()
    if source is None or not source.is_due(now):
        return "not due"
    # Claimed by whoever moves last_polled_at first; a second task for the round finds it moved.
    claimed = WireSource.objects.filter(pk=source.pk, last_polled_at=source.last_polled_at)
    if not claimed.update(last_polled_at=now):
        return "not due"
    try:
        actions = Counter(
            outcome.action for arrival in poll(source) for outcome in arrival.outcomes
        )
    except Exception as exc:
        raise SourceNotRead(f"{source.name}: {exc}") from exc
    return ", ".join(f"{action} {count}" for action, count in sorted(actions.items())) or "nothing"
