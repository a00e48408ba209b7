from django.db import models
from django.utils.translation import gettext_lazy as _

from articles.embeds.providers import BY_SLUG

PROVIDER_CHOICES = [(slug, provider.name) for slug, provider in BY_SLUG.items()]


class Embed(models.Model):
    """What we learnt once of an embedded item (a video, a post), shown before it is loaded."""

    url = models.URLField(_("address"), max_length=500, unique=True)
    provider = models.CharField(_("provider"), max_length=20, choices=PROVIDER_CHOICES)
    title = models.CharField(_("title"), max_length=300, blank=True)
    author_name = models.CharField(_("author"), max_length=200, blank=True)
    # Re-encoded by us and served from our own storage: the reader's browser asks the provider
    # for nothing until they choose to load the embed.
    thumbnail = models.ImageField(
        _("thumbnail"),
        upload_to="embeds/",
        blank=True,
        width_field="thumbnail_width",
        height_field="thumbnail_height",
    )
    # Kept with the row, so a page prints the picture's size without opening the file.
    thumbnail_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    thumbnail_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    fetched_at = models.DateTimeField(_("fetched at"), null=True, blank=True)
    error = models.CharField(
        _("error"),
        max_length=300,
        blank=True,
        help_text=_("Why the provider's details could not be read the last time we asked."),
    )

    class Meta:
        app_label = "articles"
        ordering = ["-fetched_at"]
        verbose_name = _("embed")
        verbose_name_plural = _("embeds")

    def __str__(self) -> str:
        return self.title or self.url
