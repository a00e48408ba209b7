"""Teasers kept between pages: a story's teaser is the same on every page that lists it while
the story and the site's sections stay so, however often the lists change."""

from articles.invalidation import article_key
from articles.models import Article
from newsroom.pagecache import EVERY_PAGE, remembered


def teasers(ids: list[int]) -> dict[int, Article]:
    """The teasers of the stories among `ids` that readers may see, by id, without their
    bylines (an author's change bumps only the author: load_bylines() reads them fresh).

    The stories are shared with the process's other requests, one at a time: a page sets their
    bylines afresh before printing them and changes nothing else.
    """
    if not ids:
        return {}
    return remembered(
        f"teasers:{ids}",
        [EVERY_PAGE, *(article_key(pk) for pk in ids)],
        # Unordered: the ids say the order.
        lambda: Article.objects.published().teasers().order_by().in_bulk(ids),
    )
