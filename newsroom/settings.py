"""Newsroom settings: one file, every machine-specific value read from the environment."""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def cache_from_url(url: str) -> dict:
    """Turn CACHE_URL (locmem://, redis://…, dummy://) into a CACHES entry."""
    scheme = urlsplit(url).scheme
    if scheme == "locmem":
        # Whole pages live here too: room for a few thousand of them and their version keys.
        return {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "newsroom",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    if scheme == "dummy":
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    if scheme in {"redis", "rediss", "unix"}:
        return {
            "BACKEND": "newsroom.pagecache.backend.ResilientRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "newsroom",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    raise ImproperlyConfigured(f"CACHE_URL scheme {scheme!r} is not one of locmem, redis, dummy.")


AUTHENTICATION_BACKENDS = [
    "newsroom.auth.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]

DEBUG = env_bool("DEBUG", True)

# Production refuses to start without its own secret and host names.
DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", "") or (DEVELOPMENT_SECRET_KEY if DEBUG else "")
if not DEBUG and (len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure")):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 50 characters when DEBUG is off."
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'newsroom.sqlite3'}"),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg 3's pool keeps connections warm across requests; it requires CONN_MAX_AGE = 0.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A page's queries take a millisecond or two; compiling one with JIT takes tens.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": 1,
        "max_size": int(os.environ.get("DATABASE_POOL_SIZE", "8")),
        "timeout": 2,  # while the database is down, answer 503 quickly
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }

# Read replicas (newsroom.replicas): anonymous public pages are built from a replica that has
# replayed the primary's writes; writes, staff and previews stay on the primary. PostgreSQL only.
DATABASE_REPLICA_URLS = [
    url for url in os.environ.get("DATABASE_REPLICA_URLS", "").split(",") if url
]
# A replica that has not caught up with the primary for this long is skipped until it does.
DATABASE_REPLICA_MAX_LAG = float(os.environ.get("DATABASE_REPLICA_MAX_LAG", "1.0"))
# How often each process asks the primary how far it is and each replica how far it replayed.
DATABASE_REPLICA_CHECK_SECONDS = float(os.environ.get("DATABASE_REPLICA_CHECK_SECONDS", "0.25"))
for number, url in enumerate(DATABASE_REPLICA_URLS, start=1):
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URLS needs PostgreSQL as DATABASE_URL.")
    replica = dj_database_url.parse(url, conn_health_checks=True)
    if replica["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured(f"DATABASE_REPLICA_URLS: {replica['ENGINE']} is no PostgreSQL.")
    replica["CONN_MAX_AGE"] = 0
    replica["OPTIONS"] = {
        **DATABASES["default"]["OPTIONS"],
        "pool": {**DATABASES["default"]["OPTIONS"]["pool"], "timeout": 1},
        "connect_timeout": 1,
    }
    replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica{number}"] = replica
DATABASE_ROUTERS = ["newsroom.replicas.ReplicaRouter"] if DATABASE_REPLICA_URLS else []

CACHES = {"default": cache_from_url(os.environ.get("CACHE_URL", "locmem://"))}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "axes",
    "django_prose_editor",
    "reversion",
    "taggit",
    "newsroom",
    "newsroom.pagecache",
    "newsroom.weather",
    "articles",
    "newsroom.chrome",
    "newsroom.mostread",
    "newsroom.pages",
    "newsroom.demo",
]

LANGUAGE_CODE = "ro"
LANGUAGES = [("ro", "Română"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"newsroom": {"level": "INFO"}, "articles": {"level": "INFO"}},
}

LOGIN_URL = "admin:login"

MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"

MIDDLEWARE = [
    # Counts and times every request, stored pages and beacons included (/metrics).
    "newsroom.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # The most-read beacon needs nothing below.
    "newsroom.mostread.middleware.BeaconMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "newsroom.middleware.AdminContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Stored public pages are served from here, before sessions, auth and the view.
    "newsroom.pagecache.middleware.PageCacheMiddleware",
    *(["newsroom.replicas.ReplicaMiddleware"] if DATABASE_REPLICA_URLS else []),
    "django.contrib.sessions.middleware.SessionMiddleware",
    "newsroom.middleware.SiteLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "newsroom.urls"

STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]

# Uploads and renditions: the local disk (MEDIA_ROOT, served by nginx's /media/) unless
# MEDIA_STORAGE=s3 names a bucket on S3-compatible object storage shared by every app server
# (newsroom/mediastorage.py). Credentials come from the environment only: MEDIA_ACCESS_KEY_ID
# and MEDIA_SECRET_ACCESS_KEY, or boto3's own chain (AWS_* variables, an instance role).
MEDIA_STORAGE = os.environ.get("MEDIA_STORAGE", "local")
if MEDIA_STORAGE not in {"local", "s3"}:
    raise ImproperlyConfigured("MEDIA_STORAGE is 'local' or 's3'.")
MEDIA_BUCKET = os.environ.get("MEDIA_BUCKET", "")
MEDIA_ENDPOINT_URL = os.environ.get("MEDIA_ENDPOINT_URL", "")
# The host (a CDN or the bucket's own domain) that serves media to readers, e.g. media.example.ro.
MEDIA_CUSTOM_DOMAIN = os.environ.get("MEDIA_CUSTOM_DOMAIN", "")
MEDIA_URL_PROTOCOL = os.environ.get("MEDIA_URL_PROTOCOL", "https:")
MEDIA_ORIGIN = ""  # where media is served from when it is not this site's origin
if MEDIA_STORAGE == "s3":
    if not MEDIA_BUCKET:
        raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs MEDIA_BUCKET.")
    media_options = {
        "bucket_name": MEDIA_BUCKET,
        "endpoint_url": MEDIA_ENDPOINT_URL or None,
        "region_name": os.environ.get("MEDIA_REGION") or None,
        "access_key": os.environ.get("MEDIA_ACCESS_KEY_ID") or None,
        "secret_key": os.environ.get("MEDIA_SECRET_ACCESS_KEY") or None,
        "custom_domain": MEDIA_CUSTOM_DOMAIN or None,
        "url_protocol": MEDIA_URL_PROTOCOL,
        # Bucket in the path: what MinIO, Garage, Ceph and local servers answer to.
        "addressing_style": "path" if MEDIA_ENDPOINT_URL else None,
    }
    if MEDIA_CUSTOM_DOMAIN:
        MEDIA_URL = f"{MEDIA_URL_PROTOCOL}//{MEDIA_CUSTOM_DOMAIN.rstrip('/')}/"
    elif MEDIA_ENDPOINT_URL:
        MEDIA_URL = f"{MEDIA_ENDPOINT_URL.rstrip('/')}/{MEDIA_BUCKET}/"
    else:
        MEDIA_URL = f"https://{MEDIA_BUCKET}.s3.amazonaws.com/"
    MEDIA_ORIGIN = "{0.scheme}://{0.netloc}".format(urlsplit(MEDIA_URL))
    default_storage_setting = {
        "BACKEND": "newsroom.mediastorage.MediaStorage",
        "OPTIONS": media_options,
    }
else:
    default_storage_setting = {"BACKEND": "django.core.files.storage.FileSystemStorage"}

STORAGES = {
    "default": default_storage_setting,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.csp",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "newsroom.context_processors.site",
            ],
        },
    },
]

