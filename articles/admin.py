"""The editorial admin: stories written in an editor's order, roles enforced on the server,
a history that can be compared and restored, and no lost updates."""

import contextlib
import re
from difflib import SequenceMatcher

import reversion
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import OuterRef, Prefetch, Subquery
from django.forms import Script
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from reversion.admin import VersionAdmin
from reversion.errors import RevertError
from reversion.models import Version
from taggit.admin import TagAdmin
from taggit.forms import MergeTagsForm
from taggit.models import Tag, TaggedItem

from articles import locks
from articles.embeds import oembed
from articles.forms import (
    Action,
    ArticleAdminForm,
    PictureAdminForm,
    VideoAdminForm,
    actions_for,
    display_name,
)
from articles.live.admin import LiveCoverageAdminMixin, may_post, may_run_coverage
from articles.models import (
    Article,
    ArticleAuthor,
    Author,
    Correction,
    Picture,
    Section,
    SendBack,
    Video,
    WireService,
)
from articles.slugs import ascii_slug
from articles.videos import player
from articles.views import unsaved_preview
from newsroom.admin_history import change_message
from newsroom.admin_lookups import AllowlistedLookupsMixin, CheckedAutocompleteMixin
from newsroom.dates import long_datetime

PUBLISHED = Article.Status.PUBLISHED

# What a revision of a story holds: the story and its byline, corrections and tags, so that
# restoring it brings all of them back. Tag links need their tags (a tag may be deleted later).
for model, follow in [(Tag, ()), (TaggedItem, ("tag",)), (ArticleAuthor, ()), (Correction, ())]:
    if not reversion.is_registered(model):
        reversion.register(model, follow=follow)
reversion.register(
    Article,
    # The search vector is derived from the text and refreshed whenever the story is saved.
    # Byline and tags are followed through their own rows, not the many-to-many fields.
    exclude=("search_vector", "authors", "tags"),
    follow=("bylines", "corrections", "tagged_items"),
)


def can_publish(request: HttpRequest) -> bool:
    return request.user.has_perm("articles.publish_article")


def may_edit(request: HttpRequest, article: Article | None) -> bool:
    """Anyone with change rights may edit a draft; a published story is for publishers only."""
    return article is None or article.status != PUBLISHED or can_publish(request)


def short_time(moment) -> str:
    """A time in a story list's cell: "13 dec 2026, 10:00"."""
    return date_format(timezone.localtime(moment), "j b Y, H:i")


def story_state(article: Article | None) -> str:
    """Where the story stands, as the form's publishing row says it."""
    if article is None:
        return str(_("A new story, not saved yet."))
    if article.publish_at is None:
        return _("Status: %(status)s.") % {"status": article.get_status_display()}
    if article.is_scheduled():
        return _("Scheduled for %(time)s.") % {"time": long_datetime(article.publish_at)}
    if article.is_published():
        return _("Published %(time)s.") % {"time": long_datetime(article.publish_at)}
    return _("Status: %(status)s.") % {"status": article.get_status_display()}


class ArticleChangedMeanwhile(Exception):
    """Another save of the story landed between this form's validation and its save."""


class StorageFailed(Exception):
    """Storing a picture's file failed (disk full, storage down); the save was rolled back."""


def refusing_for_storage(form_class, failure: StorageFailed):
    """The admin form, made to refuse the save with what went wrong storing the picture."""
    reason = getattr(failure.__cause__, "strerror", None) or str(failure.__cause__)

    class StorageFailedForm(form_class):
        def clean(self):
            cleaned_data = super().clean()
            message = _(
                "The picture could not be stored (%(reason)s), so nothing was saved. What "
                "you typed is still below: choose the file again and save."
            )
            self.add_error(
                "file" if "file" in self.fields else None,
                ValidationError(message, code="storage", params={"reason": reason}),
            )
            return cleaned_data

    return StorageFailedForm


