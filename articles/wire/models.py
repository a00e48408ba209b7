"""Agency items as they arrive: one row per item with its latest version, and every version
received kept beside it for audit and for the diff an editor sees when the agency updates it."""

import hashlib
import json
from datetime import UTC, datetime

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Items with no version number (RSS, Atom) are ordered by their time alone.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class WireSource(models.Model):
    """Where a wire service's copy comes from: a drop folder or an HTTP(S) address."""

    class Kind(models.TextChoices):
        FOLDER = "folder", _("Drop folder on disk")
        URL = "url", _("HTTP(S) address")

    class Format(models.TextChoices):
        AUTO = "auto", _("Detect from the content")
        NINJS = "ninjs", _("ninjs (JSON)")
        NEWSML = "newsml", _("NewsML-G2")
        RSS = "rss", _("RSS 2.0")
        ATOM = "atom", _("Atom")

    class Auth(models.TextChoices):
        NONE = "", _("None")
        BASIC = "basic", _("HTTP basic (user:password)")
        BEARER = "bearer", _("Bearer token")

    service = models.ForeignKey(
        "articles.WireService",
        verbose_name=_("wire service"),
        on_delete=models.PROTECT,
        related_name="sources",
    )
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("arrives by"), max_length=10, choices=Kind.choices)
    location = models.CharField(
        _("folder or address"),
        max_length=500,
        help_text=_("A folder on the server (e.g. /srv/wire/reuters) or an http(s):// address."),
    )
    format = models.CharField(
        _("format"), max_length=10, choices=Format.choices, default=Format.AUTO
    )
    interval_minutes = models.PositiveIntegerField(
        _("poll every (minutes)"), default=5, help_text=_("How often poll_wires reads it.")
    )
    auth = models.CharField(_("credentials"), max_length=10, choices=Auth.choices, blank=True)
    credentials_env = models.CharField(
        _("credentials from environment variable"),
        max_length=100,
        blank=True,
        help_text=_(
            "The name of an environment variable holding user:password or the token; "
            "preferred to storing them here."
        ),
    )
    stored_credentials = models.CharField(
        _("stored credentials"),
        max_length=500,
        blank=True,
        help_text=_("Used when no environment variable is named. Never shown again in full."),
    )
    active = models.BooleanField(_("active"), default=True)
    auto_publish_section = models.ForeignKey(
        "articles.Section",
        verbose_name=_("auto-publish into section"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_(
            "Empty: nothing from this source is published without an editor. A section: new "
            "usable items are published there at once (after their embargo), credited to the "
            "agency. Set it only by explicit editorial decision."
        ),
    )
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True, editable=False)
    last_result = models.CharField(_("last result"), max_length=300, blank=True, editable=False)

    class Meta:
        ordering = ["service__name", "name"]
        verbose_name = _("wire source")
        verbose_name_plural = _("wire sources")

    def __str__(self) -> str:
        return self.name

    def is_due(self, now: datetime) -> bool:
        if self.last_polled_at is None:
            return True
        return (now - self.last_polled_at).total_seconds() >= self.interval_minutes * 60


class WireItemQuerySet(models.QuerySet["WireItem"]):
    def usable(self) -> "WireItemQuerySet":
        """Items an editor may make into a story: neither withheld nor killed."""
        return self.filter(pub_status=WireItem.PubStatus.USABLE)

    def used(self) -> "WireItemQuerySet":
        return self.filter(article__isnull=False)

    def needing_attention(self) -> "WireItemQuerySet":
        """Items used for a story that the agency has since updated, withheld or killed."""
        return self.used().filter(
            Q(used_version__isnull=False, version_key__gt=F("used_version__version_key"))
            | ~Q(pub_status=WireItem.PubStatus.USABLE)
        )


