"""The site's chrome: its settings, menus, ad slots, the front page's curation and the
breaking-news banner."""

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from newsroom.chrome.links import is_safe_link
from newsroom.pagecache import remembered
from newsroom.weather.models import TemperatureUnit

TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


class SiteSettings(models.Model):
    """The one row of settings editors manage in the admin."""

    Unit = TemperatureUnit
    # Bumped when the settings change (with every page, which shows them).
    KEY = "site-settings"

    city = models.CharField(
        _("city"),
        max_length=100,
        default="București",
        help_text=_(
            "As the header shows it. Saving a new city looks up its coordinates and time zone "
            "once, unless you change them yourself."
        ),
    )
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=8,
        decimal_places=4,
        default=44.4268,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
        help_text=_("Where the weather is measured, in degrees north (south is negative)."),
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=8,
        decimal_places=4,
        default=26.1025,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
        help_text=_("In degrees east (west is negative)."),
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="Europe/Bucharest"
    )
    temperature_unit = models.CharField(
        _("temperature unit"), max_length=1, choices=Unit.choices, default=Unit.CELSIUS
    )
    language = models.CharField(
        _("site language"), max_length=8, choices=settings.LANGUAGES, default="ro"
    )

    class Meta:
        db_table = "newsroom_sitesettings"
        verbose_name = _("site settings")
        verbose_name_plural = _("site settings")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="sitesettings_single_row")]

    def __str__(self) -> str:
        return str(_("Site settings"))

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> "SiteSettings":
        """The current settings, kept in the cache until they change."""
        return remembered("site-settings", [cls.KEY], cls._stored, timeless=True)

    @classmethod
    def _stored(cls) -> "SiteSettings":
        # Read, never made here: saving the row would bump the key of the value being read.
        # A database emptied since the migration made the row gets the defaults.
        return cls.objects.filter(pk=1).first() or cls(pk=1)


class Menu(models.Model):
    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(
        _("slug"), max_length=40, unique=True, help_text=_('Templates ask for "main" and "footer".')
    )

    class Meta:
        db_table = "newsroom_menu"
        ordering = ["name"]
        verbose_name = _("menu")
        verbose_name_plural = _("menus")

    def __str__(self) -> str:
        return self.name


class MenuItem(models.Model):
    menu = models.ForeignKey(Menu, on_delete=models.CASCADE, related_name="items")
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        help_text=_("Menus have one level of children."),
    )
    label = models.CharField(_("label"), max_length=80)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    section = models.ForeignKey(
        "articles.Section",
        verbose_name=_("section"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
    )
    tag = models.ForeignKey(
        "taggit.Tag", verbose_name=_("tag"), on_delete=models.CASCADE, null=True, blank=True
    )
    article = models.ForeignKey(
        "articles.Article",
        verbose_name=_("article"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
    )
    url = models.CharField(
        _("address"),
        max_length=300,
        blank=True,
        help_text=_("Any address, e.g. /search/ or https://…"),
    )

    class Meta:
        db_table = "newsroom_menuitem"
        ordering = ["position", "pk"]
        verbose_name = _("menu item")
        verbose_name_plural = _("menu items")

    def __str__(self) -> str:
        return self.label

    def clean(self):
        targets = [self.section_id, self.tag_id, self.article_id, self.url]
        if sum(bool(target) for target in targets) != 1:
            raise ValidationError(_("Link the item to exactly one section, tag, story or address."))
        if not is_safe_link(self.url):
            raise ValidationError(
                {"url": _("Use an address on this site, or one starting with https:// or mailto:.")}
            )
        if self.parent_id and self.parent.parent_id:
            raise ValidationError({"parent": _("Menus have only one level of children.")})


class AdSlotQuerySet(models.QuerySet):
    def active(self) -> "AdSlotQuerySet":
        """Slots switched on whose start has come and whose end has not."""
        now = timezone.now()
        return self.filter(
            Q(starts_at__isnull=True) | Q(starts_at__lte=now),
            Q(ends_at__isnull=True) | Q(ends_at__gt=now),
            is_active=True,
        )


class AdSlot(models.Model):
    class Placement(models.TextChoices):
        TOP = "top", _("Top banner")
        SIDEBAR = "sidebar", _("Sidebar")
        IN_STORY = "in_story", _("Inside the story")
        FOOTER = "footer", _("Footer")

    name = models.CharField(_("name"), max_length=100)
    placement = models.CharField(_("placement"), max_length=10, choices=Placement.choices)
    after_paragraph = models.PositiveSmallIntegerField(
        _("after paragraph"), default=3, help_text=_("For slots inside the story.")
    )
    image = models.ImageField(_("image"), upload_to="ads/", blank=True)
    image_alt = models.CharField(_("alt text"), max_length=200, blank=True)
    html = models.TextField(
        _("HTML snippet"), blank=True, help_text=_("Used when there is no image.")
    )
    link = models.URLField(_("link"), blank=True)
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = AdSlotQuerySet.as_manager()

    class Meta:
        db_table = "newsroom_adslot"
        ordering = ["placement", "name"]
        verbose_name = _("ad slot")
        verbose_name_plural = _("ad slots")

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if not self.image and not self.html.strip():
            raise ValidationError(_("Give the slot an image or an HTML snippet."))
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The end must come after the start.")})


# What an editor may put on the front page or in a banner: published or scheduled stories (a
# scheduled one shows once it goes live).
PUBLISHED_OR_SCHEDULED = {"status": "published"}


class FrontPage(models.Model):
    """The one row of the home page's curation: how many top stories, and what is dropped."""

    KEY = "front-page"

    top_count = models.PositiveSmallIntegerField(
        _("number of top stories"),
        default=4,
        validators=[MaxValueValidator(12)],
        help_text=_("Shown under the lead. Places no story is chosen for fill with the newest."),
    )
    dropped = models.ManyToManyField(
        "articles.Article",
        verbose_name=_("dropped from the front page"),
        blank=True,
        related_name="+",
        help_text=_(
            "These stories stay published but are not shown on the home page: not as lead, top "
            "story, in the latest or in a section block."
        ),
    )

    class Meta:
        verbose_name = _("front page")
        verbose_name_plural = _("front page")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="frontpage_single_row")]

    def __str__(self) -> str:
        return str(_("Front page"))

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)