TIME_ZONE = "Europe/Bucharest"
USE_I18N = True
USE_TZ = True

WSGI_APPLICATION = "newsroom.wsgi.application"

# Security headers everywhere; TLS-only cookies, HSTS and the HTTPS redirect in production.
# Behind a proxy that terminates TLS, set SECURE_PROXY_SSL_HEADER=1 (it sends X-Forwarded-Proto).
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_HSTS_SECONDS = 0 if DEBUG else int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
if not DEBUG and not SECURE_SSL_REDIRECT:
    # Turned off on purpose: the proxy in front redirects to HTTPS (deploy/nginx.conf does).
    SILENCED_SYSTEM_CHECKS = ["security.W008"]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (Django's own middleware): our own files only, no inline script or
# style, no other origin, never framed. Public pages are cached whole, so they get no nonce;
# admin pages (newsroom.middleware.AdminContentSecurityPolicyMiddleware) get a fresh one for
# their scripts and django-prose-editor's import map, and the hash of the base style block
# its Tiptap editor injects (fixed for django-prose-editor 0.28; tests/newsroom/test_csp.py
# checks it in a browser).
SECURE_CSP: dict[str, list[str]] = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, *([MEDIA_ORIGIN] if MEDIA_ORIGIN else [])],
    # Library videos in stories, from this site's /media/ or the media origin.
    "media-src": [CSP.SELF, *([MEDIA_ORIGIN] if MEDIA_ORIGIN else [])],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
