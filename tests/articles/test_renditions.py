"""Responsive renditions: made once per image by a task, upright, without metadata, through
storage; the pages that show the picture are rebuilt when they are ready."""

import contextlib
import io
import logging
import re
import signal
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.db.models import ProtectedError
from django.tasks import TaskResultStatus
from django.test import TestCase, TransactionTestCase, override_settings
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from PIL import Image

from articles import renditions, tasks
from articles.models import Article, Picture
from newsroom.chrome.models import SiteSettings
from tests.factories import image_bytes, image_upload, make_article, make_author, make_picture
from tests.helpers import DATABASE_TASKS, StoresPagesAtOnce


def jpeg_with_orientation(size=(400, 200), orientation=6) -> SimpleUploadedFile:
    """A landscape JPEG whose EXIF says "rotate 90° clockwise", with a camera make to drop."""
    image = Image.new("RGB", size, (10, 120, 200))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "SecretCam"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return SimpleUploadedFile("rotated.jpg", buffer.getvalue(), content_type="image/jpeg")


def open_stored(name: str) -> Image.Image:
    with default_storage.open(name, "rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
        return image


class RenditionTestCase(TestCase):
    def setUp(self):
        cache.clear()
        SiteSettings(pk=1, language="en").save()


def lead(size=(700, 400), name="photo.jpg", **fields):
    """A story with a new library picture as its lead."""
    return make_article(picture=make_picture(file=image_upload(name, size=size), **fields))


class PictureRenditionTests(RenditionTestCase):
    def test_saving_a_picture_makes_its_shape_and_each_crop_at_several_widths(self):
        picture = make_picture(file=image_upload(size=(1000, 600)))
        picture.refresh_from_db()
        record = picture.renditions
        assert record["source"] == picture.file.name
        assert record["focus"] == [0.5, 0.5]
        assert (record["width"], record["height"]) == (1000, 600)
        formats = renditions.picture_formats()
        assert {"webp", "jpeg"} <= set(formats)
        for part in [record, *record["crops"].values()]:
            for fmt in formats:
                widths = [width for width, _h, _n in part[fmt]]
                assert widths == sorted(widths) and widths[-1] == part["width"]
                assert all(width <= 1000 for width in widths)  # never upscaled
                for width, height, name in part[fmt]:
                    assert name.startswith("renditions/pictures/")
                    image = open_stored(name)
                    assert image.format == {"avif": "AVIF", "webp": "WEBP", "jpeg": "JPEG"}[fmt]
                    assert image.size == (width, height)
        shapes = {name: (part["width"], part["height"]) for name, part in record["crops"].items()}
        assert shapes == {"16:9": (1000, 562), "4:3": (800, 600), "1:1": (600, 600)}

    def test_crops_keep_the_focal_point_in_view(self):
        # A white picture with a red square at its right edge: the crops around a focal point
        # there keep the square; the centred ones lose it.
        image = Image.new("RGB", (800, 400), (255, 255, 255))
        image.paste((220, 0, 0), (720, 160, 800, 240))
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        upload = SimpleUploadedFile("edge.png", buffer.getvalue(), content_type="image/png")
        picture = make_picture(file=upload)
        picture.refresh_from_db()
        _w, _h, centred = picture.renditions["crops"]["1:1"]["jpeg"][-1]
        assert open_stored(centred).getpixel((390, 200))[1] > 200  # white: the square is cut off
        picture.focal_x, picture.focal_y = 0.95, 0.5
        picture.save()  # a new focal point makes the crops again
        picture.refresh_from_db()
        assert picture.renditions["focus"] == [0.95, 0.5]
        _w, _h, square = picture.renditions["crops"]["1:1"]["jpeg"][-1]
        assert open_stored(square).getpixel((390, 200))[:2] < (255, 60)  # red, at the edge
        assert not default_storage.exists(centred)  # the old crops are gone

    def test_crop_box_stays_inside_the_picture(self):
        box = renditions.crop_box
        assert box(1600, 900, (1, 1), (0.5, 0.5)) == (350, 0, 1250, 900)
        assert box(1600, 900, (1, 1), (0.0, 0.0)) == (0, 0, 900, 900)
        assert box(1600, 900, (1, 1), (1.0, 1.0)) == (700, 0, 1600, 900)
        assert box(900, 1600, (16, 9), (0.5, 0.5)) == (0, 547, 900, 1053)
        assert box(900, 1600, (16, 9), (0.5, 0.9)) == (0, 1094, 900, 1600)
        assert box(1600, 900, (16, 9), (0.2, 0.2)) == (0, 0, 1600, 900)

    def test_exif_orientation_is_applied_and_metadata_dropped(self):
        picture = make_picture(file=jpeg_with_orientation())
        picture.refresh_from_db()
        record = picture.renditions
        assert (record["width"], record["height"]) == (200, 400)  # turned upright
        for _w, _h, name in record["jpeg"]:
            image = open_stored(name)
            assert not image.getexif()
            assert image.height > image.width

    def test_transparent_png_becomes_jpeg_on_white(self):
        buffer = io.BytesIO()
        Image.new("RGBA", (300, 200), (255, 0, 0, 0)).save(buffer, "PNG")
        upload = SimpleUploadedFile("clear.png", buffer.getvalue(), content_type="image/png")
        picture = make_picture(file=upload)
        picture.refresh_from_db()
        _w, _h, name = picture.renditions["jpeg"][0]
        assert open_stored(name).getpixel((5, 5)) == (255, 255, 255)

    def test_renditions_are_made_once_not_on_every_save_or_view(self):
        article = lead()
        article.refresh_from_db()
        with mock.patch.object(
            renditions, "make_picture_renditions", wraps=renditions.make_picture_renditions
        ) as made:
            article.headline = "New headline"
            article.save()
            article.picture.caption = "A new caption"
            article.picture.save()
            with mock.patch("PIL.Image.open", side_effect=AssertionError("decoded on a view")):
                assert self.client.get(article.get_absolute_url()).status_code == 200
                assert self.client.get("/").status_code == 200
        assert made.call_count == 0

    def test_replacing_the_file_replaces_the_renditions(self):
        article = lead()
        picture = article.picture
        picture.refresh_from_db()
        old = [name for _w, _h, name in renditions._files(picture.renditions)]
        picture.file = image_upload("other.jpg", size=(500, 500))
        picture.save()
        picture.refresh_from_db()
        assert picture.renditions["source"] == picture.file.name
        assert picture.renditions["width"] == 500
        assert not any(default_storage.exists(name) for name in old)

    def test_deleting_a_picture_removes_its_renditions_but_not_while_a_story_shows_it(self):
        article = lead()
        picture = article.picture
        picture.refresh_from_db()
        names = [name for _w, _h, name in renditions._files(picture.renditions)]
        with self.assertRaises(ProtectedError):
            picture.delete()
        article.delete()
        assert all(default_storage.exists(name) for name in names)
        picture.delete()
        assert not any(default_storage.exists(name) for name in names)

    def test_renditions_shared_by_several_pictures_survive_one_changing(self):
        first = make_picture(file=image_upload(size=(700, 400)))
        first.refresh_from_db()
        second = Picture.objects.bulk_create(
            [Picture(file=first.file.name, alt="Same file", renditions=first.renditions)]
        )[0]
        first.file = image_upload("new.jpg")
        first.save()
        second.refresh_from_db()
        assert all(default_storage.exists(n) for _w, _h, n in renditions._files(second.renditions))

    def test_unreadable_file_leaves_the_page_working(self):
        name = default_storage.save("pictures/broken.jpg", ContentFile(b"not an image at all"))
        article = make_article()
        picture = Picture.objects.bulk_create(
            [Picture(file=name, width=800, height=500, alt="Broken")]
        )[0]
        Article.objects.filter(pk=article.pk).update(picture=picture)
        picture.save()  # the signal tries, logs, and records nothing
        picture.refresh_from_db()
        assert picture.renditions == {}
        html = self.client.get(article.get_absolute_url()).content.decode()
        img = re.search(r'<img src="/media/pictures/broken\.jpg"[^>]*>', html).group(0)
        assert 'width="800" height="500"' in img

    def test_decompression_bomb_is_not_decoded(self):
        with override_settings(IMAGE_MAX_PIXELS=100 * 100):
            picture = make_picture(file=image_upload(size=(200, 200)))
        picture.refresh_from_db()
        assert picture.renditions == {}

    def test_pictures_in_listings_are_lazy_with_sizes(self):
        for _ in range(4):
            lead(size=(900, 600))
        html = self.client.get("/").content.decode()
        lazy = re.findall(r'<img [^>]*loading="lazy"[^>]*>', html)
        assert len(lazy) >= 3
        for img in lazy:
            assert re.search(r'width="\d+" height="\d+"', img)
        for fmt in renditions.picture_formats()[:-1]:
            sources = re.findall(
                rf'<source type="image/{fmt}" srcset="([^"]+)" sizes="[^"]+">', html
            )
            assert sources and all(re.fullmatch(r"(\S+ \d+w)(, \S+ \d+w)*", s) for s in sources)

    def test_make_renditions_command_catches_up_bulk_rows(self):
        article = lead()
        Picture.objects.filter(pk=article.picture_id).update(renditions={})
        out = io.StringIO()
        call_command("make_renditions", verbosity=0, stdout=out)
        article.refresh_from_db()
        assert article.picture.renditions["source"] == article.picture.file.name
        assert "1 images" in out.getvalue()
        call_command("make_renditions", verbosity=0, stdout=out)
        assert "0 images" in out.getvalue()
        # A focal point written in bulk is caught up too.
        Picture.objects.filter(pk=article.picture_id).update(focal_x=0.1)
        call_command("make_renditions", verbosity=0, stdout=out)
        article.refresh_from_db()
        assert article.picture.renditions["focus"] == [0.1, 0.5]


class AuthorPhotoTests(RenditionTestCase):
    def test_an_authors_photo_is_their_library_pictures_square_crop(self):
        portrait = make_picture(
            file=image_upload(size=(300, 400)), alt="Zoe Marin, smiling", focal_y=0.2
        )
        author = make_author(picture=portrait)
        portrait.refresh_from_db()
        square = portrait.crop("1:1")
        assert [(w, h) for w, h, _n in square["jpeg"]] == [
            (64, 64),
            (128, 128),
            (256, 256),
            (300, 300),
        ]
        html = self.client.get(author.get_absolute_url()).content.decode()
        img = re.search(r'<img [^>]*class="author-photo"[^>]*>', html).group(0)
        assert 'width="128" height="128"' in img and 'sizes="128px"' in img
        assert 'alt="Zoe Marin, smiling"' in img
        assert square["jpeg"][0][2] in img and portrait.file.url not in html
        assert portrait.renditions["focus"] == [0.5, 0.2]  # cut around the face, up top
        with default_storage.open(square["jpeg"][-1][2]) as handle, Image.open(handle) as cut:
            assert cut.size == (300, 300)

    def test_until_the_crops_are_made_the_original_is_shown_square(self):
        portrait = make_picture(file=image_upload(size=(300, 400)), alt="Zoe Marin")
        Picture.objects.filter(pk=portrait.pk).update(renditions={})
        author = make_author(picture=portrait)
        html = self.client.get(author.get_absolute_url()).content.decode()
        img = re.search(r'<img [^>]*class="author-photo"[^>]*>', html).group(0)
        assert f'src="{portrait.file.url}"' in img and 'width="128" height="128"' in img

    def test_author_without_photo(self):
        author = make_author()
        html = self.client.get(author.get_absolute_url()).content.decode()
        assert "author-photo" not in html


# --- Off the request path: the task worker makes them -------------------------------------------


@contextmanager
def worker_leaves_no_trace():
    """db_worker sets signal handlers and log levels for the process it runs in: here that is
    the test run, so they are given back."""
    signals = [signal.SIGINT, signal.SIGTERM, signal.SIGQUIT]
    handlers = {number: signal.getsignal(number) for number in signals}
    loggers = [logging.getLogger(name) for name in ("django.tasks", "django_tasks_db")]
    states = [(logger, logger.level, list(logger.handlers)) for logger in loggers]
    try:
        yield
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
        for logger, level, kept in states:
            logger.setLevel(level)
            logger.handlers[:] = kept


def run_worker() -> str:
    """django-tasks-db's own worker command, run until no task is left (--batch)."""
    out = io.StringIO()
    with worker_leaves_no_trace():
        call_command(
            "db_worker", batch=True, reload=False, startup_delay=False, interval=0, stdout=out
        )
    return out.getvalue()


def rendition_files() -> list[str]:
    root = Path(settings.MEDIA_ROOT) / "renditions"
    return sorted(str(path) for path in root.rglob("*") if path.is_file())


@override_settings(TASKS=DATABASE_TASKS, PAGE_CACHE=True)
class WorkerTests(StoresPagesAtOnce, TransactionTestCase):
    """Saving enqueues; django-tasks-db keeps the task in the database until its worker runs it,
    and readers get the original meanwhile; then every page showing the picture is rebuilt."""

    def setUp(self):
        super().setUp()
        cache.clear()
        SiteSettings(pk=1, language="en").save()

    def assert_served(self, url: str, stored: str, *present: str, absent: tuple = ()):
        response = self.client.get(url)
        assert response.status_code == 200, url
        assert response["X-Page-Cache"] == stored, (url, stored)
        content = response.content.decode()
        for text in present:
            assert text in content, (url, text)
        for text in absent:
            assert text not in content, (url, text)

    def test_a_lead_picture_is_rendered_by_the_worker_and_its_pages_refreshed(self):
        with mock.patch.object(renditions, "make_picture_renditions") as in_request:
            story = lead(size=(900, 600))
        assert not in_request.called  # nothing decoded or resized in the request
        story.refresh_from_db()
        assert story.picture.renditions == {} and rendition_files() == []
        task = DBTaskResult.objects.get()
        assert task.task_path == "articles.tasks.make_picture_renditions"
        assert task.status == TaskResultStatus.READY
        assert task.args_kwargs == {"args": [story.picture_id], "kwargs": {}}

        # Meanwhile readers get the original, and the pages are stored like any other.
        original = f'src="{story.picture.file.url}"'
        pages = [story.get_absolute_url(), "/", reverse("articles:feed")]
        for url in pages:
            for stored in ("miss", "hit"):
                self.assert_served(url, stored, story.picture.file.url, absent=("/renditions/",))

        run_worker()
        task.refresh_from_db()
        assert task.status == TaskResultStatus.SUCCESSFUL and task.return_value is True
        story.refresh_from_db()
        assert story.picture.renditions["source"] == story.picture.file.name
        assert [width for width, _h, _n in story.picture.renditions["jpeg"]][-1] == 900
        assert rendition_files()

        # The story's page, the home page and the feed are rebuilt with the renditions.
        for url in pages:
            self.assert_served(url, "miss", "/media/renditions/pictures/", absent=(original,))
        self.assert_served(story.get_absolute_url(), "hit", "<picture>")

        # A new focal point: the worker cuts the crops again, and the story page follows.
        story.picture.focal_x = 0.9
        story.picture.save()
        assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 1
        run_worker()
        story.picture.refresh_from_db()
        assert story.picture.renditions["focus"] == [0.9, 0.5]
        self.assert_served(story.get_absolute_url(), "miss", "<picture>")

    def test_an_authors_photo_too(self):
        portrait = make_picture(file=image_upload(size=(300, 400)), alt="Ana Pop")
        author = make_author(picture=portrait)
        story = make_article(authors=[author])
        portrait.refresh_from_db()
        assert portrait.renditions == {}
        pages = [author.get_absolute_url(), story.get_absolute_url()]
        for url in pages:
            self.assert_served(url, "miss", f'class="author-photo" src="{portrait.file.url}"')
            self.assert_served(url, "hit", portrait.file.url)
        run_worker()
        portrait.refresh_from_db()
        assert [(w, h) for w, h, _n in portrait.crop("1:1")["jpeg"]][0] == (64, 64)
        # The author's page and the stories with their byline are rebuilt with the renditions.
        for url in pages:
            self.assert_served(
                url, "miss", "/media/renditions/pictures/", absent=(f'src="{portrait.file.url}"',)
            )

    def test_a_save_that_is_rolled_back_enqueues_nothing(self):
        with contextlib.suppress(RuntimeError), transaction.atomic():
            lead(size=(300, 200))
            raise RuntimeError("the admin's save failed after the picture was written")
        assert not Picture.objects.exists() and not DBTaskResult.objects.exists()

    def test_the_old_renditions_go_at_once_with_a_new_file(self):
        story = lead()
        run_worker()
        story.refresh_from_db()
        old = rendition_files()
        assert old
        picture = story.picture
        picture.file = image_upload("second.jpg", size=(500, 500))
        picture.save()
        # Without waiting for a worker: the old file's renditions would show the wrong picture.
        assert not set(old) & set(rendition_files())
        assert Picture.objects.get(pk=picture.pk).renditions == {}

    def test_the_file_replaced_before_the_worker_runs(self):
        story = lead(name="first.jpg")
        picture = story.picture
        picture.file = image_upload("second.jpg", size=(500, 500))
        picture.save()
        assert DBTaskResult.objects.count() == 2
        run_worker()
        picture.refresh_from_db()
        record = picture.renditions
        assert record["source"] == picture.file.name and record["width"] == 500
        made = {str(Path(settings.MEDIA_ROOT) / name) for _w, _h, name in renditions._files(record)}
        assert set(rendition_files()) == made  # none left over for the first file


class TaskRaceTests(RenditionTestCase):
    def test_renditions_of_a_file_replaced_while_they_were_made_are_discarded(self):
        story = lead()
        Picture.objects.filter(pk=story.picture_id).update(renditions={})
        before = rendition_files()
        replacement = default_storage.save("pictures/other.jpg", ContentFile(image_bytes()))
        made = renditions.make_picture_renditions

        def replaced_meanwhile(*args, **kwargs):
            record = made(*args, **kwargs)
            # Another save, written while this task decoded and resized: it enqueued its own.
            Picture.objects.filter(pk=story.picture_id).update(file=replacement)
            return record

        with mock.patch.object(
            renditions, "make_picture_renditions", side_effect=replaced_meanwhile
        ):
            assert tasks.make_picture_renditions.call(story.picture_id) is False
        assert Picture.objects.get(pk=story.picture_id).renditions == {}
        assert rendition_files() == before  # what it made is gone again

    def test_renditions_of_a_focal_point_moved_while_they_were_made_are_discarded(self):
        story = lead()
        Picture.objects.filter(pk=story.picture_id).update(renditions={})
        made = renditions.make_picture_renditions

        def moved_meanwhile(*args, **kwargs):
            record = made(*args, **kwargs)
            Picture.objects.filter(pk=story.picture_id).update(focal_y=0.1)
            return record

        with mock.patch.object(renditions, "make_picture_renditions", side_effect=moved_meanwhile):
            assert tasks.make_picture_renditions.call(story.picture_id) is False
        assert Picture.objects.get(pk=story.picture_id).renditions == {}


@override_settings(PAGE_CACHE=True)
class PictureWordsReachPagesTests(StoresPagesAtOnce, TransactionTestCase):
    """A picture's new words reach every stored page that shows it, and no other; an author's
    new photo reaches their page and the stories with their byline."""

    def setUp(self):
        super().setUp()
        cache.clear()
        SiteSettings(pk=1, language="en").save()

    def served(self, url: str, stored: str) -> str:
        response = self.client.get(url)
        assert response.status_code == 200, url
        assert response.get("X-Page-Cache") == stored, (url, response.get("X-Page-Cache"))
        return response.content.decode()

    def test_new_words_and_a_new_photo(self):
        picture = make_picture(alt="First words")
        author = make_author(picture=picture)
        address = f"http://testserver{picture.file.url}"
        pages = [
            author.get_absolute_url(),
            make_article(picture=picture).get_absolute_url(),
            make_article(authors=[author]).get_absolute_url(),
            make_article(body=f'<p><a href="{address}">{address}</a></p>').get_absolute_url(),
        ]
        elsewhere = make_article().get_absolute_url()
        for url in [*pages, elsewhere]:
            self.served(url, "miss")
        for url in pages:
            assert 'alt="First words"' in self.served(url, "hit"), url

        picture.refresh_from_db()  # with its renditions: only the words change
        picture.alt = "Second words"
        picture.save()
        for url in pages:
            html = self.served(url, "miss")
            assert 'alt="Second words"' in html and "First words" not in html, url
        self.served(elsewhere, "hit")
        home = self.client.get("/").content.decode()  # the lead story's teaser
        assert 'alt="Second words"' in home and "First words" not in home

        author.picture = make_picture(alt="A new portrait")
        author.save()
        for url in pages[0], pages[2]:
            assert 'alt="A new portrait"' in self.served(url, "miss"), url
