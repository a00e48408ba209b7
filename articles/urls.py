from django.urls import path, register_converter

from articles import feeds, views

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
    """taggit keeps letters such as "ă" in tag slugs."""

    regex = r"[-\w]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(YearConverter, "yyyy")
register_converter(TwoDigitConverter, "mm")
register_converter(TwoDigitConverter, "dd")
register_converter(TagSlugConverter, "tagslug")

urlpatterns = [
    path("", views.index, name="index"),
    path("<yyyy:year>/", views.archive_year, name="archive-year"),
    path("<yyyy:year>/<mm:month>/", views.archive_month, name="archive-month"),
    path("<yyyy:year>/<mm:month>/<dd:day>/", views.archive_day, name="archive-day"),
    path("<yyyy:year>/<mm:month>/<dd:day>/<slug:slug>/", views.detail, name="detail"),
    path("section/<slug:slug>/", views.section, name="section"),
    path("tag/<tagslug:slug>/", views.tag, name="tag"),
    path("author/<slug:slug>/", views.author, name="author"),
    path("search/", views.search, name="search"),
    path("feed/", feeds.LatestStoriesFeed(), name="feed"),
    path("feed/atom/", feeds.LatestStoriesAtomFeed(), name="feed-atom"),
    path("section/<slug:slug>/feed/", feeds.SectionFeed(), name="section-feed"),
    path("section/<slug:slug>/feed/atom/", feeds.SectionAtomFeed(), name="section-feed-atom"),
    path("tag/<tagslug:slug>/feed/", feeds.TagFeed(), name="tag-feed"),
    path("tag/<tagslug:slug>/feed/atom/", feeds.TagAtomFeed(), name="tag-feed-atom"),
    path("author/<slug:slug>/feed/", feeds.AuthorFeed(), name="author-feed"),
    path("author/<slug:slug>/feed/atom/", feeds.AuthorAtomFeed(), name="author-feed-atom"),
]
