"""A live page's entries, and what readers and the polling script are shown of them."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_prose_editor.fields import ProseEditorField

from articles.models import Article, Author
from articles.richtext import BODY_EXTENSIONS, has_text, sanitize_body


class EntryQuerySet(models.QuerySet["LiveEntry"]):
    def shown(self) -> "EntryQuerySet":
        """What readers see: posted, not deleted."""
        return self.filter(status=LiveEntry.Status.POSTED, deleted_at__isnull=True)

    def changed_since(self, moment: datetime) -> "EntryQuerySet":
        """Posted entries changed (posted, edited, pinned, deleted) after the moment, with a
        margin: a save that committed late keeps the time it was made, so a reader who polled
        between the two still gets it (the script drops what it already holds)."""
        since = moment - timedelta(seconds=settings.LIVE_POLL_OVERLAP_SECONDS)
        return self.filter(status=LiveEntry.Status.POSTED, changed_at__gt=since)

    def for_readers(self) -> "EntryQuerySet":
        return self.prefetch_related(
            models.Prefetch("authors", queryset=Author.objects.only("name", "slug"))
        )


class LiveEntry(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        POSTED = "posted", _("Posted")

    article = models.ForeignKey(
        Article, verbose_name=_("story"), on_delete=models.CASCADE, related_name="live_entries"
    )
    posted_at = models.DateTimeField(
        _("time"), default=timezone.now, help_text=_("Set when posted; can be changed.")
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    body = ProseEditorField(_("text"), extensions=BODY_EXTENSIONS, sanitize=True, blank=True)
    image = models.ImageField(
        _("picture"),
        upload_to="live/%Y/%m/",
        blank=True,
        width_field="image_width",
        height_field="image_height",
    )
    image_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    image_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    image_alt = models.CharField(
        _("alt text"),
        max_length=250,
        blank=True,
        help_text=_("Describes the picture for readers who cannot see it."),
    )
    image_credit = models.CharField(_("picture credit"), max_length=120, blank=True)
    authors = models.ManyToManyField(
        Author, verbose_name=_("authors"), related_name="live_entries", blank=True
    )
    key_event = models.BooleanField(
        _("key event"), default=False, help_text=_("Listed among the key events above the stream.")
    )
    pinned = models.BooleanField(
        _("pinned"), default=False, help_text=_("Kept at the top of the page.")
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.POSTED
    )
    # Shown to readers as "edited at …" once the text changes after posting.
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True, editable=False)
    # Gone for readers, kept for the newsroom's history.
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True, editable=False)
    # Every change, for the polling script; `version` tells it whether it holds the latest.
    changed_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("posted by"),
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
    )

    objects = EntryQuerySet.as_manager()

    class Meta:
        ordering = ["-posted_at", "-pk"]
        verbose_name = _("live update")
        verbose_name_plural = _("live updates")
        indexes = [
            # A page of the stream, newest or oldest first, without reading the rest of it.
            models.Index(
                fields=["article", "-posted_at", "-id"],
                condition=Q(status="posted", deleted_at__isnull=True),
                name="live_entry_stream_idx",
            ),
            # The pinned update and the key events, however far back in a long stream.
            models.Index(
                fields=["article", "-posted_at"],
                condition=Q(status="posted", deleted_at__isnull=True)
                & (Q(key_event=True) | Q(pinned=True)),
                name="live_entry_highlights_idx",
            ),
            models.Index(fields=["article", "changed_at"], name="live_entry_changes_idx"),
        ]

    def __str__(self) -> str:
        return self.title or self.posted_at.isoformat(timespec="minutes")

    def save(self, *args, **kwargs):
        self.body = sanitize_body(self.body or "")
        self.changed_at = timezone.now()
        if not self._state.adding:
            self.version += 1
        super().save(*args, **kwargs)

    def clean(self):
        errors = {}
        if not has_text(self.body or "") and not self.image:
            errors["body"] = _("Write the update, or add a picture.")
        if self.image and not self.image_alt.strip():
            errors["image_alt"] = _("Describe the picture for readers who cannot see it.")
        if errors:
            raise ValidationError(errors)

    def anchor(self) -> str:
        return f"update-{self.pk}"

    def is_shown(self) -> bool:
        return self.status == self.Status.POSTED and self.deleted_at is None