class WireItem(models.Model):
    """An agency item (its latest version); `versions` holds every version received."""

    class PubStatus(models.TextChoices):
        USABLE = "usable", _("Usable")
        WITHHELD = "withheld", _("Withheld")
        CANCELED = "canceled", _("Killed")

    service = models.ForeignKey(
        "articles.WireService",
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        related_name="items",
    )
    guid = models.CharField(_("agency id"), max_length=400)
    version = models.PositiveBigIntegerField(
        _("version"), null=True, blank=True, help_text=_("As the agency numbers it, if it does.")
    )
    # Orders versions: the agency's number, then the version's time (RSS and Atom have no
    # number). A lower key never replaces a higher one.
    version_key = models.CharField(max_length=60, editable=False, db_index=True)
    pub_status = models.CharField(
        _("status"), max_length=10, choices=PubStatus.choices, default=PubStatus.USABLE
    )
    kind = models.CharField(_("kind"), max_length=20, default="text")
    headline = models.CharField(_("headline"), max_length=500, blank=True)
    body = models.TextField(_("body"), blank=True)
    byline = models.CharField(_("byline"), max_length=300, blank=True)
    dateline = models.CharField(_("dateline"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=20, blank=True, db_index=True)
    urgency = models.PositiveSmallIntegerField(_("urgency"), null=True, blank=True)
    embargo = models.DateTimeField(_("embargoed until"), null=True, blank=True)
    first_created = models.DateTimeField(_("first created"), null=True, blank=True)
    version_created = models.DateTimeField(_("version created"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    subjects = models.JSONField(_("subjects"), default=list, blank=True)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    pictures = models.JSONField(_("pictures"), default=list, blank=True)
    signals = models.JSONField(_("signals"), default=list, blank=True)
    article = models.ForeignKey(
        "articles.Article",
        verbose_name=_("story"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="wire_items",
        help_text=_("The story made from this item, if any."),
    )
    used_version = models.ForeignKey(
        "WireVersion",
        verbose_name=_("story made from version"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = WireItemQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("wire item")
        verbose_name_plural = _("wire desk")
        constraints = [
            models.UniqueConstraint(fields=["service", "guid"], name="wireitem_once_per_agency")
        ]
        indexes = [models.Index(fields=["service", "-received_at"], name="wireitem_desk_idx")]

    def __str__(self) -> str:
        return self.headline or self.guid

    @property
    def is_correction(self) -> bool:
        return "correction" in self.signals

    def is_embargoed(self, now: datetime | None = None) -> bool:
        return self.embargo is not None and self.embargo > (now or timezone.now())


class WireVersion(models.Model):
    """One version of an item as received, kept whatever came after it."""

    item = models.ForeignKey(WireItem, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveBigIntegerField(_("version"), null=True, blank=True)
    version_key = models.CharField(max_length=60, editable=False)
    pub_status = models.CharField(_("status"), max_length=10, choices=WireItem.PubStatus.choices)
    headline = models.CharField(_("headline"), max_length=500, blank=True)
    body = models.TextField(_("body"), blank=True)
    byline = models.CharField(_("byline"), max_length=300, blank=True)
    dateline = models.CharField(_("dateline"), max_length=200, blank=True)
    embargo = models.DateTimeField(_("embargoed until"), null=True, blank=True)
    version_created = models.DateTimeField(_("version created"), null=True, blank=True)
    signals = models.JSONField(_("signals"), default=list, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    # What makes two arrivals of one version the same: a duplicate is not stored twice.
    fingerprint = models.CharField(max_length=64, editable=False)
    raw = models.TextField(_("document as received"), blank=True)
    format = models.CharField(_("format"), max_length=10, blank=True)

    class Meta:
        ordering = ["-version_key", "-received_at"]
        verbose_name = _("wire item version")
        verbose_name_plural = _("wire item versions")
        constraints = [
            models.UniqueConstraint(
                fields=["item", "version_key", "fingerprint"], name="wireversion_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.item} v{self.version or '–'}"

    @property
    def is_correction(self) -> bool:
        return "correction" in self.signals


def version_key(version: int | None, version_created: datetime | None) -> str:
    """A sortable string: the agency's version number when it gives one, else the version's time
    (to the microsecond)."""
    moment = EPOCH if version is not None else (version_created or EPOCH)
    micros = int((moment - EPOCH).total_seconds() * 1_000_000)
    return f"{version or 0:020d}.{max(micros, 0):020d}"


def fingerprint(fields: dict) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()
