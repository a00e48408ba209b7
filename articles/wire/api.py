"""Our stories out in the news industry's own format: ninjs 2.x (IPTC's News in JSON).

`/api/ninjs/` lists the latest published stories (paged, with `Link` headers; filters by
section, tag, author, language and `since`); `/api/ninjs/<id>/` is one story. A story taken
down answers as `pubstatus: canceled` with its uri and version only. Both are public pages:
served from the page cache with its exact invalidation, with ETag/304, and open to any origin
for GET (CORS). Only published stories, like the feeds.
"""

import json
from datetime import UTC, datetime

from django.conf import settings
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from taggit.models import Tag

from articles.invalidation import (
    LISTINGS,
    article_key,
    author_key,
    depends_on_stories,
    section_key,
    tag_key,
)
from articles.models import Article, Author, Section, Withdrawal, load_tags
from articles.renditions import CROPS
from newsroom.pagecache import depends_on, public_page

PAGE_SIZE = 20
MAX_PAGES = 50
FILTERS = ("section", "tag", "author", "language", "since")
NINJS_SCHEMA = "http://www.iptc.org/std/ninjs/ninjs-schema_2.2.json"


def _time(moment: datetime | None) -> str | None:
    """RFC 3339, to the second, in UTC."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def story_uri(request: HttpRequest, pk: int) -> str:
    return request.build_absolute_uri(reverse("articles:ninjs-detail", args=[pk]))


def _picture(request: HttpRequest, article: Article) -> dict:
    lead = article.picture
    assert lead is not None  # document() asks only for a story with a lead picture
    renditions = [
        {
            "name": "original",
            "href": request.build_absolute_uri(lead.file.url),
            **({"width": lead.width} if lead.width else {}),
            **({"height": lead.height} if lead.height else {}),
        }
    ]
    record = lead.crop("")
    parts = [("", record), *((f"{shape}-", lead.crop(shape)) for shape in CROPS)]
    for prefix, part in parts:
        for kind, mimetype in (("jpeg", "image/jpeg"), ("webp", "image/webp")):
            for width, height, name in part.get(kind, []):
                renditions.append(
                    {
                        "name": f"{prefix}{kind}-{width}",
                        "href": request.build_absolute_uri(settings.MEDIA_URL + name),
                        "width": width,
                        "height": height,
                        "contenttype": mimetype,
                    }
                )
    picture: dict = {
        "name": "featureimage",
        "uri": request.build_absolute_uri(lead.file.url),
        "type": "picture",
        "renditions": renditions,
    }
    if lead.caption:
        picture["descriptions"] = [{"role": "caption", "value": lead.caption}]
    if lead.alt:
        picture["headlines"] = [{"role": "alt", "value": lead.alt}]
    if lead.credit:
        picture["copyrightholder"] = lead.credit
    return picture


def document(request: HttpRequest, article: Article) -> dict:
    """The story as a ninjs 2.x object (bylines and tag_list loaded)."""
    data: dict = {
        "uri": story_uri(request, article.pk),
        "type": "text",
        "version": str(article.version),
        "firstcreated": _time(article.publish_at),
        "versioncreated": _time(max(filter(None, [article.publish_at, article.updated_at]))),
        "pubstatus": "usable",
        "language": article.language,
        "headlines": [{"role": "main", "value": article.headline}],
        "bodies": [{"role": "main", "contenttype": "text/html", "value": article.body}],
        "subjects": [
            {
                "name": article.section.name,
                "rel": "section",
                "uri": request.build_absolute_uri(article.section.get_absolute_url()),
            },
            *(
                {
                    "name": tag.name,
                    "rel": "tag",
                    "uri": request.build_absolute_uri(
                        reverse("articles:tag", kwargs={"slug": tag.slug})
                    ),
                }
                for tag in article.tag_list
            ),
        ],
        "standard": {"name": "ninjs", "version": "2.2", "schema": NINJS_SCHEMA},
    }
    if article.standfirst:
        data["descriptions"] = [{"role": "summary", "value": article.standfirst}]
    if names := [author.name for author in article.byline]:
        data["by"] = ", ".join(names)
    if article.dateline:
        data["located"] = article.dateline
    if article.picture_id and article.picture is not None and article.picture.file:
        data["associations"] = [_picture(request, article)]
    if article.wire_service_id and article.wire_service is not None:
        data["infosources"] = [{"name": article.wire_credit, "role": "source"}]
        if article.wire_story_id:
            data["altids"] = [{"role": "agency", "value": article.wire_story_id}]
    return data


def canceled(request: HttpRequest, pk: int, version: int) -> dict:
    """A story taken down: its uri and version only, nothing of what it said."""
    return {"uri": story_uri(request, pk), "version": str(version), "pubstatus": "canceled"}


def ninjs_response(data, status: int = 200, headers: dict | None = None) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
        status=status,
        headers=headers or {},
    )
    # Anyone may read it from a browser: it is what the public site shows.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _error(message: str, status: int) -> HttpResponse:
    return ninjs_response({"error": message}, status=status)


@require_safe
@public_page()
def ninjs_detail(request: HttpRequest, pk: int) -> HttpResponse:
    depends_on(request, article_key(pk))
    article = Article.objects.published().with_byline().filter(pk=pk).first()
    if article is None:
        withdrawn = Withdrawal.objects.filter(article=pk).select_related("article").first()
        if withdrawn is None or withdrawn.article is None:
            # A story never published is not there, as on the site.
            depends_on(request, LISTINGS)
            return _error(_("No such story."), 404)
        return ninjs_response(canceled(request, pk, withdrawn.article.version), status=410)
    load_tags([article])
    depends_on_stories(request, [article])
    depends_on(request, *(tag_key(tag.pk) for tag in article.tag_list))
    return ninjs_response(document(request, article))


def _since(value: str) -> datetime | None:
    moment = parse_datetime(value) or (
        datetime.combine(day, datetime.min.time()) if (day := parse_date(value)) else None
    )
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


@require_safe
@public_page(LISTINGS, reads=("page", *FILTERS))
def ninjs_list(request: HttpRequest) -> HttpResponse:
    stories = Article.objects.published()
    params = {name: request.GET[name] for name in FILTERS if request.GET.get(name)}
    try:
        if "section" in params:
            section = get_object_or_404(Section, slug=params["section"])
            stories = stories.filter(section=section)
            depends_on(request, section_key(section.pk))
        if "tag" in params:
            tag = get_object_or_404(Tag, slug=params["tag"])
            stories = stories.tagged(tag)
            depends_on(request, tag_key(tag.pk))
        if "author" in params:
            author = get_object_or_404(Author, slug=params["author"])
            stories = stories.filter(bylines__author=author)
            depends_on(request, author_key(author.pk))
    except Http404:
        return _error(_("No such section, tag or author."), 404)
    if params.get("language"):
        stories = stories.filter(language=params["language"].split("-")[0].lower())
    since = None
    if "since" in params:
        since = _since(params["since"])
        if since is None:
            return _error(_("since must be a date or a time, e.g. 2026-12-05T08:00:00Z."), 400)
        stories = stories.filter(publish_at__gte=since) | stories.filter(updated_at__gte=since)
    paginator = Paginator(stories.with_byline().latest_first(), PAGE_SIZE)
    try:
        page = paginator.page(request.GET.get("page") or 1)
        if page.number > MAX_PAGES:
            raise InvalidPage
    except InvalidPage:
        return _error(_("No such page."), 404)
    articles = list(page.object_list)
    load_tags(articles)
    depends_on_stories(request, articles)
    items = [document(request, article) for article in articles]
    if since is not None and page.number == 1:
        # Taken down since then: a poller learns of it and removes its copy.
        gone = Withdrawal.objects.filter(withdrawn_at__gte=since, article__isnull=False)
        items += [
            canceled(request, row["article_id"], row["article__version"])
            for row in gone.values("article_id", "article__version")
        ]
    return ninjs_response(items, headers={"Link": _links(request, page, params)})


def _links(request: HttpRequest, page, params: dict) -> str:
    def url(number: int) -> str:
        query = urlencode({**params, **({"page": number} if number > 1 else {})})
        path = reverse("articles:ninjs-list")
        return request.build_absolute_uri(f"{path}?{query}" if query else path)

    links = [f'<{url(1)}>; rel="first"']
    if page.has_previous():
        links.append(f'<{url(page.previous_page_number())}>; rel="prev"')
    if page.has_next() and page.next_page_number() <= MAX_PAGES:
        links.append(f'<{url(page.next_page_number())}>; rel="next"')
    return ", ".join(links)
