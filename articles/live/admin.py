"""The live page's admin screen: open and end coverage, post an update in one short form,
and edit, pin, delete or restore the latest, all without leaving the screen.

Editors post to any live page; reporters to one whose editor lets them. Every change keeps
a revision, and a deleted update stays in the database (gone for readers only).
"""

import reversion
from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from articles.images import ImageUploadField
from articles.live.models import LiveEntry
from articles.models import Article, Author

ADMIN_PAGE_SIZE = 30
# What changes an update as readers read it: such a change after posting is marked "edited".
TEXT_FIELDS = {"title", "body", "image", "image_alt", "image_credit"}

if not reversion.is_registered(LiveEntry):
    reversion.register(LiveEntry, exclude=("changed_at", "version"))


class LiveEntryForm(forms.ModelForm):
    image = ImageUploadField(label=_("Picture"), required=False)

    class Meta:
        model = LiveEntry
        fields = [
            "title",
            "body",
            "image",
            "image_alt",
            "image_credit",
            "authors",
            "key_event",
            "pinned",
            "posted_at",
        ]
        widgets = {
            "authors": forms.CheckboxSelectMultiple,
            # To the second: shown to the minute (Romanian's input format), the time of an
            # update went back to the start of its minute on every edit, ahead of updates
            # posted before it in that minute.
            "posted_at": forms.DateTimeInput(
                attrs={"type": "datetime-local", "step": "1"}, format="%Y-%m-%dT%H:%M:%S"
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title"].widget.attrs["placeholder"] = _("Optional title")
        self.fields["authors"].queryset = Author.objects.order_by("name")
        if self.instance.pk is None:
            # Set on posting; changed only when editing an update.
            del self.fields["posted_at"]


def may_post(request: HttpRequest, article: Article) -> bool:
    user = request.user
    if not user.has_perm("articles.change_article"):
        return False
    return user.has_perm("articles.publish_article") or article.reporters_post_updates


def may_run_coverage(request: HttpRequest) -> bool:
    return request.user.has_perm("articles.publish_article") and request.user.has_perm(
        "articles.change_article"
    )


class LiveCoverageAdminMixin:
    """ArticleAdmin's live screen: <story id>/live/ and <story id>/live/<update id>/."""

    def live_urls(self) -> list:
        info = f"{self.opts.app_label}_{self.opts.model_name}"  # type: ignore[attr-defined]
        view = self.admin_site.admin_view  # type: ignore[attr-defined]
        return [
            path("<path:object_id>/live/", view(self.live_view), name=f"{info}_live"),
            path(
                "<path:object_id>/live/<int:entry_id>/",
                view(self.live_entry_view),
                name=f"{info}_live_entry",
            ),
        ]

    def live_article(self, request: HttpRequest, object_id: str) -> Article:
        article = get_object_or_404(Article, pk=unquote(object_id))
        if not (may_post(request, article) or may_run_coverage(request)):
            raise PermissionDenied
        return article

    def live_url(self, article: Article) -> str:
        return reverse(f"{self.admin_site.name}:articles_article_live", args=[article.pk])  # type: ignore[attr-defined]

    def live_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        article = self.live_article(request, object_id)
        form = None
        if may_post(request, article) and article.coverage_is_ongoing:
            form = LiveEntryForm(initial={"authors": self.own_authors(request)})
        if request.method == "POST":
            if "coverage" in request.POST:
                return self.change_coverage(request, article, request.POST["coverage"])
            if not may_post(request, article) or not article.coverage_is_ongoing:
                raise PermissionDenied
            form = LiveEntryForm(request.POST, request.FILES)
            if form.is_valid():
                entry = form.save(commit=False)
                entry.article = article
                entry.created_by = request.user
                draft = "draft" in request.POST
                entry.status = LiveEntry.Status.DRAFT if draft else LiveEntry.Status.POSTED
                self.save_entry(request, entry, form, _("Posted"))
                messages.success(request, _("Draft saved.") if draft else _("Update posted."))
                return redirect(self.live_url(article))
        elif request.method != "GET":
            return HttpResponseNotAllowed(["GET", "POST"])
        entries = LiveEntry.objects.filter(article=article).prefetch_related("authors")
        page = Paginator(entries, ADMIN_PAGE_SIZE).get_page(request.GET.get("page"))
        return self.live_response(request, article, form, page=page)

    def live_entry_view(self, request: HttpRequest, object_id: str, entry_id: int):
        article = self.live_article(request, object_id)
        if not may_post(request, article):
            raise PermissionDenied
        entry = get_object_or_404(LiveEntry, pk=entry_id, article=article)
        if request.method == "POST" and "do" in request.POST:
            return self.entry_action(request, article, entry, request.POST["do"])
        form = LiveEntryForm(instance=entry)
        if request.method == "POST":
            posted_at = entry.posted_at
            form = LiveEntryForm(request.POST, request.FILES, instance=entry)
            if form.is_valid():
                entry = form.save(commit=False)
                if "posted_at" not in form.changed_data:
                    entry.posted_at = posted_at  # to the microsecond, which the form drops
                if entry.status == LiveEntry.Status.POSTED and TEXT_FIELDS & set(form.changed_data):
                    entry.edited_at = timezone.now()
                if "post" in request.POST:
                    entry.status = LiveEntry.Status.POSTED
                    entry.posted_at = timezone.now()
                self.save_entry(request, entry, form, _("Edited"))
                messages.success(request, _("Update saved."))
                return redirect(self.live_url(article))
        elif request.method != "GET":
            return HttpResponseNotAllowed(["GET", "POST"])
        return self.live_response(request, article, form, editing=entry)

    def entry_action(self, request: HttpRequest, article: Article, entry: LiveEntry, do: str):
        now = timezone.now()
        if do == "delete":
            entry.deleted_at, done = now, _("Update deleted; readers no longer see it.")
        elif do == "restore":
            entry.deleted_at, done = None, _("Update restored.")
        elif do == "pin":
            entry.pinned, done = True, _("Update pinned to the top of the page.")
        elif do == "unpin":
            entry.pinned, done = False, _("Update unpinned.")
        elif do == "key":
            entry.key_event, done = not entry.key_event, _("Key events changed.")
        else:
            raise Http404(_("No such action."))
        self.save_entry(request, entry, None, done)
        messages.success(request, done)
        return redirect(self.live_url(article))

    @transaction.atomic
    def save_entry(self, request: HttpRequest, entry: LiveEntry, form, comment: str) -> None:
        with reversion.create_revision():
            if entry.pinned:
                # One pinned update at a time: pinning one unpins the one before.
                for other in LiveEntry.objects.filter(
                    article_id=entry.article_id, pinned=True
                ).exclude(pk=entry.pk):
                    other.pinned = False
                    other.save()
            entry.save()
            if form is not None:
                form.save_m2m()
            reversion.set_user(request.user)
            reversion.set_comment(comment)

    def change_coverage(self, request: HttpRequest, article: Article, change: str):
        if not may_run_coverage(request):
            raise PermissionDenied
        now = timezone.now()
        if change == "start":
            article.coverage_started_at = article.coverage_started_at or now
            article.coverage_ended_at = None
            done = _("Live coverage is on: post the first update.")
        elif change == "end":
            article.coverage_ended_at = now
            done = _("Live coverage ended; readers' pages stop asking for updates.")
        elif change in ("reporters-on", "reporters-off"):
            article.reporters_post_updates = change == "reporters-on"
            done = _("Saved who may post updates.")
        else:
            raise Http404(_("No such action."))
        with reversion.create_revision():
            article.save(
                update_fields=[
                    "coverage_started_at",
                    "coverage_ended_at",
                    "reporters_post_updates",
                    "modified_at",
                ]
            )
            reversion.set_user(request.user)
            reversion.set_comment(done)
        messages.success(request, done)
        return redirect(self.live_url(article))

    def own_authors(self, request: HttpRequest) -> list[int]:
        if not request.user.is_authenticated:
            return []
        return list(Author.objects.filter(user=request.user).values_list("pk", flat=True))

    def live_response(self, request, article, form, page=None, editing=None) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "opts": self.opts,  # type: ignore[attr-defined]
            "title": _("Live coverage: %(headline)s") % {"headline": article.headline},
            "article": article,
            "form": form,
            "media": (self.media + form.media) if form else self.media,  # type: ignore[attr-defined]
            "page": page,
            "editing": editing,
            "may_post": may_post(request, article),
            "may_run_coverage": may_run_coverage(request),
            "live_url": self.live_url(article),
        }
        return TemplateResponse(request, "admin/articles/article/live.html", context)
