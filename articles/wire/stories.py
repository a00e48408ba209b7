"""Agency items made into stories: a prefilled draft, an update applied, an embargo kept.

Nothing from the wire is published without an editor, except by a source's explicit
auto-publish rule (a section named on the source).
"""

import logging
import re
from difflib import SequenceMatcher

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape, format_html, strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _

from articles.images import validate_image_upload, without_metadata
from articles.models import (
    Article,
    ArticleAuthor,
    Author,
    Picture,
    Section,
    story_language,
)
from articles.richtext import has_text, paragraph_ends
from articles.wire.models import WireItem, WireSource

logger = logging.getLogger(__name__)

BYLINE_PREFIX = re.compile(r"^(by|de|written by)\s+", re.IGNORECASE)


def split_standfirst(body: str) -> tuple[str, str]:
    """The first paragraph as plain text, and the body after it (the whole body if nothing
    else would be left)."""
    ends = paragraph_ends(body)
    if not ends:
        return "", body
    first = " ".join(strip_tags(body[: ends[0]]).split())
    rest = body[ends[0] :].strip()
    return first[:600], rest if has_text(rest) else body


def unique_slug(headline: str) -> str:
    base = slugify(headline)[:190].strip("-") or "wire"
    slug, n = base, 1
    while Article.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def suggested_tags(item: WireItem) -> list[str]:
    """The agency's keywords, then its subjects' names: at most TAGS_PER_STORY, once each."""
    names: list[str] = []
    for name in [*item.keywords, *(subject.get("name", "") for subject in item.subjects)]:
        name = str(name).strip()[:100]
        if name and name.lower() not in {n.lower() for n in names}:
            names.append(name)
    return names[: settings.TAGS_PER_STORY]


def byline_author(byline: str) -> Author | None:
    """The author a wire byline names: an existing one by name, else a new one."""
    name = BYLINE_PREFIX.sub("", byline).strip()[:120]
    if not name:
        return None
    found = Author.objects.filter(name__iexact=name).first()
    if found is not None:
        return found
    slug, n = slugify(name)[:110] or "author", 1
    base = slug
    while Author.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return Author.objects.create(name=name, slug=slug)


def make_story(item: WireItem, section: Section, user=None) -> tuple[Article, str]:
    """A draft made from the item (its latest version); and a note when its picture could not
    be taken. Refused (ValueError) for an item that is withheld, killed or already used."""
    if item.pub_status != WireItem.PubStatus.USABLE:
        raise ValueError(
            _("This item is %(status)s by its agency.")
            % {"status": item.get_pub_status_display().lower()}
        )
    if item.article_id is not None:
        raise ValueError(_("This item is already used for a story."))
    standfirst, body = split_standfirst(item.body)
    if not has_text(body):
        body = f"<p>{item.headline}</p>" if item.headline else "<p>…</p>"
    with transaction.atomic():
        item = WireItem.objects.select_for_update().get(pk=item.pk)
        if item.article_id is not None:
            raise ValueError(_("This item is already used for a story."))
        article = Article(
            headline=(item.headline or item.guid)[:200],
            slug=unique_slug(item.headline or item.guid),
            standfirst=standfirst,
            body=body,
            section=section,
            dateline=item.dateline[:80],
            wire_service=item.service,
            wire_attribution=Article.Attribution.WIRE_COPY,
            wire_story_id=item.guid[:100],
            # The agency's language, when the site has it (English copy on a Romanian site).
            language=story_language(item.language) or settings.LANGUAGE_CODE,
            status=Article.Status.DRAFT,
            # The agency's embargo is the earliest the story may go out.
            publish_at=item.embargo if item.is_embargoed() else None,
            created_by=user,
            modified_by=user,
        )
        note = _attach_picture(article, item)
        article.save()
        author = byline_author(item.byline)
        if author is not None:
            ArticleAuthor.objects.create(article=article, author=author, position=0)
        tags = suggested_tags(item)
        if tags:
            article.tags.add(*tags)
        item.article = article
        item.used_version = item.versions.order_by("-version_key", "-received_at").first()
        item.save(update_fields=["article", "used_version"])
    return article, note


