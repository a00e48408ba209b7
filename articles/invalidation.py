"""What the newsroom's writes make stale in the page cache.

Keys: "listings" (anything a site-wide list shows: home, archives, search, sitemaps, feeds),
"section:<pk>", "tag:<pk>", "author:<pk>" (the stories a section, tag or author lists, and its
own name) and "article:<pk>" (one story as printed anywhere). Every save and delete of a story,
byline, tag link, correction, live update, section, author, tag or wire service bumps exactly
the keys it changes, and so does `ArticleQuerySet.update()` — hard when the write takes a story
down (`withdrawals.taken_down`), so the edge serves no stale copy of it; the clock's part is the
next scheduled story's go-live. `connect()` wires it all (ArticlesConfig.ready).
"""

from collections.abc import Iterable
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import Signal
from django.http import HttpRequest
from taggit.models import Tag, TaggedItem

from articles.models import (
    Article,
    ArticleAuthor,
    Author,
    Correction,
    LiveEntry,
    Picture,
    Section,
    WireService,
)
from articles.videos import Video
from articles.withdrawals import live_path, taken_down
from newsroom.pagecache import EVERY_PAGE, bump, clock, depends_on

LISTINGS = "listings"

# Sent after ArticleQuerySet.update() changed stories pages show, with their ids: for other
# apps whose pages link to stories (the chrome's menus).
stories_updated = Signal()

# Fields no page prints; updating only these leaves every page as it was. (The search vector
# is not one: it decides what search pages find.)
INVISIBLE_FIELDS = frozenset(
    {"version", "modified_by", "modified_by_id", "created_by", "created_by_id"}
)
MEMBERSHIP_FIELDS = frozenset({"status", "publish_at", "section", "section_id"})
BULK_ROWS = 1000


def article_key(pk) -> str:
    return f"article:{pk}"


def section_key(pk) -> str:
    return f"section:{pk}"


def tag_key(pk) -> str:
    return f"tag:{pk}"


def author_key(pk) -> str:
    return f"author:{pk}"


def depends_on_stories(request: HttpRequest, stories: Iterable) -> None:
    """The page prints these stories: their text, and the bylines loaded with them."""
    depends_on(request, *stories_keys(stories))


def stories_keys(stories: Iterable) -> list[str]:
    """The keys of stories as printed: their text, and the bylines loaded with them."""
    keys = []
    for story in stories:
        if story is None:
            continue
        keys.append(article_key(story.pk))
        if "byline" in story.__dict__:  # load_bylines(), or read from the prefetch
            keys.extend(author_key(author.pk) for author in story.byline)
        else:
            prefetched = getattr(story, "_prefetched_objects_cache", {})
            keys.extend(author_key(link.author_id) for link in prefetched.get("bylines", ()))
    return keys


def next_go_live(now: datetime) -> list[QuerySet]:
    """When the next scheduled story goes live (the clock's part of the newsroom's pages)."""
    published = Article.objects.filter(status=Article.Status.PUBLISHED)
    return [clock.earliest(published, "publish_at", now)]


# --- What each write bumps --------------------------------------------------------------------


def _published(status) -> bool:
    return status == Article.Status.PUBLISHED


def _story_is_published(article_id) -> bool:
    return Article.objects.filter(pk=article_id, status=Article.Status.PUBLISHED).exists()


def _tag_ids(*article_ids) -> list[int]:
    return list(
        TaggedItem.objects.filter(
            content_type=ContentType.objects.get_for_model(Article), object_id__in=article_ids
        )
        .values_list("tag_id", flat=True)
        .distinct()
    )


def _membership_keys(*article_ids) -> set[str]:
    """The tags' and authors' lists these stories belong to."""
    keys = {tag_key(pk) for pk in _tag_ids(*article_ids)}
    authors = ArticleAuthor.objects.filter(article_id__in=article_ids).values_list(
        "author_id", flat=True
    )
    keys.update(author_key(pk) for pk in authors)
    return keys


