"""Signed preview links: one story, a day, untouchable; never indexed, never cached."""

import re
import time
from datetime import timedelta
from unittest import mock
from urllib.parse import parse_qs, unquote, urlsplit

from django.conf import settings
from django.core import signing
from django.test import Client, TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from articles.models import PREVIEW_SALT, Article
from newsroom.chrome.models import SiteSettings
from tests.factories import make_article, make_section, make_user
from tests.helpers import text_of

BANNER = "Preview — not published"


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["preview"][0]


def aged_token(pk: int, seconds: int) -> str:
    """A preview token for story `pk` made `seconds` ago."""
    then = signing.b62_encode(int(time.time()) - seconds)
    with mock.patch.object(signing.TimestampSigner, "timestamp", return_value=then):
        return signing.TimestampSigner(salt=PREVIEW_SALT).sign(str(pk))


@override_settings(PREVIEW_LINK_SECONDS=24 * 60 * 60)
class PreviewLinkTests(TestCase):
    def setUp(self):
        SiteSettings(pk=1, language="en").save()
        self.section = make_section()
        self.draft = make_article(
            section=self.section, status=Article.Status.DRAFT, headline="Embargoed scoop"
        )
        self.other = make_article(
            section=self.section, status=Article.Status.DRAFT, headline="Another draft"
        )
        self.reader = Client()  # no account at all

    def url_with(self, article: Article, token: str) -> str:
        return f"{article.get_absolute_url()}?preview={token}"

    def assert_preview(self, response, headline: str):
        assert response.status_code == 200
        assert headline in text_of(response)
        assert BANNER in text_of(response)
        assert '<meta name="robots" content="noindex">' in response.content.decode()
        assert response["X-Robots-Tag"] == "noindex, nofollow"
        cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"private", "no-store", "no-cache", "max-age=0"} <= cache_control
        assert response["Referrer-Policy"] == "no-referrer"  # the token stays on this site

    def test_the_admin_hands_out_signed_links(self):
        editor = Client()
        editor.force_login(make_user("editor", group="Editor"))
        live = make_article(section=self.section, headline="Live story")
        changelist = editor.get(reverse("admin:articles_article_changelist")).content.decode()
        change = editor.get(
            reverse("admin:articles_article_change", args=[self.draft.pk])
        ).content.decode()
        prefix = self.draft.get_absolute_url() + "?preview="
        assert self.draft.get_preview_url().startswith(prefix)
        signer = signing.TimestampSigner(salt=PREVIEW_SALT)
        for html in (changelist, change):
            # Tokens carry the second they were signed in: check what they say, not their text.
            tokens = re.findall(re.escape(f'href="{prefix}') + r'([^"]+)"', html)
            assert tokens
            for token in tokens:
                assert signer.unsign(unquote(token), max_age=60) == str(self.draft.pk)
        # A live story's link is its public address, with no token to leak.
        assert f'href="{live.get_absolute_url()}"' in changelist
        assert live.get_absolute_url() + "?preview=" not in changelist

    def test_anyone_with_the_link_sees_the_draft(self):
        self.assert_preview(self.reader.get(self.draft.get_preview_url()), "Embargoed scoop")
        # The link opens that story only: the public address stays a 404.
        assert self.reader.get(self.draft.get_absolute_url()).status_code == 404

    def test_a_scheduled_story_says_when_it_goes_live(self):
        scheduled = make_article(
            section=self.section, publish_at=timezone.now() + timedelta(days=1)
        )
        response = self.reader.get(scheduled.get_preview_url())
        self.assert_preview(response, scheduled.headline)
        assert "Scheduled for" in text_of(response)

    def test_a_link_works_for_a_day_and_then_answers_404(self):
        day = 24 * 60 * 60
        fresh = aged_token(self.draft.pk, day - 60)
        self.assert_preview(self.reader.get(self.url_with(self.draft, fresh)), "Embargoed scoop")
        expired = aged_token(self.draft.pk, day + 1)
        assert self.reader.get(self.url_with(self.draft, expired)).status_code == 404

    def test_the_lifetime_is_a_setting(self):
        token = aged_token(self.draft.pk, 120)
        assert self.reader.get(self.url_with(self.draft, token)).status_code == 200
        with self.settings(PREVIEW_LINK_SECONDS=60):
            assert self.reader.get(self.url_with(self.draft, token)).status_code == 404

    def test_tampered_links_answer_404(self):
        token = token_of(self.draft.get_preview_url())
        value, stamp, signature = token.split(":")
        flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
        forged = [
            f"{value}:{stamp}:{flipped}",  # a changed signature
            f"{self.other.pk}:{stamp}:{signature}",  # the same signature on another story
            f"{value}:{signing.b62_encode(int(time.time()) + 10**6)}:{signature}",  # a new date
            f"{value}:{stamp}",
            value,
            "",
            "%00",
            "x" * 5000,
            signing.Signer(salt=PREVIEW_SALT).sign(str(self.draft.pk)),  # no timestamp
            signing.TimestampSigner().sign(str(self.draft.pk)),  # another salt
            signing.TimestampSigner(salt=PREVIEW_SALT).sign("not-a-number"),
        ]
        for bad in forged:
            response = self.reader.get(self.draft.get_absolute_url(), {"preview": bad})
            assert response.status_code == 404, bad
            assert "Embargoed scoop" not in response.content.decode()

    def test_a_link_is_tied_to_its_story_by_id_not_by_slug(self):
        # Another story's valid token on this story's address shows nothing.
        other_token = token_of(self.other.get_preview_url())
        assert self.reader.get(self.url_with(self.draft, other_token)).status_code == 404
        # A story that takes over the slug of a previewed one does not inherit its links.
        link = self.draft.get_preview_url()
        old_slug = self.draft.slug
        self.draft.slug = "renamed-scoop"
        self.draft.save()
        Article.objects.filter(pk=self.other.pk).update(slug=old_slug)
        assert self.reader.get(link).status_code == 404
        self.assert_preview(self.reader.get(self.draft.get_preview_url()), "Embargoed scoop")

    def test_a_link_to_a_story_published_since_leads_to_its_public_page(self):
        link = self.draft.get_preview_url()
        self.draft.status = Article.Status.PUBLISHED
        self.draft.publish_at = timezone.now() - timedelta(minutes=1)
        self.draft.save()
        response = self.reader.get(link)
        assert response.status_code == 302
        assert response["Location"] == self.draft.get_absolute_url()
        assert "no-store" in response["Cache-Control"]
        public = self.reader.get(response["Location"])
        assert public.status_code == 200 and BANNER not in text_of(public)

    def test_deleted_story_links_answer_404(self):
        link = self.draft.get_preview_url()
        self.draft.delete()
        assert self.reader.get(link).status_code == 404

    def test_staff_keep_their_own_preview_but_a_bad_link_is_404_for_them_too(self):
        staff = Client()
        staff.force_login(make_user("reporter", group="Reporter"))
        self.assert_preview(staff.get(self.draft.get_absolute_url()), "Embargoed scoop")
        bad = token_of(self.draft.get_preview_url())[:-2] + "zz"
        assert staff.get(self.url_with(self.draft, bad)).status_code == 404

    @override_settings(
        MIDDLEWARE=[
            "django.middleware.cache.UpdateCacheMiddleware",
            *settings.MIDDLEWARE,
            "django.middleware.cache.FetchFromCacheMiddleware",
        ],
        CACHE_MIDDLEWARE_SECONDS=600,
    )
    def test_a_full_page_cache_stores_no_preview(self):
        link = self.draft.get_preview_url()
        self.assert_preview(self.reader.get(link), "Embargoed scoop")
        Article.objects.filter(pk=self.draft.pk).update(headline="Rewritten scoop")
        # Had the page been stored, the old headline would come back from the cache.
        self.assert_preview(self.reader.get(link), "Rewritten scoop")
        self.draft.status = Article.Status.REVIEW
        self.draft.save()
        assert self.reader.get(self.draft.get_absolute_url()).status_code == 404
