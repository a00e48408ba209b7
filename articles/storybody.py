"""A story's body as readers get it: the sanitized markup with its pictures, tables and embeds
dressed.

One step between the stored body and the page, so other steps (in-story ads, pictures placed
after a paragraph) compose with it: they take its `html`, as they took the stored body.
"""

from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe

from articles.bodypictures import pictured
from articles.embeds.providers import Provider
from articles.embeds.render import placeholders
from articles.tables import captioned
from articles.videos import with_videos


@dataclass
class StoryBody:
    html: SafeString
    # The embed providers on the page: its Content-Security-Policy opens for them alone.
    providers: list[Provider]
    # Whether the body holds a gallery: the page loads its viewer's script only then.
    has_gallery: bool = False


def story_body(body: str) -> StoryBody:
    """The sanitized body with library pictures and galleries, captioned, scrollable tables,
    library videos and click-to-load embeds."""
    dressed = placeholders(captioned(with_videos(pictured(body or ""))))
    # Sanitized on save.
    has_gallery = '<ol class="gallery">' in dressed.html
    return StoryBody(mark_safe(dressed.html), dressed.providers, has_gallery)  # noqa: S308