# What a story was before a save or delete: whether it was public, which lists it was in, and
# (for articles.withdrawals) its address.
BEFORE_FIELDS = ("pk", "status", "publish_at", "section_id", "slug", "headline")


def _remember_article(sender, instance, **kwargs) -> None:
    """pre_save/pre_delete: the story's row as it stands (a revert's raw save included)."""
    before = None
    if instance.pk is not None:
        before = sender._base_manager.filter(pk=instance.pk).values(*BEFORE_FIELDS).first()
    instance._before = before
    if before is not None and kwargs.get("signal") is pre_delete:
        # Its tags and bylines go with it: name their lists while they are still there.
        instance._lists_before = _membership_keys(instance.pk)


def _article_changed(sender, instance, created=False, **kwargs) -> None:
    before = instance.__dict__.get("_before")
    deleted = kwargs.get("signal") is post_delete
    keys = {article_key(instance.pk)}
    was_public = before is not None and _published(before["status"])
    is_public = not deleted and _published(instance.status)
    if was_public or is_public:
        keys.add(LISTINGS)
        now = {
            "status": instance.status,
            "publish_at": instance.publish_at,
            "section_id": instance.section_id,
        }
        if before is None or any(before[name] != value for name, value in now.items()):
            # It joins, leaves or moves within lists: every list it is or was in is stale.
            keys.add(section_key(instance.section_id))
            if deleted:
                keys |= instance.__dict__.get("_lists_before", set())
            else:
                keys |= _membership_keys(instance.pk)
            if before is not None:
                keys.add(section_key(before["section_id"]))
    after = None if deleted else _state(instance)
    bump(*keys, takedown=taken_down(before, after))


def _state(story) -> dict:
    return {"status": story.status, "publish_at": story.publish_at, "slug": story.slug}


def _byline_changed(sender, instance, **kwargs) -> None:
    keys = [article_key(instance.article_id), author_key(instance.author_id)]
    if _story_is_published(instance.article_id):
        keys.append(LISTINGS)
    bump(*keys)


def _tagging_changed(sender, instance, **kwargs) -> None:
    if instance.content_type_id != ContentType.objects.get_for_model(Article).pk:
        return
    keys = [article_key(instance.object_id), tag_key(instance.tag_id)]
    if _story_is_published(instance.object_id):
        keys.append(LISTINGS)
    bump(*keys)


def _correction_changed(sender, instance, **kwargs) -> None:
    bump(article_key(instance.article_id))


def _live_entry_changed(sender, instance, **kwargs) -> None:
    """A live update is part of its story as printed anywhere: its page, the updates its
    readers poll for, its feeds, and the lists that mark it live."""
    if isinstance(instance, LiveEntry):
        bump(article_key(instance.article_id))


def _video_changed(sender, instance, **kwargs) -> None:
    """A library video's words and poster are in the bodies of the stories naming its file."""
    if not instance.file:
        return
    stories = Article._base_manager.filter(body__contains=instance.file.name)
    if keys := [article_key(pk) for pk in stories.values_list("pk", flat=True)]:
        bump(*keys)


def picture_keys(picture) -> list[str]:
    """Whatever shows a library picture: the stories it leads (and so the lists with their
    teasers) or whose body names its file or a video it is the poster of, and the authors whose
    photo it is (their pages and the stories with their byline)."""
    stories = Article._base_manager.filter(picture=picture.pk)
    keys = [article_key(pk) for pk in stories.values_list("pk", flat=True)]
    if keys and stories.filter(status=Article.Status.PUBLISHED).exists():
        keys.append(LISTINGS)
    named = [picture.file.name] if picture.file else []
    named += Video.objects.filter(poster=picture.pk).values_list("file", flat=True)
    if named := [name for name in named if name]:
        in_bodies = Q()
        for name in named:
            in_bodies |= Q(body__contains=name)
        keys += [
            article_key(pk)
            for pk in Article._base_manager.filter(in_bodies).values_list("pk", flat=True)
        ]
    authors = Author.objects.filter(picture=picture.pk).values_list("pk", flat=True)
    return keys + [author_key(pk) for pk in authors]


