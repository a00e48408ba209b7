"""The editorial admin's article form: who may publish, the desk's publishing actions, and no
lost updates."""

from typing import TYPE_CHECKING

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import get_text_list
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from articles.images import ImageUploadField
from articles.models import (
    CANONICAL_URL_MAX,
    DESCRIPTION_RECOMMENDED,
    SEO_TITLE_RECOMMENDED,
    SOCIAL_TITLE_RECOMMENDED,
    Article,
    Picture,
    validate_canonical_url,
)
from articles.videofiles import VideoUploadField
from articles.videos import Video

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DRAFTING_STATUSES = [Article.Status.DRAFT, Article.Status.REVIEW]
# Google shows headlines up to 110 characters; a standfirst reads best in one or two sentences.
HEADLINE_LIMIT = 110
STANDFIRST_RECOMMENDED = 220


class Action(models.TextChoices):
    """The buttons under the story form: what the save does to the story's status."""

    SAVE = "save", _("Save")
    DRAFT = "draft", _("Save draft")
    REVIEW = "review", _("Submit for review")
    PUBLISH = "publish", _("Publish now")
    SCHEDULE = "schedule", _("Schedule")
    UNPUBLISH = "unpublish", _("Unpublish")
    UPDATE = "update", pgettext_lazy("story action", "Update")
    SEND_BACK = "send_back", _("Send back to the reporter")


# What only editors (the publish permission) may do.
PUBLISHING_ACTIONS = {
    Action.PUBLISH,
    Action.SCHEDULE,
    Action.UNPUBLISH,
    Action.UPDATE,
    Action.SEND_BACK,
}
# Admin date-time boxes: one box, in the site's time zone, to the minute (seconds accepted).
LOCAL_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


def actions_for(article: Article | None, can_publish: bool) -> list[Action]:
    """The publishing buttons a user sees for a story (None: a new one), in their order."""
    in_review = article is not None and article.status == Article.Status.REVIEW
    if not can_publish:
        return [Action.SAVE, Action.DRAFT] if in_review else [Action.DRAFT, Action.REVIEW]
    if article is not None and article.is_published():
        return [Action.UPDATE, Action.UNPUBLISH]
    if article is not None and article.is_scheduled():
        return [Action.SCHEDULE, Action.PUBLISH, Action.UNPUBLISH]
    if in_review:
        return [Action.SAVE, Action.PUBLISH, Action.SCHEDULE, Action.SEND_BACK]
    return [Action.DRAFT, Action.PUBLISH, Action.SCHEDULE]