if CSP_REPORT_URI := os.environ.get("CSP_REPORT_URI", ""):
    SECURE_CSP["report-uri"] = [CSP_REPORT_URI]
TIPTAP_STYLE_HASH = "'sha256-PlumsSlvJ7vvWzjqibGAYKq92O3y/4JTxWWsWJvyUYA='"
SECURE_CSP_ADMIN = SECURE_CSP | {
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE, TIPTAP_STYLE_HASH],
}

# Uploads: a story image may be at most 20 MB and 40 megapixels.
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Newsroom ---------------------------------------------------------------
SITE_NAME = os.environ.get("SITE_NAME", "Newsroom")
IMAGE_MAX_BYTES = 20 * 1024 * 1024
IMAGE_MAX_PIXELS = 40_000_000
# The largest library video (bytes): uploads over FILE_UPLOAD_MAX_MEMORY_SIZE stream to a temporary
# file, never held in memory; nginx allows this size on the video upload address alone.
VIDEO_MAX_BYTES = int(os.environ.get("VIDEO_MAX_BYTES", str(500 * 1024 * 1024)))
FEED_ITEMS = int(os.environ.get("FEED_ITEMS", "20"))
# The most tags a story may carry (each costs work on every save of the story).
TAGS_PER_STORY = int(os.environ.get("TAGS_PER_STORY", "30"))
# Whole public pages (and feeds) cached for anonymous readers; 0 renders every request, to measure.
PAGE_CACHE = env_bool("PAGE_CACHE", True)
# How long a process may trust the page versions it read from Redis (0: ask on every request).
PAGE_CACHE_NEAR_SECONDS = float(os.environ.get("PAGE_CACHE_NEAR_SECONDS", "0"))
# How often a process retries writing page versions Redis did not take (kept meanwhile in the
# database, never dropped).
PAGE_CACHE_REPLAY_SECONDS = float(os.environ.get("PAGE_CACHE_REPLAY_SECONDS", "0.25"))
# How often each process looks for such bumps kept by any process (one query; a command that
# wrote during an outage may have exited since).
PAGE_CACHE_PENDING_CHECK_SECONDS = float(os.environ.get("PAGE_CACHE_PENDING_CHECK_SECONDS", "0.25"))
# One build per change: when a stored page is out of date, one request in all processes builds
# it (under a lock in the shared cache that lapses after PAGE_CACHE_LOCK_SECONDS if its holder
# dies); the others get the previous page if what it misses began at most
# PAGE_CACHE_STALE_SECONDS ago (never above 1; 0: never) and took nothing down, or wait up to
# PAGE_CACHE_WAIT_SECONDS for the new one. PAGE_CACHE_COALESCE=0: every request builds.
PAGE_CACHE_COALESCE = env_bool("PAGE_CACHE_COALESCE", True)
PAGE_CACHE_LOCK_SECONDS = float(os.environ.get("PAGE_CACHE_LOCK_SECONDS", "5"))
PAGE_CACHE_STALE_SECONDS = float(os.environ.get("PAGE_CACHE_STALE_SECONDS", "0.5"))
PAGE_CACHE_WAIT_SECONDS = float(os.environ.get("PAGE_CACHE_WAIT_SECONDS", "0.25"))
# A signed preview link of an unpublished story works this long, then answers 404.
PREVIEW_LINK_SECONDS = 24 * 60 * 60
# A story's edit lock lasts this long after its holder's browser last sent a heartbeat.
STORY_LOCK_SECONDS = float(os.environ.get("STORY_LOCK_SECONDS", "60"))
# Live pages: how often readers' pages ask for new updates (seconds; tests shorten it), how far
# back each answer reaches besides (covers a save that committed late), and updates per page.
LIVE_POLL_SECONDS = float(os.environ.get("LIVE_POLL_SECONDS", "10"))
LIVE_POLL_OVERLAP_SECONDS = float(os.environ.get("LIVE_POLL_OVERLAP_SECONDS", "60"))
LIVE_PAGE_SIZE = int(os.environ.get("LIVE_PAGE_SIZE", "20"))
# The wire desk: the largest agency document read (bytes), and the overall deadline of one
# source's HTTP exchange (seconds), however slowly the server trickles its answer.
WIRE_MAX_BYTES = int(os.environ.get("WIRE_MAX_BYTES", str(10 * 1024 * 1024)))
WIRE_HTTP_DEADLINE = float(os.environ.get("WIRE_HTTP_DEADLINE", "30"))
# Embeds (articles/embeds/): the providers' oEmbed endpoints (tests point them at a local
# server), how long a story's save may wait for them in all (seconds), and the largest thumbnail
# read (bytes). Facebook and Instagram need an app token for oEmbed; Telegram has none.
EMBED_OEMBED_ENDPOINTS = {
    "youtube": "https://www.youtube.com/oembed",
    "vimeo": "https://vimeo.com/api/oembed.json",
    "x": "https://publish.twitter.com/oembed",
    "tiktok": "https://www.tiktok.com/oembed",
    "soundcloud": "https://soundcloud.com/oembed",
    "spotify": "https://open.spotify.com/oembed",
}
EMBED_FETCH_SECONDS = float(os.environ.get("EMBED_FETCH_SECONDS", "5"))
EMBED_THUMBNAIL_MAX_BYTES = int(os.environ.get("EMBED_THUMBNAIL_MAX_BYTES", str(5 * 1024 * 1024)))

