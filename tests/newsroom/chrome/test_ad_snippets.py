"""An ad's HTML snippet cannot restyle the site or point at another site by a scheme-relative
address."""

from django.test import SimpleTestCase

from newsroom.chrome.ads import clean_ad_html


class AdSnippetTests(SimpleTestCase):
    def test_class_is_dropped(self):
        # A class could make an ad look like the site's own masthead or breaking-news banner.
        html = clean_ad_html('<div class="masthead site-nav"><p class="brand">Ofertă</p></div>')
        assert "class" not in html
        assert "Ofertă" in html

    def test_scheme_relative_links_and_pictures_are_dropped(self):
        for address in ("//evil.example/x", " //evil.example/x", "\\\\evil.example/x"):
            html = clean_ad_html(f'<a href="{address}">link</a><img src="{address}" alt="a">')
            assert "evil.example" not in html, address
            assert "link" in html
        kept = clean_ad_html('<a href="https://shop.example/" rel="sponsored">Ofertă</a>')
        assert 'href="https://shop.example/"' in kept and 'rel="sponsored"' in kept
        assert 'src="/media/ads/x.png"' in clean_ad_html('<img src="/media/ads/x.png" alt="x">')
