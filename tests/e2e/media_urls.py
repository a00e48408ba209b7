"""The site's addresses, plus its uploads as the web server in front of it would serve them
(Django serves MEDIA_ROOT only with DEBUG on), for browser tests run on Django's live server."""

from django.conf import settings
from django.urls import re_path
from django.views.static import serve

from newsroom.urls import urlpatterns as site


def media(request, path):
    # MEDIA_ROOT is read per request: each test has a folder of its own.
    return serve(request, path, document_root=settings.MEDIA_ROOT)


urlpatterns = [*site, re_path(r"^media/(?P<path>.+)$", media)]
