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
from django.tasks import TaskResultStatus
from django.test import TestCase, TransactionTestCase, override_settings
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from PIL import Image

from articles import renditions, tasks
from articles.models import Article, Author
from newsroom.chrome.models import SiteSettings
from tests.factories import image_bytes, image_upload, make_article, make_author
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


class ArticleRenditionTests(RenditionTestCase):
    def test_saving_a_lead_image_makes_webp_and_jpeg_at_several_widths(self):
        article = make_article(image=image_upload(size=(1000, 600)), image_alt="Alt")
        article.refresh_from_db()
        record = article.image_renditions
        assert record["source"] == article.image.name
        assert (record["width"], record["height"]) == (1000, 600)
        widths = [width for width, _h, _n in record["jpeg"]]
        assert widths == [320, 480, 640, 800, 1000]  # never wider than the original
        assert [w for w, _h, _n in record["webp"]] == widths
        for fmt, pil_format in (("webp", "WEBP"), ("jpeg", "JPEG")):
            for width, height, name in record[fmt]:
                assert default_storage.exists(name)
                assert name.endswith(".webp" if fmt == "webp" else ".jpg")
                stored = open_stored(name)
                assert stored.format == pil_format
                assert stored.size == (width, height)
                assert height == round(600 * width / 1000)

    def test_exif_orientation_is_applied_and_metadata_dropped(self):
        article = make_article(image=jpeg_with_orientation(), image_alt="Alt")
        article.refresh_from_db()
        record = article.image_renditions
        assert (record["width"], record["height"]) == (200, 400)  # turned upright
        for _width, _height, name in record["jpeg"] + record["webp"]:
            stored = open_stored(name)
            assert stored.width < stored.height
            exif = stored.getexif()
            assert 0x0112 not in exif and 0x010F not in exif

    def test_transparent_png_becomes_jpeg_on_white(self):
        buffer = io.BytesIO()
        Image.new("RGBA", (300, 200), (255, 0, 0, 0)).save(buffer, "PNG")
        upload = SimpleUploadedFile("clear.png", buffer.getvalue(), content_type="image/png")
        article = make_article(image=upload, image_alt="Alt")
        article.refresh_from_db()
        _w, _h, name = article.image_renditions["jpeg"][0]
        assert open_stored(name).getpixel((5, 5)) == (255, 255, 255)

    def test_renditions_are_made_once_not_on_every_save_or_view(self):
        article = make_article(image=image_upload(size=(700, 400)), image_alt="Alt")
        article.refresh_from_db()
        with mock.patch.object(
            renditions, "make_renditions", wraps=renditions.make_renditions
        ) as made:
            article.headline = "New headline"
            article.save()
            with mock.patch("PIL.Image.open", side_effect=AssertionError("decoded on a view")):
                assert self.client.get(article.get_absolute_url()).status_code == 200
                assert self.client.get("/").status_code == 200
        assert made.call_count == 0

    def test_replacing_the_image_replaces_the_renditions(self):
        article = make_article(image=image_upload(size=(700, 400)), image_alt="Alt")
        article.refresh_from_db()
        old = [name for _w, _h, name in article.image_renditions["jpeg"]]
        article.image = image_upload("other.jpg", size=(500, 500))
        article.save()
        article.refresh_from_db()
        assert article.image_renditions["source"] == article.image.name
        assert article.image_renditions["width"] == 500
        assert not any(default_storage.exists(name) for name in old)

    def test_removing_the_image_or_the_story_removes_the_renditions(self):
        article = make_article(image=image_upload(size=(700, 400)), image_alt="Alt")
        article.refresh_from_db()
        names = [name for _w, _h, name in article.image_renditions["webp"]]
        article.image = ""
        article.save()
        article.refresh_from_db()
        assert article.image_renditions == {}
        assert not any(default_storage.exists(name) for name in names)

        second = make_article(image=image_upload(size=(700, 400)), image_alt="Alt")
        second.refresh_from_db()
        names = [name for _w, _h, name in second.image_renditions["jpeg"]]
        second.delete()
        assert not any(default_storage.exists(name) for name in names)

    def test_renditions_shared_by_several_stories_survive_one_changing(self):
        first = make_article(image=image_upload(size=(700, 400)), image_alt="Alt")
        first.refresh_from_db()
        Article.objects.filter(pk=make_article().pk).update(
            image=first.image.name, image_renditions=first.image_renditions
        )
        first.image = image_upload("new.jpg")
        first.save()
        second = Article.objects.exclude(pk=first.pk).get()
        assert all(default_storage.exists(n) for _w, _h, n in second.image_renditions["jpeg"])

    def test_unreadable_image_leaves_the_page_working(self):
        name = default_storage.save("articles/broken.jpg", ContentFile(b"not an image at all"))
        article = make_article()
        Article.objects.filter(pk=article.pk).update(image=name, image_width=800, image_height=500)
        article.refresh_from_db()
        article.save()  # the signal tries, logs, and records nothing
        article.refresh_from_db()
        assert article.image_renditions == {}
        html = self.client.get(article.get_absolute_url()).content.decode()
        img = re.search(r'<img src="/media/articles/broken\.jpg"[^>]*>', html).group(0)
        assert 'width="800" height="500"' in img

    def test_decompression_bomb_is_not_decoded(self):
        with override_settings(IMAGE_MAX_PIXELS=100 * 100):
            article = make_article(image=image_upload(size=(200, 200)), image_alt="Alt")
        article.refresh_from_db()
        assert article.image_renditions == {}

    def test_pictures_in_listings_are_lazy_with_sizes(self):
        for _ in range(4):
            make_article(image=image_upload(size=(900, 600)), image_alt="Alt")
        html = self.client.get("/").content.decode()
        lazy = re.findall(r'<img [^>]*loading="lazy"[^>]*>', html)
        assert len(lazy) >= 3
        for img in lazy:
            assert re.search(r'width="\d+" height="\d+"', img)
        sources = re.findall(r'<source type="image/webp" srcset="([^"]+)" sizes="[^"]+">', html)
        assert sources and all(re.fullmatch(r"(\S+ \d+w)(, \S+ \d+w)*", s) for s in sources)

    def test_make_renditions_command_catches_up_bulk_rows(self):
        article = make_article(image=image_upload(size=(700, 400)), image_alt="Alt")
        Article.objects.filter(pk=article.pk).update(image_renditions={})
        out = io.StringIO()
        call_command("make_renditions", verbosity=0, stdout=out)
        article.refresh_from_db()
        assert article.image_renditions["source"] == article.image.name
        assert "1 images" in out.getvalue()
        call_command("make_renditions", verbosity=0, stdout=out)
        assert "0 images" in out.getvalue()


