"""Uploads (library pictures and videos, ad slots' pictures) and their renditions on S3-compatible
object storage (MEDIA_STORAGE=s3).

Everything the site stores goes through Django's storage API, so the same code writes to the
local disk (the default, served by nginx's /media/) or to a bucket shared by every app server.
The protections nginx's /media/ location gives on disk travel with each object instead:

- a file is never overwritten: a name that is taken gets a suffix (file_overwrite off);
- each object carries its content type, set here from an allowlist of picture and video types;
  anything else is stored as application/octet-stream with `Content-Disposition: attachment`,
  so the media origin never serves HTML or script, whatever a name claims;
- objects are public and immutable (unique names), cached a year by browsers and CDNs.

`X-Content-Type-Options: nosniff` is a response header S3 cannot store per object: the CDN or
custom domain in front of the bucket adds it (README: Media on object storage).
"""

import mimetypes
from pathlib import PurePosixPath

from storages.backends.s3 import S3Storage

# What the site stores: pictures it re-encoded, and their renditions.
PICTURE_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
}
# Library videos, named for what their content was checked to be (articles/videofiles.py).
VIDEO_TYPES = {".mp4": "video/mp4", ".webm": "video/webm"}
MEDIA_TYPES = PICTURE_TYPES | VIDEO_TYPES
CACHE_CONTROL = "public, max-age=31536000, immutable"


def object_parameters(name: str) -> dict[str, str]:
    """The headers an object is stored with: a picture's or video's own type, anything else a
    download."""
    content_type = MEDIA_TYPES.get(PurePosixPath(name).suffix.lower())
    if content_type is None:
        return {
            "ContentType": "application/octet-stream",
            "ContentDisposition": "attachment",
            "CacheControl": CACHE_CONTROL,
        }
    return {"ContentType": content_type, "CacheControl": CACHE_CONTROL}


class MediaStorage(S3Storage):
    file_overwrite = False
    default_acl = None  # the bucket's policy decides who reads; no per-object ACLs
    querystring_auth = False  # public URLs: pages are cached for everyone

    def get_object_parameters(self, name: str) -> dict:
        # django-storages guesses the type from the name (and would serve a ".html" as HTML);
        # the allowlist decides instead.
        return super().get_object_parameters(name) | object_parameters(name)


# mimetypes may not know AVIF or WebP on an older system; the allowlist above does not rely on it.
mimetypes.add_type("image/avif", ".avif")
mimetypes.add_type("image/webp", ".webp")