def _picture_changed(sender, instance, created=False, **kwargs) -> None:
    """A picture's words (alt text, caption, credit) are printed wherever it is shown; a new
    one is shown nowhere yet."""
    if not created and (keys := picture_keys(instance)):
        bump(*keys)


def _keyed(make_key, *extra: str):
    def receiver(sender, instance, **kwargs) -> None:
        bump(make_key(instance.pk), *extra)

    return receiver


def stories_updating(queryset, fields: Iterable[str]) -> list[dict] | None:
    """Before QuerySet.update() of stories: the rows it touches, when pages show its fields."""
    if not set(fields) - INVISIBLE_FIELDS:
        return None
    return list(queryset.values(*BEFORE_FIELDS))


def stories_update_done(rows: list[dict], fields: dict) -> None:
    """After QuerySet.update(): the keys a save() of each story would bump."""
    pks = [row["pk"] for row in rows]
    keys = {article_key(pk) for pk in pks}
    if any(_published(row["status"]) for row in rows) or _published(fields.get("status")):
        keys.add(LISTINGS)
        if set(fields) & MEMBERSHIP_FIELDS:
            if len(rows) > BULK_ROWS:
                keys.add(EVERY_PAGE)  # too many lists to name: every page
            else:
                keys.update(section_key(row["section_id"]) for row in rows)
                new_section = fields.get("section_id", fields.get("section"))
                if new_section is not None:
                    keys.add(section_key(getattr(new_section, "pk", new_section)))
                keys |= _membership_keys(*pks)
        stories_updated.send(sender=Article, pks=pks[:BULK_ROWS])
    bump(*keys, takedown=_takes_down(rows, fields))


def _takes_down(rows: list[dict], fields: dict) -> bool:
    """Whether QuerySet.update(**fields) takes one of these stories (rows before) down."""
    changed = {name: fields[name] for name in ("status", "publish_at", "slug") if name in fields}
    if any(hasattr(value, "resolve_expression") for value in changed.values()):
        return any(live_path(row) for row in rows)  # computed in the database: assume so
    return any(taken_down(row, row | changed) for row in rows)


def bulk_created(stories: Iterable[Article]) -> None:
    """After bulk_create(): which lists the new stories joined is unknown, so every page."""
    if any(story.status == Article.Status.PUBLISHED for story in stories):
        bump(EVERY_PAGE, LISTINGS)


def connect() -> None:
    """Wire every write the newsroom's pages show to the keys it bumps (ArticlesConfig.ready)."""

    def on_save_and_delete(receiver, model, name):
        post_save.connect(receiver, sender=model, dispatch_uid=f"pages-save-{name}")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"pages-delete-{name}")

    pre_save.connect(_remember_article, sender=Article, dispatch_uid="pages-before-article")
    pre_delete.connect(_remember_article, sender=Article, dispatch_uid="pages-before-delete")
    on_save_and_delete(_article_changed, Article, "article")
    on_save_and_delete(_byline_changed, ArticleAuthor, "byline")
    on_save_and_delete(_tagging_changed, TaggedItem, "tagging")
    on_save_and_delete(_correction_changed, Correction, "correction")
    on_save_and_delete(_live_entry_changed, LiveEntry, "live-entry")
    m2m_changed.connect(
        _live_entry_changed, sender=LiveEntry.authors.through, dispatch_uid="pages-live-authors"
    )
    # A section's name is on every page (the footer); a wire credit can be anywhere.
    on_save_and_delete(_keyed(section_key, EVERY_PAGE, LISTINGS), Section, "section")
    on_save_and_delete(_keyed(author_key, LISTINGS), Author, "author")
    on_save_and_delete(_keyed(tag_key, LISTINGS), Tag, "tag")
    on_save_and_delete(_keyed(lambda pk: EVERY_PAGE, LISTINGS), WireService, "wire")
    on_save_and_delete(_video_changed, Video, "video")
    on_save_and_delete(_picture_changed, Picture, "picture")
    clock.register("go-live", [LISTINGS], next_go_live)
