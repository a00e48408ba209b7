from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from articles.invalidation import LISTINGS
from articles.sitemaps import NEWS_SITEMAPS, SITEMAPS
from newsroom import admin as site_admin
from newsroom import metrics, twofactor, views
from newsroom.chrome.views import home
from newsroom.mostread import views as most_read
from newsroom.pagecache import public_page
from newsroom.pages.sitemaps import PageSitemap
from newsroom.pages.views import page
from newsroom.weather.views import live_header_json

# Sitemaps list stories, sections, tags and authors: cached whole until one of them changes.
sitemap_index = require_safe(public_page(LISTINGS)(sitemap_views.index))
sitemap = require_safe(public_page(LISTINGS, reads=("p",))(sitemap_views.sitemap))

# The site's own pages beside the newsroom's stories, sections, tags and authors.
SITE_SITEMAPS = {**SITEMAPS, "pages": PageSitemap}

handler500 = "newsroom.views.server_error"

urlpatterns = [
    path("", home, name="home"),
    # Before the admin's own: its login with a `next` that leads somewhere, the view-on-site
    # redirect for what the user may see, and the two-factor pages.
    path("admin/login/", site_admin.login),
    path(
        "admin/r/<int:content_type_id>/<path:object_id>/",
        admin.site.admin_view(site_admin.view_on_site),
    ),
    path("admin/two-factor/", include(twofactor.urlpatterns)),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("live/header.json", live_header_json, name="live-header"),
    path("live/read/<int:pk>/", most_read.read, name="read"),
    path("live/most-read/", most_read.most_read, name="most-read"),
    path("info/<slug:slug>/", page, name="page"),
    path(
        "sitemap.xml",
        sitemap_index,
        {"sitemaps": SITE_SITEMAPS, "sitemap_url_name": "sitemap-section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        sitemap,
        {"sitemaps": SITE_SITEMAPS},
        name="sitemap-section",
    ),
    path(
        "news-sitemap.xml",
        sitemap,
        {"sitemaps": NEWS_SITEMAPS, "template_name": "sitemaps/news.xml"},
        name="news-sitemap",
    ),
    path(
        "robots.txt",
        TemplateView.as_view(template_name="robots.txt", content_type="text/plain"),
        name="robots",
    ),
    path("", include("articles.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