class AuthorPhotoTests(RenditionTestCase):
    def test_author_photos_are_square(self):
        author = make_author(photo=image_upload(size=(300, 400)))
        author.refresh_from_db()
        record = author.photo_renditions
        assert [(w, h) for w, h, _n in record["jpeg"]] == [(64, 64), (128, 128), (256, 256)]
        html = self.client.get(author.get_absolute_url()).content.decode()
        img = re.search(r'<img [^>]*class="author-photo"[^>]*>', html).group(0)
        assert 'width="128" height="128"' in img
        assert f'alt="{author.name}"' in img

    def test_author_without_photo(self):
        author = make_author()
        assert Author.objects.get(pk=author.pk).photo_renditions == {}
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

    def test_a_lead_image_is_rendered_by_the_worker_and_its_pages_refreshed(self):
        with mock.patch.object(renditions, "make_renditions") as in_request:
            story = make_article(image=image_upload(size=(900, 600)), image_alt="Alt")
        assert not in_request.called  # nothing decoded or resized in the request
        story.refresh_from_db()
        assert story.image_renditions == {} and rendition_files() == []
        task = DBTaskResult.objects.get()
        assert task.task_path == "articles.tasks.make_article_renditions"
        assert task.status == TaskResultStatus.READY
        assert task.args_kwargs == {"args": [story.pk], "kwargs": {}}

        # Meanwhile readers get the original, and the pages are stored like any other.
        original = f'src="{story.image.url}"'
        pages = [story.get_absolute_url(), "/", reverse("articles:feed")]
        for url in pages:
            for stored in ("miss", "hit"):
                self.assert_served(url, stored, story.image.url, absent=("/renditions/",))

        run_worker()
        task.refresh_from_db()
        assert task.status == TaskResultStatus.SUCCESSFUL and task.return_value is True
        story.refresh_from_db()
        assert story.image_renditions["source"] == story.image.name
        assert [width for width, _h, _n in story.image_renditions["jpeg"]][-1] == 900
        assert rendition_files()

        # The story's page, the home page and the feed are rebuilt with the renditions.
        for url in pages:
            self.assert_served(url, "miss", "/media/renditions/articles/", absent=(original,))
        self.assert_served(story.get_absolute_url(), "hit", "<picture>")

    def test_an_author_photo_too(self):
        author = make_author(photo=image_upload(size=(300, 400)))
        author.refresh_from_db()
        assert author.photo_renditions == {}
        url = author.get_absolute_url()
        self.assert_served(url, "miss", f'class="author-photo" src="{author.photo.url}"')
        run_worker()
        author.refresh_from_db()
        assert [(w, h) for w, h, _n in author.photo_renditions["jpeg"]][0] == (64, 64)
        self.assert_served(url, "miss", "/media/renditions/authors/", absent=(author.photo.url,))

    def test_a_save_that_is_rolled_back_enqueues_nothing(self):
        with contextlib.suppress(RuntimeError), transaction.atomic():
            make_article(image=image_upload(size=(300, 200)), image_alt="Alt")
            raise RuntimeError("the admin's save failed after the story was written")
        assert not Article.objects.exists() and not DBTaskResult.objects.exists()

    def test_removing_an_image_removes_its_renditions_at_once(self):
        story = make_article(image=image_upload(size=(700, 400)), image_alt="Alt")
        run_worker()
        story.refresh_from_db()
        assert rendition_files()
        story.image = ""
        story.save()
        # Without waiting for a worker: nothing was enqueued for it.
        assert rendition_files() == []
        assert Article.objects.get(pk=story.pk).image_renditions == {}
        assert DBTaskResult.objects.count() == 1

    def test_an_image_replaced_before_the_worker_runs(self):
        story = make_article(image=image_upload("first.jpg", size=(700, 400)), image_alt="Alt")
        story.image = image_upload("second.jpg", size=(500, 500))
        story.save()
        assert DBTaskResult.objects.count() == 2
        run_worker()
        story.refresh_from_db()
        record = story.image_renditions
        assert record["source"] == story.image.name and record["width"] == 500
        made = {str(Path(settings.MEDIA_ROOT) / name) for _w, _h, name in record["jpeg"]}
        made |= {str(Path(settings.MEDIA_ROOT) / name) for _w, _h, name in record["webp"]}
        assert set(rendition_files()) == made  # none left over for the first image


class TaskRaceTests(RenditionTestCase):
    def test_renditions_of_an_image_replaced_while_they_were_made_are_discarded(self):
        story = make_article(image=image_upload(size=(700, 400)), image_alt="Alt")
        Article.objects.filter(pk=story.pk).update(image_renditions={})
        before = rendition_files()
        replacement = default_storage.save("articles/other.jpg", ContentFile(image_bytes()))
        made = renditions.make_renditions

        def replaced_meanwhile(*args, **kwargs):
            record = made(*args, **kwargs)
            # Another save, written while this task decoded and resized: it enqueued its own.
            Article._base_manager.filter(pk=story.pk).update(image=replacement)
            return record

        with mock.patch.object(renditions, "make_renditions", side_effect=replaced_meanwhile):
            assert tasks.make_article_renditions.call(story.pk) is False
        assert Article.objects.get(pk=story.pk).image_renditions == {}
        assert rendition_files() == before  # what it made is gone again
