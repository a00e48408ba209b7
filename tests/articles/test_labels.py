"""Story labels: on the story, every teaser, feeds and JSON-LD; paid content never unlabelled."""

import json
import re

import feedparser
from django.test import TestCase
from django.urls import reverse

from articles.models import Article
from tests.factories import make_article, make_section

PAID = "Publicitate"


class LabelTests(TestCase):
    def setUp(self):
        self.section = make_section(name="Economie", slug="economie")
        self.paid = make_article(
            headline="Noul cont de economii", label=Article.Label.PAID, section=self.section
        )
        self.opinion = make_article(
            headline="De ce contează bugetul", label=Article.Label.OPINION, section=self.section
        )

    def test_the_story_page_labels_and_describes_it(self):
        html = self.client.get(self.paid.get_absolute_url()).content.decode()
        assert f'story-label--paid">{PAID}</p>' in html
        found = re.search(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', html, re.S)
        assert found
        data = json.loads(found.group(1))
        assert data["@type"] == "AdvertiserContentArticle" and data["genre"] == PAID
        opinion = self.client.get(self.opinion.get_absolute_url()).content.decode()
        assert "OpinionNewsArticle" in opinion and "Opinie" in opinion

    def test_every_listing_labels_paid_content(self):
        for url in [
            reverse("home"),
            reverse("articles:section", kwargs={"slug": "economie"}),
            reverse("articles:search") + "?q=economii",
        ]:
            html = self.client.get(url).content.decode()
            if "Noul cont de economii" in html:
                assert PAID in html, url
        listing = self.client.get(reverse("articles:section", kwargs={"slug": "economie"}))
        assert f'story-label--paid">{PAID}</p><h2' in listing.content.decode()

    def test_feeds_label_the_title_and_the_categories(self):
        for name in ("articles:feed", "articles:feed-atom"):
            feed = feedparser.parse(self.client.get(reverse(name)).content)
            titles = {entry.title for entry in feed.entries}
            assert f"{PAID}: Noul cont de economii" in titles
            assert "Opinie: De ce contează bugetul" in titles
            paid = next(entry for entry in feed.entries if "economii" in entry.title)
            assert PAID in [tag.term for tag in paid.tags]
