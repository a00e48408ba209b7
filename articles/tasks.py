"""The newsroom's work off the request path, as tasks of Django's tasks framework.

settings.TASKS chooses where they run: django-tasks-db's database backend in production, whose
worker (`manage.py db_worker`, README: Deployment) runs them; or the immediate backend, which runs
each one inline where it is enqueued (tests, and a development site started without a worker).
With the database backend a task is a row written in the transaction that enqueues it, so it
runs only if that transaction commits, and then sees what it committed.
"""

from django.tasks import task

from articles import renditions
from articles.invalidation import LISTINGS, article_key, author_key
from articles.models import Article, Author, Picture
from newsroom.pagecache import bump


@task
def make_author_renditions(author_id: int) -> bool:
    """Make the renditions of an author's photo, then refresh the pages that show it."""
    author = Author._base_manager.filter(pk=author_id).first()
    if author is None or not renditions.refresh_author(author):
        return False
    bump(author_key(author.pk))  # the author's page, and the stories with the byline
    return True


@task
def make_picture_renditions(picture_id: int) -> bool:
    """Make a library picture's renditions, then refresh the pages that show it."""
    picture = Picture.objects.filter(pk=picture_id).first()
    if picture is None or not renditions.refresh_picture(picture):
        return False
    stories = Article._base_manager.filter(picture=picture)
    keys = [article_key(pk) for pk in stories.values_list("pk", flat=True)]
    if stories.filter(status=Article.Status.PUBLISHED).exists():
        keys.append(LISTINGS)
    if keys:
        bump(*keys)
    return True
