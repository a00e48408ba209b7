"""The weather refresh as a task of Django's tasks framework, for the task worker.

With the database backend (production, `make run`) a page that finds the reading due enqueues
this rather than fetching in a thread of the web process; the database lock in `refresh` keeps
it to one refresh at a time across every server, and its backoff paces the retries. A failed
fetch fails the task, so staff see it, with the provider's error, among the tasks in the admin.
"""

from django.tasks import task

from newsroom.weather import refresh


class RefreshFailed(Exception):
    pass


@task
def refresh_weather() -> str:
    outcome = refresh.refresh()
    if outcome is refresh.Outcome.FAILED:
        raise RefreshFailed(refresh.last_error())
    return outcome.value
