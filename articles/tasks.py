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
from articles.models import Article, Author
from newsroom.pagecache import bump


@task
def make_article_renditions(article_id: int) -> bool:
    """Make the renditions of a story's lead image, then refresh the pages that show it."""
    article = Article._base_manager.filter(pk=article_id).first()
    if article is None or not renditions.refresh_article(article):
        return False
    # The story's page, and the lists that print it; the home page and the feeds follow the
    # site-wide lists.
    keys = [article_key(article.pk)]
    if article.status == Article.Status.PUBLISHED:
        keys.append(LISTINGS)
    bump(*keys)
    return True


@task
def make_author_renditions(author_id: int) -> bool:
    """Make the renditions of an author's photo, then refresh the pages that show it."""
    author = Author._base_manager.filter(pk=author_id).first()
    if author is None or not renditions.refresh_author(author):
        return False
    bump(author_key(author.pk))  # the author's page, and the stories with the byline
    return True