def _attach_picture(article: Article, item: WireItem) -> str:
    """The package's first picture as the lead image, with its credit; a note if it failed."""
    from articles.wire.polling import FetchFailed, fetch

    if not item.pictures:
        return ""
    picture = item.pictures[0]
    try:
        data = fetch(picture["href"], max_bytes=settings.IMAGE_MAX_BYTES)
        name = picture["href"].rstrip("/").rpartition("/")[2][:80] or "wire.jpg"
        upload = SimpleUploadedFile(name, data)
        image = validate_image_upload(upload)
        cleaned = without_metadata(upload, image)
    except (FetchFailed, ValidationError) as exc:
        logger.warning("Wire picture %s not taken: %s", picture.get("href"), exc)
        message = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
        return _("The agency's picture could not be taken (%(reason)s).") % {"reason": message}
    lead = Picture(
        credit=(picture.get("credit") or item.service.credit)[:120],
        caption=(picture.get("caption") or "")[:300],
        alt=(picture.get("alt") or picture.get("caption") or article.headline)[:250],
        usage_note=_("From %(service)s's wire, under the newsroom's agreement with it.")
        % {"service": item.service.name},
    )
    lead.file.save(cleaned.name, cleaned, save=True)
    article.picture = lead
    return ""


def auto_publish(item: WireItem, source: WireSource) -> Article | None:
    """A source's explicit rule: publish the new item in its section (after any embargo)."""
    section = source.auto_publish_section
    if section is None:
        return None
    article, _note = make_story(item, section)
    article.status = Article.Status.PUBLISHED
    article.publish_at = article.publish_at or timezone.now()
    article.save()
    return article


def apply_update(item: WireItem, user=None) -> Article:
    """The item's latest version into its story: headline, standfirst, body, dateline."""
    article = item.article
    if article is None:
        raise ValueError(_("This item is not used for a story."))
    standfirst, body = split_standfirst(item.body)
    article.headline = (item.headline or article.headline)[:200]
    article.standfirst = standfirst or article.standfirst
    if has_text(body):
        article.body = body
    article.dateline = item.dateline[:80] or article.dateline
    article.modified_by = user
    embargo = item.embargo if item.is_embargoed() else None
    if embargo is not None and (article.publish_at is None or article.publish_at < embargo):
        article.publish_at = embargo
    with transaction.atomic():
        article.save()
        item.used_version = item.versions.order_by("-version_key", "-received_at").first()
        item.save(update_fields=["used_version"])
    return article


def embargo_until(article_pk, moment=None):
    """The latest agency embargo on the story's items still ahead of `moment` (now), if any."""
    return (
        WireItem.objects.filter(article=article_pk, embargo__gt=moment or timezone.now())
        .order_by("-embargo")
        .values_list("embargo", flat=True)
        .first()
    )


def embargo_message(embargo) -> str:
    return _(
        "The agency's embargo holds this story until %(time)s: it cannot be published earlier. "
        "Schedule it for that time or later."
    ) % {"time": date_format(timezone.localtime(embargo), "DATETIME_FORMAT")}


def embargo_error(article: Article) -> str | None:
    """A refusal naming the embargo when the story would go out before its agency allows."""
    if article.pk is None or article.status != Article.Status.PUBLISHED:
        return None
    embargo = embargo_until(article.pk, article.publish_at)
    return embargo_message(embargo) if embargo is not None else None


def _words_diff(old: str, new: str) -> SafeString:
    """Word by word: removed words struck through (<del>), added ones underlined (<ins>)."""
    before, after = old.split(), new.split()
    parts = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if op in ("delete", "replace"):
            parts.append(format_html("<del>{}</del>", " ".join(before[i1:i2])))
        if op in ("insert", "replace"):
            parts.append(format_html("<ins>{}</ins>", " ".join(after[j1:j2])))
        if op == "equal":
            parts.append(escape(" ".join(before[i1:i2])))
    return mark_safe(" ".join(parts))  # each part escaped above


def changes(old, new) -> list[dict]:
    """What changed between two versions (WireVersion or WireItem), field by field, as text."""
    fields = [
        ("headline", _("headline")),
        ("byline", _("byline")),
        ("dateline", _("dateline")),
        ("body", _("body")),
    ]
    found = []
    for name, label in fields:
        before = " ".join(strip_tags(getattr(old, name) or "").split()) if old else ""
        after = " ".join(strip_tags(getattr(new, name) or "").split())
        if before != after:
            found.append({"label": label, "diff": _words_diff(before, after)})
    return found
