import xml.etree.ElementTree as ET
from datetime import timedelta
from types import SimpleNamespace
from unittest import mock
from urllib.parse import unquote

from django.db import connection
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from articles.sitemaps import (
    ArticleSitemap,
    AuthorSitemap,
    NewsSitemap,
    SectionSitemap,
    TagSitemap,
)
from newsroom.chrome.models import SiteSettings
from tests.factories import bulk_published, make_article, make_author, make_section

NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}
SITE = SimpleNamespace(domain="testserver", name="testserver")  # as RequestSite gives


def all_urls(sitemap) -> list[dict]:
    """Every page's entries (story ids need not start at 1: sequences outlive test rollbacks)."""
    return [
        url
        for number in range(1, sitemap.paginator.num_pages + 1)
        for url in sitemap.get_urls(page=number, site=SITE, protocol="https")
    ]


def locations(sitemap) -> list[str]:
    return [url["location"] for url in all_urls(sitemap)]


def page_of(story: Article) -> str:
    return str(-(-story.pk // ArticleSitemap.limit))


def hidden_stories(**fields) -> list[Article]:
    """A draft, a story in review since yesterday and a scheduled story, otherwise complete."""
    return [
        make_article(status=Article.Status.DRAFT, **fields),
        make_article(
            status=Article.Status.REVIEW, publish_at=timezone.now() - timedelta(days=1), **fields
        ),
        make_article(publish_at=timezone.now() + timedelta(hours=2), **fields),
    ]


class ArticleSitemapTests(TestCase):
    def test_lists_only_published_stories_with_absolute_urls(self):
        live = make_article()
        hidden = hidden_stories()
        urls = locations(ArticleSitemap())
        assert urls == [f"https://testserver{live.get_absolute_url()}"]
        for story in hidden:
            assert not any(story.slug in url for url in urls)

    def test_lastmod_is_the_latest_of_publication_update_and_edit(self):
        now = timezone.now()
        story = make_article(publish_at=now - timedelta(days=3))
        Article.objects.filter(pk=story.pk).update(
            modified_at=now - timedelta(days=2), updated_at=now - timedelta(hours=5)
        )
        scheduled_earlier = make_article(publish_at=now - timedelta(hours=1))
        Article.objects.filter(pk=scheduled_earlier.pk).update(modified_at=now - timedelta(days=9))

        lastmods = {url["item"].pk: url["lastmod"] for url in all_urls(ArticleSitemap())}

        assert lastmods[story.pk] == now - timedelta(hours=5)
        # Written long before it went live: the page dates from its publication.
        assert lastmods[scheduled_earlier.pk] == now - timedelta(hours=1)

    def test_pages_by_id_range_and_bad_pages_are_404(self):
        stories = [make_article() for _ in range(5)]
        make_article(status=Article.Status.DRAFT)  # the highest id, but not public
        with mock.patch.object(ArticleSitemap, "limit", 2):
            sitemap = ArticleSitemap()
            last = sitemap.paginator.num_pages
            # Page n holds ids ((n - 1) * 2, n * 2]: enough pages for the newest public id.
            assert last == -(-stories[-1].pk // 2)
            seen = []
            for number in range(1, last + 1):
                page = sitemap.get_urls(page=number, site=SITE)
                assert len(page) <= 2
                seen += [url["item"].pk for url in page]
            assert seen == [story.pk for story in stories]

            index = self.client.get(reverse("sitemap")).content.decode()
            assert f"/sitemap-articles.xml?p={last}</loc>" in index
            assert f"?p={last + 1}<" not in index

            section_url = reverse("sitemap-section", kwargs={"section": "articles"})
            assert self.client.get(section_url, {"p": str(last)}).status_code == 200
            for page in ("0", "-1", "abc", "1.5", str(last + 1), "9" * 30):
                assert self.client.get(section_url, {"p": page}).status_code == 404, page

    def test_pages_keep_their_stories_when_new_ones_are_published(self):
        with mock.patch.object(ArticleSitemap, "limit", 3):
            for _ in range(7):
                make_article()

            def pages() -> list[list[int]]:
                sitemap = ArticleSitemap()
                return [
                    # SITE stands in for a Site with the two attributes get_urls() reads.
                    [url["item"].pk for url in sitemap.get_urls(page=number, site=SITE)]  # type: ignore[arg-type]
                    for number in range(1, sitemap.paginator.num_pages + 1)
                ]

            before = pages()
            for _ in range(4):
                make_article()
            after = pages()
            # Every full page is unchanged; only the last one can gain the newcomers.
            assert after[: len(before) - 1] == before[:-1]
            assert after[len(before) - 1][: len(before[-1])] == before[-1]


class ListingSitemapTests(TestCase):
    def test_sections_tags_and_authors_with_a_published_story_only(self):
        public_section, quiet_section = make_section(), make_section()
        public_author, quiet_author = make_author(), make_author()
        live = make_article(
            section=public_section, authors=[public_author], tags=["Energie", "România"]
        )
        hidden_stories(section=quiet_section, authors=[quiet_author], tags=["Secret"])

        sections = locations(SectionSitemap())
        tags = locations(TagSitemap())
        authors = locations(AuthorSitemap())

        assert sections == [f"https://testserver{public_section.get_absolute_url()}"]
        assert authors == [f"https://testserver{public_author.get_absolute_url()}"]
        tag_slugs = sorted(tag.slug for tag in live.tags.all())
        assert "romania" in tag_slugs  # "România", in ASCII
        assert sorted(unquote(url.rsplit("/", 2)[-2]) for url in tags) == tag_slugs
        assert not any("secret" in url for url in tags)
        # Every listed address answers.
        for url in sections + tags + authors:
            assert self.client.get(url.removeprefix("https://testserver")).status_code == 200

    def test_lastmod_is_the_newest_published_story(self):
        section = make_section()
        now = timezone.now()
        make_article(section=section, publish_at=now - timedelta(days=2))
        make_article(section=section, publish_at=now - timedelta(hours=3))
        make_article(section=section, publish_at=now + timedelta(hours=3))  # scheduled
        [url] = SectionSitemap().get_urls(site=SITE)
        assert url["lastmod"] == now - timedelta(hours=3)


class SitemapXmlTests(TestCase):
    def test_index_names_each_sitemap_with_absolute_urls(self):
        make_article(tags=["vreme"], authors=[make_author()])
        response = self.client.get(reverse("sitemap"))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/xml"
        root = ET.fromstring(response.content)
        assert root.tag == f"{{{NS['sm']}}}sitemapindex"
        locs = [loc.text for loc in root.findall("sm:sitemap/sm:loc", NS)]
        firsts = [loc for loc in locs if "?p=" not in loc]
        assert firsts == [
            f"http://testserver/sitemap-{name}.xml"
            for name in ("articles", "sections", "tags", "authors", "pages")
        ]
        # Further pages only for stories: as many as the id range needs.
        pages = ArticleSitemap().paginator.num_pages
        assert [loc for loc in locs if "?p=" in loc] == [
            f"http://testserver/sitemap-articles.xml?p={number}" for number in range(2, pages + 1)
        ]
        for loc in locs:
            assert self.client.get(loc.removeprefix("http://testserver")).status_code == 200

    def test_story_sitemap_xml(self):
        story = make_article(headline="Bursa & leul <azi>")
        response = self.client.get(
            reverse("sitemap-section", kwargs={"section": "articles"}), {"p": page_of(story)}
        )
        assert response.status_code == 200
        assert response["X-Robots-Tag"].startswith("noindex")
        root = ET.fromstring(response.content)
        [url] = root.findall("sm:url", NS)
        assert url.find("sm:loc", NS).text == f"http://testserver{story.get_absolute_url()}"
        local = timezone.localtime(story.modified_at)
        assert url.find("sm:lastmod", NS).text == local.strftime("%Y-%m-%d")

    def test_unknown_sitemap_is_404(self):
        response = self.client.get(reverse("sitemap-section", kwargs={"section": "drafts"}))
        assert response.status_code == 404

    def test_query_counts_do_not_grow_with_the_archive(self):
        def counts() -> list[int]:
            result = []
            urls = [reverse("sitemap"), reverse("news-sitemap"), reverse("robots")]
            urls += [
                reverse("sitemap-section", kwargs={"section": name})
                for name in ("articles", "sections", "tags", "authors")
            ]
            self.client.get(urls[0])  # warm the site settings cache
            for url in urls:
                with CaptureQueriesContext(connection) as captured:
                    assert self.client.get(url).status_code == 200
                result.append(len(captured))
            return result

        author = make_author()
        make_article(authors=[author], tags=["unu"])
        few = counts()
        for n in range(40):
            make_article(authors=[author, make_author()], tags=["unu", f"tag-{n}"])
        many = counts()
        assert few == many
        assert max(many) <= 4


class NewsSitemapTests(TestCase):
    def get(self):
        response = self.client.get(reverse("news-sitemap"))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/xml"
        return ET.fromstring(response.content)

    def test_lists_the_last_two_days_newest_first(self):
        now = timezone.now()
        fresh = make_article(publish_at=now - timedelta(hours=1))
        yesterday = make_article(publish_at=now - timedelta(days=1, hours=12))
        make_article(publish_at=now - timedelta(days=2, minutes=5))
        make_article(publish_at=now - timedelta(days=30))
        hidden_stories()
        make_article(status=Article.Status.DRAFT, headline="Ciornă de azi")

        root = self.get()

        locs = [loc.text for loc in root.findall("sm:url/sm:loc", NS)]
        assert locs == [
            f"http://testserver{fresh.get_absolute_url()}",
            f"http://testserver{yesterday.get_absolute_url()}",
        ]

    @override_settings(SITE_NAME="Jurnalul de Test")
    def test_google_news_fields(self):
        story = make_article(headline='Leul & euro: "record" <azi>\x0b')
        root = self.get()
        assert root.tag == f"{{{NS['sm']}}}urlset"
        news = root.find("sm:url/news:news", NS)
        assert news.find("news:publication/news:name", NS).text == "Jurnalul de Test"
        assert news.find("news:publication/news:language", NS).text == "ro"
        assert news.find("news:title", NS).text == 'Leul & euro: "record" <azi>'
        published = news.find("news:publication_date", NS).text
        assert published == timezone.localtime(story.publish_at).isoformat(timespec="seconds")
        assert published.endswith(("+02:00", "+03:00"))  # the site's zone, Bucharest

    def test_language_is_the_storys_not_the_sites(self):
        site = SiteSettings.load()
        site.language = "en"
        site.save()
        make_article(headline="Romanian", language="ro")
        make_article(headline="English", language="en")
        languages = {
            url.findtext("news:news/news:title", namespaces=NS): url.findtext(
                "news:news/news:publication/news:language", namespaces=NS
            )
            for url in self.get().findall("sm:url", NS)
        }
        assert languages == {"Romanian": "ro", "English": "en"}

    def test_at_most_1000_stories(self):
        bulk_published(
            1005,
            make_section(),
            headline="Știre",
            slug="stire",
            newest=timedelta(seconds=1),
            apart=timedelta(seconds=1),
        )
        items = NewsSitemap().items()
        assert len(items) == 1000
        assert items[0].slug == "stire-0"
        assert len(self.get().findall("sm:url", NS)) == 1000

    def test_empty_is_a_valid_urlset(self):
        make_article(publish_at=timezone.now() - timedelta(days=3))
        assert self.get().findall("sm:url", NS) == []


class RobotsTxtTests(TestCase):
    def test_names_both_sitemaps_and_keeps_crawlers_out_of_the_admin(self):
        response = self.client.get("/robots.txt")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain")
        lines = response.content.decode().splitlines()
        assert "User-agent: *" in lines
        assert "Disallow: /admin/" in lines
        assert "Sitemap: http://testserver/sitemap.xml" in lines
        assert "Sitemap: http://testserver/news-sitemap.xml" in lines

    def test_sitemap_urls_follow_the_request_scheme_and_host(self):
        response = self.client.get("/robots.txt", secure=True, headers={"host": "localhost"})
        assert "Sitemap: https://localhost/news-sitemap.xml" in response.content.decode()


class NothingUnpublishedAnywhereTests(TestCase):
    def test_no_draft_review_or_scheduled_story_in_any_sitemap(self):
        section = make_section()
        live = make_article(section=section, headline="Public")
        hidden = hidden_stories(section=section)
        bodies = [
            self.client.get(reverse("sitemap-section", kwargs={"section": name})).content
            for name in ("sections", "tags", "authors")
        ]
        stories_url = reverse("sitemap-section", kwargs={"section": "articles"})
        for number in range(1, ArticleSitemap().paginator.num_pages + 1):
            bodies.append(self.client.get(stories_url, {"p": number}).content)
        bodies.append(self.client.get(reverse("news-sitemap")).content)
        bodies.append(self.client.get(reverse("sitemap")).content)
        text = b"".join(bodies).decode()
        assert live.slug in text
        for story in hidden:
            assert story.slug not in text
