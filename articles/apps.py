from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = _("Newsroom content")

    def ready(self):
        # Library pictures get their responsive renditions when saved.
        from articles import renditions

        renditions.connect_signals()

        # A saved story is searchable as it now stands.
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_save

        from articles import search

        connection_created.connect(search.register_fold, dispatch_uid="articles-search-fold")

        post_save.connect(
            search.refresh_search_vector,
            sender="articles.Article",
            dispatch_uid="articles.search.refresh_search_vector",
        )

        # Cached pages are dropped when something they show changes. Connected after the
        # receivers above, so a page rebuilt on the signal sees the new renditions.
        from articles import invalidation, withdrawals

        invalidation.connect()
        # The rail of latest stories beside lists, and the stories around a story on its page,
        # are set into the stored pages as they are served.
        from articles import around, rail

        rail.register()
        around.register()
        # A story taken down keeps its address as a 410 (after the snapshot above is taken).
        withdrawals.connect()
