"""Responsive renditions: made once on save, upright, without metadata, through storage."""

import io
import re
from unittest import mock

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import TestCase, override_settings
from PIL import Image

from articles import renditions
from articles.models import Article, Author
from newsroom.chrome.models import SiteSettings
from tests.factories import image_upload, make_article, make_author


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
