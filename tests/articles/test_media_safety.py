"""Uploaded pictures: neither the stored originals nor their renditions carry a location or other
metadata, and files are served as what they are (X-Content-Type-Options: nosniff), never as
pages."""

import importlib
import io

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase, override_settings
from django.urls import clear_url_caches, reverse
from PIL import ExifTags, Image, PngImagePlugin

from articles.models import Picture
from newsroom.chrome.models import SiteSettings
from tests.factories import make_article, make_author, make_picture, make_user
from tests.helpers import errors, form_data

SECRET_PLACE = "Str. Sursei 7"  # where a source lives: must never reach a reader
GPS: dict[int, object] = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (44.0, 25.0, 36.5),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (26.0, 6.0, 9.25),
    ExifTags.GPS.GPSAreaInformation: SECRET_PLACE,
}


def phone_photo(name: str = "IMG_0042.jpg") -> SimpleUploadedFile:
    """A landscape JPEG shot "sideways" (orientation 6) with GPS, camera, time, XMP and a comment.

    Its top-left quarter is red, so once turned upright the red is in the top-right corner.
    """
    image = Image.new("RGB", (400, 200), (20, 120, 220))
    image.paste((230, 20, 20), (0, 0, 200, 100))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "SecretCam"
    exif[ExifTags.Base.DateTime] = "2024:12:23 04:17:00"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(GPS)
    xmp = f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description>{SECRET_PLACE}</rdf:Description>'
    buffer = io.BytesIO()
    image.save(
        buffer,
        "JPEG",
        quality=95,
        exif=exif,
        xmp=(xmp + "</x:xmpmeta>").encode(),
        comment=SECRET_PLACE.encode(),
    )
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def stored_bytes(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return handle.read()


class MediaTestCase(TestCase):
    def setUp(self):
        SiteSettings(pk=1, language="en").save()


class RenditionPrivacyTests(MediaTestCase):
    def test_the_test_photo_does_carry_a_location(self):
        with Image.open(phone_photo()) as original:
            exif = original.getexif()
            assert exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "N"
            assert exif[ExifTags.Base.Orientation] == 6
            assert SECRET_PLACE in original.info["xmp"].decode()

    def test_renditions_drop_gps_and_every_other_metadata_and_stand_upright(self):
        article = make_article(picture=make_picture(file=phone_photo(), alt="A street"))
        article.refresh_from_db()
        record = article.picture.renditions
        assert (record["width"], record["height"]) == (200, 400)  # turned upright
        files = record["jpeg"] + record["webp"]
        assert len(files) >= 2
        for width, height, name in files:
            data = stored_bytes(name)
            for secret in [b"Exif\x00\x00", b"SecretCam", SECRET_PLACE.encode(), b"xmpmeta"]:
                assert secret not in data, (name, secret)
            with Image.open(io.BytesIO(data)) as rendition:
                assert not rendition.getexif(), name
                assert not rendition.getexif().get_ifd(ExifTags.IFD.GPSInfo), name
                assert "xmp" not in rendition.info and "comment" not in rendition.info, name
                assert rendition.size == (width, height) and width < height
                rgb = rendition.convert("RGB")
                top_right = rgb.getpixel((rgb.width - 3, 2))
                top_left = rgb.getpixel((2, 2))
            assert top_right[0] > 180 and top_right[2] < 90, (name, top_right)  # red
            assert top_left[2] > 150, (name, top_left)  # blue

    def test_public_pages_show_only_renditions(self):
        article = make_article(picture=make_picture(file=phone_photo(), alt="A street"))
        article.refresh_from_db()
        html = self.client.get(article.get_absolute_url()).content.decode()
        feed = self.client.get("/feed/").content.decode()
        for page in (html, feed):
            # The original, with its metadata, is not linked.
            assert article.picture.file.url not in page
            assert "/media/renditions/pictures/" in page

    def test_author_photos_too(self):
        portrait = make_picture(file=phone_photo("portrait.jpg"), alt="Ana Pop")
        author = make_author(picture=portrait)
        portrait.refresh_from_db()
        squares = portrait.crop("1:1")["jpeg"]
        for _width, _height, name in squares:
            data = stored_bytes(name)
            assert b"Exif\x00\x00" not in data and SECRET_PLACE.encode() not in data
        html = self.client.get(author.get_absolute_url()).content.decode()
        assert portrait.file.url not in html and squares[0][2] in html


def png_with_secrets() -> SimpleUploadedFile:
    """A PNG with a text chunk and EXIF (GPS) naming the secret place."""
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(GPS)
    text = PngImagePlugin.PngInfo()
    text.add_text("Location", SECRET_PLACE)
    buffer = io.BytesIO()
    Image.new("RGB", (300, 120), (20, 120, 220)).save(buffer, "PNG", pnginfo=text, exif=exif)
    return SimpleUploadedFile("chart.png", buffer.getvalue(), content_type="image/png")


class UploadedOriginalPrivacyTests(MediaTestCase):
    """Uploads through the admin are stored upright and without metadata: the original stays
    on disk as the renditions' source, and its address could be guessed."""

    def setUp(self):
        super().setUp()
        self.client.force_login(make_user("editor", group="Editor"))

    def upload(self, url: str, field: str, picture: SimpleUploadedFile, typed: dict):
        data = form_data(self.client.get(url)) | typed | {field: picture}
        response = self.client.post(url, data)
        assert response.status_code == 302, errors(response)

    def assert_clean(self, name: str, size: tuple[int, int]):
        data = stored_bytes(name)
        for secret in [b"Exif\x00\x00", b"eXIf", b"SecretCam", SECRET_PLACE.encode(), b"xmpmeta"]:
            assert secret not in data, (name, secret)
        with Image.open(io.BytesIO(data)) as stored:
            assert not stored.getexif() and "comment" not in stored.info
            assert stored.size == size

    def test_library_picture_original_is_upright_and_without_metadata(self):
        url = reverse("admin:articles_picture_add")
        typed = {"alt": "A street", "caption": "Tuesday"}
        self.upload(url, "file", phone_photo(), typed)
        picture = Picture.objects.get()
        assert picture.file.name.endswith(".jpg")
        assert (picture.width, picture.height) == (200, 400)  # turned upright
        self.assert_clean(picture.file.name, (200, 400))
        with Image.open(io.BytesIO(stored_bytes(picture.file.name))) as stored:
            rgb = stored.convert("RGB")
            assert rgb.getpixel((rgb.width - 3, 2))[0] > 180  # red now top right
        # A new file for the same picture.
        url = reverse("admin:articles_picture_change", args=[picture.pk])
        self.upload(url, "file", png_with_secrets(), typed)
        picture = Picture.objects.get()
        assert picture.file.name.endswith(".png")
        self.assert_clean(picture.file.name, (300, 120))


class MediaServingTests(MediaTestCase):
    """With DEBUG on, Django serves /media/ itself (nginx does in production: see README)."""

    def setUp(self):
        super().setUp()
        debug = override_settings(DEBUG=True)
        debug.enable()
        # Cleanups run last first: DEBUG goes off, then the URLs are loaded again without media.
        self.addCleanup(self.reload_urls)
        self.addCleanup(debug.disable)
        self.reload_urls()

    def reload_urls(self):
        import newsroom.urls

        importlib.reload(newsroom.urls)
        clear_url_caches()

    def test_uploads_and_renditions_are_served_as_images_with_nosniff(self):
        article = make_article(picture=make_picture(file=phone_photo(), alt="A street"))
        article.refresh_from_db()
        names = [
            (article.picture.file.name, "image/jpeg"),
            (article.picture.renditions["jpeg"][0][2], "image/jpeg"),
            (article.picture.renditions["webp"][0][2], "image/webp"),
        ]
        for name, content_type in names:
            response = self.client.get(default_storage.url(name))
            assert response.status_code == 200, name
            assert response["Content-Type"] == content_type, name
            assert response["X-Content-Type-Options"] == "nosniff"
            assert "default-src 'self'" in response["Content-Security-Policy"]

    def test_paths_outside_media_are_not_served(self):
        for path in ["/media/../manage.py", "/media/%2e%2e/manage.py", "/media//etc/passwd"]:
            assert self.client.get(path).status_code in (400, 404), path
