import re
from collections import defaultdict
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.search import SearchVectorField
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import connections, models, transaction
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Subquery, Window
from django.db.models.functions import Coalesce, RowNumber
from django.db.models.signals import pre_save
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django_prose_editor.fields import ProseEditorField
from taggit.managers import TaggableManager
from taggit.models import Tag, TaggedItem

from articles.pictures import Picture
from articles.richtext import BODY_EXTENSIONS, has_text, sanitize_body
from articles.videos import Video  # noqa: F401 - registered with the app here
from newsroom.pagecache import EVERY_PAGE, remembered

# What no text field may hold: NUL (PostgreSQL refuses it, so a save would fail), the other
# control characters XML 1.0 forbids (one would break a feed or a sitemap), lone surrogates
# and the non-characters U+FFFE and U+FFFF. Tab, newline and carriage return stay.
FORBIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# The apps whose text readers see: the newsroom's content, its tags and the site's chrome.
CLEANED_APPS = {"articles", "chrome", "taggit"}

# A value never loaded (a deferred field), unlike any stored one.
UNKNOWN = object()

# Signed preview links: salted so that no other signed value of the site can pass for one.
PREVIEW_SALT = "articles.preview"

RELATED = 4
# Related stories are ranked among this many of the newest sharing a tag: a cost that does not
# grow with the archive.
RELATED_CANDIDATES = 40
# What a teaser prints; the body (and anything else heavy) stays in the database.
TEASER_FIELDS = (
    "headline",
    "slug",
    "standfirst",
    "section__name",
    "section__slug",
    "wire_service__credit",
    "wire_attribution",
    "picture__file",
    "picture__width",
    "picture__height",
    "picture__alt",
    "picture__renditions",
    "status",
    "publish_at",
    "label",
    "coverage_started_at",
    "coverage_ended_at",
    "language",
)
# What search engines and sharing previews should show: Google cuts titles near 70 characters
# and descriptions near 160; the columns allow a little more, for the odd exception.
SEO_TITLE_RECOMMENDED = 70
SEO_TITLE_MAX = 100
DESCRIPTION_RECOMMENDED = 160
DESCRIPTION_MAX = 300
SOCIAL_TITLE_RECOMMENDED = 90
SOCIAL_TITLE_MAX = 150
CANONICAL_URL_MAX = 500


def strip_forbidden_characters(sender, instance, raw=False, **kwargs):
    """Drop forbidden characters from every text field, whatever path the save came by."""
    if raw or sender._meta.app_label not in CLEANED_APPS:
        return
    for field in sender._meta.concrete_fields:
        if isinstance(field, models.CharField | models.TextField):
            value = getattr(instance, field.attname)
            if isinstance(value, str) and FORBIDDEN_CHARACTERS.search(value):
                setattr(instance, field.attname, FORBIDDEN_CHARACTERS.sub("", value))


pre_save.connect(strip_forbidden_characters, dispatch_uid="strip-forbidden-characters")


def story_language(code: str) -> str:
    """A language code from elsewhere ("en-GB", "EN") as one of the site's, or ""."""
    code = (code or "").split("-")[0].split("_")[0].lower()
    return code if code in dict(settings.LANGUAGES) else ""


def validate_canonical_url(value: str) -> None:
    """An absolute http(s) address, nothing a browser would run or resolve against our site."""
    if not value:
        return
    if any(char.isspace() or ord(char) < 32 for char in value):
        raise ValidationError(_("An address has no spaces or line breaks."), code="spaces")
    scheme, _sep, rest = value.partition(":")
    if scheme.lower() not in {"http", "https"} or not rest.startswith("//"):
        raise ValidationError(
            _("Enter the full address, starting with https:// (or http://)."), code="scheme"
        )
    URLValidator(schemes=["http", "https"], message=_("Enter a valid web address."))(value)


class SectionManager(models.Manager["Section"]):
    def in_order(self) -> list["Section"]:
        """Every section in position order, kept until one changes (footer, home, listings)."""
        sections = lambda: list(self.order_by("position", "name"))  # noqa: E731
        return remembered("sections", [EVERY_PAGE], sections, timeless=True)