# --- Weather (live header) --------------------------------------------------
WEATHER_PROVIDER = os.environ.get("WEATHER_PROVIDER", "open-meteo")
WEATHER_API_KEY = os.environ.get("WEATHER_API_KEY", "")
WEATHER_URL = os.environ.get("WEATHER_URL", "")
if WEATHER_PROVIDER not in {"open-meteo", "openweathermap"}:
    raise ImproperlyConfigured("WEATHER_PROVIDER must be open-meteo or openweathermap.")
if WEATHER_PROVIDER == "openweathermap" and not WEATHER_API_KEY:
    raise ImproperlyConfigured("WEATHER_API_KEY must be set for OpenWeatherMap.")
# A request that finds the stored reading older than this starts a refresh in the background;
# 0 for WEATHER_BACKGROUND_REFRESH leaves refreshing to `manage.py refresh_weather` (cron).
WEATHER_REFRESH_MINUTES = int(os.environ.get("WEATHER_REFRESH_MINUTES", "10"))
WEATHER_BACKGROUND_REFRESH = env_bool("WEATHER_BACKGROUND_REFRESH", True)

# --- django-axes (admin login throttling) ---------------------------------------
# Five failures for one username from one address lock that pair out for 15 minutes; locking
# by username alone would let anyone lock an editor out.
AXES_COOLOFF_TIME = 0.25  # hours
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "lockout.html"
AXES_RESET_ON_SUCCESS = True
# Behind nginx, the client's address comes from X-Forwarded-For (see newsroom.auth.client_ip).
AXES_CLIENT_IP_CALLABLE = "newsroom.auth.client_ip"

# --- django-taggit ----------------------------------------------------------
TAGGIT_CASE_INSENSITIVE = True
# Tag addresses in ASCII, transliterated like stories', sections' and authors' (ş ţ ș ț ă â î).
TAGGIT_STRIP_UNICODE_WHEN_SLUGIFYING = True


