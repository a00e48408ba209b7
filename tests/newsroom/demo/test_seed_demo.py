import random
import re
from datetime import timedelta
from io import StringIO
from unittest import mock

from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from taggit.models import Tag

from articles import renditions
from articles.models import (
    Article,
    ArticleAuthor,
    Author,
    Correction,
    Picture,
    Section,
    WireService,
)
from articles.richtext import has_text, sanitize_body
from articles.search import search_articles
from newsroom import demo
from newsroom.demo.management.commands.seed_demo import give_unique_slugs


def seed(**options) -> str:
    out = StringIO()
    options.setdefault("images", 1)
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


class SeedDemoTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.output = seed(articles=30, seed=7)

    def test_reports_what_it_added(self):
        assert "Added 30 demo stories" in self.output
        assert "(seed 7)" in self.output
        assert Article.objects.count() == 30

    def test_every_status_is_there(self):
        assert Article.objects.filter(status=Article.Status.DRAFT).exists()
        assert Article.objects.filter(status=Article.Status.REVIEW).exists()
        assert Article.objects.published().exists()
        assert Article.objects.scheduled().exists()
        assert not Article.objects.exclude(status=Article.Status.PUBLISHED).filter(
            publish_at__isnull=False
        )

    def test_every_attribution_kind_with_its_agency_and_story_id(self):
        wire = Article.objects.filter(wire_service__isnull=False)
        assert set(wire.values_list("wire_attribution", flat=True)) == set(Article.Attribution)
        assert not wire.filter(wire_story_id="").exists()
        assert not Article.objects.filter(wire_service__isnull=True).exclude(wire_attribution="")
        # The agencies are the ones the data migration added, not new ones.
        assert WireService.objects.count() == 6

    def test_sections_in_position_order(self):
        names = list(Section.objects.values_list("name", flat=True))
        assert names[:4] == ["Politică", "Economie", "Externe", "Sport"]
        assert len(names) == len(demo.SECTIONS)

    def test_authors_have_titles_bios_and_photos_from_the_library(self):
        assert Author.objects.count() == len(demo.AUTHORS)
        for author in Author.objects.select_related("picture"):
            assert author.job_title and author.bio
            portrait = author.picture
            assert default_storage.exists(portrait.file.name)
            assert (portrait.width, portrait.height) == (400, 400)
            assert portrait.alt == author.name
            # Made with the picture, like the pool's: nothing left for the task worker.
            assert renditions.picture_is_current(portrait)
            assert [w for w, _h, _n in portrait.crop("1:1")["jpeg"]] == [64, 128, 256, 400]

    def test_bodies_are_sanitized_news_copy(self):
        for article in Article.objects.all():
            assert sanitize_body(article.body) == article.body
            assert has_text(article.body)
            assert article.body.count("<p>") >= 4
            for element in ("<h2>", "<blockquote>", '<a href="'):
                assert element in article.body, (element, article.slug)
            assert article.headline and article.standfirst and article.dateline

    def test_bodies_are_sanitized_even_though_bulk_create_skips_save(self):
        write_story = demo.write_story

        def hostile(*args, **kwargs):
            story = write_story(*args, **kwargs)
            story.body += '<p onclick="steal()">x<script>alert(1)</script></p>'
            story.body += '<a href="javascript:alert(1)">y</a><p style="color:red">z</p>'
            return story

        before = set(Article.objects.values_list("pk", flat=True))
        with mock.patch("newsroom.demo.write_story", hostile):
            seed(articles=5, seed=3)
        for body in Article.objects.exclude(pk__in=before).values_list("body", flat=True):
            for marker in ("<script", "onclick", "javascript:", "style="):
                assert marker not in body

    def test_bylines_have_one_to_three_authors_in_order(self):
        sizes = set()
        for article in Article.objects.with_byline():
            positions = [link.position for link in article.bylines.all()]
            assert positions == list(range(len(positions)))
            assert 1 <= len(positions) <= 3
            sizes.add(len(positions))
        assert max(sizes) >= 2
        shared = Article.objects.filter(bylines__position=1).first()
        ordered = ArticleAuthor.objects.filter(article=shared).order_by("position")
        assert Article.objects.with_byline().get(pk=shared.pk).byline == [
            link.author for link in ordered
        ]

    def test_two_to_five_tags_with_ascii_slugs(self):
        for article in Article.objects.all():
            assert 2 <= article.tags.count() <= 5
        for tag in Tag.objects.all():
            assert re.fullmatch(r"[a-z0-9-]+", tag.slug), tag.slug
            reverse("articles:tag", kwargs={"slug": tag.slug})

    def test_lead_pictures_come_from_the_library_with_alt_caption_and_credit(self):
        with_picture = Article.objects.filter(picture__isnull=False).select_related("picture")
        assert with_picture.count() >= 20
        # A few pictures per section, each shown by several stories: the library's reuse.
        pictures = Picture.objects.filter(stories__isnull=False).distinct()
        assert pictures.count() < with_picture.count()
        for article in with_picture:
            picture = article.picture
            assert picture.alt and picture.caption and picture.credit and picture.usage_note
            assert (picture.width, picture.height) == (2400, 1350)
            with default_storage.open(picture.file.name) as handle, Image.open(handle) as image:
                assert image.format == "JPEG"
                assert image.size == (2400, 1350)
            record = picture.renditions
            assert record["source"] == picture.file.name and record["focus"] == [0.5, 0.5]
            assert record["jpeg"] and record["webp"]
            assert all(default_storage.exists(name) for _w, _h, name in record["webp"])
            for shape in ("16:9", "4:3", "1:1"):
                assert picture.crop(shape)["jpeg"][-1][0] >= 1200

    def test_publish_times_fill_the_last_two_days_and_the_months_before(self):
        now = timezone.now()
        live = Article.objects.published()
        assert live.filter(publish_at__gte=now - timedelta(days=2)).count() >= 2
        assert live.filter(publish_at__lt=now - timedelta(days=7)).exists()
        for article in live:
            assert article.created_at < article.publish_at
            if article.updated_at:
                assert article.publish_at < article.updated_at <= now

    def test_corrections_and_updates_on_some_stories(self):
        kinds = set(Correction.objects.values_list("kind", flat=True))
        assert kinds == {Correction.Kind.CORRECTION, Correction.Kind.UPDATE}
        for note in Correction.objects.select_related("article"):
            assert note.article.is_published()
            assert note.created_at == note.article.updated_at

    def test_stories_are_searchable_without_save(self):
        article = Article.objects.published().order_by("pk").first()
        word = max(re.findall(r"\w+", article.headline), key=len)
        assert article in search_articles(Article.objects.published(), word)

    def test_same_seed_writes_the_same_stories_with_new_slugs(self):
        first = list(Article.objects.order_by("pk").values_list("headline", "slug"))
        seed(articles=30, seed=7)
        second = list(Article.objects.order_by("pk").values_list("headline", "slug"))[30:]
        assert [headline for headline, _slug in second] == [h for h, _slug in first]
        slugs = Article.objects.values_list("slug", flat=True)
        assert len(set(slugs)) == 60
        # Sections and staff are reused, not duplicated.
        assert Section.objects.count() == len(demo.SECTIONS)
        assert Author.objects.count() == len(demo.AUTHORS)

    def test_another_seed_writes_other_stories(self):
        first = list(Article.objects.order_by("pk").values_list("headline", flat=True))
        seed(articles=30, seed=8)
        second = list(Article.objects.order_by("pk").values_list("headline", flat=True))[30:]
        assert second != first

    def test_bad_counts_are_refused(self):
        with self.assertRaisesMessage(CommandError, "--articles"):
            seed(articles=-1)
        with self.assertRaisesMessage(CommandError, "--images"):
            seed(articles=1, images=0)


