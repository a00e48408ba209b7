import random
import re
from html import unescape

from django.test import TestCase

from articles.models import Article
from newsroom import demo
from newsroom.demo.stories import StoryCopy

from .test_seed_demo import seed


def _pattern(template: str) -> re.Pattern:
    """A template sentence as a regex: each slot matches whatever Facts filled in."""
    parts = re.split(r"\{[a-z_]+[0-9]*\}", template)
    return re.compile(".+?".join(re.escape(part) for part in parts))


def _own_story(section: str, headline: str) -> StoryCopy:
    for story in demo.COPY[section]["stories"]:
        if _pattern(story["headline"]).fullmatch(headline):
            return story
    raise AssertionError(f"no story entry for {headline!r}")


class StoryEntriesTests(TestCase):
    def test_every_story_has_its_own_sentences(self):
        for section, copy in demo.COPY.items():
            for story in copy["stories"]:
                assert 5 <= len(story["sentences"]) <= 7, (section, story["headline"])
                assert len(set(story["sentences"])) == len(story["sentences"])

    def test_every_body_tells_its_own_story_first(self):
        for seed_value in range(3):
            rng = random.Random(seed_value)
            for section in demo.COPY:
                for _ in range(12):
                    story = demo.write_story(
                        rng, section, agency="AFP" if rng.random() < 0.3 else ""
                    )
                    entry = _own_story(section, story.headline)
                    first = re.search(r"<p>(.*?)</p>", story.body).group(1)
                    assert _pattern(entry["sentences"][0]).match(unescape(first)), story.body

    def test_the_same_seed_writes_the_same_story(self):
        for section in demo.COPY:
            first = demo.write_story(random.Random(5), section)
            again = demo.write_story(random.Random(5), section)
            assert first == again


class SeededStoriesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        seed(articles=120, seed=11)

    def test_each_body_has_a_sentence_from_its_own_story(self):
        for article in Article.objects.select_related("section"):
            entry = _own_story(article.section.slug, article.headline)
            body = unescape(article.body)
            assert any(_pattern(s).search(body) for s in entry["sentences"]), article.headline

    def test_opinion_is_bylined_by_columnists_only(self):
        assert len(demo.COLUMNISTS) >= 2
        opinion = Article.objects.filter(section__slug="opinii")
        assert opinion.exists()
        assert not opinion.exclude(wire_service=None).exists()
        for article in opinion:
            names = [author.name for author in article.authors.all()]
            assert names and set(names) <= set(demo.COLUMNISTS), (article.headline, names)

    def test_columnists_say_so(self):
        for name, _job_title, beats, bio in demo.AUTHORS:
            if name in demo.COLUMNISTS:
                assert "opinii" in beats and "Columnist" in bio, name