# --- Staff login: the proxies we trust, the per-account ceiling, two-factor login ------------
def env_networks(name: str, default: str) -> list[str]:
    """A comma-separated list of addresses or networks; start-up fails on one that is not."""
    from ipaddress import ip_network

    values = env_list(name, default)
    for value in values:
        try:
            ip_network(value, strict=False)
        except ValueError as error:
            raise ImproperlyConfigured(f"{name}: {error}") from error
    return values


# The proxies whose X-Forwarded-For we believe: the client is the last address in that header
# that is not one of them, and a request from anywhere else is its own client whatever it says
# (newsroom.auth.client_ip). Loopback by default, the nginx of deploy/ on the same machine; empty
# trusts no proxy. A forwarded request from elsewhere is logged, once (the proxy is not trusted).
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES", "127.0.0.1,::1")
# Beyond this many failed logins for one account in an hour, from anywhere, each further try
# for it waits twice as long as the one before (1 s, 2 s, 4 s…), at most LOGIN_ACCOUNT_MAX_WAIT
# seconds; from an address the owner logged in from within 30 days it does not wait.
LOGIN_ACCOUNT_FAILURES_PER_HOUR = 20
LOGIN_ACCOUNT_MAX_WAIT = 300
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # one row per failure: what the ceiling counts
# After logging in without a usable `next`, the admin's index (not Django's /accounts/profile/).
LOGIN_REDIRECT_URL = "admin:index"
# Who must log in with a second factor (a TOTP app, with recovery codes; newsroom.twofactor):
# "editors" (superusers and whoever may publish), "staff" (every staff account) or "off". Unless
# it is "off", anyone who has set up an app is asked for its code too. Default: "editors" when
# DEBUG is off, "off" in development (the demo's logins).
STAFF_2FA_REQUIRED = os.environ.get("STAFF_2FA_REQUIRED", "off" if DEBUG else "editors").lower()
if STAFF_2FA_REQUIRED not in {"editors", "staff", "off"}:
    raise ImproperlyConfigured("STAFF_2FA_REQUIRED must be editors, staff or off.")
INSTALLED_APPS += ["django_otp", "django_otp.plugins.otp_totp", "django_otp.plugins.otp_static"]
MIDDLEWARE += [
    "newsroom.auth.UntrustedProxyWarningMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "newsroom.twofactor.TwoFactorMiddleware",
]
OTP_TOTP_ISSUER = SITE_NAME
# django-otp's device admin would show the secrets; superusers reset a device from the user list.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# --- django-tasks-db (work off the request path: Django's tasks framework) ------
# Image renditions (articles/tasks.py) take seconds and hundreds of megabytes for a large photo,
# so they are tasks. "database" keeps each task as a row, run by `manage.py db_worker` beside
# the web server (README: Deployment; `make run` starts one); "immediate" runs it inline in the
# request that enqueues it, the default with DEBUG on, so tests and a development server started
# without a worker still get renditions.
INSTALLED_APPS += ["django_tasks_db"]
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "immediate" if DEBUG else "database")
if TASKS_BACKEND not in {"database", "immediate"}:
    raise ImproperlyConfigured("TASKS_BACKEND must be database or immediate.")
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks_db.DatabaseBackend"
            if TASKS_BACKEND == "database"
            else "django.tasks.backends.immediate.ImmediateBackend"
        ),
    }
}

# --- Metrics for operators (/metrics, Prometheus text format; newsroom.metrics) ---------------
# Answered only with `Authorization: Bearer <METRICS_TOKEN>` or from METRICS_ALLOWED_ADDRESSES
# (addresses or networks, as client_ip traces them); with neither set, /metrics does not exist.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_ALLOWED_ADDRESSES = env_networks("METRICS_ALLOWED_ADDRESSES", "")

# --- The edge: Varnish or a CDN in front, purged by key (newsroom.pagecache.edge) -------------
# Public pages carry the keys they were built from in EDGE_KEYS_HEADER, and a long lifetime for
# the edge alone in EDGE_CONTROL_HEADER (browsers keep the short Cache-Control); every write
# purges exactly the keys it bumped, from a task, batched and retried until the edge takes it.
# "none" (the default) sends neither and purges nothing: nginx of deploy/ keeps pages 5 s.
EDGE_PURGER = os.environ.get("EDGE_PURGER", "none").strip().lower()
if EDGE_PURGER not in {"none", "varnish", "fastly", "cloudflare"}:
    raise ImproperlyConfigured("EDGE_PURGER must be none, varnish, fastly or cloudflare.")
