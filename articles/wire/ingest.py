"""Storing agency documents item by item: new, updated, unchanged, killed or refused.

Each item is stored in its own transaction, so a bad item leaves nothing half-stored and does
not stop the others. The same item and version twice is kept once; a version lower than the
one stored is kept in the item's history but never replaces it. A kill of an item used for a
published story withdraws the story at once (410 at its address, gone from every list, feed
and cache through the takedown's own path); a kill of an item never seen is logged and stored
as killed, so nothing publishable can come of it later.
"""

import dataclasses
import logging
from dataclasses import dataclass

import reversion
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from articles import withdrawals
from articles.models import Article, Withdrawal
from articles.wire.models import WireItem, WireSource, WireVersion, fingerprint, version_key
from articles.wire.parsers import ParsedItem, Refused, parse

logger = logging.getLogger(__name__)

# What a version's fingerprint covers: what the desk and a story would show of it.
CONTENT_FIELDS = (
    "pub_status",
    "headline",
    "body",
    "byline",
    "dateline",
    "language",
    "urgency",
    "embargo",
    "subjects",
    "keywords",
    "pictures",
    "signals",
)


@dataclass
class Outcome:
    """What became of one item (or of a whole document that could not be read)."""

    action: str  # new, updated, unchanged, killed, withheld, refused
    guid: str = ""
    version: int | None = None
    detail: str = ""
    item: WireItem | None = None

    def line(self, name: str = "") -> str:
        parts = [self.action]
        if name:
            parts.append(name)
        if self.guid:
            parts.append(self.guid + (f" v{self.version}" if self.version is not None else ""))
        text = " ".join(parts)
        return f"{text}: {self.detail}" if self.detail else text


def ingest_document(
    data: bytes, service, format: str = "auto", source: WireSource | None = None
) -> list[Outcome]:
    """Read one document and store its items; a document that cannot be read is one refusal."""
    try:
        items = parse(data, format)
    except Refused as refusal:
        return [Outcome("refused", detail=str(refusal))]
    except RecursionError:
        return [Outcome("refused", detail=_("nested too deeply to read"))]
    return [store(parsed, service, source) for parsed in items]


def store(parsed: ParsedItem, service, source: WireSource | None = None) -> Outcome:
    """Store one item in its own transaction; a failure refuses it and stores nothing of it."""
    try:
        with transaction.atomic():
            return _store(parsed, service, source)
    except IntegrityError:
        # Another process stored the same item meanwhile: read it again.
        try:
            with transaction.atomic():
                return _store(parsed, service, source)
        except IntegrityError as exc:
            return Outcome("refused", parsed.guid, parsed.version, str(exc))
    except Refused as refusal:
        return Outcome("refused", parsed.guid, parsed.version, str(refusal))


def _content(parsed: ParsedItem) -> dict:
    values = {name: getattr(parsed, name) for name in CONTENT_FIELDS}
    values["pictures"] = [dataclasses.asdict(p) for p in parsed.pictures]
    return values


def _store(parsed: ParsedItem, service, source: WireSource | None) -> Outcome:
    key = version_key(parsed.version, parsed.version_created)
    content = _content(parsed)
    mark = fingerprint(content)
    item = WireItem.objects.select_for_update().filter(service=service, guid=parsed.guid).first()
    version_fields = {
        "version": parsed.version,
        "version_key": key,
        "pub_status": parsed.pub_status,
        "headline": parsed.headline,
        "body": parsed.body,
        "byline": parsed.byline,
        "dateline": parsed.dateline,
        "embargo": parsed.embargo,
        "version_created": parsed.version_created,
        "signals": parsed.signals,
        "fingerprint": mark,
        "raw": parsed.raw,
        "format": parsed.format,
    }
    item_fields = {
        "version": parsed.version,
        "version_key": key,
        "kind": parsed.kind,
        "first_created": parsed.first_created,
        "version_created": parsed.version_created,
        "received_at": timezone.now(),
        **content,
    }
    outcome = Outcome("", parsed.guid, parsed.version)
    if item is None:
        item = WireItem.objects.create(service=service, guid=parsed.guid, **item_fields)
        WireVersion.objects.create(item=item, **version_fields)
        outcome.item = item
        if parsed.pub_status == WireItem.PubStatus.CANCELED:
            logger.warning("Kill of an unknown wire item %s from %s", parsed.guid, service)
            outcome.action = "killed"
            outcome.detail = _("an item never received: nothing to withdraw, nothing usable kept")
            return outcome
        outcome.action = "new" if parsed.pub_status == WireItem.PubStatus.USABLE else "withheld"
        if source is not None and source.auto_publish_section_id and outcome.action == "new":
            from articles.wire.stories import auto_publish

            article = auto_publish(item, source)
            if article is not None:
                outcome.detail = _("published automatically in %(section)s") % {
                    "section": article.section
                }
        return outcome

    outcome.item = item
    if item.versions.filter(version_key=key, fingerprint=mark).exists():
        outcome.action = "unchanged"
        outcome.detail = _("already received")
        return outcome
    WireVersion.objects.create(item=item, **version_fields)
    if key <= item.version_key:
        outcome.action = "unchanged"
        outcome.detail = (
            _("an older version arrived late; kept in the history, the newer one stays")
            if key < item.version_key
            else _("a different copy of a version already received; kept in the history")
        )
        return outcome
    was = item.pub_status
    for name, value in item_fields.items():
        setattr(item, name, value)
    item.save()
    if parsed.pub_status == WireItem.PubStatus.CANCELED:
        outcome.action = "killed"
        outcome.detail = _kill(item) if was != WireItem.PubStatus.CANCELED else ""
    elif parsed.pub_status == WireItem.PubStatus.WITHHELD:
        outcome.action = "withheld"
        if item.article_id:
            outcome.detail = _("used for story %(pk)s: its editors are alerted on the desk") % {
                "pk": item.article_id
            }
    else:
        outcome.action = "updated"
        if item.is_correction:
            outcome.detail = _("correction")
        if item.article_id:
            outcome.detail = ", ".join(
                filter(None, [outcome.detail, _("the story's editors are alerted")])
            )
    return outcome


def _kill(item: WireItem) -> str:
    """Withdraw the story made from a killed item, if it is live; what happened, in words."""
    article = item.article
    if article is None:
        return _("not used for a story")
    logger.warning("Wire kill of %s withdraws story %s", item.guid, article.pk)
    if not article.is_published() and article.status != Article.Status.PUBLISHED:
        return _("story %(pk)s was not published; its editors are alerted") % {"pk": article.pk}
    comment = _("Withdrawn: %(agency)s killed the item %(guid)s.") % {
        "agency": item.service.credit,
        "guid": item.guid,
    }
    if reversion.is_registered(Article):
        with reversion.create_revision(atomic=False):
            reversion.set_comment(comment)
            withdrawals.withdraw(article, Withdrawal.Reason.KILLED)
    else:
        withdrawals.withdraw(article, Withdrawal.Reason.KILLED)
    return _("story %(pk)s withdrawn (410), its editors are alerted") % {"pk": article.pk}
