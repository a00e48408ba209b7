from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_prose_editor.fields import ProseEditorField

from articles.richtext import BODY_EXTENSIONS, sanitize_body


class PageQuerySet(models.QuerySet["Page"]):
    def published(self) -> "PageQuerySet":
        """Pages readers may see."""
        return self.filter(is_published=True)

    def in_footer(self) -> "PageQuerySet":
        return self.published().filter(in_footer=True).order_by("position", "title")


class Page(models.Model):
    """A page of the site that is not news: who we are, how to reach us, the rules."""

    title = models.CharField(_("title"), max_length=120)
    slug = models.SlugField(
        _("slug"), max_length=80, unique=True, help_text=_("Its address: /info/<slug>/.")
    )
    body = ProseEditorField(_("body"), extensions=BODY_EXTENSIONS, sanitize=True)
    is_published = models.BooleanField(_("published"), default=True)
    in_footer = models.BooleanField(
        _("in the footer"), default=True, help_text=_("Listed in every page's footer.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = PageQuerySet.as_manager()

    class Meta:
        ordering = ["position", "title"]
        verbose_name = _("page")
        verbose_name_plural = _("pages")

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        # Sanitized on every save, as a story's body is: imports and scripts too.
        self.body = sanitize_body(self.body or "")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("page", kwargs={"slug": self.slug})

    def key(self) -> str:
        return f"page:{self.pk}"
