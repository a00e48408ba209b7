"""What readers and their browsers ask of a live page: the updates since a moment (polled by
the page's script) and the feeds of its updates. Both are public pages: kept whole by the page
cache until an update changes, shared by every reader who asks the same address."""

from datetime import UTC, datetime

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.templatetags.static import static
from django.utils import timezone
from django.utils.cache import patch_cache_control, set_response_etag
from django.utils.html import format_html, strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from articles.feeds import LOGO, TTL_MINUTES, NewsAtomFeed, NewsRssFeed, absolute_body
from articles.invalidation import article_key
from articles.live.models import LiveEntry
from articles.live.render import entry_html, summary
from articles.live.stream import cursor_now, with_authors
from articles.models import Article
from newsroom.pagecache import depends_on_before_reading, public_page

# The most changes one answer carries; a reader further behind is asked to reload.
MOST_CHANGES = 100
# How far ahead of this server's clock a reader's moment may be (another server's clock).
CLOCK_SKEW_SECONDS = 60


def live_story(request: HttpRequest, slug: str) -> Article:
    """The published story with live coverage at this address; what it shows depends on it.

    The story's key is declared before its row and updates are read, so an answer built right
    after a post is kept at once: the readers polling next share it instead of each rebuilding."""
    live = Article.objects.published().filter(slug=slug, coverage_started_at__isnull=False)
    pk = live.values_list("pk", flat=True).first()
    if pk is None:
        raise Http404(_("No such live page."))
    depends_on_before_reading(request, article_key(pk))
    article = get_object_or_404(live.select_related("section"), pk=pk)
    if request.path.rsplit("/live/", 1)[0] + "/" != article.get_absolute_url():
        raise Http404(_("No such live page."))
    return article


def _bad_moment() -> JsonResponse:
    return JsonResponse(
        {"error": _("“after” must be a moment in whole seconds since 1970, as given.")},
        status=400,
    )


@require_safe
@public_page(reads=("after",))
def updates(request: HttpRequest, year: int, month: int, day: int, slug: str) -> HttpResponse:
    """The updates changed since `after` (posted, edited, pinned or deleted), oldest first, and
    the moment to ask from next; the coverage's end once it has ended."""
    article = live_story(request, slug)
    try:
        after = int(request.GET.get("after", ""))
    except ValueError:
        return _bad_moment()
    now = timezone.now().timestamp()
    if not 0 <= after <= now + CLOCK_SKEW_SECONDS:
        return _bad_moment()
    changed = list(
        LiveEntry.objects.filter(article=article)
        .changed_since(datetime.fromtimestamp(after, UTC))
        .order_by("posted_at", "pk")[: MOST_CHANGES + 1]
    )
    ended = article.coverage_ended_at
    answer: dict = {
        "cursor": max(after, cursor_now()),
        "ended": ended.isoformat(timespec="seconds") if ended else None,
        "reload": len(changed) > MOST_CHANGES,
        "entries": [],
    }
    if not answer["reload"]:
        with_authors([entry for entry in changed if entry.is_shown()])
        answer["entries"] = [
            {
                "id": entry.pk,
                "version": entry.version,
                "shown": entry.is_shown(),
                "posted_at": entry.posted_at.isoformat(timespec="seconds"),
                "key_event": entry.key_event,
                "pinned": entry.pinned,
                "summary": summary(entry) if entry.is_shown() else "",
                "html": entry_html(entry) if entry.is_shown() else "",
            }
            for entry in changed
        ]
    return JsonResponse(answer)


class LiveUpdatesFeed(Feed):
    """A live page's latest updates, newest first (RSS 2.0)."""

    feed_type: type[NewsRssFeed | NewsAtomFeed] = NewsRssFeed
    ttl = TTL_MINUTES

    def get_object(self, request: HttpRequest, slug: str, **kwargs) -> Article:
        self.request = request
        return live_story(request, slug)

    def get_feed(self, obj: Article, request: HttpRequest):
        generator = super().get_feed(obj, request)
        # The updates are in their story's language.
        generator.feed["language"] = obj.language
        generator.feed["id"] = generator.feed["feed_url"]
        generator.feed["logo"] = request.build_absolute_uri(static(LOGO))
        changed = max(
            [obj.modified_at, *(entry.changed_at for entry in self.entries)], default=None
        )
        generator.feed["build_date"] = timezone.localtime(changed).replace(microsecond=0)
        return generator

    def title(self, obj: Article) -> str:
        return f"{settings.SITE_NAME} · {obj.headline}"

    def link(self, obj: Article) -> str:
        return obj.get_absolute_url()

    def description(self, obj: Article) -> str:
        return _("Live updates: %(headline)s") % {"headline": obj.headline}

    def author_name(self, obj: Article) -> str:
        return settings.SITE_NAME

    def items(self, obj: Article) -> list[LiveEntry]:
        self.article = obj
        self.article_path = obj.get_absolute_url()
        self.entries = list(LiveEntry.objects.shown().filter(article=obj)[: settings.FEED_ITEMS])
        with_authors(self.entries)
        return self.entries

    def item_title(self, item: LiveEntry) -> str:
        return summary(item)

    def item_link(self, item: LiveEntry) -> str:
        return f"{self.article_path}#{item.anchor()}"

    def item_description(self, item: LiveEntry) -> str:
        return Truncator(strip_tags(item.body)).words(40)

    def item_guid(self, item: LiveEntry) -> str:
        return self.request.build_absolute_uri(self.item_link(item))

    def item_guid_is_permalink(self, item: LiveEntry) -> bool:
        return True

    def item_pubdate(self, item: LiveEntry) -> datetime:
        return item.posted_at

    def item_updateddate(self, item: LiveEntry) -> datetime:
        return item.edited_at or item.posted_at

    def item_extra_kwargs(self, item: LiveEntry) -> dict:
        content = absolute_body(item.body, self.request.build_absolute_uri(self.article_path))
        if item.image:
            picture = format_html(
                '<p><img src="{}" alt="{}" width="{}" height="{}"></p>',
                self.request.build_absolute_uri(item.image.url),
                item.image_alt,
                item.image_width or "",
                item.image_height or "",
            )
            content = picture + content
        return {
            "content": content,
            "creators": [
                (author.name, self.request.build_absolute_uri(author.get_absolute_url()))
                for author in item.authors.all()
            ],
            "wire": None,
            "media": None,
            "language": self.article.language,
        }


class LiveUpdatesAtomFeed(LiveUpdatesFeed):
    feed_type = NewsAtomFeed

    def subtitle(self, obj: Article) -> str:
        return self.description(obj)


def feed_view(feed: Feed):
    """Like the site's other feeds: GET and HEAD, a strong ETag, kept whole by the page cache
    until an update changes; caches may keep a copy but must ask again each time."""

    def view(request: HttpRequest, **kwargs) -> HttpResponse:
        response = feed(request, **kwargs)
        set_response_etag(response)
        patch_cache_control(response, public=True, no_cache=True)
        return response

    return require_safe(public_page()(view))