class BylineInline(CheckedAutocompleteMixin, admin.TabularInline):
    model = ArticleAuthor
    fields = ["author", "position"]
    autocomplete_fields = ["author"]
    extra = 2  # most stories have one or two authors: no "add another" click for the second

    def has_add_permission(self, request, obj):
        return may_edit(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return may_edit(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return may_edit(request, obj) and super().has_delete_permission(request, obj)


class CorrectionForm(forms.ModelForm):
    def clean(self):
        cleaned_data = super().clean()
        if "created_at" not in self.changed_data:
            # The time box shows minutes: a note left at its default time is timed when saved,
            # so it comes after the publication it corrects, never in the same minute before.
            cleaned_data["created_at"] = timezone.now()
        return cleaned_data


class CorrectionInline(admin.TabularInline):
    model = Correction
    form = CorrectionForm
    fields = ["kind", "text", "created_at"]
    extra = 0


class StatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            ("draft", Article.Status.DRAFT.label),
            ("review", Article.Status.REVIEW.label),
            ("scheduled", _("Scheduled")),
            ("today", _("Published today")),
            ("live", _("Published and live")),
        ]

    def queryset(self, request, queryset):
        match self.value():
            case "draft" | "review" as status:
                return queryset.filter(status=status)
            case "scheduled":
                return queryset.scheduled()
            case "today":
                midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
                return queryset.published().filter(publish_at__gte=midnight)
            case "live":
                return queryset.published()
        return queryset


class MineFilter(admin.SimpleListFilter):
    """The stories the user started, or submitted for review."""

    title = _("whose")
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("1", _("Mine"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(
                models.Q(created_by=request.user) | models.Q(submitted_by=request.user)
            )
        return queryset


@admin.register(Article)
class ArticleAdmin(LiveCoverageAdminMixin, AllowlistedLookupsMixin, VersionAdmin):
    form = ArticleAdminForm

    class Media:
        # The body editor's editing area gets its field's label as its accessible name; the
        # story form counts characters and orders the byline with arrows.
        js = [
            Script("js/admin-prose-label.js", type="module"),
            Script("js/admin-story-form.js", type="module"),
            Script("js/admin-story-lock.js", type="module"),
            Script("js/admin-slug.js", type="module"),
        ]

    inlines = [BylineInline, CorrectionInline]
    fieldsets = [
        (None, {"fields": ["headline", "slug", "standfirst", "body", "loaded_version"]}),
        # The byline inline is shown here, after the body (see the change_form template).
        (_("Section and tags"), {"fields": ["section", "label", "tags", "dateline"]}),
        (_("Language"), {"fields": ["language", "translation"]}),
        (
            _("Wire attribution"),
            {
                "fields": ["wire_service", "wire_attribution", "wire_story_id"],
                "classes": ["collapse"],
            },
        ),
        (
            _("Lead picture"),
            {"fields": ["picture_preview", "picture"]},
        ),
        (_("Publishing"), {"fields": ["status", "publish_at", "updated_at"]}),
        (
            _("Promotion"),
            {
                "fields": [
                    "seo_title",
                    "meta_description",
                    "social_title",
                    "social_description",
                    "canonical_url",
                ],
                "classes": ["collapse"],
                "description": _(
                    "What search results and shared links show, when the headline and "
                    "standfirst do not fit there. Leave blank to use them."
                ),
            },
        ),
    ]
    autocomplete_fields = ["translation", "picture"]
    prepopulated_fields = {"slug": ["headline"]}
    # A handful of sections and agencies: a plain list is one click, not three.
    readonly_fields = ["picture_preview"]

    # Narrow columns, so the list fits a 1366-pixel screen: the headline, then what a desk
    # reads under it, the status with its time, who is editing, and the link to the page.
    list_display = [
        "headline",
        "details",
        "status_display",
        "updated",
        "editing",
        "is_live",
        "preview_link",
    ]
    list_filter = [
        StatusFilter,
        MineFilter,
        "section",
        "label",
        "language",
        "authors",
        "wire_service",
    ]
    list_select_related = ["section", "wire_service"]
    search_fields = ["headline", "standfirst", "body"]
    date_hierarchy = "publish_at"
    actions = ["publish_now", "unpublish"]

    object_history_template = "admin/articles/article/object_history.html"
    compare_template = "admin/articles/article/compare.html"

    # --- Change list --------------------------------------------------------------------

    def get_queryset(self, request):
        holder = locks.held().filter(article=OuterRef("pk")).values("holder__username")[:1]
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("bylines", queryset=ArticleAuthor.objects.select_related("author"))
            )
            .annotate(editing_now=Subquery(holder))
        )

    @admin.display(description=_("editing"))
    def editing(self, article: Article) -> str:
        return getattr(article, "editing_now", None) or ""

    @admin.display(description=_("byline"))
    def byline(self, article: Article) -> str:
        return ", ".join(author.name for author in article.byline)

    @admin.display(description=_("wire credit"), ordering="wire_service__name")
    def wire_credit(self, article: Article) -> str:
        return article.wire_credit

    @admin.display(description=_("section and byline"), ordering="section__name")
    def details(self, article: Article) -> str:
        parts = [
            article.get_label_display(),
            article.section.name,
            self.byline(article),
            article.wire_credit,
        ]
        return " · ".join(part for part in parts if part)

    @admin.display(description=_("status"), ordering="publish_at")
    def status_display(self, article: Article) -> str:
        label = _("Scheduled") if article.is_scheduled() else article.get_status_display()
        if article.status != PUBLISHED or article.publish_at is None:
            return str(label)
        return format_html(
            '{}<br><span class="desk-time">{}</span>', label, short_time(article.publish_at)
        )

    @admin.display(description=_("updated at"), ordering="updated_at")
    def updated(self, article: Article) -> str:
        return short_time(article.updated_at) if article.updated_at else "—"

    @admin.display(description=_("live"), boolean=True)
    def is_live(self, article: Article) -> bool:
        return article.is_published()

    @admin.display(description=_("on the site"))
    def preview_link(self, article: Article) -> str:
        # An unpublished story's link is signed: it works for whoever it is sent to, for a day.
        if article.is_published():
            url, label = article.get_absolute_url(), _("View")
        else:
            url, label = article.get_preview_url(), _("Preview")
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, label)

    @admin.display(description=_("preview"))
    def picture_preview(self, article: Article | Author) -> str:
        picture = article.picture
        if picture is None or not picture.file:
            return "—"
        words = " · ".join(text for text in (picture.caption, picture.credit) if text)
        return format_html(
            '<img src="{}" alt="{}" width="320"><p class="help">{}</p><a href="{}">{}</a>',
            picture.file.url,
            picture.alt,
            words,
            reverse("admin:articles_picture_change", args=[picture.pk]),
            _("Edit the picture: its description, credit and focal point"),
        )

    # --- Roles ----------------------------------------------------------------------------

    def has_publish_permission(self, request: HttpRequest) -> bool:
        """Used by the publish/unpublish actions (`permissions=["publish"]`)."""
        return can_publish(request)

    def has_change_permission(self, request, obj=None):
        return may_edit(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return may_edit(request, obj) and super().has_delete_permission(request, obj)

    def get_changeform_initial_data(self, request):
        # A new story is in the language the site is served in (its settings choose it).
        initial = super().get_changeform_initial_data(request)
        language = getattr(request, "LANGUAGE_CODE", "")
        if language in dict(settings.LANGUAGES):
            initial.setdefault("language", language)
        return initial

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not can_publish(request):
            readonly += ["publish_at", "updated_at"]
        return readonly

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.can_publish = can_publish(request)
        return form

    def save_model(self, request, obj, form, change):
        if obj.status == PUBLISHED and not can_publish(request):
            raise PermissionDenied  # the form refuses first; this is the last line
        if not change:
            obj.created_by = request.user
        obj.modified_by = request.user
        if obj.status == Article.Status.REVIEW and form.status_before != Article.Status.REVIEW:
            obj.submitted_at, obj.submitted_by = timezone.now(), request.user
        if change:
            loaded = form.cleaned_data.get("loaded_version")
            # Claim the version the form was loaded with. The UPDATE holds the row until the
            # admin's transaction ends, so of two simultaneous saves only one can claim it.
            claimed = Article.objects.filter(pk=obj.pk, version=loaded).update(version=loaded)
            if not claimed:
                raise ArticleChangedMeanwhile
            obj.version = loaded  # Article.save() moves it on
        # Embeds new to the site: their details are read now, before the story is saved (and its
        # page's cached copies dropped), so the page shows them from its first build.
        for problem in oembed.resolve(obj.body):
            self.message_user(
                request,
                _(
                    "The details of %(url)s could not be read from %(provider)s (%(reason)s). "
                    "Readers see its link until a later save reads them."
                )
                % {"url": problem.url, "provider": problem.provider, "reason": problem.reason},
                messages.WARNING,
            )
        if change and (lock := locks.holder_of(obj)) and lock.holder_id != request.user.pk:
            self.message_user(
                request,
                _("%(who)s has this story open and may save over your changes: tell them.")
                % {"who": display_name(lock.holder)},
                messages.WARNING,
            )
        obj.save()
        if form.cleaned_data.get("publishing") == Action.SEND_BACK:
            note = form.cleaned_data["send_back_note"].strip()
            SendBack.objects.create(article=obj, sent_by=request.user, note=note)
            request.send_back_note = note  # for the history (log_change)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ArticleChangedMeanwhile:
            # The lost race was rolled back; validating again reports the other save.
            return super().changeform_view(request, object_id, form_url, extra_context)

    # A save that fails after validating is rolled back, revision included (these wrap
    # reversion's), and the form comes back with the editor's text and a clear error.

    def add_view(self, request, form_url="", extra_context=None):
        return self.retrying_failed_save(super().add_view, request, form_url, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return self.retrying_failed_save(
            super().change_view, request, object_id, form_url, extra_context
        )

    def retrying_failed_save(self, view, request, *args):
        try:
            return view(request, *args)
        except IntegrityError:
            # Another story took this slug between our validation and our save: validating
            # again, against the saved story, reports it on the slug field.
            return view(request, *args)

    # --- The publishing actions -------------------------------------------------------------

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        editable = (
            self.has_change_permission(request, obj) if obj else self.has_add_permission(request)
        )
        if editable:
            context["publishing_actions"] = actions_for(obj, can_publish(request))
            context["story_state"] = story_state(obj)
        if editable and obj is not None:
            lock = locks.holder_of(obj)
            context["lock"] = lock if lock and lock.holder_id != request.user.pk else None
            context["lock_url"] = reverse(
                f"{self.admin_site.name}:articles_article_lock", args=[obj.pk]
            )
            context["heartbeat_seconds"] = max(1, settings.STORY_LOCK_SECONDS / 3)
        if obj is not None and (
            may_run_coverage(request) or (obj.is_live_coverage and may_post(request, obj))
        ):
            context["live_url"] = self.live_url(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    # The form stays open after a save, as the story's own page: a correction or an update
    # follows a publication without looking for the story again. Handing it on (submitting,
    # sending back) leads back to the list.
    STAYS_ON_FORM = {
        Action.SAVE,
        Action.DRAFT,
        Action.UPDATE,
        Action.PUBLISH,
        Action.SCHEDULE,
        Action.UNPUBLISH,
    }

    def response_add(self, request, obj, post_url_continue=None):
        return super().response_add(self.staying(request), obj, post_url_continue)

    def response_change(self, request, obj):
        return super().response_change(self.staying(request), obj)

    def staying(self, request):
        if request.POST.get("publishing") in self.STAYS_ON_FORM:
            request.POST = request.POST.copy()
            request.POST["_continue"] = "1"
        return request

    def lock_view(self, request, object_id):
        """The story form's heartbeat (JSON), Take over (also as a plain form) and release."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        article = self.get_article_or_404(request, object_id)
        if not self.has_change_permission(request, article):
            raise PermissionDenied
        if request.POST.get("release"):
            locks.release(article, request.user)
            return HttpResponse(status=204)
        answer = locks.beat(article, request.user, take_over=bool(request.POST.get("take_over")))
        if "application/json" not in request.headers.get("Accept", ""):
            return redirect(
                reverse(f"{self.admin_site.name}:articles_article_change", args=[article.pk])
            )
        lock = answer.lock
        return JsonResponse(
            {
                "mine": answer.mine,
                "taken_over": answer.taken_over,
                "who": display_name(lock.holder) if lock else "",
                "when": date_format(timezone.localtime(lock.since), "H:i") if lock else "",
            }
        )

    def preview_view(self, request):
        """The story as the form holds it, unsaved: before its first save, or with edits."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        story_id = request.GET.get("story")
        stored = self.get_article_or_404(request, story_id) if story_id else None
        may = (
            self.has_change_permission(request, stored)
            if stored
            else self.has_add_permission(request)
        )
        if not may:
            raise PermissionDenied
        form = self.get_form(request, stored, change=stored is not None)(
            request.POST, instance=stored or Article()
        )
        form.is_valid()  # fills the instance with what is valid; the preview shows the rest
        article = form.instance
        if not form.cleaned_data.get("headline") or not form.cleaned_data.get("section"):
            return TemplateResponse(
                request,
                "admin/articles/article/preview_refused.html",
                {**self.admin_site.each_context(request), "opts": self.opts, "form": form},
                status=400,
            )
        positions = {}
        for key, value in request.POST.items():
            if key.startswith("bylines-") and key.endswith("-author") and value.isdigit():
                prefix = key.removesuffix("-author")
                if request.POST.get(f"{prefix}-DELETE"):
                    continue
                position = request.POST.get(f"{prefix}-position", "0")
                positions[int(value)] = int(position) if position.isdigit() else 0
        authors = Author.objects.in_bulk(list(positions))
        byline = sorted(authors.values(), key=lambda author: positions[author.pk])
        tags = [
            Tag(name=name, slug=ascii_slug(name) or "-")
            for name in form.cleaned_data.get("tags") or []
        ]
        corrections = list(stored.corrections.all()) if stored else []
        return unsaved_preview(request, article, byline, tags, corrections)

    # --- Bulk actions ---------------------------------------------------------------------

    @admin.action(permissions=["publish"], description=_("Publish now"))
    def publish_now(self, request, queryset):
        if not can_publish(request):
            raise PermissionDenied
        now = timezone.now()
        published = 0
        for article in queryset.exclude(status=PUBLISHED, publish_at__lte=now):
            article.status = PUBLISHED
            if article.publish_at is None or article.publish_at > now:
                article.publish_at = now
            article.modified_by = request.user
            article.save()
            self.log_change(request, article, _("Published now."))
            published += 1
        self.message_user(
            request,
            ngettext("%(count)d story published.", "%(count)d stories published.", published)
            % {"count": published},
            messages.SUCCESS,
        )

    @admin.action(permissions=["publish"], description=_("Unpublish (back to draft)"))
    def unpublish(self, request, queryset):
        if not can_publish(request):
            raise PermissionDenied
        unpublished = 0
        for article in queryset.filter(status=PUBLISHED):
            article.status = Article.Status.DRAFT
            article.modified_by = request.user
            article.save()
            self.log_change(request, article, _("Unpublished."))
            unpublished += 1
        self.message_user(
            request,
            ngettext("%(count)d story unpublished.", "%(count)d stories unpublished.", unpublished)
            % {"count": unpublished},
            messages.SUCCESS,
        )

    # --- History: list, compare, restore ----------------------------------------------------

    def log_change(self, request, obj, message):
        # reversion keeps the entry's message as the version's comment: with field names
        # in the site's language, not the English labels Django stores.
        entry = super().log_change(request, obj, message)
        if reversion.is_active():
            comment = change_message(entry)
            if note := getattr(request, "send_back_note", None):
                comment += "\n" + _("Sent back to the reporter: “%(note)s”") % {"note": note}
            reversion.set_comment(comment)
        return entry

    def can_view_history(self, request: HttpRequest, article: Article) -> bool:
        """Publishers see every story's history; others only that of stories they created."""
        return self.has_view_or_change_permission(request, article) and (
            can_publish(request) or article.created_by_id == request.user.pk
        )

    def can_compare(self, request: HttpRequest, article: Article) -> bool:
        return can_publish(request) and self.has_view_or_change_permission(request, article)

    def can_restore(self, request: HttpRequest, article: Article) -> bool:
        return can_publish(request) and self.has_change_permission(request, article)

    def get_urls(self):
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("preview/", self.admin_site.admin_view(self.preview_view), name=f"{info}_preview"),
            path(
                "<path:object_id>/lock/",
                self.admin_site.admin_view(self.lock_view),
                name=f"{info}_lock",
            ),
            path(
                "<path:object_id>/history/compare/",
                self.admin_site.admin_view(self.compare_view),
                name=f"{info}_compare",
            ),
            path(
                "<path:object_id>/history/<int:version_id>/restore/",
                self.admin_site.admin_view(self.restore_view),
                name=f"{info}_restore",
            ),
            *self.live_urls(),
            *super().get_urls(),
        ]

    def get_article_or_404(self, request, object_id) -> Article:
        article = self.get_object(request, unquote(object_id))
        if article is None:
            raise Http404(_("No such story."))
        return article

    def versions_of(self, article: Article):
        return (
            Version.objects.get_for_object(article).select_related("revision__user").order_by("-pk")
        )

    def history_view(self, request, object_id, extra_context=None):
        article = self.get_article_or_404(request, object_id)
        if not self.can_view_history(request, article):
            raise PermissionDenied
        context = {
            "versions": self.versions_of(article),
            "can_compare": self.can_compare(request, article),
            **(extra_context or {}),
        }
        return super().history_view(request, object_id, context)

    def compare_view(self, request, object_id):
        article = self.get_article_or_404(request, object_id)
        if not self.can_compare(request, article):
            raise PermissionDenied
        versions = self.versions_of(article)
        try:
            older_id = int(request.GET["from"])
            newer_id = int(request.GET.get("to") or versions.values_list("pk", flat=True)[0])
        except (KeyError, ValueError, IndexError):
            raise Http404(_("Choose two versions to compare.")) from None
        older = get_object_or_404(versions, pk=older_id)
        newer = get_object_or_404(versions, pk=newer_id)
        if older.pk > newer.pk:
            older, newer = newer, older
        context = {
            **self.admin_site.each_context(request),
            "title": _("Compare versions of “%(headline)s”") % {"headline": article.headline},
            "opts": self.opts,
            "original": article,
            "older": older,
            "newer": newer,
            "changes": compare_versions(article, older, newer),
            "can_restore": self.can_restore(request, article),
            # Restoring the newest version would change nothing.
            "restorable": [v for v in (older, newer) if v.pk != versions[0].pk],
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.compare_template, context)

    def restore_view(self, request, object_id, version_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        article = self.get_article_or_404(request, object_id)
        if not self.can_restore(request, article):
            raise PermissionDenied
        version = get_object_or_404(self.versions_of(article), pk=version_id)
        saved_at = date_format(timezone.localtime(version.revision.date_created), "DATETIME_FORMAT")
        change_url = reverse(f"{self.admin_site.name}:articles_article_change", args=[article.pk])
        try:
            with transaction.atomic(), reversion.create_revision():
                reversion.set_user(request.user)
                restored = restore_version(article, version, request.user)
                self.log_change(
                    request, restored, _("Restored the version of %(date)s.") % {"date": saved_at}
                )
        except (IntegrityError, RevertError):
            self.message_user(
                request,
                _(
                    "The version of %(date)s could not be restored: it refers to something that "
                    "no longer exists."
                )
                % {"date": saved_at},
                messages.ERROR,
            )
            return redirect(change_url)
        self.message_user(
            request,
            _("Restored the version of %(date)s. The version it replaced is kept in the history.")
            % {"date": saved_at},
            messages.SUCCESS,
        )
        return redirect(change_url)

    def revision_view(self, request, object_id, version_id, extra_context=None):
        # One way to look at an old version: compared with today's, by those who may compare.
        article = self.get_article_or_404(request, object_id)
        if not self.can_compare(request, article):
            raise PermissionDenied
        url = reverse(f"{self.admin_site.name}:articles_article_compare", args=[article.pk])
        return redirect(f"{url}?from={int(version_id)}")

    def changelist_view(self, request, extra_context=None):
        # reversion's "Recover deleted articles" button shows only to those who may use it.
        may_recover = can_publish(request) and self.has_change_permission(request)
        context = {
            "has_change_permission": may_recover,
            # The list takes the whole width: the admin's sections are on the desk.
            "is_nav_sidebar_enabled": False,
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)

    def recoverlist_view(self, request, extra_context=None):
        if not can_publish(request):
            raise PermissionDenied
        return super().recoverlist_view(request, extra_context)

    def recover_view(self, request, version_id, extra_context=None):
        if not can_publish(request):
            raise PermissionDenied
        # Only a version of a story that no longer exists. reversion's view takes any version
        # id: another model's, or a live story's, which it would revert behind the history.
        version = get_object_or_404(Version.objects.get_for_model(Article), pk=version_id)
        if Article.objects.filter(pk=version.object_id).exists():
            raise Http404(_("This story exists: restore its versions from its history."))
        return super().recover_view(request, version_id, extra_context)


# --- Comparing and restoring versions --------------------------------------------------------

# The story form's own fields; tags are compared with the byline and corrections, below.
COMPARED_FIELDS = [name for name in ArticleAdminForm.Meta.fields if name != "tags"]


def compared_field(name: str) -> models.Field:
    """One of COMPARED_FIELDS: the form's fields but tags are all columns of the story."""
    field = Article._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


# Markup, words, spaces and punctuation: the units a diff of a story is read in.
TOKENS = re.compile(r"<[^>]*>|\w+|\s+|[^\w\s]", re.UNICODE)


def inline_diff(old: str, new: str) -> SafeString:
    """`new` with what was removed from `old` in <del> and what was added in <ins>."""
    a, b = TOKENS.findall(old), TOKENS.findall(new)
    parts = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(escape("".join(a[i1:i2])))
            continue
        if i2 > i1:
            parts.append(format_html("<del>{}</del>", "".join(a[i1:i2])))
        if j2 > j1:
            parts.append(format_html("<ins>{}</ins>", "".join(b[j1:j2])))
    return mark_safe("".join(parts))


def related_versions(article: Article, version: Version) -> list[Version]:
    """The versions of the story's byline, corrections, tag links and tags in its revision."""
    article_type = ContentType.objects.get_for_model(Article)
    types = ContentType.objects.get_for_models(ArticleAuthor, Correction, TaggedItem, Tag)
    found, tag_ids = [], set()
    candidates = version.revision.version_set.filter(content_type__in=types.values())
    for candidate in candidates.order_by("pk"):
        model, data = candidate._model, candidate.field_dict
        if model in (ArticleAuthor, Correction) and data["article_id"] == article.pk:
            found.append(candidate)
        elif (
            model is TaggedItem
            and data["content_type_id"] == article_type.pk
            and str(data["object_id"]) == str(article.pk)
        ):
            found.append(candidate)
            tag_ids.add(str(data["tag_id"]))
    found += [c for c in candidates if c._model is Tag and c.object_id in tag_ids]
    return found


def describe_version(article: Article, version: Version) -> dict[str, str]:
    """The version's fields as an editor reads them: names, labels and local times."""
    data = version.field_dict
    values = {}
    for name in COMPARED_FIELDS:
        field = compared_field(name)
        value = data.get(field.attname)
        if value in (None, ""):
            values[name] = ""
        elif isinstance(field, models.ForeignKey):
            related = field.related_model._default_manager.filter(pk=value).first()
            values[name] = str(related) if related else f"#{value}"
        elif field.choices:
            values[name] = str(dict(field.flatchoices).get(value, value))
        elif isinstance(field, models.DateTimeField):
            values[name] = date_format(timezone.localtime(value), "DATETIME_FORMAT")
        else:
            values[name] = str(value)
    bylines, tags, corrections = [], [], []
    hanging = related_versions(article, version)
    tag_names = {v.object_id: v.field_dict["name"] for v in hanging if v._model is Tag}
    for related in hanging:
        fields = related.field_dict
        if related._model is ArticleAuthor:
            author = Author.objects.filter(pk=fields["author_id"]).first()
            bylines.append((fields["position"], str(author or f"#{fields['author_id']}")))
        elif related._model is Correction:
            kind = dict(Correction.Kind.choices).get(fields["kind"], fields["kind"])
            moment = fields["created_at"]
            when = date_format(timezone.localtime(moment), "DATETIME_FORMAT") if moment else ""
            corrections.append(f"{kind} ({when}): {fields['text']}")
        elif related._model is TaggedItem:
            tags.append(tag_names.get(str(fields["tag_id"]), f"#{fields['tag_id']}"))
    values["byline"] = ", ".join(name for _position, name in sorted(bylines))
    values["tags"] = ", ".join(sorted(tags))
    values["corrections"] = "\n".join(corrections)
    return values


def compare_versions(article: Article, older: Version, newer: Version) -> list[dict]:
    """The fields that differ between two versions, each with an inline diff."""
    before, after = describe_version(article, older), describe_version(article, newer)
    labels = {name: compared_field(name).verbose_name for name in COMPARED_FIELDS}
    labels |= {"byline": _("byline"), "tags": _("tags"), "corrections": _("corrections")}
    return [
        {"label": labels[name], "diff": inline_diff(before[name], after[name])}
        for name in labels
        if before[name] != after[name]
    ]


def restore_version(article: Article, version: Version, user) -> Article:
    """Bring back a story as it was in `version`, with its byline, corrections and tags.

    Runs inside the caller's transaction and revision; the version counter keeps climbing,
    so a form opened before the restore cannot save over it.
    """
    current = Article.objects.select_for_update().get(pk=article.pk)
    old = related_versions(article, version)
    kept = {(v.content_type_id, v.object_id) for v in old}
    # Bylines, corrections and tag links added since that version go.
    # tagged_items is the reverse accessor of taggit's TaggedItem, which ships no types.
    for manager in (current.bylines, current.corrections, current.tagged_items):  # type: ignore[attr-defined]
        for obj in manager.all():
            if (ContentType.objects.get_for_model(obj).pk, str(obj.pk)) not in kept:
                obj.delete()
    # Tags first (links need them), then the story, then what hangs on it.
    for old_version in old:
        if old_version._model is Tag:
            old_version.revert()
    version.revert()
    for old_version in old:
        if old_version._model is not Tag:
            old_version.revert()
    restored = Article.objects.get(pk=article.pk)
    restored.version = current.version  # save() moves it on
    restored.modified_by = user
    if restored.picture_id and not Picture.objects.filter(pk=restored.picture_id).exists():
        # The version's lead picture was deleted from the library since (no story showed it):
        # the story comes back without one. (The key is checked when the transaction commits.)
        restored.picture = None
    restored.save()
    return restored


@admin.register(Section)
class SectionAdmin(AllowlistedLookupsMixin, admin.ModelAdmin):
    class Media:
        js = [Script("js/admin-slug.js", type="module")]

    list_display = ["name", "slug", "position", "show_on_home"]
    list_editable = ["position"]
    list_filter = ["show_on_home"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "position" and field is not None:
            # The list's position boxes are named for screen readers (Django's have no label).
            field.widget.attrs["aria-label"] = str(db_field.verbose_name)
        return field


@admin.register(Picture)
class PictureAdmin(AllowlistedLookupsMixin, admin.ModelAdmin):
    """The media library: searched by description, caption and credit (also from the story
    form's lead picture box), with the focal point set by clicking the picture."""

    form = PictureAdminForm

    class Media:
        js = [Script("js/admin-focal-point.js", type="module")]
        css = {"all": ["css/admin-focal-point.css"]}

    list_display = ["thumbnail", "alt", "credit", "size", "used_by", "created_at"]
    list_display_links = ["alt"]  # the thumbnail repeats it: one link a row
    list_filter = ["created_at"]
    search_fields = ["alt", "caption", "credit", "usage_note"]
    date_hierarchy = "created_at"
    readonly_fields = ["focal_point_picker", "uploaded_by", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["file", "alt", "caption", "credit", "usage_note"]}),
        (
            _("Focal point"),
            {
                "fields": ["focal_point_picker", "focal_x", "focal_y"],
                "description": _(
                    "Click the part of the picture that must stay in every crop (a face, "
                    "say), or move the marker with the arrow keys."
                ),
            },
        ),
        (_("History"), {"fields": ["uploaded_by", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        # An aggregate drops the model's ordering: the story form's search pages through these.
        return (
            super()
            .get_queryset(request)
            .annotate(
                use_count=models.Count("stories", distinct=True)
                + models.Count("authors", distinct=True)
            )
            .order_by("-created_at", "-pk")
        )

    @admin.display(description=_("picture"))
    def thumbnail(self, picture: Picture) -> str:
        if not picture.file:
            return "—"
        small = picture.crop("")
        url = small["jpeg"][0][2] if small.get("jpeg") else picture.file.name
        return format_html(
            '<img src="{}" alt="" width="96" class="picture-thumb" loading="lazy">',
            picture.file.storage.url(url),
        )

    @admin.display(description=_("size"))
    def size(self, picture: Picture) -> str:
        return f"{picture.width}×{picture.height}" if picture.width else "—"

    @admin.display(description=_("used by"), ordering="use_count")
    def used_by(self, picture: Picture) -> int:
        """The stories it leads and the authors whose photo it is: what keeps it from being
        deleted."""
        return getattr(picture, "use_count", 0)

    @admin.display(description=_("focal point"))
    def focal_point_picker(self, picture: Picture) -> str:
        if not picture.pk or not picture.file:
            return str(_("Save the picture first; then click it here to set its focal point."))
        return format_html(
            '<div class="focal-picker" data-focal-picker data-focal-x="id_focal_x" '
            'data-focal-y="id_focal_y" tabindex="0" role="application" aria-label="{}">'
            '<img src="{}" alt="{}" width="{}" height="{}">'
            '<span class="focal-picker__marker" hidden></span></div>',
            _("Focal point: click the picture, or use the arrow keys"),
            picture.file.url,
            picture.alt,
            picture.width or "",
            picture.height or "",
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if failure := getattr(request, "storage_failure", None):
            form = refusing_for_storage(form, failure)
        return form

    def save_model(self, request, obj, form, change):
        if not change:
            obj.uploaded_by = request.user
        stored_file = (
            Picture.objects.filter(pk=obj.pk).values_list("file", flat=True).first()
            if change
            else ""
        )
        try:
            obj.save()
        except OSError as exc:
            # The database rolls back; a new file that made it to storage goes too.
            if obj.file and obj.file.name != stored_file:
                with contextlib.suppress(OSError):
                    obj.file.storage.delete(obj.file.name)
            raise StorageFailed from exc

    # A save whose file cannot be stored is rolled back, and the form comes back with what was
    # typed and a clear error.

    def add_view(self, request, form_url="", extra_context=None):
        return self.retrying_failed_save(super().add_view, request, form_url, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return self.retrying_failed_save(
            super().change_view, request, object_id, form_url, extra_context
        )

    def retrying_failed_save(self, view, request, *args):
        try:
            return view(request, *args)
        except StorageFailed as failure:
            request.storage_failure = failure
            return view(request, *args)


@admin.register(Video)
class VideoAdmin(AllowlistedLookupsMixin, admin.ModelAdmin):
    """The library's videos: MP4 (H.264) or WebM files checked by content, each with a library
    picture as its poster; searched by title, caption and credit."""

    form = VideoAdminForm
    list_display = ["title", "poster_thumbnail", "kind", "size", "length", "created_at"]
    list_display_links = ["title"]
    list_filter = ["created_at"]
    list_select_related = ["poster"]
    search_fields = ["title", "caption", "credit"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["poster"]
    readonly_fields = ["address", "preview", "uploaded_by", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["file", "address", "title", "poster", "caption", "credit", "preview"]}),
        (_("History"), {"fields": ["uploaded_by", "created_at", "updated_at"]}),
    ]

    @admin.display(description=_("poster"))
    def poster_thumbnail(self, video: Video) -> str:
        return PictureAdmin.thumbnail(self, video.poster)  # type: ignore[arg-type]

    @admin.display(description=_("format"))
    def kind(self, video: Video) -> str:
        return "WebM" if video.content_type == "video/webm" else "MP4"

    @admin.display(description=_("size"))
    def size(self, video: Video) -> str:
        return f"{video.width}×{video.height}" if video.width else "—"

    @admin.display(description=_("duration"), ordering="duration")
    def length(self, video: Video) -> str:
        if video.duration is None:
            return "—"
        minutes, seconds = divmod(round(video.duration.total_seconds()), 60)
        return f"{minutes}:{seconds:02d}"

    @admin.display(description=_("address for stories"))
    def address(self, video: Video) -> str:
        if not video.pk or not video.file:
            return str(_("Save the video first; its address appears here."))
        return format_html(
            '<code>{}</code><div class="help">{}</div>',
            video.file.url,
            _("Paste this address alone on a line of a story's text to show the video there."),
        )

    @admin.display(description=_("preview"))
    def preview(self, video: Video) -> str:
        if not video.pk or not video.file:
            return "—"
        return player(video)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.uploaded_by = request.user
        obj.save()


@admin.register(Author)
class AuthorAdmin(AllowlistedLookupsMixin, admin.ModelAdmin):
    class Media:
        js = [Script("js/admin-slug.js", type="module")]

    list_display = ["name", "slug", "job_title", "user", "has_photo"]
    list_select_related = ["user"]
    list_filter = [("user", admin.EmptyFieldListFilter)]
    search_fields = ["name", "job_title"]
    prepopulated_fields = {"slug": ["name"]}
    raw_id_fields = ["user"]
    # The photo is chosen from the library as a story's lead picture is.
    fields = ["name", "slug", "job_title", "bio", "picture_preview", "picture", "user"]
    autocomplete_fields = ["picture"]
    readonly_fields = ["picture_preview"]

    @admin.display(description=_("photo"), boolean=True, ordering="picture")
    def has_photo(self, author: Author) -> bool:
        return author.picture_id is not None

    @admin.display(description=_("preview"))
    def picture_preview(self, author: Author) -> str:
        return ArticleAdmin.picture_preview(self, author)  # type: ignore[arg-type]


@admin.register(WireService)
class WireServiceAdmin(AllowlistedLookupsMixin, admin.ModelAdmin):
    list_display = ["name", "credit", "slug", "website"]
    search_fields = ["name", "credit"]
    prepopulated_fields = {"slug": ["name"]}


# taggit registers its own TagAdmin; its "merge tags" screen checks no permission at all.
admin.site.unregister(Tag)


@admin.register(Tag)
class NewsroomTagAdmin(AllowlistedLookupsMixin, TagAdmin):
    """taggit's tag admin, with merging kept to those who may change and add tags."""

    def has_merge_permission(self, request: HttpRequest) -> bool:
        # A merge re-points the stories' tag links and may create the merged tag.
        return self.has_change_permission(request) and self.has_add_permission(request)

    @admin.action(permissions=["merge"], description=_("Merge selected tags"))
    def render_tag_form(self, request, queryset):
        return super().render_tag_form(request, queryset)

    def merge_tags_view(self, request):
        if not self.has_merge_permission(request):
            raise PermissionDenied
        changelist = reverse(f"{self.admin_site.name}:taggit_tag_changelist")
        chosen = str(request.session.get("selected_tag_ids", "")).split(",")
        tags = list(Tag.objects.filter(pk__in=[int(pk) for pk in chosen if pk.isdigit()]))
        if not tags:
            self.message_user(
                request, _("Choose the tags to merge in the list first."), messages.WARNING
            )
            return redirect(changelist)
        form = MergeTagsForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            with transaction.atomic():
                target, _created = Tag.objects.get_or_create(name=form.cleaned_data["new_tag_name"])
                for item in TaggedItem.objects.filter(tag__in=tags).exclude(tag=target):
                    duplicate = TaggedItem.objects.filter(
                        tag=target, content_type=item.content_type_id, object_id=item.object_id
                    )
                    if duplicate.exists():
                        item.delete()
                    else:
                        item.tag = target
                        item.save()
            request.session.pop("selected_tag_ids", None)
            self.message_user(
                request,
                _("The tags were merged into “%(name)s”.") % {"name": target.name},
                messages.SUCCESS,
            )
            return redirect(changelist)
        context = {**self.admin_site.each_context(request), "form": form}
        return render(request, "admin/taggit/merge_tags_form.html", context)


from articles.wire import admin as wire_admin  # noqa: E402, F401  (the wire desk)
