"""The newsroom's work off the request path, as tasks of Django's tasks framework.

settings.TASKS chooses where they run: django-tasks-db's database backend in production, whose
worker (`manage.py db_worker`, README: Deployment) runs them; or the immediate backend, which runs
each one inline where it is enqueued (tests, and a development site started without a worker).
With the database backend a task is a row written in the transaction that enqueues it, so it
runs only if that transaction commits, and then sees what it committed.
"""

from django.tasks import task

from articles import renditions
from articles.invalidation import picture_keys
from articles.models import Picture
from newsroom.pagecache import bump


@task
def make_picture_renditions(picture_id: int) -> bool:
    """Make a library picture's renditions, then refresh the pages that show it (the stories
    and the authors' pages and bylines)."""
    picture = Picture.objects.filter(pk=picture_id).first()
    if picture is None or not renditions.refresh_picture(picture):
        return False
    if keys := picture_keys(picture):
        bump(*keys)
    return True
