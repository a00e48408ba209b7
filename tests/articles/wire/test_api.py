"""/api/ninjs/: our stories as ninjs 2.x, valid against IPTC's schema for every demo story;
only published stories; withdrawn ones as canceled; paging, filters, ETag/304, CORS, the page
cache and the query budget."""

import io
import json
from datetime import datetime, timedelta
from pathlib import Path

from django.core.management import call_command
from django.db import connection
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from jsonschema import Draft202012Validator, FormatChecker

from articles.models import Article, WireService
from newsroom.chrome.models import SiteSettings
from tests.factories import make_article, make_author, make_section
from tests.helpers import StoresPagesAtOnce

SCHEMA = json.loads((Path(__file__).parent / "schema" / "ninjs-schema_2.2.json").read_text())
VALIDATOR = Draft202012Validator(SCHEMA, format_checker=FormatChecker())
LIST = reverse("articles:ninjs-list")


def detail(pk: int) -> str:
    return reverse("articles:ninjs-detail", args=[pk])


def assert_valid(document: dict) -> None:
    errors = sorted(VALIDATOR.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
    # The formats jsonschema checks only with optional packages installed: date-time and uri.
    for name in ("firstcreated", "versioncreated"):
        if name in document:
            assert datetime.fromisoformat(document[name]).tzinfo is not None
    uris = [document["uri"], *(s["uri"] for s in document.get("subjects", []))]
    uris += [r["href"] for a in document.get("associations", []) for r in a["renditions"]]
    assert all(uri.startswith(("http://", "https://")) for uri in uris), uris


@override_settings(DEBUG=True, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class DemoStoriesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("setup_demo", articles=40, images=2, seed=5, stdout=io.StringIO())

    def test_every_demo_story_validates_against_iptc_schema(self):
        published = list(Article.objects.published())
        assert len(published) > 10
        assert any(story.wire_service_id for story in published)
        assert any(story.picture_id for story in published)
        for story in published:
            response = self.client.get(detail(story.pk))
            assert response.status_code == 200
            document = response.json()
            assert_valid(document)
            assert document["headlines"][0]["value"] == story.headline
            assert document["pubstatus"] == "usable"
            assert document["language"] == story.language
            if story.wire_service_id:
                assert document["infosources"][0]["name"] == story.wire_credit
            if story.picture_id:
                [picture] = document["associations"]
                assert picture["type"] == "picture" and picture["renditions"]
                names = {rendition["name"] for rendition in picture["renditions"]}
                assert {"original", "jpeg-1600", "16:9-jpeg-1280", "1:1-webp-1280"} <= names
        pages = 0
        url = LIST
        while url:
            response = self.client.get(url)
            for document in response.json():
                assert_valid(document)
            pages += 1
            links = response["Link"]
            url = next(
                (
                    part.split(";")[0].strip("<> ")
                    for part in links.split(", ")
                    if 'rel="next"' in part
                ),
                None,
            )
        assert pages == -(-len(published) // 20)

    def test_nothing_unpublished(self):
        for story in Article.objects.exclude(pk__in=Article.objects.published()):
            assert self.client.get(detail(story.pk)).status_code == 404
        listed = {doc["uri"] for doc in self.client.get(LIST, {"page": 1}).json()}
        hidden = Article.objects.exclude(pk__in=Article.objects.published())
        assert not any(detail(story.pk) in uri for uri in listed for story in hidden)


class ApiTests(StoresPagesAtOnce, TestCase):
    def setUp(self):
        super().setUp()
        SiteSettings(pk=1, language="ro").save()
        self.section = make_section(name="Economie", slug="economie")
        self.author = make_author(name="Ana Pop", slug="ana-pop")
        self.story = make_article(
            headline="Inflația scade",
            section=self.section,
            authors=[self.author],
            tags=["inflație"],
            dateline="București",
            wire_service=WireService.objects.get(slug="reuters"),
            wire_attribution=Article.Attribution.ACCORDING_TO,
            wire_story_id="urn:reuters:1",
        )
        self.other = make_article(
            headline="Alt subiect", publish_at=timezone.now() - timedelta(days=3)
        )

    def test_document(self):
        response = self.client.get(detail(self.story.pk))
        assert response["Content-Type"] == "application/json; charset=utf-8"
        assert response["Access-Control-Allow-Origin"] == "*"
        document = response.json()
        assert_valid(document)
        assert document["uri"] == f"http://testserver{detail(self.story.pk)}"
        assert document["by"] == "Ana Pop" and document["located"] == "București"
        assert {"name": "inflație", "rel": "tag"}.items() <= document["subjects"][1].items()
        assert document["subjects"][0]["name"] == "Economie"
        assert document["infosources"] == [{"name": "potrivit Reuters", "role": "source"}]
        assert document["altids"] == [{"role": "agency", "value": "urn:reuters:1"}]
        assert self.client.head(detail(self.story.pk)).status_code == 200
        assert self.client.post(detail(self.story.pk)).status_code == 405

    def test_withdrawn_story_is_canceled_with_uri_and_version_only(self):
        self.story.status = Article.Status.DRAFT
        self.story.save()
        response = self.client.get(detail(self.story.pk))
        assert response.status_code == 410
        document = response.json()
        assert_valid(document)
        assert document == {
            "uri": f"http://testserver{detail(self.story.pk)}",
            "version": str(self.story.version),
            "pubstatus": "canceled",
        }
        since = (timezone.now() - timedelta(minutes=1)).isoformat()
        listed = self.client.get(LIST, {"since": since}).json()
        assert document in listed
        assert "Inflația" not in json.dumps(listed, ensure_ascii=False)
        assert "Inflația" not in self.client.get(LIST).content.decode()

    def test_filters_and_their_errors(self):
        def headlines(**params):
            response = self.client.get(LIST, params)
            assert response.status_code == 200, response.content
            return [doc["headlines"][0]["value"] for doc in response.json()]

        assert headlines() == ["Inflația scade", "Alt subiect"]
        assert headlines(section="economie") == ["Inflația scade"]
        assert headlines(tag=self.story.tags.get().slug) == ["Inflația scade"]
        assert headlines(author="ana-pop") == ["Inflația scade"]
        assert headlines(language="ro") == ["Inflația scade", "Alt subiect"]
        assert headlines(language="en") == []
        since = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
        assert headlines(since=since) == ["Inflația scade"]
        assert self.client.get(LIST, {"since": "yesterday"}).status_code == 400
        assert self.client.get(LIST, {"section": "nope"}).status_code == 404
        assert self.client.get(LIST, {"page": "x"}).status_code == 404
        assert self.client.get(LIST, {"page": "2"}).status_code == 404
        assert self.client.get(detail(999999)).status_code == 404

    def test_paging_links(self):
        for n in range(45):
            make_article(section=self.section, publish_at=timezone.now() - timedelta(hours=n + 2))
        response = self.client.get(LIST, {"section": "economie", "page": 2})
        links = response["Link"]
        assert '<http://testserver/api/ninjs/?section=economie>; rel="first"' in links
        assert '<http://testserver/api/ninjs/?section=economie>; rel="prev"' in links
        assert '<http://testserver/api/ninjs/?section=economie&page=3>; rel="next"' in links
        assert len(response.json()) == 20

    def test_cached_with_etag_and_exact_invalidation(self):
        url = detail(self.story.pk)
        first = self.client.get(url)
        assert first["X-Page-Cache"] == "miss" and first["ETag"]
        again = self.client.get(url)
        assert again["X-Page-Cache"] == "hit"
        assert self.client.get(url, headers={"if-none-match": first["ETag"]}).status_code == 304
        listed = self.client.get(LIST)
        self.story.headline = "Inflația crește"
        self.story.save()
        assert self.client.get(url).json()["headlines"][0]["value"] == "Inflația crește"
        assert "Inflația crește" in self.client.get(LIST).content.decode()
        assert listed["Access-Control-Allow-Origin"] == "*"

    @override_settings(PAGE_CACHE=False)
    def test_within_the_page_budget(self):
        for n in range(25):
            make_article(
                section=self.section,
                authors=[self.author],
                tags=["a", "b"],
                publish_at=timezone.now() - timedelta(hours=n + 2),
            )
        for url in (LIST, f"{LIST}?tag=a", f"{LIST}?page=2", detail(self.story.pk)):
            self.client.get(url)  # per-process caches warm
            with CaptureQueriesContext(connection) as captured:
                assert self.client.get(url).status_code == 200
            assert len(captured) <= 8, (url, [q["sql"] for q in captured])
