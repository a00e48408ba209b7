"""Videos in the media library, and in a story's body.

A video is an MP4 (H.264) or WebM file checked by what it holds (articles/videofiles.py),
stored as uploaded (no transcoding) and served from storage with range requests, with a library
picture as its poster. A paragraph of a story's body holding only the address of a library
video's file becomes a player that loads nothing until the reader presses play.
"""

from django.db import models
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from articles.bodypictures import caption_and_credit, library_name
from articles.embeds.render import LINK_PARAGRAPH
from articles.pictures import LibraryItem, Picture

CONTENT_TYPES = {".mp4": "video/mp4", ".webm": "video/webm"}
POSTER_WIDTH = 1280


class Video(LibraryItem):
    file = models.FileField(
        _("file"),
        # The storage keeps names unique: a second "clip.mp4" gets a suffix, never overwrites.
        upload_to="videos/%Y/%m/",
        max_length=200,
        help_text=_(
            "An MP4 (H.264) or WebM file. Phones' .MOV or HEVC videos must be exported as MP4 "
            "(H.264) first. To show it in a story, paste the file's address alone on a line."
        ),
    )
    poster = models.ForeignKey(
        Picture,
        verbose_name=_("poster"),
        on_delete=models.PROTECT,
        related_name="videos",
        help_text=_(
            "The library picture shown before the video plays: readers see it, not a black box, "
            "and nothing of the video is loaded until they press play."
        ),
    )
    title = models.CharField(
        _("title"),
        max_length=200,
        help_text=_("What the video shows, in a few words: the player's name for screen readers."),
    )
    caption = models.CharField(
        _("caption"),
        max_length=300,
        blank=True,
        help_text=_("Printed under the video."),
    )
    credit = models.CharField(
        _("credit"),
        max_length=120,
        blank=True,
        help_text=_("Who filmed or owns the video, as printed: “Video: Inquam Photos”."),
    )
    width = models.PositiveIntegerField(_("width"), null=True, blank=True, editable=False)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True, editable=False)
    duration = models.DurationField(_("duration"), null=True, blank=True, editable=False)

    class Meta(LibraryItem.Meta):
        verbose_name = _("video")
        verbose_name_plural = _("videos")

    def __str__(self) -> str:
        return self.title

    @property
    def content_type(self) -> str:
        """The type its file is served with, from the extension the upload check gave it."""
        name = self.file.name or ""
        return next(
            (kind for ext, kind in CONTENT_TYPES.items() if name.lower().endswith(ext)),
            "video/mp4",
        )


def poster_url(picture: Picture) -> str:
    """The poster: the picture's own-shape JPEG rendition nearest the player's width."""
    jpegs = picture.crop("").get("jpeg") or []
    if jpegs:
        wide = [row for row in jpegs if row[0] >= POSTER_WIDTH]
        chosen = min(wide, key=lambda row: row[0]) if wide else max(jpegs, key=lambda row: row[0])
        return picture.file.storage.url(chosen[2])
    return picture.file.url


def player(video: Video) -> str:
    """One video as the body shows it: a player that preloads nothing, with its poster."""
    size = format_html(' width="{}" height="{}"', video.width, video.height) if video.width else ""
    return format_html(
        '<figure class="video"><video controls preload="none" poster="{}"{} aria-label="{}">'
        '<source src="{}" type="{}"><a href="{}">{}</a></video>{}</figure>',
        poster_url(video.poster),
        size,
        video.title,
        video.file.url,
        video.content_type,
        video.file.url,
        video.title,
        caption_and_credit(video),
    )


def with_videos(body: str) -> str:
    """The body with each paragraph that names a library video as its player (one query)."""
    names = {
        name for match in LINK_PARAGRAPH.finditer(body) if (name := library_name(match, "videos"))
    }
    if not names:
        return body
    videos = {
        video.file.name: video
        for video in Video.objects.filter(file__in=names).select_related("poster")
    }

    def replace(match) -> str:
        video = videos.get(library_name(match, "videos") or "")
        return player(video) if video is not None else match[0]

    return LINK_PARAGRAPH.sub(replace, body)
