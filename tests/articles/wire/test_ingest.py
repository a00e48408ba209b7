"""ingest_wire: every format, every case an agency sends, one clear line per item, nothing
half-stored, and hostile or broken documents refused without stopping the others."""

import contextlib
import io
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import TestCase, override_settings
from django.utils import timezone, translation
from reversion.models import Version

from articles.models import Article, WireItem, WireService, WireVersion, Withdrawal
from articles.wire.ingest import ingest_document
from articles.wire.models import version_key
from articles.wire.stories import make_story
from newsroom.chrome.models import SiteSettings
from tests.articles.wire.helpers import SAMPLES, agency_server, sample
from tests.factories import make_section
from tests.helpers import StoresPagesAtOnce, text_of


def run(*args) -> list[str]:
    out = io.StringIO()
    call_command("ingest_wire", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue().splitlines()


class IngestFormatsTests(TestCase):
    def setUp(self):
        self.enterContext(translation.override("en"))
        self.reuters = WireService.objects.get(slug="reuters")

    def ingest(self, name: str):
        return ingest_document(sample(name), self.reuters)

    def test_ninjs_1_text_story(self):
        [outcome] = self.ingest("ninjs1-text.json")
        assert outcome.action == "new"
        item = WireItem.objects.get(guid="urn:newsml:example-agency.ro:20261205:tx-001")
        assert item.headline == "Parlamentul adoptă bugetul pe 2027"
        assert item.version == 1 and item.urgency == 3 and item.language == "ro"
        assert item.byline == "By Ana Ionescu" and item.dateline == "București"
        # The story allowlist: no script, no event handler.
        assert "<script" not in item.body and "onclick" not in item.body
        assert "Opoziția a contestat." in item.body
        assert item.keywords == ["buget", "parlament"]
        assert item.subjects == [{"name": "politică", "code": "medtop:11000000"}]
        assert item.versions.get().raw.startswith("{")

    def test_ninjs_2_story_with_a_picture(self):
        [outcome] = self.ingest("ninjs2-picture.json")
        item = outcome.item
        assert item.headline == "Storm closes Black Sea ports"  # the "main" headline
        assert item.byline == "John Smith" and item.dateline == "Constanța"
        [picture] = item.pictures
        assert picture["href"] == "PICTURE_URL/storm.jpg"  # the widest rendition
        assert picture["credit"] == "Example Agency/Ion Pop"
        assert picture["caption"] == "Waves break over the pier in Constanța."

    def test_ninjs_list_and_plain_text_bodies(self):
        outcomes = self.ingest("ninjs2-list.json")
        assert [o.action for o in outcomes] == ["new", "new"]
        first = WireItem.objects.get(guid="urn:example:list-1")
        assert first.body == "<p>Plain first paragraph.</p><p>Second paragraph.</p>"
        assert WireItem.objects.get(guid="urn:example:list-2").embargo.year == 2030

    def test_newsml_message_with_package_and_picture(self):
        outcomes = self.ingest("newsml-message.xml")
        [outcome] = outcomes  # the picture belongs to the text item through the package
        item = outcome.item
        assert item.guid == "tag:agency.test,2026:text-10" and item.version == 4
        assert item.headline == "Cutremur de 5,1 grade în Vrancea"
        assert item.language == "ro" and item.urgency == 1 and item.dateline == "FOCȘANI"
        assert "<strong>pagube</strong>" in item.body and "<title>" not in item.body
        assert item.embargo.year == 2030
        assert item.pictures[0]["credit"] == "Agenția Test/Dan Vasile"
        assert item.pictures[0]["href"].endswith("/quake.jpg")

    def test_rss_in_its_declared_encoding(self):
        outcomes = self.ingest("rss.xml")
        assert [o.action for o in outcomes] == ["new", "new"]
        item = WireItem.objects.get(guid="http://small.test/a/1")
        assert item.headline == "Primăria anunţă lucrări"
        assert item.body == "<p>Lucrările încep luni.</p>"
        assert item.version is None and item.version_created is not None
        assert item.pictures[0]["credit"] == "Foto: Ion Radu"

    def test_atom(self):
        [outcome] = self.ingest("atom.xml")
        assert outcome.item.body == "<p>The bridge reopened on <em>Friday</em>.</p>"
        assert outcome.item.byline == "Eva Stan" and outcome.item.language == "en"

    def test_hostile_and_broken_documents_are_refused_with_a_reason(self):
        reasons = {
            "billion-laughs.xml": "hostile XML refused",
            "external-entity.xml": "hostile XML refused",
            "malformed.xml": "malformed XML",
            "malformed.json": "malformed JSON",
            "wrong-encoding.xml": "wrong encoding",
            "wrong-encoding.json": "wrong encoding",
        }
        for name, reason in reasons.items():
            [outcome] = self.ingest(name)
            assert outcome.action == "refused", name
            assert reason in outcome.detail, (name, outcome.detail)
        assert not WireItem.objects.exists()
        assert not WireVersion.objects.exists()

    def test_not_a_news_document(self):
        for data, reason in [
            (b"<html><body>hi</body></html>", "of a kind we do not read"),
            (b"plain words", "neither JSON nor XML"),
            (b'{"headline": "no uri"}', "without a uri"),
            (b"[" * 100_000, "malformed JSON"),
        ]:
            [outcome] = ingest_document(data, self.reuters)
            assert outcome.action == "refused" and reason in outcome.detail, outcome.detail


class IngestCommandTests(StoresPagesAtOnce, TestCase):
    def setUp(self):
        super().setUp()
        self.enterContext(translation.override("en"))
        SiteSettings(pk=1, language="ro").save()

    def test_a_line_per_item_and_idempotent(self):
        lines = run(str(SAMPLES / "ninjs2-list.json"), "--service", "afp")
        assert lines == [
            f"new {SAMPLES / 'ninjs2-list.json'} urn:example:list-1 v1",
            f"new {SAMPLES / 'ninjs2-list.json'} urn:example:list-2 v1",
        ]
        again = run(str(SAMPLES / "ninjs2-list.json"), "--service", "afp")
        assert all(line.startswith("unchanged") and "already received" in line for line in again)
        assert WireItem.objects.count() == 2 and WireVersion.objects.count() == 2
        assert {item.service.slug for item in WireItem.objects.all()} == {"afp"}

    def test_one_bad_file_never_stops_the_others_and_only_a_missing_path_fails(self):
        out, err = io.StringIO(), io.StringIO()
        with pytest.raises(CommandError, match="1 path"):
            call_command(
                "ingest_wire",
                str(SAMPLES / "billion-laughs.xml"),
                "/no/such/file.xml",
                str(SAMPLES / "atom.xml"),
                "--service",
                "reuters",
                stdout=out,
                stderr=err,
            )
        lines = out.getvalue().splitlines()
        assert lines[0].startswith("refused") and "hostile XML" in lines[0]
        assert lines[1].startswith("new") and "urn:small:entry-1" in lines[1]
        assert "unreadable /no/such/file.xml" in err.getvalue()
        # A folder of bad documents is read to the end, and exits 0: every file was read.
        lines = run(str(SAMPLES), "--service", "reuters")
        assert any(line.startswith("refused") for line in lines)

    def test_the_reasons_are_in_the_site_language(self):
        with translation.override("ro"):
            [line] = run(str(SAMPLES / "billion-laughs.xml"), "--service", "reuters")
        assert line.startswith("refused") and "XML ostil refuzat" in line

    def test_an_agency_must_be_named_when_there_are_several(self):
        with pytest.raises(CommandError, match="--service"):
            run(str(SAMPLES / "atom.xml"))

    @override_settings(WIRE_MAX_BYTES=1024 * 1024)
    def test_a_document_over_the_limit_is_refused_unread(self):
        big = Path(self.enterContext(_temp_dir())) / "huge.json"
        with big.open("wb") as handle:  # 50 MB, most of it one headline
            handle.write(b'{"uri": "urn:huge", "headline": "')
            handle.truncate(50 * 1024 * 1024)
        [line] = run(str(big), "--service", "reuters")
        assert line.startswith("refused") and "larger than the limit of 1,048,576 bytes" in line
        assert not WireItem.objects.exists()

    def test_versions_updates_corrections_and_out_of_order(self):
        reuters = WireService.objects.get(slug="reuters")
        ingest_document(sample("newsml-message.xml"), reuters)
        [late] = ingest_document(_renumbered(sample("newsml-correction.xml"), 3), reuters)
        assert late.action == "unchanged" and "older version arrived late" in late.detail
        item = WireItem.objects.get(guid="tag:agency.test,2026:text-10")
        assert item.version == 4 and "5,1 grade" in item.headline  # v3 did not overwrite v4
        [correction] = ingest_document(sample("newsml-correction.xml"), reuters)
        assert correction.action == "updated" and "correction" in correction.detail
        item.refresh_from_db()
        assert item.version == 5 and item.is_correction and "5,3 grade" in item.headline
        assert list(item.versions.values_list("version", flat=True)) == [5, 4, 3]
        # RSS items have no number: a later date is a newer version, an earlier one is not.
        ingest_document(sample("rss.xml"), reuters)
        newer = sample("rss.xml").replace(b"08:00:00 +0200", b"08:30:00 +0200")
        older = sample("rss.xml").replace(b"08:00:00 +0200", b"07:30:00 +0200")
        assert ingest_document(newer, reuters)[0].action == "updated"
        assert ingest_document(older, reuters)[0].action == "unchanged"
        assert version_key(None, None) < version_key(1, None) < version_key(2, None)


class KillTests(StoresPagesAtOnce, TestCase):
    """In the site's language (Romanian): the reader's pages are asked for in between."""

    def setUp(self):
        super().setUp()
        SiteSettings(pk=1, language="ro").save()
        self.reuters = WireService.objects.get(slug="reuters")
        self.section = make_section(name="Actualitate", slug="actualitate")

    def used_story(self, publish: bool = True) -> Article:
        data = sample("newsml-message.xml").replace(b"2030-06-01", b"2020-06-01")
        [outcome] = ingest_document(data, self.reuters)
        with agency_server() as server:
            item = outcome.item
            assert item is not None
            base = server.url_for("/pictures")
            item.pictures = [
                dict(p, href=p["href"].replace("PICTURE_URL", base)) for p in item.pictures
            ]
            item.save()
            article, note = make_story(item, self.section)
        assert note == ""
        if publish:
            article.status = Article.Status.PUBLISHED
            article.publish_at = timezone.now() - timedelta(minutes=5)
            article.save()
        return article

    def test_kill_of_a_used_published_item_withdraws_the_story_at_once(self):
        article = self.used_story()
        url = article.get_absolute_url()
        assert self.client.get(url).status_code == 200
        assert "Cutremur" in text_of(self.client.get("/"))
        assert b"Cutremur" in self.client.get("/feed/").content
        assert "Cutremur de 5,1" in text_of(self.client.get("/search/", {"q": "cutremur"}))
        [outcome] = ingest_document(sample("newsml-kill.xml"), self.reuters)
        assert outcome.action == "killed"
        assert f"articolul {article.pk} a fost retras (410)" in outcome.detail
        response = self.client.get(url)
        assert response.status_code == 410
        assert Withdrawal.objects.get(path=url).reason == Withdrawal.Reason.KILLED
        assert "Cutremur" not in text_of(self.client.get("/"))
        assert b"Cutremur" not in self.client.get("/feed/").content
        assert b"Cutremur" not in self.client.get("/news-sitemap.xml").content
        assert "Cutremur de 5,1" not in text_of(self.client.get("/search/", {"q": "cutremur"}))
        article.refresh_from_db()
        assert article.status == Article.Status.DRAFT
        item = WireItem.objects.get(article=article)
        assert item.pub_status == WireItem.PubStatus.CANCELED
        assert WireItem.objects.needing_attention().get() == item
        # The event is in the story's history.
        assert "a anulat știrea" in Version.objects.get_for_object(article).first().revision.comment
        # A later usable copy of an older version does not bring it back.
        [late] = ingest_document(sample("newsml-correction.xml"), self.reuters)
        assert late.action == "unchanged"
        assert self.client.get(url).status_code == 410

    def test_kill_of_an_unknown_item_creates_nothing_publishable(self):
        with self.assertLogs("articles.wire.ingest", "WARNING") as logs:
            [outcome] = ingest_document(sample("newsml-kill-unknown.xml"), self.reuters)
        assert outcome.action == "killed" and "niciodată primită" in outcome.detail
        assert "never-seen" in logs.output[0]
        item = WireItem.objects.get()
        assert item.pub_status == WireItem.PubStatus.CANCELED
        assert not WireItem.objects.usable().exists()
        with pytest.raises(ValueError):
            make_story(item, self.section)
        assert not Article.objects.exists()

    def test_withheld_item_cannot_be_used_and_a_used_one_alerts_but_stays(self):
        article = self.used_story()
        withheld = sample("newsml-correction.xml").replace(b"stat:usable", b"stat:withheld")
        [outcome] = ingest_document(withheld, self.reuters)
        assert outcome.action == "withheld" and "avertizați" in outcome.detail
        assert self.client.get(article.get_absolute_url()).status_code == 200
        assert WireItem.objects.needing_attention().count() == 1
        [other] = ingest_document(
            sample("ninjs1-text.json").replace(b'"usable"', b'"withheld"'), self.reuters
        )
        assert other.action == "withheld"
        with pytest.raises(ValueError, match="suspendată"):
            make_story(other.item, self.section)

    def test_kill_of_a_draft_leaves_it_a_draft_and_alerts(self):
        article = self.used_story(publish=False)
        [outcome] = ingest_document(sample("newsml-kill.xml"), self.reuters)
        assert "nu era publicat" in outcome.detail
        assert not Withdrawal.objects.exists()
        assert WireItem.objects.needing_attention().count() == 1
        article.refresh_from_db()
        assert article.status == Article.Status.DRAFT


def _renumbered(data: bytes, version: int) -> bytes:
    return data.replace(b'version="5"', f'version="{version}"'.encode())


@contextlib.contextmanager
def _temp_dir():
    with tempfile.TemporaryDirectory() as folder:
        yield folder
