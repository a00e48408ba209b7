from django.core.paginator import InvalidPage, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET
from taggit.models import Tag

from articles.models import Article, Author, Section

PAGE_SIZE = 20


def paginate(request: HttpRequest, queryset):
    """The requested page; a page that is not a number or is out of range is a 404."""
    try:
        return Paginator(queryset, PAGE_SIZE, allow_empty_first_page=True).page(
            request.GET.get("page", 1)
        )
    except InvalidPage as exc:
        raise Http404("No such page.") from exc


def can_preview(request: HttpRequest) -> bool:
    return (
        request.user.is_active
        and request.user.is_staff
        and request.user.has_perm("articles.view_article")
    )


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    articles = Article.objects.published().with_byline().latest_first()[:PAGE_SIZE]
    return render(request, "articles/index.html", {"articles": articles})


@require_GET
def detail(request: HttpRequest, year: int, month: int, day: int, slug: str) -> HttpResponse:
    # Staff preview drafts through the same view; everyone else sees only what is published.
    queryset = Article.objects.all() if can_preview(request) else Article.objects.published()
    article = get_object_or_404(queryset.with_byline(), slug=slug)
    if article.is_published() and request.path != article.get_absolute_url():
        raise Http404("No story at this address.")
    return render(
        request,
        "articles/article_detail.html",
        {"article": article, "preview": not article.is_published()},
    )


def _listing(request: HttpRequest, title: str, queryset, **context) -> HttpResponse:
    page = paginate(request, queryset.with_byline().latest_first())
    return render(request, "articles/article_list.html", {"title": title, "page": page, **context})


@require_GET
def section(request: HttpRequest, slug: str) -> HttpResponse:
    section = get_object_or_404(Section, slug=slug)
    return _listing(
        request, section.name, Article.objects.published().filter(section=section), section=section
    )


@require_GET
def tag(request: HttpRequest, slug: str) -> HttpResponse:
    tag = get_object_or_404(Tag, slug=slug)
    return _listing(request, tag.name, Article.objects.published().filter(tags=tag), tag=tag)


@require_GET
def author(request: HttpRequest, slug: str) -> HttpResponse:
    author = get_object_or_404(Author, slug=slug)
    return _listing(
        request, author.name, Article.objects.published().filter(authors=author), author=author
    )