class LocalDateTimeInput(forms.DateTimeInput):
    """The browser's own date and time picker, in the site's zone."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=LOCAL_INPUT_FORMATS[0])


# taggit's Tag.name column.
TAG_MAX_LENGTH = 100


def display_name(user) -> str:
    if user is None:
        return str(_("someone"))
    return user.get_full_name() or user.get_username()


class CanonicalURLField(forms.CharField):
    """An absolute http(s) address, taken as typed: Django's URLField would prefix a relative
    path or a bare word with "https://" and accept it."""

    widget = forms.URLInput
    default_validators = [validate_canonical_url]

    def __init__(self, *, assume_scheme=None, **kwargs):
        kwargs["max_length"] = CANONICAL_URL_MAX
        super().__init__(**kwargs)


def counted(recommended: int, rows: int = 0) -> forms.Widget:
    """A box with a live count of its characters against the recommended length."""
    attrs = {"data-count-recommended": recommended, "class": "desk-wide"}
    if rows:
        return forms.Textarea(attrs={**attrs, "rows": rows})
    return forms.TextInput(attrs=attrs)


class ArticleAdminForm(forms.ModelForm):
    """The article form; the admin sets `can_publish` on the class it builds per request."""

    # The Article.version this form was loaded with, sent back on save.
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # The button pressed (see Action); without one, the status field says what to do.
    publishing = forms.ChoiceField(choices=Action.choices, required=False, widget=forms.HiddenInput)
    send_back_note = forms.CharField(
        label=_("Note to the reporter"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed to send the story back: what to change. Kept in its history."),
    )

    can_publish = False

    class Meta:
        model = Article
        fields = [
            "headline",
            "slug",
            "standfirst",
            "body",
            "section",
            "label",
            "tags",
            "dateline",
            "language",
            "translation",
            "wire_service",
            "wire_attribution",
            "wire_story_id",
            "picture",
            "status",
            "publish_at",
            "updated_at",
            "seo_title",
            "meta_description",
            "social_title",
            "social_description",
            "canonical_url",
        ]
        field_classes = {"canonical_url": CanonicalURLField}
        widgets = {
            "headline": forms.TextInput(
                attrs={"data-count-limit": HEADLINE_LIMIT, "class": "desk-wide"}
            ),
            "standfirst": forms.Textarea(
                attrs={
                    "rows": 3,
                    "data-count-recommended": STANDFIRST_RECOMMENDED,
                    "class": "desk-wide",
                }
            ),
            "status": forms.HiddenInput,
            "seo_title": counted(SEO_TITLE_RECOMMENDED),
            "meta_description": counted(DESCRIPTION_RECOMMENDED, rows=2),
            "social_title": counted(SOCIAL_TITLE_RECOMMENDED),
            "social_description": counted(DESCRIPTION_RECOMMENDED, rows=2),
        }
        help_texts = {
            "tags": _("Separate tags with commas. Quote a tag that has a comma in it."),
        }
        error_messages = {
            "slug": {"unique": _("Another story already uses this slug. Choose a different one.")},
            "translation": {
                "unique": _(
                    "That story is already linked to another translation: unlink it there first."
                )
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["loaded_version"].initial = self.instance.version
        self.status_before = self.instance.status if self.instance.pk else None
        for name in ("publish_at", "updated_at"):
            if split := self.fields.get(name):  # the admin's two boxes become one picker
                self.fields[name] = forms.DateTimeField(
                    label=split.label,
                    help_text=split.help_text,
                    required=False,
                    widget=LocalDateTimeInput(),
                    input_formats=LOCAL_INPUT_FORMATS,
                )
        status = self.fields.get("status")
        if status is not None and not self.can_publish:
            status.choices = [(s.value, s.label) for s in DRAFTING_STATUSES]
            status.error_messages["invalid_choice"] = _(
                "Only editors can publish. Choose “Draft” or “In review”."
            )

    def clean_publish_at(self):
        return self.kept_to_the_second("publish_at")

    def clean_updated_at(self):
        return self.kept_to_the_second("updated_at")

    def kept_to_the_second(self, name: str):
        """The box shows minutes: a time sent back unchanged keeps its stored seconds."""
        value, stored = self.cleaned_data.get(name), getattr(self.instance, name)
        if value and stored and value == stored.replace(second=0, microsecond=0):
            return stored
        return value

    def clean_tags(self) -> list[str]:
        """At most TAGS_PER_STORY tags of at most TAG_MAX_LENGTH characters: each tag costs
        work on every save, and a longer name does not fit its column."""
        tags = self.cleaned_data.get("tags") or []
        limit = settings.TAGS_PER_STORY
        if len(tags) > limit:
            raise ValidationError(
                _("A story may have at most %(limit)s tags; this one has %(count)s."),
                code="too_many_tags",
                params={"limit": limit, "count": len(tags)},
            )
        too_long = [tag for tag in tags if len(tag) > TAG_MAX_LENGTH]
        if too_long:
            raise ValidationError(
                _("A tag may be at most %(limit)s characters long: “%(tag)s…” is longer."),
                code="tag_too_long",
                params={"limit": TAG_MAX_LENGTH, "tag": too_long[0][:40]},
            )
        return tags

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("publishing"):
            self.apply_action(Action(cleaned_data["publishing"]))
        if not self.can_publish:
            self.check_drafting_rights()
        self.check_update_time()
        if not self.instance._state.adding:
            self.check_version()
        return cleaned_data

    def apply_action(self, action: Action) -> None:
        """Set the status and publishing time the pressed button asks for, if the user may."""
        if action in PUBLISHING_ACTIONS and not self.can_publish:
            raise ValidationError(
                _("Only editors can publish, schedule, update or unpublish a story."),
                code="publish",
            )
        data, stored = self.cleaned_data, self.instance
        now = timezone.now()
        match action:
            case Action.SAVE:  # as it stands: a story in review stays in review
                if self.status_before == Article.Status.PUBLISHED:
                    raise ValidationError(
                        _("Save a published story with Update."), code="save_published"
                    )
                data["status"] = self.status_before or Article.Status.DRAFT
            case Action.DRAFT | Action.REVIEW:
                data["status"] = action.value
            case Action.UNPUBLISH:
                data["status"] = Article.Status.DRAFT
            case Action.PUBLISH:
                data["status"] = Article.Status.PUBLISHED
                # A story published once keeps the date it first went out (its address).
                first = stored.publish_at if stored.pk else None
                data["publish_at"] = first if first is not None and first <= now else now
            case Action.SCHEDULE:
                when = data.get("publish_at")
                if when is None or when <= now:
                    self.add_error(
                        "publish_at",
                        ValidationError(
                            _("Choose a time in the future to schedule the story."),
                            code="schedule_in_past",
                        ),
                    )
                data["status"] = Article.Status.PUBLISHED
            case Action.SEND_BACK:
                if self.status_before != Article.Status.REVIEW:
                    raise ValidationError(
                        _("Only a story in review can be sent back."), code="send_back_status"
                    )
                if not (data.get("send_back_note") or "").strip():
                    self.add_error(
                        "send_back_note",
                        ValidationError(
                            _("Tell the reporter what to change."), code="send_back_note"
                        ),
                    )
                data["status"] = Article.Status.DRAFT
            case Action.UPDATE:
                if not stored.pk or not Article.objects.published().filter(pk=stored.pk).exists():
                    raise ValidationError(
                        _("Only a published story can be updated; publish or schedule it."),
                        code="update_unpublished",
                    )
                data["status"] = Article.Status.PUBLISHED

    def check_update_time(self) -> None:
        """An update shown to readers comes after the first publication, never at it."""
        updated, published = (
            self.cleaned_data.get("updated_at"),
            self.cleaned_data.get("publish_at", self.instance.publish_at),
        )
        if updated and published and updated <= published and "updated_at" in self.changed_data:
            self.add_error(
                "updated_at",
                ValidationError(
                    _("The update time must be later than the first publication."),
                    code="update_before_publication",
                ),
            )

    def check_drafting_rights(self) -> None:
        """A user who may not publish keeps to drafts and stories in review."""
        if (
            self.instance.pk
            and Article.objects.filter(
                pk=self.instance.pk, status=Article.Status.PUBLISHED
            ).exists()
        ):
            raise ValidationError(
                _("Only editors can change a published story."), code="published_story"
            )
        # The admin leaves publish_at out of the form for these users; this guards other forms.
        if self.cleaned_data.get("publish_at") and "publish_at" in self.changed_data:
            self.add_error(
                "publish_at",
                ValidationError(_("Only editors can schedule a story."), code="schedule"),
            )

    def check_version(self) -> None:
        """Refuse to save over a version of the story this form has not seen."""
        current = self.instance  # fetched when the request came in
        if self.cleaned_data.get("loaded_version") == current.version:
            return
        fields: list[StrOrPromise] = [
            str(self.fields[name].label)
            for name in self.changed_data
            if name in self.fields and name != "loaded_version"
        ]
        # Show the current version number from now on: saving again replaces theirs, deliberately.
        data = self.data.copy()  # type: ignore[attr-defined]  # the POST QueryDict
        data[self.add_prefix("loaded_version")] = str(current.version)
        self.data = data
        raise ValidationError(
            _(
                "%(who)s saved this story at %(when)s, after you opened it, so your changes "
                "were not saved. Fields that differ from the saved story: %(fields)s. "
                "Your text is still below. Check the saved story (open it in another tab or "
                "compare in its history); saving again will replace it with what is below."
            ),
            code="stale",
            params={
                "who": display_name(current.modified_by),
                "when": date_format(timezone.localtime(current.modified_at), "DATETIME_FORMAT"),
                "fields": get_text_list(fields, _("and")) if fields else _("none"),
            },
        )


class PictureAdminForm(forms.ModelForm):
    """A library picture: its file through the upload checks, the focal point as two numbers
    that a click on the preview fills (static/js/admin-focal-point.js)."""

    class Meta:
        model = Picture
        fields = ["file", "alt", "caption", "credit", "usage_note", "focal_x", "focal_y"]
        field_classes = {"file": ImageUploadField}
        widgets = {
            "alt": forms.TextInput(attrs={"class": "desk-wide"}),
            "caption": forms.TextInput(attrs={"class": "desk-wide"}),
            "usage_note": forms.Textarea(attrs={"rows": 2}),
            "focal_x": forms.NumberInput(attrs={"min": 0, "max": 1, "step": "any"}),
            "focal_y": forms.NumberInput(attrs={"min": 0, "max": 1, "step": "any"}),
        }

    def clean_alt(self) -> str:
        alt = self.cleaned_data["alt"].strip()
        if not alt:
            raise forms.ValidationError(
                _("Describe the picture for readers who cannot see it."), code="required"
            )
        return alt


class VideoAdminForm(forms.ModelForm):
    """A library video: its file through the content checks (articles/videofiles.py), which also
    read its size and duration from the container."""

    class Meta:
        model = Video
        fields = ["file", "title", "poster", "caption", "credit"]
        field_classes = {"file": VideoUploadField}
        widgets = {
            "title": forms.TextInput(attrs={"class": "desk-wide"}),
            "caption": forms.TextInput(attrs={"class": "desk-wide"}),
        }

    def clean(self):
        cleaned_data = super().clean()
        facts = getattr(cleaned_data.get("file"), "video_facts", None)
        if facts is not None:
            self.instance.width, self.instance.height = facts.width, facts.height
            self.instance.duration = facts.duration
        return cleaned_data
