"""The most-read ranking worked out by the task worker (Django's tasks framework).

Summing a day of hourly counts for every candidate story reads thousands of keys; a request
should not wait for it. The first request of a period enqueues this, and readers get the
previous period's ranking until it is done (`counting.ranking`).
"""

from django.tasks import task, task_backends
from django.tasks.backends.immediate import ImmediateBackend

from newsroom.mostread import counting


def runs_in_a_worker() -> bool:
    return not isinstance(task_backends[rank_most_read.backend], ImmediateBackend)


@task
def rank_most_read(now: float) -> list[int]:
    return counting.rank(now)
