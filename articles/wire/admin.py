"""The wire desk in the admin: incoming agency items newest first, a readable preview, *Use as
story*, the changes of an updated item and applying them, and the sources copy comes from.

Editors (`articles.change_wireitem` and `articles.add_article`) use items; the story form
tells a story's editors when its agency updated, withheld or killed the item it came from.
"""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from articles.models import Article, Section
from articles.wire.models import WireItem, WireSource
from articles.wire.polling import masked
from articles.wire.stories import (
    apply_update,
    changes,
    embargo_message,
    embargo_until,
    make_story,
)
from newsroom.admin_lookups import AllowlistedLookupsMixin

ALERT_DAYS = timedelta(days=2)


class UsedFilter(admin.SimpleListFilter):
    title = _("used")
    parameter_name = "used"

    def lookups(self, request, model_admin):
        return [
            ("yes", _("Used for a story")),
            ("no", _("Not used")),
            ("attention", _("Needs attention (updated, withheld or killed)")),
        ]

    def queryset(self, request, queryset):
        match self.value():
            case "yes":
                return queryset.used()
            case "no":
                return queryset.filter(article__isnull=True)
            case "attention":
                return queryset.needing_attention()
        return queryset


def alert(item: WireItem) -> str:
    """What a story's editors must know about the item it came from, if anything."""
    agency = item.service.credit
    when = date_format(timezone.localtime(item.received_at), "TIME_FORMAT")
    if item.pub_status == WireItem.PubStatus.CANCELED:
        return _("%(agency)s killed this item at %(time)s: the story was withdrawn.") % {
            "agency": agency,
            "time": when,
        }
    if item.pub_status == WireItem.PubStatus.WITHHELD:
        return _(
            "%(agency)s withheld this item at %(time)s: the story stays until an editor decides."
        ) % {"agency": agency, "time": when}
    used = item.used_version
    if used is not None and used.version_key < item.version_key:
        if item.is_correction:
            return _("%(agency)s corrected this item %(time)s") % {"agency": agency, "time": when}
        return _("%(agency)s updated this item %(time)s") % {"agency": agency, "time": when}
    return ""


class UseAsStoryForm(forms.Form):
    section = forms.ModelChoiceField(
        label=_("Section"), queryset=Section.objects.all(), empty_label=_("Choose a section")
    )


