from io import StringIO

from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import TestCase, TransactionTestCase


class PendingMigrationsTests(TestCase):
    def test_every_model_change_has_its_migration(self):
        out = StringIO()
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=StringIO())
        assert "No changes detected" in out.getvalue()


class LeadImagesToLibraryTests(TransactionTestCase):
    """Migration 0018 moves every lead image, its words, size and renditions into the library,
    and back; nothing is lost either way."""

    before = [("articles", "0017_picture_library_groups")]
    after = [("articles", "0019_lead_images_leave_stories")]

    def migrate(self, targets):
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(targets)
        return executor.loader.project_state(targets).apps

    def tearDown(self):
        self.migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    def test_lead_images_become_pictures_and_come_back(self):
        apps = self.migrate(self.before)
        Section = apps.get_model("articles", "Section")
        Article = apps.get_model("articles", "Article")
        User = apps.get_model("auth", "User")
        section = Section.objects.create(name="Politics", slug="politics")
        reporter = User.objects.create(username="ana")
        record = {
            "source": "articles/2024/12/vote.jpg",
            "width": 1600,
            "height": 900,
            "webp": [[320, 180, "renditions/articles/vote-320.webp"]],
            "jpeg": [[320, 180, "renditions/articles/vote-320.jpg"]],
        }
        words = {
            "image_alt": 'MPs voting <script>alert("x")</script>',
            "image_caption": "The vote on Monday & what followed",
            "image_credit": "Foto: Ion Pop",
        }

        def story(slug, **fields):
            return Article.objects.create(
                headline=slug, slug=slug, body="<p>Text.</p>", section=section, **fields
            )

        first = story(
            "first",
            image="articles/2024/12/vote.jpg",
            image_width=1600,
            image_height=900,
            image_renditions=record,
            created_by=reporter,
            **words,
        )
        # The same file with the same words: one picture, shown twice.
        second = story(
            "second",
            image="articles/2024/12/vote.jpg",
            image_width=1600,
            image_height=900,
            image_renditions=record,
            **words,
        )
        # The same file, described otherwise: a picture of its own, words kept apart.
        third = story(
            "third",
            image="articles/2024/12/vote.jpg",
            image_width=1600,
            image_height=900,
            image_alt="The chamber",
            image_renditions={"source": "articles/old.jpg", "jpeg": []},  # stale: dropped
        )
        without = story("without")

        apps = self.migrate(self.after)
        Article = apps.get_model("articles", "Article")
        Picture = apps.get_model("articles", "Picture")
        assert Picture.objects.count() == 2
        moved = Article.objects.get(pk=first.pk).picture
        assert Article.objects.get(pk=second.pk).picture_id == moved.pk
        assert moved.file.name == "articles/2024/12/vote.jpg"
        assert (moved.width, moved.height) == (1600, 900)
        assert moved.alt == words["image_alt"]
        assert moved.caption == words["image_caption"]
        assert moved.credit == words["image_credit"]
        assert moved.renditions == record
        assert moved.uploaded_by_id == reporter.pk
        assert (moved.focal_x, moved.focal_y) == (0.5, 0.5)
        other = Article.objects.get(pk=third.pk).picture
        assert other.pk != moved.pk and other.alt == "The chamber" and other.renditions == {}
        assert Article.objects.get(pk=without.pk).picture_id is None
        assert not {"image", "image_alt", "image_renditions"} & {
            field.name for field in Article._meta.get_fields()
        }

        apps = self.migrate(self.before)
        Article = apps.get_model("articles", "Article")
        back = Article.objects.get(pk=second.pk)
        assert back.image.name == "articles/2024/12/vote.jpg"
        assert (back.image_width, back.image_height) == (1600, 900)
        assert (back.image_alt, back.image_caption, back.image_credit) == tuple(words.values())
        assert back.image_renditions == record
        assert Article.objects.get(pk=third.pk).image_alt == "The chamber"
        assert Article.objects.get(pk=without.pk).image == ""