EDGE_KEYS_HEADER = os.environ.get(
    "EDGE_KEYS_HEADER",
    {"varnish": "xkey", "fastly": "Surrogate-Key", "cloudflare": "Cache-Tag"}.get(EDGE_PURGER, ""),
)
# Cloudflare does not read Surrogate-Control; it reads its own header.
EDGE_CONTROL_HEADER = os.environ.get(
    "EDGE_CONTROL_HEADER",
    "Cloudflare-CDN-Cache-Control" if EDGE_PURGER == "cloudflare" else "Surrogate-Control",
)
# How long the edge may keep a page nobody changes (seconds): an hour, so that while the edge's
# purge API fails (purges are retried meanwhile) a takedown still reaches it within the hour; the
# clock (a scheduled go-live, an ad's end, midnight) shortens it. What it may serve stale while
# it refetches after a soft purge (never after a hard one, never past that lifetime):
EDGE_MAX_AGE = int(os.environ.get("EDGE_MAX_AGE", "3600"))
EDGE_GRACE_SECONDS = int(os.environ.get("EDGE_GRACE_SECONDS", "30"))
# Varnish: the addresses of every varnishd to purge (comma-separated, e.g. http://10.0.0.5:6081).
EDGE_VARNISH_URLS = env_list("EDGE_VARNISH_URLS", "")
# Fastly and Cloudflare: their API (tests point it at a local server), service or zone, token.
EDGE_FASTLY_URL = os.environ.get("EDGE_FASTLY_URL", "https://api.fastly.com")
EDGE_FASTLY_SERVICE_ID = os.environ.get("EDGE_FASTLY_SERVICE_ID", "")
EDGE_FASTLY_TOKEN = os.environ.get("EDGE_FASTLY_TOKEN", "")
EDGE_CLOUDFLARE_URL = os.environ.get("EDGE_CLOUDFLARE_URL", "https://api.cloudflare.com/client/v4")
EDGE_CLOUDFLARE_ZONE_ID = os.environ.get("EDGE_CLOUDFLARE_ZONE_ID", "")
EDGE_CLOUDFLARE_TOKEN = os.environ.get("EDGE_CLOUDFLARE_TOKEN", "")
_EDGE_NEEDS = {
    "varnish": ["EDGE_VARNISH_URLS"],
    "fastly": ["EDGE_FASTLY_SERVICE_ID", "EDGE_FASTLY_TOKEN"],
    "cloudflare": ["EDGE_CLOUDFLARE_ZONE_ID", "EDGE_CLOUDFLARE_TOKEN"],
}
for _name in _EDGE_NEEDS.get(EDGE_PURGER, []):
    if not globals()[_name]:
        raise ImproperlyConfigured(f"EDGE_PURGER={EDGE_PURGER} needs {_name}.")
# One purge request's overall deadline (seconds); a failed purge is retried after
# EDGE_PURGE_RETRY_SECONDS, doubling each time up to a minute, until the edge takes it.
# Where tasks wait for a worker, the process that made a write also sends its purge at once,
# from a thread; 0 leaves it to the worker alone (which then adds its polling interval).
EDGE_PURGE_AT_ONCE = env_bool("EDGE_PURGE_AT_ONCE", True)
# Every purge goes again this many seconds later (0: once): a page built just before the write
# committed may reach the edge just after the first purge.
EDGE_REPURGE_SECONDS = float(os.environ.get("EDGE_REPURGE_SECONDS", "0.5"))
EDGE_PURGE_TIMEOUT = float(os.environ.get("EDGE_PURGE_TIMEOUT", "5"))
EDGE_PURGE_RETRY_SECONDS = float(os.environ.get("EDGE_PURGE_RETRY_SECONDS", "1"))