@admin.register(WireItem)
class WireItemAdmin(AllowlistedLookupsMixin, admin.ModelAdmin):
    list_display = [
        "desk_headline",
        "service",
        "urgency",
        "language",
        "pub_status",
        "is_used",
        "received_at",
    ]
    list_filter = ["service", "urgency", "language", "pub_status", UsedFilter]
    search_fields = ["headline", "body", "guid", "byline", "dateline"]
    list_select_related = ["service", "article", "used_version"]
    ordering = ["-received_at", "-pk"]
    list_per_page = 50
    show_facets = admin.ShowFacets.NEVER  # a count per filter choice costs a query each
    preview_template = "admin/articles/wireitem/preview.html"
    changes_template = "admin/articles/wireitem/changes.html"

    @admin.display(description=_("headline"), ordering="headline")
    def desk_headline(self, item: WireItem):
        marks = []
        if item.is_correction:
            marks.append(str(_("correction")))
        if item.is_embargoed():
            marks.append(str(_("embargoed")))
        suffix = f" ({', '.join(marks)})" if marks else ""
        return format_html("{}{}", item.headline or item.guid, suffix)

    @admin.display(description=_("used"), boolean=True)
    def is_used(self, item: WireItem) -> bool:
        return item.article_id is not None

    # Items are the agency's: kept as received, never added or deleted by hand.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:object_id>/use/", wrap(self.use_view), name="articles_wireitem_use"),
            path(
                "<int:object_id>/changes/",
                wrap(self.changes_view),
                name="articles_wireitem_changes",
            ),
            path("<int:object_id>/apply/", wrap(self.apply_view), name="articles_wireitem_apply"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        # The desk alerts editors to items used for stories that the agency changed lately
        # (the "needs attention" filter lists them all).
        if request.method == "GET":
            lately = timezone.now() - ALERT_DAYS
            attention = WireItem.objects.needing_attention().filter(received_at__gte=lately)
            for item in attention.select_related("service", "article", "used_version")[:10]:
                if text := alert(item):
                    link = reverse("admin:articles_wireitem_change", args=[item.pk])
                    messages.warning(
                        request,
                        format_html('{} — <a href="{}">{}</a>', text, link, item.article),
                    )
        extra_context = {"title": _("Wire desk"), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def item_or_404(self, request, object_id) -> WireItem:
        if not self.has_view_permission(request):
            raise PermissionDenied
        if not str(object_id).isdigit():  # the admin's change address takes any path
            raise Http404
        queryset = WireItem.objects.select_related("service", "article", "used_version")
        return get_object_or_404(queryset, pk=object_id)

    def can_use(self, request) -> bool:
        return request.user.has_perm("articles.add_article") and self.has_change_permission(request)

    def can_apply(self, request, item: WireItem) -> bool:
        article = item.article
        if article is None or not request.user.has_perm("articles.change_article"):
            return False
        return article.status != Article.Status.PUBLISHED or request.user.has_perm(
            "articles.publish_article"
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        item = self.item_or_404(request, object_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "item": item,
            "title": item.headline or item.guid,
            "versions": list(item.versions.all()[:50]),
            "alert": alert(item) if item.article_id else "",
            "form": UseAsStoryForm(),
            "can_use": self.can_use(request)
            and item.pub_status == WireItem.PubStatus.USABLE
            and item.article_id is None,
            "can_apply": self.can_apply(request, item),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.preview_template, context)

    def use_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.can_use(request):
            raise PermissionDenied
        item = self.item_or_404(request, object_id)
        form = UseAsStoryForm(request.POST)
        back = reverse("admin:articles_wireitem_change", args=[item.pk])
        if not form.is_valid():
            messages.error(request, _("Choose the story's section."))
            return redirect(back)
        try:
            article, note = make_story(item, form.cleaned_data["section"], request.user)
        except ValueError as refusal:
            messages.error(request, str(refusal))
            return redirect(back)
        messages.success(
            request,
            _("A draft was made from the agency's item. Check it, then publish it."),
        )
        if note:
            messages.warning(request, note)
        return redirect(reverse("admin:articles_article_change", args=[article.pk]))

    def changes_view(self, request, object_id):
        item = self.item_or_404(request, object_id)
        versions = item.versions.all()
        chosen = request.GET.get("from", "")
        if chosen.isdigit():
            older = versions.filter(pk=chosen).first()
        elif item.used_version_id:
            older = item.used_version
        else:
            older = versions.filter(version_key__lt=item.version_key).first()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "item": item,
            "older": older,
            "title": _("Changes to the agency's item"),
            "changes": changes(older, item),
            "can_apply": self.can_apply(request, item)
            and item.pub_status == WireItem.PubStatus.USABLE,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.changes_template, context)

    def apply_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        item = self.item_or_404(request, object_id)
        if not self.can_apply(request, item) or item.pub_status != WireItem.PubStatus.USABLE:
            raise PermissionDenied
        article = apply_update(item, request.user)
        messages.success(request, _("The agency's latest version is now in the story."))
        return redirect(reverse("admin:articles_article_change", args=[article.pk]))


class WireSourceForm(forms.ModelForm):
    """Stored credentials are write-only: the form shows their last characters at most, and an
    empty field keeps them."""

    stored_credentials = forms.CharField(
        label=_("stored credentials"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "user:password for basic, the token for bearer. Leave empty to keep what is stored; "
            "prefer an environment variable."
        ),
    )
    forget_credentials = forms.BooleanField(
        label=_("forget the stored credentials"), required=False
    )

    class Meta:
        model = WireSource
        fields = [
            "service",
            "name",
            "kind",
            "location",
            "format",
            "interval_minutes",
            "auth",
            "credentials_env",
            "stored_credentials",
            "active",
            "auto_publish_section",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stored = self.instance.stored_credentials if self.instance.pk else ""
        if self.stored:
            self.fields["stored_credentials"].help_text = _(
                "Stored: %(masked)s. Type new ones to replace them, or leave empty to keep them."
            ) % {"masked": masked(self.stored)}

    def clean_stored_credentials(self) -> str:
        if self.data.get(self.add_prefix("forget_credentials")):
            return ""
        return self.cleaned_data["stored_credentials"] or self.stored

    def clean(self):
        cleaned = super().clean()
        kind, location = cleaned.get("kind"), cleaned.get("location") or ""
        if kind == WireSource.Kind.URL and not location.startswith(("http://", "https://")):
            self.add_error("location", _("An address starts with http:// or https://."))
        if kind == WireSource.Kind.FOLDER and not location.startswith("/"):
            self.add_error("location", _("A folder is given by its full path, from /."))
        if cleaned.get("auth") and not (
            cleaned.get("credentials_env") or cleaned.get("stored_credentials")
        ):
            self.add_error(
                "credentials_env",
                _("Name an environment variable or store the credentials."),
            )
        return cleaned


@admin.register(WireSource)
class WireSourceAdmin(AllowlistedLookupsMixin, admin.ModelAdmin):
    form = WireSourceForm
    list_display = [
        "name",
        "service",
        "kind",
        "format",
        "interval_minutes",
        "active",
        "last_polled_at",
        "last_result",
    ]
    list_filter = ["service", "kind", "active"]
    search_fields = ["name", "location"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "service",
                    "name",
                    "kind",
                    "location",
                    "format",
                    "interval_minutes",
                    "active",
                ]
            },
        ),
        (
            _("Credentials"),
            {"fields": ["auth", "credentials_env", "stored_credentials", "forget_credentials"]},
        ),
        (_("Auto-publish"), {"classes": ["collapse"], "fields": ["auto_publish_section"]}),
    ]


