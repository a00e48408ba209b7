from django.contrib.sitemaps import Sitemap

from newsroom.pages.models import Page


class PageSitemap(Sitemap):
    changefreq = "yearly"

    def items(self):
        return Page.objects.published().order_by("pk")

    def lastmod(self, page: Page):
        return page.updated_at
