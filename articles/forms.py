"""The editorial admin's article form: who may publish, and no lost updates."""

from typing import TYPE_CHECKING

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import get_text_list
from django.utils.translation import gettext_lazy as _

from articles.images import ImageUploadField
from articles.models import Article

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DRAFTING_STATUSES = [Article.Status.DRAFT, Article.Status.REVIEW]
# taggit's Tag.name column.
TAG_MAX_LENGTH = 100


def display_name(user) -> str:
    if user is None:
        return str(_("someone"))
    return user.get_full_name() or user.get_username()


class ArticleAdminForm(forms.ModelForm):
    """The article form; the admin sets `can_publish` on the class it builds per request."""

    # The Article.version this form was loaded with, sent back on save.
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    can_publish = False

    class Meta:
        model = Article
        fields = [
            "headline",
            "slug",
            "standfirst",
            "body",
            "section",
            "tags",
            "dateline",
            "wire_service",
            "wire_attribution",
            "wire_story_id",
            "image",
            "image_alt",
            "image_caption",
            "image_credit",
            "status",
            "publish_at",
            "updated_at",
        ]
        field_classes = {"image": ImageUploadField}
        help_texts = {
            "tags": _("Separate tags with commas. Quote a tag that has a comma in it."),
        }
        error_messages = {
            "slug": {"unique": _("Another story already uses this slug. Choose a different one.")},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["loaded_version"].initial = self.instance.version
        status = self.fields.get("status")
        if status is not None and not self.can_publish:
            status.choices = [(s.value, s.label) for s in DRAFTING_STATUSES]
            status.error_messages["invalid_choice"] = _(
                "Only editors can publish. Choose “Draft” or “In review”."
            )

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
        if not self.can_publish:
            self.check_drafting_rights()
        if not self.instance._state.adding:
            self.check_version()
        return cleaned_data

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