def story_alerts(article_pk) -> list[tuple[str, str]]:
    """The alerts for a story's editors, each with the link to the item's changes."""
    items = WireItem.objects.needing_attention().filter(article=article_pk)
    found = []
    for item in items.select_related("service", "used_version"):
        if text := alert(item):
            found.append((text, reverse("admin:articles_wireitem_changes", args=[item.pk])))
    return found


def tell_story_editors(article_admin_class):
    """The story admin, telling its editors on the story form when the agency changed the item
    the story came from ("Reuters updated this item 14:32 — see changes")."""

    class WireAwareArticleAdmin(article_admin_class):
        def change_view(self, request, object_id, form_url="", extra_context=None):
            if request.method == "GET" and str(object_id).isdigit():
                for text, link in story_alerts(int(object_id)):
                    messages.warning(
                        request,
                        format_html('{} — <a href="{}">{}</a>', text, link, _("see changes")),
                    )
            return super().change_view(request, object_id, form_url, extra_context)

        if hasattr(article_admin_class, "publish_now"):

            @admin.action(permissions=["publish"], description=_("Publish now"))
            def publish_now(self, request, queryset):
                # "Now" would break an agency's embargo: those stories are left as they are.
                held = []
                for article in queryset.filter(wire_items__embargo__gt=timezone.now()).distinct():
                    if (embargo := embargo_until(article.pk)) is not None:
                        held.append(article.pk)
                        messages.error(request, f"{article}: {embargo_message(embargo)}")
                return super().publish_now(request, queryset.exclude(pk__in=held))

    WireAwareArticleAdmin.__name__ = article_admin_class.__name__
    WireAwareArticleAdmin.__qualname__ = article_admin_class.__qualname__
    return WireAwareArticleAdmin


_story_admin = type(admin.site._registry[Article])
admin.site.unregister(Article)
admin.site.register(Article, tell_story_editors(_story_admin))