class Section(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(
        _("position"),
        default=0,
        help_text=_("Lower numbers come first in menus and on the home page."),
    )
    show_on_home = models.BooleanField(
        _("show on home page"),
        default=True,
        help_text=_("Gives the section its own block on the home page."),
    )

    objects = SectionManager()

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("articles:section", kwargs={"slug": self.slug})


class Author(models.Model):
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    job_title = models.CharField(_("job title"), max_length=120, blank=True)
    bio = models.TextField(_("short bio"), blank=True)
    picture = models.ForeignKey(
        Picture,
        verbose_name=_("photo"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="authors",
        help_text=_(
            "A portrait from the library, shown round beside the byline and on the author's "
            "page (cut square around its focal point). Search the library by description, "
            "caption or credit; the + button uploads a new one."
        ),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="author",
        help_text=_("The staff account that writes under this byline, if any."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("author")
        verbose_name_plural = _("authors")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("articles:author", kwargs={"slug": self.slug})


class WireService(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    credit = models.CharField(
        _("credit line"),
        max_length=120,
        help_text=_('The agency as printed in a credit, e.g. "Reuters".'),
    )
    website = models.URLField(_("website"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("wire service")
        verbose_name_plural = _("wire services")

    def __str__(self) -> str:
        return self.name


class ArticleQuerySet(models.QuerySet["Article"]):
    def published(self) -> "ArticleQuerySet":
        """Stories the public may see: published, with their time come."""
        return self.filter(status=Article.Status.PUBLISHED, publish_at__lte=timezone.now())

    def scheduled(self) -> "ArticleQuerySet":
        """Published stories waiting for their publish_at."""
        return self.filter(status=Article.Status.PUBLISHED, publish_at__gt=timezone.now())

    def with_byline(self) -> "ArticleQuerySet":
        """Section, wire service and byline, fetched in a fixed number of queries (the tags
        come from load_tags())."""
        # The search vector is a few kilobytes a story that no page prints.
        return (
            self.select_related("section", "wire_service", "picture")
            .prefetch_related(bylines())
            .defer("search_vector")
        )

    def latest_first(self) -> "ArticleQuerySet":
        return self.order_by("-publish_at", "-pk")

    def tagged(self, *tags) -> "ArticleQuerySet":
        """Stories carrying any of these tags (Tag objects or ids).

        An EXISTS on taggit's (content type, object, tag) index: filtering through `tags=`
        joins on a cast of the object id, which no index serves.
        """
        items = TaggedItem.objects.filter(
            content_type=content_type_of(self.model), object_id=OuterRef("pk")
        )
        # One tag may be an expression, such as the outer query's tag (OuterRef).
        items = items.filter(tag=tags[0]) if len(tags) == 1 else items.filter(tag__in=tags)
        return self.filter(Exists(items))

    def teasers(self) -> "ArticleQuerySet":
        """Only what a teaser prints, with section and wire service; the body stays behind."""
        return self.select_related("section", "wire_service", "picture").only(*TEASER_FIELDS)

    def related_to(self, article: "Article", tag_ids: list[int]) -> list[int]:
        """Ids of the stories sharing the most tags with `article`, then from its section, newest
        first.

        Ranked among the newest RELATED_CANDIDATES sharing a tag and the newest of the section,
        each found by an index walk: one query, whatever the size of the archive.
        """
        others = self.exclude(pk=article.pk).latest_first()
        same_section = others.filter(section=article.section_id).values("pk")[:RELATED]
        if not tag_ids:
            return [row["pk"] for row in same_section]
        sharing = others.tagged(*tag_ids).values("pk")[:RELATED_CANDIDATES]
        if connections[sharing.db].features.supports_slicing_ordering_in_compound:
            chosen = Q(pk__in=sharing.union(same_section, all=True))
        else:
            chosen = Q(pk__in=sharing) | Q(pk__in=same_section)
        items = TaggedItem.objects.filter(
            content_type=ContentType.objects.get_for_model(Article),
            object_id=OuterRef("pk"),
            tag__in=tag_ids,
        )
        shared = items.order_by().values("object_id").annotate(count=Count("pk")).values("count")
        candidates = (
            self.model.objects.filter(chosen)
            .annotate(shared=Coalesce(Subquery(shared), 0))
            .order_by("-shared", "-publish_at", "-pk")
        )
        return list(candidates.values_list("pk", flat=True)[:RELATED])

    def neighbours(self, article: "Article") -> tuple[int | None, int | None]:
        """Ids of the previous (older) and next (newer) stories in the story's section."""
        if article.publish_at is None:
            return None, None
        in_section = self.filter(section=article.section_id).values_list("pk", "publish_at")
        moment = article.publish_at
        # A plain range on publish_at (ties ruled out after), so the index scan starts at it.
        older = (
            in_section.filter(publish_at__lte=moment)
            .exclude(publish_at=moment, pk__gte=article.pk)
            .order_by("-publish_at", "-pk")
        )
        newer = (
            in_section.filter(publish_at__gte=moment)
            .exclude(publish_at=moment, pk__lte=article.pk)
            .order_by("publish_at", "pk")
        )
        if connections[older.db].features.supports_slicing_ordering_in_compound:
            found = list(older[:1].union(newer[:1], all=True))  # one round trip for both
        else:
            found = [row for row in (older.first(), newer.first()) if row]
        here = (moment, article.pk)
        before = [pk for pk, when in found if (when, pk) < here]
        after = [pk for pk, when in found if (when, pk) > here]
        return (before[0] if before else None), (after[0] if after else None)

    def newest_by_section(self, section_ids: list[int], per_section: int) -> list[int]:
        """Ids of the newest `per_section` stories of each section, newest first.

        On PostgreSQL, one query of per-section index scans (UNION ALL of LIMITed branches):
        the cost stays flat however many stories a section holds. Elsewhere, a window function.
        """
        stories = self.only("section", "publish_at")
        if connections[stories.db].features.supports_slicing_ordering_in_compound:
            branches = [
                stories.filter(section=pk).latest_first()[:per_section] for pk in section_ids
            ]
            ranked = list(branches[0].union(*branches[1:], all=True))
            ranked.sort(key=lambda story: (story.publish_at, story.pk), reverse=True)
            return [story.pk for story in ranked]
        return [
            story.pk
            for story in stories.filter(section__in=section_ids)
            .annotate(
                rank=Window(
                    RowNumber(),
                    partition_by=[F("section_id")],
                    order_by=[F("publish_at").desc(), F("pk").desc()],
                )
            )
            .filter(rank__lte=per_section)
            .order_by("section_id", "rank")
        ]

    # Writes that skip save() and its signals still drop the cached pages they change.

    def update(self, **kwargs) -> int:
        from articles import invalidation, withdrawals

        rows = invalidation.stories_updating(self, kwargs)
        updated = super().update(**kwargs)
        if rows:
            invalidation.stories_update_done(rows, kwargs)
            withdrawals.stories_changed(rows, withdrawals.states([row["pk"] for row in rows]))
        return updated

    def bulk_create(self, objs, *args, **kwargs) -> list:
        from articles import invalidation

        created = super().bulk_create(objs, *args, **kwargs)
        invalidation.bulk_created(created)
        return created


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        REVIEW = "review", _("In review")
        PUBLISHED = "published", _("Published")

    class Attribution(models.TextChoices):
        WIRE_COPY = "wire", _("Wire copy (credited “Reuters”)")
        ACCORDING_TO = "according", _("According to (“according to Reuters”)")
        ADDITIONAL_REPORTING = "reporting", _("Additional reporting (“with reporting by AFP”)")

    class Label(models.TextChoices):
        """What kind of piece it is, shown wherever the story appears. Paid content is always
        labelled (Romanian and EU law require it)."""

        OPINION = "opinion", _("Opinion")
        ANALYSIS = "analysis", _("Analysis")
        INTERVIEW = "interview", _("Interview")
        REPORTAGE = "reportage", _("Reportage")
        PAID = "paid", _("Advertorial")

    headline = models.CharField(_("headline"), max_length=200)
    slug = models.SlugField(
        _("slug"),
        max_length=200,
        unique=True,
        help_text=_("The story's address; keep it once published."),
    )
    standfirst = models.TextField(
        _("standfirst"),
        max_length=600,
        blank=True,
        help_text=_("One or two sentences under the headline."),
    )
    body = ProseEditorField(_("body"), extensions=BODY_EXTENSIONS, sanitize=True)

    section = models.ForeignKey(
        Section, verbose_name=_("section"), on_delete=models.PROTECT, related_name="articles"
    )
    authors = models.ManyToManyField(
        Author,
        verbose_name=_("authors"),
        through="ArticleAuthor",
        related_name="articles",
        blank=True,
    )
    label = models.CharField(
        _("kind of piece"),
        max_length=12,
        choices=Label.choices,
        blank=True,
        help_text=_("Shown before the headline everywhere; paid content must say so."),
    )
    tags = TaggableManager(_("tags"), blank=True)
    dateline = models.CharField(
        _("dateline"), max_length=80, blank=True, help_text=_("The city the story was filed from.")
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("The language the story is written in."),
    )
    # Linked both ways (save() keeps the other story's link in step): the page of either one
    # names the other without a query of its own.
    translation = models.OneToOneField(
        "self",
        verbose_name=_("translation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The same story in another language; each links to the other."),
    )

    # Promotion: what search results and sharing previews show, when the story's own words
    # do not fit there. Blank means the headline and standfirst.
    seo_title = models.CharField(
        _("SEO title"),
        max_length=SEO_TITLE_MAX,
        blank=True,
        help_text=_("The title search results show. Blank: the headline."),
    )
    meta_description = models.CharField(
        _("meta description"),
        max_length=DESCRIPTION_MAX,
        blank=True,
        help_text=_("The summary search results show. Blank: the standfirst."),
    )
    social_title = models.CharField(
        _("social title"),
        max_length=SOCIAL_TITLE_MAX,
        blank=True,
        help_text=_("The title of a shared link (Facebook, X, chat apps). Blank: the headline."),
    )
    social_description = models.CharField(
        _("social description"),
        max_length=DESCRIPTION_MAX,
        blank=True,
        help_text=_("The summary of a shared link. Blank: the meta description or the standfirst."),
    )
    canonical_url = models.URLField(
        _("canonical address"),
        max_length=CANONICAL_URL_MAX,
        blank=True,
        validators=[validate_canonical_url],
        help_text=_(
            "Only for a story first published elsewhere: the original's full address. "
            "Blank: this story's own page."
        ),
    )

    picture = models.ForeignKey(
        Picture,
        verbose_name=_("lead picture"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stories",
        help_text=_(
            "Search the library by description, caption or credit; the + button uploads a new one."
        ),
    )
    wire_service = models.ForeignKey(
        WireService,
        verbose_name=_("wire service"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="articles",
    )
    wire_attribution = models.CharField(
        _("attribution"), max_length=10, choices=Attribution.choices, blank=True
    )
    wire_story_id = models.CharField(_("agency story id"), max_length=100, blank=True)

    status = models.CharField(
        _("status"),
        max_length=10,
        choices=Status.choices,
        default=Status.DRAFT,
        db_index=True,
        help_text=_("Only editors publish. A published story with a future time is scheduled."),
    )
    publish_at = models.DateTimeField(
        _("publish at"),
        null=True,
        blank=True,
        help_text=_(
            "First publication; the story goes live by itself at this time and keeps its date."
        ),
    )
    updated_at = models.DateTimeField(
        _("updated at"),
        null=True,
        blank=True,
        help_text=_("The last update shown to readers, if any."),
    )

    # Live coverage: a stream of timestamped updates (articles.live) from the first moment to
    # the last; reporters post to it only where an editor allows.
    coverage_started_at = models.DateTimeField(
        _("live coverage started"), null=True, blank=True, editable=False
    )
    coverage_ended_at = models.DateTimeField(
        _("live coverage ended"), null=True, blank=True, editable=False
    )
    reporters_post_updates = models.BooleanField(
        _("reporters may post live updates"), default=False
    )

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    modified_at = models.DateTimeField(_("modified"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    modified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted for review"), null=True, editable=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
    )
    version = models.PositiveIntegerField(
        default=1, editable=False, help_text="Bumped on every save; a stale form's save is refused."
    )
    # Headline, standfirst and body for full-text search, refreshed on save by articles.search.
    # PostgreSQL only (GIN-indexed by migration 0004); empty on other databases.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-publish_at", "-pk"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        permissions = [("publish_article", "Can publish, schedule and unpublish articles")]
        indexes = [
            models.Index(fields=["status", "-publish_at"], name="article_status_publish_idx"),
            # Lists walk these newest first and stop after a page: the cost of a page does not
            # grow with the archive (only published rows are in them).
            models.Index(
                fields=["-publish_at", "-id"],
                condition=Q(status="published"),
                name="article_live_idx",
            ),
            models.Index(
                fields=["section", "-publish_at", "-id"],
                condition=Q(status="published"),
                name="article_section_live_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="published") | Q(publish_at__isnull=False),
                name="article_published_has_time",
            ),
            models.CheckConstraint(
                condition=Q(wire_service__isnull=True) | ~Q(wire_attribution=""),
                name="article_wire_has_attribution",
            ),
        ]

    def __str__(self) -> str:
        return self.headline

    def save(self, *args, **kwargs):
        # Every write path (admin, ORM, imports) stores sanitized markup, not only the form.
        self.body = sanitize_body(self.body or "")
        update_fields = kwargs.get("update_fields")
        if not self._state.adding and update_fields is None:
            # Each full save is a new version: a form loaded earlier can no longer save over it.
            self.version += 1
        if self.translation_id is not None and self.translation_id == self.pk:
            self.translation_id = None
        # The translation's side of the link is kept in step, only when the link changed: most
        # saves cost no query more.
        stored = None if self._state.adding else getattr(self, "_stored_translation", UNKNOWN)
        relinks = self.translation_id != stored and (
            update_fields is None or "translation" in update_fields
        )
        if not relinks:
            super().save(*args, **kwargs)
            self._stored_translation = self.translation_id
            return
        with transaction.atomic(using=kwargs.get("using")):
            self.unlink_other_translations()
            super().save(*args, **kwargs)
            if self.translation_id:
                others = Article.objects.filter(pk=self.translation_id)
                others.exclude(translation=self).update(translation=self)
        self._stored_translation = self.translation_id

    def get_absolute_url(self) -> str:
        return story_path(self.slug, self.publish_at)

    def get_preview_url(self) -> str:
        """A link that shows this story, unpublished, to whoever holds it, for a while.

        The signature covers the story's id (not its slug) and the time it was made; the detail
        view answers 404 once it is older than settings.PREVIEW_LINK_SECONDS or altered.
        """
        token = signing.TimestampSigner(salt=PREVIEW_SALT).sign(str(self.pk))
        return f"{self.get_absolute_url()}?{urlencode({'preview': token})}"

    def clean(self):
        errors = {}
        if not has_text(self.body or ""):
            errors["body"] = _("The body needs some text, not only formatting.")
        if self.wire_service_id and not self.wire_attribution:
            errors["wire_attribution"] = _("Say how the wire service is credited.")
        if self.translation_id and self.translation_id == self.pk:
            errors["translation"] = _("A story cannot be its own translation.")
        elif self.translation is not None and self.translation.language == self.language:
            errors["translation"] = _("The translation must be in another language.")
        if self.status == self.Status.PUBLISHED and self.publish_at is None:
            self.publish_at = timezone.now()
        from articles.wire.stories import embargo_error  # the wire desk imports this module

        if embargo := embargo_error(self):
            errors["publish_at"] = embargo
        if errors:
            raise ValidationError(errors)

    def is_published(self) -> bool:
        return is_live(self.status, self.publish_at)

    @classmethod
    def from_db(cls, db, field_names, values, *, fetch_mode=None):
        article = super().from_db(db, field_names, values, fetch_mode=fetch_mode)
        # The link as stored (unless deferred), so that a save relinks only when it changed.
        article._stored_translation = article.__dict__.get("translation_id", UNKNOWN)
        return article

    def unlink_other_translations(self) -> None:
        """Before linking: no story but this one's translation points here, and none but this
        one points at its translation (one translation each, as the column's uniqueness says)."""
        if self.pk:
            pointing_here = Article.objects.filter(translation=self)
            if self.translation_id:
                pointing_here = pointing_here.exclude(pk=self.translation_id)
            pointing_here.update(translation=None)
        if self.translation_id:
            at_translation = Article.objects.filter(translation_id=self.translation_id)
            if self.pk:
                at_translation = at_translation.exclude(pk=self.pk)
            at_translation.update(translation=None)

    def is_scheduled(self) -> bool:
        return (
            self.status == self.Status.PUBLISHED
            and self.publish_at is not None
            and not self.is_published()
        )

    @property
    def is_live_coverage(self) -> bool:
        return self.coverage_started_at is not None

    @property
    def coverage_is_ongoing(self) -> bool:
        return self.coverage_started_at is not None and self.coverage_ended_at is None

    @cached_property
    def tag_list(self) -> list[Tag]:
        """The story's tags by name; load_tags() fills this for many stories in one query."""
        load_tags([self])
        return self.tag_list

    @cached_property
    def byline(self) -> list[Author]:
        """The authors in byline order (uses the prefetch from with_byline()); load_bylines()
        fills this for many teasers in one query."""
        return [link.author for link in self.bylines.all()]

    @property
    def is_wire_copy(self) -> bool:
        """The agency's own copy: the agency is the story's source. A story only crediting an
        agency ("according to Reuters", "with reporting by AFP") is the newsroom's own."""
        return bool(self.wire_service_id) and self.wire_attribution == self.Attribution.WIRE_COPY

    @property
    def wire_credit(self) -> str:
        """The credit as printed: "Reuters", "according to Reuters", "with reporting by AFP"."""
        if not self.wire_service_id or self.wire_service is None:
            return ""
        credit = self.wire_service.credit
        if self.wire_attribution == self.Attribution.ACCORDING_TO:
            return _("according to %(agency)s") % {"agency": credit}
        if self.wire_attribution == self.Attribution.ADDITIONAL_REPORTING:
            return _("with reporting by %(agency)s") % {"agency": credit}
        return credit


class ArticleAuthor(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="bylines")
    author = models.ForeignKey(
        Author, verbose_name=_("author"), on_delete=models.PROTECT, related_name="bylines"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("byline")
        verbose_name_plural = _("byline")
        constraints = [
            models.UniqueConstraint(
                fields=["article", "author"], name="articleauthor_once_per_article"
            )
        ]

    def __str__(self) -> str:
        return str(self.author)


class Correction(models.Model):
    class Kind(models.TextChoices):
        CORRECTION = "correction", _("Correction")
        UPDATE = "update", _("Update")

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="corrections")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.CORRECTION)
    text = models.TextField(_("text"), help_text=_("Shown to readers at the foot of the story."))
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("correction or update")
        verbose_name_plural = _("corrections and updates")

    def __str__(self) -> str:
        # No kind label: the admin keeps this in its history in English, whatever the language.
        return self.text[:60]

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # A correction or update is a change readers are told of: the story's "Updated" time
        # (dateModified, feeds, the news sitemap) moves to it, unless already later.
        Article.objects.filter(pk=self.article_id).filter(
            Q(updated_at__isnull=True) | Q(updated_at__lt=self.created_at)
        ).update(updated_at=self.created_at)


class SendBack(models.Model):
    """An editor's note sending a story in review back to its reporter, shown on their desk."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="send_backs")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent back by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    note = models.TextField(_("note"))
    sent_at = models.DateTimeField(_("sent back"), default=timezone.now)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("story sent back")
        verbose_name_plural = _("stories sent back")

    def __str__(self) -> str:
        return self.note[:60]


class StoryLock(models.Model):
    """Who has a story open in the admin, kept alive by their browser's heartbeats.

    Advice for people, never a bar to saving: a lock whose heartbeats stop expires by itself,
    anyone may take one over, and the version check on save stays the guarantee.
    """

    article = models.OneToOneField(
        Article, on_delete=models.CASCADE, primary_key=True, related_name="lock"
    )
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("editing"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    since = models.DateTimeField(_("since"))
    heartbeat = models.DateTimeField(_("last heard from"), db_index=True)
    taken_from = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("story being edited")
        verbose_name_plural = _("stories being edited")

    def __str__(self) -> str:
        return str(self.article_id)


class Withdrawal(models.Model):
    """A story readers have seen and that was then taken down: its address answers 410 Gone.

    Kept for stories unpublished, deleted or withdrawn by their agency; dropped when a live
    story takes the address again. A story never published has no withdrawal: its address is a
    404, as if it never was.
    """

    class Reason(models.TextChoices):
        UNPUBLISHED = "unpublished", _("Unpublished by an editor")
        DELETED = "deleted", _("Deleted")
        KILLED = "killed", _("Withdrawn by its agency")

    path = models.CharField(_("address"), max_length=400, unique=True)
    article = models.ForeignKey(
        Article,
        verbose_name=_("story"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="withdrawals",
    )
    headline = models.CharField(_("headline"), max_length=200)
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    withdrawn_at = models.DateTimeField(_("withdrawn"), default=timezone.now)

    class Meta:
        ordering = ["-withdrawn_at"]
        verbose_name = _("withdrawn story")
        verbose_name_plural = _("withdrawn stories")

    def __str__(self) -> str:
        return self.headline


def live_tag(slug: str) -> Tag | None:
    """The tag with this slug, if a live story carries it. One query whether it exists or not:
    a tag on drafts only (an embargoed topic) is answered like a tag that does not exist."""
    carried = Article.objects.published().tagged(OuterRef(OuterRef("pk")))
    return Tag.objects.filter(slug=slug).filter(Exists(carried)).first()


def is_live(status: str, publish_at) -> bool:
    """Readers see a story in this state: published, and its time has come."""
    return (
        status == Article.Status.PUBLISHED
        and publish_at is not None
        and publish_at <= timezone.now()
    )


def story_path(slug: str, publish_at) -> str:
    """A story's address: the date of its first publication in the site's zone, and its slug."""
    local = timezone.localtime(publish_at or timezone.now())
    return reverse(
        "articles:detail",
        kwargs={"year": local.year, "month": local.month, "day": local.day, "slug": slug},
    )


def content_type_of(model) -> Subquery:
    """The model's content type as a subquery the database runs once: no query of its own, even
    while Django's content type cache is cold."""
    meta = model._meta
    found = ContentType.objects.filter(app_label=meta.app_label, model=meta.model_name)
    return Subquery(found.values("pk")[:1])


def bylines() -> Prefetch:
    """The byline in order, each author whole with their photo (a story page shows them)."""
    links = ArticleAuthor.objects.select_related("author__picture").order_by("position")
    return Prefetch("bylines", queryset=links)


def load_bylines(stories) -> None:
    """Set each story's byline as a teaser prints it (the authors' names), with one query for
    all of them.

    Rather than prefetch_related(bylines()): Django builds a queryset for every story to hold its
    prefetched links, which on a front page of forty teasers costs more than the query itself.
    """
    stories = list(stories)
    found = defaultdict(list)
    authors = (
        Author.objects.filter(bylines__article__in=[story.pk for story in stories])
        .annotate(story_id=F("bylines__article"))
        .only("name", "slug")
        .order_by("bylines__position", "bylines__pk")
    )
    for author in authors:
        found[author.story_id].append(author)
    for story in stories:
        story.byline = found[story.pk]


def load_tags(stories) -> None:
    """Set each story's tag_list, sorted by name, with one query for all of them.

    Rather than prefetch_related("tags"): to hold each story's prefetched tags, Django asks
    taggit's manager for a queryset, and taggit builds a whole filtered query for every story,
    which on a feed of twenty costs more than the prefetch itself.
    """
    stories = list(stories)
    found = defaultdict(list)
    items = (
        TaggedItem.objects.filter(
            content_type=content_type_of(Article),
            object_id__in=[story.pk for story in stories],
        )
        .select_related("tag")
        .only("object_id", "tag__name", "tag__slug")
        .order_by("tag__name", "tag_id")
    )
    for item in items:
        found[item.object_id].append(item.tag)
    for story in stories:
        story.tag_list = found[story.pk]


# The wire desk's models live in their own package; imported here so they are `articles.*`.
# Live coverage's entries and embeds' details (title, thumbnail), likewise.
from articles.embeds.models import Embed  # noqa: E402, F401
from articles.live.models import LiveEntry  # noqa: E402, F401
from articles.wire.models import WireItem, WireSource, WireVersion  # noqa: E402, F401
