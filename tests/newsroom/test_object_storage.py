"""Media on S3-compatible object storage (MEDIA_STORAGE=s3), against a real local server.

moto's server mode answers S3's HTTP API on loopback; boto3, through django-storages, talks to it
over HTTP exactly as it would to MinIO, Ceph or AWS. Uploads through the admin, their renditions
made by the task, the page that shows them and the headers each object is served with are checked
there, not in memory.
"""

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase, override_settings
from PIL import Image

from articles.models import Author, Picture
from benchmarks import serve
from newsroom.mediastorage import MediaStorage

BASE_DIR = Path(__file__).resolve().parents[2]
BUCKET = serve.S3_BUCKET


def jpeg(size=(900, 600)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (180, 40, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.mark.services
class ObjectStorageTests(TestCase):
    s3: Any  # a boto3 S3 client
    endpoint: str

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.enterClassContext(serve.s3_server())
        cls.endpoint = env["MEDIA_ENDPOINT_URL"]
        credentials = {
            "region_name": env["MEDIA_REGION"],
            "aws_access_key_id": env["MEDIA_ACCESS_KEY_ID"],
            "aws_secret_access_key": env["MEDIA_SECRET_ACCESS_KEY"],
        }
        cls.s3 = boto3.client("s3", endpoint_url=cls.endpoint, **credentials)
        options = {
            "bucket_name": BUCKET,
            "endpoint_url": cls.endpoint,
            "addressing_style": "path",
            "region_name": env["MEDIA_REGION"],
            "access_key": env["MEDIA_ACCESS_KEY_ID"],
            "secret_key": env["MEDIA_SECRET_ACCESS_KEY"],
        }
        cls.enterClassContext(
            override_settings(
                STORAGES={
                    **settings.STORAGES,
                    "default": {
                        "BACKEND": "newsroom.mediastorage.MediaStorage",
                        "OPTIONS": options,
                    },
                },
                MEDIA_URL=f"{cls.endpoint}/{BUCKET}/",
            )
        )

    def head(self, name: str) -> dict:
        return self.s3.head_object(Bucket=BUCKET, Key=name)

    def test_an_uploaded_photo_and_its_renditions_live_in_the_bucket_and_on_the_page(self):
        editor = get_user_model().objects.create_superuser("chief", "chief@example.com", "pw")
        self.client.force_login(editor)
        response = self.client.post(
            "/admin/articles/picture/add/",
            {
                "file": SimpleUploadedFile("portret.jpg", jpeg(), content_type="image/jpeg"),
                "alt": "Ioana Popescu",
                "focal_x": "0.5",
                "focal_y": "0.5",
            },
        )
        self.assertEqual(response.status_code, 302, response.content[:2000])
        portrait = Picture.objects.get()
        response = self.client.post(
            "/admin/articles/author/add/",
            {"name": "Ioana Popescu", "slug": "ioana-popescu", "picture": str(portrait.pk)},
        )
        self.assertEqual(response.status_code, 302, response.content[:2000])
        author = Author.objects.select_related("picture").get(slug="ioana-popescu")
        self.assertIsInstance(default_storage._wrapped, MediaStorage)
        self.assertEqual(self.head(author.picture.file.name)["ContentType"], "image/jpeg")
        renditions = author.picture.crop("1:1")
        self.assertTrue(renditions.get("webp"), "the task made no renditions")
        for fmt, content_type in (("webp", "image/webp"), ("jpeg", "image/jpeg")):
            for _width, _height, name in renditions[fmt]:
                stored = self.head(name)
                self.assertEqual(stored["ContentType"], content_type)
                self.assertIn("immutable", stored["CacheControl"])

        self.client.logout()
        page = self.client.get(author.get_absolute_url()).content.decode()
        media_url = f"{self.endpoint}/{BUCKET}/"
        self.assertIn(media_url + renditions["jpeg"][0][2], page)
        # What a reader's browser fetches: the object itself, from the media origin.
        served = requests.get(media_url + renditions["jpeg"][0][2], timeout=5)
        self.assertEqual(served.status_code, 200)
        self.assertEqual(served.headers["Content-Type"], "image/jpeg")
        self.assertEqual(Image.open(io.BytesIO(served.content)).format, "JPEG")

    def test_a_name_that_is_taken_is_never_overwritten(self):
        first = default_storage.save("stories/photo.jpg", ContentFile(jpeg((10, 10))))
        second = default_storage.save("stories/photo.jpg", ContentFile(jpeg((20, 20))))
        self.assertNotEqual(first, second)
        for name, width in ((first, 10), (second, 20)):
            body = self.s3.get_object(Bucket=BUCKET, Key=name)["Body"].read()
            self.assertEqual(Image.open(io.BytesIO(body)).width, width)

    def test_anything_but_a_picture_is_stored_as_a_download_never_as_a_page(self):
        hostile = b"<html><script>alert(1)</script></html>"
        for name in ("notes/evil.html", "notes/evil.svg", "notes/evil.jpg.htm", "notes/evil"):
            stored = default_storage.save(name, ContentFile(hostile))
            head = self.head(stored)
            self.assertEqual(head["ContentType"], "application/octet-stream", name)
            self.assertEqual(head["ContentDisposition"], "attachment", name)
            served = requests.get(default_storage.url(stored), timeout=5)
            self.assertNotIn("html", served.headers["Content-Type"])

    def test_a_deleted_file_is_gone_from_the_bucket(self):
        name = default_storage.save("stories/gone.jpg", ContentFile(jpeg((10, 10))))
        default_storage.delete(name)
        self.assertFalse(default_storage.exists(name))


class ObjectStorageSettingsTests(TestCase):
    """What the settings make of the environment (read in a fresh interpreter each time)."""

    def settings_for(self, **env: str) -> dict:
        script = (
            "import json; from django.conf import settings;"
            "print(json.dumps({'storage': settings.STORAGES['default'], "
            "'media_url': settings.MEDIA_URL, 'img_src': settings.SECURE_CSP['img-src'], "
            "'admin_img_src': settings.SECURE_CSP_ADMIN['img-src']}))"
        )
        base = {k: v for k, v in os.environ.items() if not k.startswith("MEDIA_")}
        result = subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {script}"],
            cwd=BASE_DIR,
            env={**base, "DJANGO_SETTINGS_MODULE": "newsroom.settings", **env},
            capture_output=True,
            text=True,
        )
        if result.returncode:
            return {"error": result.stderr}
        return json.loads(result.stdout)

    def test_local_disk_is_the_default(self):
        found = self.settings_for()
        self.assertEqual(found["storage"]["BACKEND"], "django.core.files.storage.FileSystemStorage")
        self.assertEqual(found["media_url"], "/media/")
        self.assertEqual(found["img_src"], ["'self'"])

    def test_a_custom_domain_serves_media_and_the_csp_names_it(self):
        found = self.settings_for(
            MEDIA_STORAGE="s3", MEDIA_BUCKET="media", MEDIA_CUSTOM_DOMAIN="media.example.ro"
        )
        self.assertEqual(found["storage"]["BACKEND"], "newsroom.mediastorage.MediaStorage")
        self.assertEqual(found["media_url"], "https://media.example.ro/")
        self.assertEqual(found["img_src"], ["'self'", "https://media.example.ro"])
        self.assertEqual(found["admin_img_src"], ["'self'", "https://media.example.ro"])

    def test_an_endpoint_without_a_domain_serves_from_the_bucket_path(self):
        found = self.settings_for(
            MEDIA_STORAGE="s3", MEDIA_BUCKET="media", MEDIA_ENDPOINT_URL="http://s3.local:9000"
        )
        self.assertEqual(found["media_url"], "http://s3.local:9000/media/")
        self.assertEqual(found["img_src"], ["'self'", "http://s3.local:9000"])
        self.assertEqual(found["storage"]["OPTIONS"]["addressing_style"], "path")

    def test_credentials_are_read_from_the_environment(self):
        found = self.settings_for(
            MEDIA_STORAGE="s3",
            MEDIA_BUCKET="media",
            MEDIA_ACCESS_KEY_ID="key-id",
            MEDIA_SECRET_ACCESS_KEY="secret",
        )
        self.assertEqual(found["storage"]["OPTIONS"]["access_key"], "key-id")
        self.assertEqual(found["storage"]["OPTIONS"]["secret_key"], "secret")

    def test_a_bucket_is_required_and_a_typo_is_refused(self):
        self.assertIn("MEDIA_BUCKET", self.settings_for(MEDIA_STORAGE="s3")["error"])
        self.assertIn("'local' or 's3'", self.settings_for(MEDIA_STORAGE="S4")["error"])
