"""The media library: pictures stored once, described once, and shown by any number of stories.

A picture carries what every use of it needs: the file (re-encoded without its metadata on
upload, articles/images.py), the text that describes it to readers who cannot see it, its
caption and credit, the terms it may be used under, and the point that matters in it. Its
renditions (articles/renditions.py) are cut around that point in the shapes the site and
search engines use, off the request path (articles/tasks.py).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

FOCUS_RANGE = [MinValueValidator(0.0), MaxValueValidator(1.0)]


class LibraryItem(models.Model):
    """What the media library records of every item's arrival; newest first."""

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]


class Picture(LibraryItem):
    file = models.ImageField(
        _("file"),
        # The storage keeps names unique: a second "photo.jpg" gets a suffix, never overwrites.
        upload_to="pictures/%Y/%m/",
        width_field="width",
        height_field="height",
        help_text=_("A JPEG, PNG, GIF, WebP or AVIF; its camera data is removed on upload."),
    )
    width = models.PositiveIntegerField(_("width"), null=True, blank=True, editable=False)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True, editable=False)
    alt = models.CharField(
        _("alt text"),
        max_length=250,
        help_text=_(
            "Describes the picture for readers who cannot see it: what it shows, not who took it."
        ),
    )
    caption = models.CharField(
        _("caption"),
        max_length=300,
        blank=True,
        help_text=_("Printed under the picture wherever it is shown."),
    )
    credit = models.CharField(
        _("credit"),
        max_length=120,
        blank=True,
        help_text=_("Who took or owns the picture, as printed: “Foto: Inquam Photos”."),
    )
    usage_note = models.CharField(
        _("copyright and usage"),
        max_length=300,
        blank=True,
        help_text=_(
            "For the newsroom only: the licence, and where or until when the picture may be used."
        ),
    )
    focal_x = models.FloatField(
        _("focal point, across"),
        default=0.5,
        validators=FOCUS_RANGE,
        help_text=_("From 0 (left edge) to 1 (right edge). Click the picture to set it."),
    )
    focal_y = models.FloatField(
        _("focal point, down"),
        default=0.5,
        validators=FOCUS_RANGE,
        help_text=_("From 0 (top edge) to 1 (bottom edge). Click the picture to set it."),
    )
    renditions = models.JSONField(_("renditions"), default=dict, blank=True, editable=False)

    class Meta(LibraryItem.Meta):
        verbose_name = _("picture")
        verbose_name_plural = _("pictures")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(focal_x__gte=0, focal_x__lte=1, focal_y__gte=0, focal_y__lte=1),
                name="picture_focal_point_inside",
            ),
        ]

    def __str__(self) -> str:
        return self.alt

    def crop(self, shape: str) -> dict:
        """The renditions of one shape ("16:9", "4:3", "1:1"), or of its own shape with ""."""
        record = self.renditions or {}
        if not self.file or record.get("source") != self.file.name:
            return {}
        if not shape:
            return record
        return (record.get("crops") or {}).get(shape) or {}
