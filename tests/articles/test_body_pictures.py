"""Library pictures in a story's body: a figure for one, a gallery (a plain list) for a run."""

import re

from django.core.cache import cache
from django.db import connection
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext

from newsroom.chrome.models import SiteSettings
from tests.factories import image_upload, make_article, make_picture
from tests.helpers import StoresPagesAtOnce


def paragraph(picture) -> str:
    return f'<p><a href="http://testserver{picture.file.url}">{picture.file.url}</a></p>'


class BodyPictureTests(StoresPagesAtOnce, TestCase):
    def setUp(self):
        super().setUp()
        cache.clear()
        SiteSettings(pk=1, language="en").save()

    def body_of(self, story) -> str:
        html = self.client.get(story.get_absolute_url()).content.decode()
        return html[html.index('class="story__body"') : html.index("</article>")]

    def test_a_picture_becomes_a_responsive_lazy_figure_with_caption_and_credit(self):
        picture = make_picture(
            file=image_upload(size=(900, 600)),
            alt="Boats on the Danube",
            caption="Low water at Giurgiu",
            credit="Foto: Ion Pop",
        )
        story = make_article(body=f"<p>Before.</p>{paragraph(picture)}<p>After.</p>")
        body = self.body_of(story)
        figure = re.search(r'<figure class="story-picture">.*?</figure>', body, re.S).group(0)
        assert 'alt="Boats on the Danube"' in figure and 'loading="lazy"' in figure
        assert re.search(r'srcset="[^"]+ 320w, [^"]+ 480w', figure)
        assert '<span class="caption">Low water at Giurgiu</span>' in figure
        assert '<span class="credit">Foto: Ion Pop</span>' in figure
        assert body.index("Before.") < body.index("story-picture") < body.index("After.")
        assert "<ol" not in body  # one picture is not a gallery

    def test_a_run_of_pictures_is_a_gallery_in_order(self):
        pictures = [make_picture(alt=f"Picture {n}", caption=f"Caption {n}") for n in range(5)]
        body = "<p>Intro.</p>" + "\n".join(paragraph(p) for p in pictures) + "<p>End.</p>"
        story = make_article(body=body)
        page = self.body_of(story)
        gallery = re.search(r'<ol class="gallery">(.*?)</ol>', page, re.S).group(1)
        assert re.findall(r'alt="(Picture \d)"', gallery) == [f"Picture {n}" for n in range(5)]
        assert gallery.count("<li>") == 5 and "Caption 4" in gallery
        assert "<script" not in gallery  # a plain list: nothing to run

    def test_the_gallery_viewer_loads_only_with_a_gallery(self):
        pictures = [make_picture() for _ in range(2)]
        gallery = make_article(body="".join(paragraph(p) for p in pictures))
        single = make_article(body=paragraph(pictures[0]))
        html = self.client.get(gallery.get_absolute_url()).content.decode()
        assert re.search(r'<script type="module" src="/static/js/gallery[^"]*\.js">', html)
        controls = re.search(r'<template id="gallery-viewer".*?</template>', html, re.S).group(0)
        assert 'data-label="Photo gallery"' in controls
        assert 'data-format="{number} of {total}"' in controls
        assert ">Previous picture</button>" in controls and ">Next picture</button>" in controls
        assert 'data-one="One picture at a time">Show all pictures</button>' in controls
        html = self.client.get(single.get_absolute_url()).content.decode()
        assert "gallery.js" not in html and "gallery-viewer" not in html

    def test_other_addresses_stay_links(self):
        picture = make_picture()
        gone = '<p><a href="http://testserver/media/pictures/gone.jpg">Gone</a></p>'
        elsewhere = '<p><a href="https://example.org/media/x.jpg">Elsewhere</a></p>'
        story = make_article(body=gone + elsewhere + f"<p>Text {picture.file.url}</p>")
        body = self.body_of(story)
        assert "story-picture" not in body
        assert 'href="http://testserver/media/pictures/gone.jpg"' in body
        assert 'href="https://example.org/media/x.jpg"' in body

    def test_hostile_words_are_text(self):
        picture = make_picture(
            alt='" onerror="alert(1)',
            caption="<script>alert('caption')</script>",
            credit="</figcaption><img src=x onerror=alert(1)>",
        )
        body = self.body_of(make_article(body=paragraph(picture)))
        assert "<script>alert" not in body and "<img src=x" not in body
        assert "&lt;script&gt;alert(&#x27;caption&#x27;)&lt;/script&gt;" in body
        assert 'alt="&quot; onerror=&quot;alert(1)"' in body

    # Measured with the page cache off: with it on, the warm request is served with no query.
    @override_settings(PAGE_CACHE=False)
    def test_pictures_in_the_body_cost_one_query(self):
        plain = make_article(body="<p>Only text.</p>")
        pictures = [make_picture() for _ in range(5)]
        rich = make_article(body="".join(paragraph(p) for p in pictures))
        counts = []
        for story in (plain, rich):
            self.client.get(story.get_absolute_url())  # warm
            with CaptureQueriesContext(connection) as queries:
                assert self.client.get(story.get_absolute_url()).status_code == 200
            counts.append(len(queries))
        assert counts[1] == counts[0] + 1 and counts[1] <= 8, counts
