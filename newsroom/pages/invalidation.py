"""A page's save or delete changes its own address and every footer (EVERY_PAGE) that lists it."""

from django.db.models.signals import post_delete, post_save

from newsroom.pagecache import EVERY_PAGE, bump
from newsroom.pages.models import Page


def _page_changed(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        bump(instance.key(), EVERY_PAGE)


def connect() -> None:
    post_save.connect(_page_changed, sender=Page, dispatch_uid="pages-save")
    post_delete.connect(_page_changed, sender=Page, dispatch_uid="pages-delete")
