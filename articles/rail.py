"""The rail beside lists: the site's newest stories.

They change with every story published anywhere, the lists beside them far less often, so the
rail is a piece of the page cache (newsroom.pagecache.pieces): built once per change and set
into each stored list as it is served, instead of retiring every list at every change.
"""

from django.template.loader import render_to_string

from articles.invalidation import LISTINGS
from articles.models import Article
from newsroom.pagecache import pieces

LATEST = "latest-stories"
LATEST_COUNT = 6


def latest_stories(_arg: str) -> pieces.Rendered:
    """The rail's newest stories, in the language and time zone of the request."""
    latest = list(Article.objects.published().teasers().latest_first()[:LATEST_COUNT])
    return {"": render_to_string("includes/latest_stories.html", {"latest": latest})}, ()


def register() -> None:
    pieces.register(LATEST, [LISTINGS], latest_stories)
