from django.urls import path, register_converter

from articles import feeds, views
from articles.live import views as live
from articles.wire import api

app_name = "articles"


class YearConverter:
    regex = "[0-9]{4}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return f"{int(value):04d}"


class TwoDigitConverter:
    """Months and days; "3" is accepted and redirected to the canonical "03"."""

    regex = "[0-9]{1,2}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return f"{int(value):02d}"


class TagSlugConverter:
    """Tag addresses from before tags were transliterated keep letters such as "ă" (they
    redirect to the ASCII ones)."""

    regex = r"[-\w]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


def feed(kind: type[feeds.LatestStoriesFeed]):
    return feeds.feed_view(kind())


register_converter(YearConverter, "yyyy")
register_converter(TwoDigitConverter, "mm")
register_converter(TwoDigitConverter, "dd")
register_converter(TagSlugConverter, "tagslug")

urlpatterns = [
    path("<yyyy:year>/", views.YearArchive.as_view(), name="archive-year"),
    path("<yyyy:year>/<mm:month>/", views.MonthArchive.as_view(), name="archive-month"),
    path("<yyyy:year>/<mm:month>/<dd:day>/", views.DayArchive.as_view(), name="archive-day"),
    path("<yyyy:year>/<mm:month>/<dd:day>/<slug:slug>/", views.detail, name="detail"),
    path(
        "<yyyy:year>/<mm:month>/<dd:day>/<slug:slug>/live/updates/",
        live.updates,
        name="live-updates",
    ),
    path(
        "<yyyy:year>/<mm:month>/<dd:day>/<slug:slug>/live/feed/",
        live.feed_view(live.LiveUpdatesFeed()),
        name="live-feed",
    ),
    path(
        "<yyyy:year>/<mm:month>/<dd:day>/<slug:slug>/live/feed/atom/",
        live.feed_view(live.LiveUpdatesAtomFeed()),
        name="live-feed-atom",
    ),
    path("section/<slug:slug>/", views.section, name="section"),
    path("tag/<tagslug:slug>/", views.tag, name="tag"),
    path("author/<slug:slug>/", views.author, name="author"),
    path("search/", views.search, name="search"),
    path("feed/", feed(feeds.LatestStoriesFeed), name="feed"),
    path("feed/atom/", feed(feeds.LatestStoriesAtomFeed), name="feed-atom"),
    path("section/<slug:slug>/feed/", feed(feeds.SectionFeed), name="section-feed"),
    path("section/<slug:slug>/feed/atom/", feed(feeds.SectionAtomFeed), name="section-feed-atom"),
    path("tag/<tagslug:slug>/feed/", views.ascii_tag_address(feed(feeds.TagFeed)), name="tag-feed"),
    path(
        "tag/<tagslug:slug>/feed/atom/",
        views.ascii_tag_address(feed(feeds.TagAtomFeed)),
        name="tag-feed-atom",
    ),
    path("author/<slug:slug>/feed/", feed(feeds.AuthorFeed), name="author-feed"),
    path("author/<slug:slug>/feed/atom/", feed(feeds.AuthorAtomFeed), name="author-feed-atom"),
    path("api/ninjs/", api.ninjs_list, name="ninjs-list"),
    path("api/ninjs/<int:pk>/", api.ninjs_detail, name="ninjs-detail"),
]