class CopyTests(TestCase):
    def test_every_template_names_only_known_slots(self):
        rng = random.Random(1)
        templates = demo.COMMON_SENTENCES + demo.WIRE_SENTENCES + demo.CORRECTIONS + demo.UPDATES
        for copy in demo.COPY.values():
            for story in copy["stories"]:
                templates += [story["headline"], story["standfirst"], *story["sentences"]]
            for part in ("sentences", "subheads", "quotes", "roles", "captions"):
                templates += copy[part]
        for template in templates:
            filled = demo.Facts(rng, agency="AFP").fill(template.removeprefix("m:"))
            assert "{" not in filled and "}" not in filled, template

    def test_numbers_read_right_before_de(self):
        for value in (1, 19, 101, 119, 1_205):
            assert demo._de(value) not in {"1", "19", "101", "119", "1.205"}
        assert demo._de(20) == "20"
        assert demo._de(1_234) == "1.234"


class SlugTests(TestCase):
    def test_a_clash_within_one_batch_and_with_the_database_gets_a_suffix(self):
        section = Section.objects.create(name="S", slug="s")
        Article.objects.create(headline="Taken", slug="taken", body="<p>x</p>", section=section)
        batch = [Article(slug="taken"), Article(slug="fresh"), Article(slug="fresh")]
        give_unique_slugs(batch, random.Random(1))
        slugs = [article.slug for article in batch]
        assert slugs[1] == "fresh"
        assert re.fullmatch(r"taken-[a-z0-9]{4}", slugs[0])
        assert re.fullmatch(r"fresh-[a-z0-9]{4}", slugs[2])


class DemoReadsLikeAnOutletTests(TestCase):
    """What a managing editor notices first: repeated headlines, agency copy on local news,
    agency copy sold as our exclusive."""

    @classmethod
    def setUpTestData(cls):
        seed(articles=150, seed=3)

    def test_every_headline_once(self):
        headlines = list(Article.objects.values_list("headline", flat=True))
        assert len(headlines) == len(set(headlines))

    def test_local_sections_credit_the_domestic_agency_only(self):
        local = Article.objects.exclude(wire_service=None).exclude(
            section__slug__in=["externe", "economie", "sport", "tehnologie"]
        )
        assert set(local.values_list("wire_service__slug", flat=True)) <= {"agerpres"}

    def test_agency_copy_is_never_exclusive(self):
        wire = Article.objects.exclude(wire_service=None)
        assert wire.exists()
        assert not wire.filter(tags__name__in=["Exclusiv", "Interviu"]).exists()
