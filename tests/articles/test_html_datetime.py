"""Times in <time datetime> and the article:*_time metadata: ISO 8601 to the second, with the
site's offset; HTML refuses the microseconds |date:"c" would print."""

import re
from datetime import UTC, datetime, timedelta

from django.template import Context, Template
from django.test import SimpleTestCase
from django.utils import timezone

from articles.live.render import time_html
from tests.articles.test_views import SiteTestCase
from tests.factories import make_article

# What HTML's valid global date and time string allows, as we print it: seconds and an offset.
HTML_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")


class FilterTests(SimpleTestCase):
    def render(self, value) -> str:
        template = Template("{% load articles_tags %}{{ value|html_datetime }}")
        return template.render(Context({"value": value}))

    def test_seconds_and_the_sites_offset_no_microseconds(self):
        moment = datetime(2024, 12, 23, 2, 17, 5, 123456, tzinfo=UTC)
        with timezone.override("Europe/Bucharest"):
            assert self.render(moment) == "2024-12-23T04:17:05+02:00"
            summer = datetime(2024, 7, 1, 9, 0, 0, 999999, tzinfo=UTC)
            assert self.render(summer) == "2024-07-01T12:00:00+03:00"

    def test_nothing_for_no_time(self):
        assert self.render(None) == ""
        assert self.render("") == ""

    def test_the_live_pages_times_are_the_same(self):
        moment = datetime(2024, 12, 23, 2, 17, 5, 123456, tzinfo=UTC)
        with timezone.override("Europe/Bucharest"):
            assert 'datetime="2024-12-23T04:17:05+02:00"' in time_html(moment)


class PagesTests(SiteTestCase):
    def test_every_time_on_the_story_and_home_pages_is_valid_html(self):
        moment = timezone.now().replace(microsecond=654321) - timedelta(hours=2)
        story = make_article(publish_at=moment, updated_at=moment + timedelta(minutes=5))
        story.corrections.create(text="A name was misspelt.")
        make_article(section=story.section, publish_at=moment - timedelta(hours=1))
        for url in [story.get_absolute_url(), "/", story.section.get_absolute_url()]:
            html = self.client.get(url).content.decode()
            values = re.findall(r'<time[^>]* datetime="([^"]*)"', html)
            values += re.findall(r'property="article:\w+_time" content="([^"]*)"', html)
            assert values, url
            for value in values:
                assert HTML_DATETIME.fullmatch(value), (url, value)