class AuthorPhotosToLibraryTests(TransactionTestCase):
    """Migration 0023 moves every author's photo, its size and its square renditions into the
    library, and back; nothing is lost either way."""

    before = [("articles", "0021_video_library_groups")]
    after = [("articles", "0024_author_photos_leave_authors")]

    migrate = LeadImagesToLibraryTests.migrate

    def tearDown(self):
        self.migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    def test_author_photos_become_pictures_and_come_back(self):
        apps = self.migrate(self.before)
        Author = apps.get_model("articles", "Author")
        Picture = apps.get_model("articles", "Picture")
        User = apps.get_model("auth", "User")
        user = User.objects.create(username="ana")
        record = {
            "source": "authors/ana.jpg",
            "width": 300,  # the square cut from the photo; its renditions go up to 256
            "height": 300,
            "webp": [[64, 64, "renditions/authors/ana-64.webp"], [256, 256, "r/ana-256.webp"]],
            "jpeg": [[64, 64, "renditions/authors/ana-64.jpg"], [256, 256, "r/ana-256.jpg"]],
        }
        name = 'Ana <script>alert("x")</script> Pop'

        def author(slug, **fields):
            return Author.objects.create(slug=slug, **{"name": name} | fields)

        photo = {"photo": "authors/ana.jpg", "photo_width": 300, "photo_height": 400}
        first = author("ana", photo_renditions=record, user=user, **photo)
        # The same file under the same name: one picture, shown twice.
        second = author("ana-2", photo_renditions=record, **photo)
        # The same file under another name: a picture of its own, its words kept apart.
        third = author(
            "radu",
            name="Radu Ene",
            photo_renditions={"source": "authors/old.jpg", "jpeg": []},  # stale: dropped
            **photo,
        )
        # A picture already in the library with the same file and words is the one used.
        library = Picture.objects.create(
            file="authors/dan.jpg", width=500, height=500, alt="Dan Ilie", renditions={}
        )
        fourth = author(
            "dan", name="Dan Ilie", photo="authors/dan.jpg", photo_width=500, photo_height=500
        )
        without = author("without", name="No Photo")
        # A photo whose size was never read and whose file is gone (a restore without media):
        # moved all the same, not read.
        gone = author("gone", name="Gone Photo")
        Author.objects.filter(pk=gone.pk).update(photo="authors/gone.jpg")

        apps = self.migrate(self.after)
        Author = apps.get_model("articles", "Author")
        Picture = apps.get_model("articles", "Picture")
        assert Picture.objects.count() == 4
        lost = Picture.objects.filter(authors=gone.pk).values("file", "width").get()
        assert lost == {"file": "authors/gone.jpg", "width": None}
        moved = Author.objects.get(pk=first.pk).picture
        assert Author.objects.get(pk=second.pk).picture_id == moved.pk
        assert moved.file.name == "authors/ana.jpg"
        assert (moved.width, moved.height) == (300, 400)
        assert (moved.alt, moved.caption, moved.credit) == (name, "", "")
        assert moved.uploaded_by_id == user.pk
        assert (moved.focal_x, moved.focal_y) == (0.5, 0.5)
        # Its square renditions are the picture's square crop, file for file.
        assert moved.renditions == {
            "source": "authors/ana.jpg",
            "crops": {"1:1": {key: record[key] for key in ("width", "height", "webp", "jpeg")}},
        }
        other = Author.objects.get(pk=third.pk).picture
        assert other.pk != moved.pk and other.alt == "Radu Ene" and other.renditions == {}
        assert Author.objects.get(pk=fourth.pk).picture_id == library.pk
        assert Author.objects.get(pk=without.pk).picture_id is None
        assert not {"photo", "photo_width", "photo_renditions"} & {
            field.name for field in Author._meta.get_fields()
        }

        apps = self.migrate(self.before)
        Author = apps.get_model("articles", "Author")
        back = Author.objects.get(pk=second.pk)
        assert back.photo.name == "authors/ana.jpg"
        assert (back.photo_width, back.photo_height) == (300, 400)
        assert back.photo_renditions == record
        assert Author.objects.get(pk=first.pk).photo_renditions == record
        assert Author.objects.get(pk=third.pk).photo_renditions == {}
        assert Author.objects.get(pk=fourth.pk).photo.name == "authors/dan.jpg"
        assert Author.objects.get(pk=without.pk).photo == ""
        assert Author.objects.filter(pk=gone.pk).values_list("photo", flat=True).get() == (
            "authors/gone.jpg"
        )

        # And forwards again: the same pictures, none made twice.
        apps = self.migrate(self.after)
        Author = apps.get_model("articles", "Author")
        assert apps.get_model("articles", "Picture").objects.count() == 4
        assert Author.objects.get(pk=second.pk).picture_id == moved.pk