class FrontPageStory(models.Model):
    """A story chosen for the lead (the first) or a top-story place, in order."""

    front_page = models.ForeignKey(FrontPage, on_delete=models.CASCADE, related_name="stories")
    article = models.ForeignKey(
        "articles.Article",
        verbose_name=_("story"),
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to=PUBLISHED_OR_SCHEDULED,
    )
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("The lowest is the lead; the others follow in order.")
    )
    until = models.DateTimeField(
        _("until"), null=True, blank=True, help_text=_("Leaves its place by itself at this time.")
    )

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("lead or top story")
        verbose_name_plural = _("lead and top stories")
        constraints = [
            models.UniqueConstraint(fields=["front_page", "article"], name="frontpage_story_once")
        ]

    def __str__(self) -> str:
        return str(self.article)


class SectionPin(models.Model):
    """A story held at the top of a section's block on the home page, until it expires."""

    front_page = models.ForeignKey(FrontPage, on_delete=models.CASCADE, related_name="pins")
    section = models.ForeignKey(
        "articles.Section", verbose_name=_("section"), on_delete=models.CASCADE, related_name="+"
    )
    article = models.ForeignKey(
        "articles.Article",
        verbose_name=_("story"),
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to=PUBLISHED_OR_SCHEDULED,
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    until = models.DateTimeField(
        _("until"), null=True, blank=True, help_text=_("The pin ends by itself at this time.")
    )

    class Meta:
        ordering = ["section", "position", "pk"]
        verbose_name = _("section pin")
        verbose_name_plural = _("section pins")
        constraints = [
            models.UniqueConstraint(fields=["section", "article"], name="section_pin_once")
        ]

    def __str__(self) -> str:
        return f"{self.section}: {self.article}"


class BreakingNewsQuerySet(models.QuerySet):
    def active(self) -> "BreakingNewsQuerySet":
        """Banners switched on whose start has come and whose end has not."""
        now = timezone.now()
        return self.filter(
            Q(ends_at__isnull=True) | Q(ends_at__gt=now), starts_at__lte=now, is_active=True
        )


class BreakingNews(models.Model):
    """The site-wide banner above every page while something breaks."""

    text = models.CharField(_("text"), max_length=200)
    article = models.ForeignKey(
        "articles.Article",
        verbose_name=_("story"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to=PUBLISHED_OR_SCHEDULED,
        help_text=_("The story or live page the banner leads to."),
    )
    url = models.CharField(
        _("address"), max_length=300, blank=True, help_text=_("Or any other address.")
    )
    starts_at = models.DateTimeField(_("starts"), default=timezone.now)
    ends_at = models.DateTimeField(
        _("ends"), null=True, blank=True, help_text=_("The banner goes by itself at this time.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = BreakingNewsQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-pk"]
        verbose_name = _("breaking news")
        verbose_name_plural = _("breaking news")

    def __str__(self) -> str:
        return self.text

    def clean(self):
        if self.article_id and self.url:
            raise ValidationError(_("Link the banner to a story or to an address, not both."))
        if not is_safe_link(self.url):
            raise ValidationError(
                {"url": _("Use an address on this site, or one starting with https:// or mailto:.")}
            )
        if self.ends_at and self.starts_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The end must come after the start.")})
