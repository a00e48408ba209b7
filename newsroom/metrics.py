"""`/metrics` for operators, in Prometheus's text format (prometheus_client).

Requests and their latency are counted per page type (the URL's name) and per page-cache outcome
by `RequestMetricsMiddleware`, first in the chain, so stored pages and the most-read beacon are
counted too. What the database knows (tasks waiting and failed, page-cache bumps held back, edge
purges waiting or failing, the weather reading's age) is read when Prometheus scrapes, by
`StateCollector`.

Under gunicorn each worker counts on its own; deploy/gunicorn.conf.py sets
PROMETHEUS_MULTIPROC_DIR so every worker writes its counts to shared files and a scrape of any
worker sums them (prometheus_client's multiprocess mode).

The endpoint answers only a request with `Authorization: Bearer <METRICS_TOKEN>` or from an
address in METRICS_ALLOWED_ADDRESSES; with neither set it does not exist (404).
"""

import hmac
import ipaddress
import os
import time
from collections.abc import Iterator
from functools import lru_cache

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_safe
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from newsroom.auth import client_ip

REQUESTS = Counter(
    "newsroom_requests",
    "Requests answered, by page type, status class and page-cache outcome.",
    ["page", "status", "cache"],
)
LATENCY = Histogram(
    "newsroom_request_seconds",
    "Time from the request reaching Django to its answer, by page type.",
    ["page"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


@lru_cache(maxsize=4096)
def page_type(path: str) -> str:
    """The name of the URL pattern `path` matches: a bounded set of labels, whatever is asked."""
    try:
        match = resolve(path)
    except Resolver404:
        return "not_found"
    name = match.url_name or "unnamed"
    return f"{match.namespace}:{name}" if match.namespace else name


class RequestMetricsMiddleware:
    """Count every request and time it; first in MIDDLEWARE."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        count_request(
            request.path_info,
            response.status_code,
            response.headers.get("X-Page-Cache", "none"),
            time.perf_counter() - started,
        )
        return response


def count_request(path: str, status: int, cache_outcome: str, seconds: float) -> None:
    """Count one answered request and its time (also for answers given before Django's handler:
    newsroom/mostread/wsgi.py)."""
    page = page_type(path)
    LATENCY.labels(page).observe(seconds)
    REQUESTS.labels(page, f"{status // 100}xx", cache_outcome).inc()


class StateCollector(Collector):
    """Gauges read from the database at each scrape (a few small queries)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from django_tasks_db.models import DBTaskResult

        from newsroom.pagecache.models import EdgePurge, PendingBump
        from newsroom.weather.models import WeatherReading

        tasks = GaugeMetricFamily(
            "newsroom_tasks", "Background tasks kept, by state.", labels=["state"]
        )
        held = GaugeMetricFamily(
            "newsroom_page_cache_held_bumps",
            "Invalidations the shared cache did not take yet (replayed when it answers).",
        )
        purges = GaugeMetricFamily(
            "newsroom_edge_purges_waiting",
            "Edge purges not sent yet, by whether a try already failed (failing: retried).",
            labels=["state"],
        )
        weather = GaugeMetricFamily(
            "newsroom_weather_reading_age_seconds", "Age of the newest weather reading."
        )
        try:
            by_state = dict(
                DBTaskResult.objects.values_list("status").annotate(n=Count("pk")).order_by()
            )
            held.add_metric([], PendingBump.objects.count())
            waiting = EdgePurge.objects.aggregate(
                queued=Count("pk", filter=Q(tries=0)), failing=Count("pk", filter=Q(tries__gt=0))
            )
            newest = (
                WeatherReading.objects.order_by("-fetched_at")
                .values_list("fetched_at", flat=True)
                .first()
            )
        except DatabaseError:
            return
        for state, count in sorted(by_state.items()):
            tasks.add_metric([state.lower()], count)
        yield tasks
        yield held
        for state in ("queued", "failing"):
            purges.add_metric([state], waiting[state])
        yield purges
        if newest is not None:
            weather.add_metric([], (timezone.now() - newest).total_seconds())
            yield weather
        yield from replica_behind()


def replica_behind() -> Iterator[GaugeMetricFamily]:
    """How long ago each replica was last seen holding every write (as this process saw it)."""
    from newsroom.replicas import watch

    if not watch.caught_up:
        return
    behind = GaugeMetricFamily(
        "newsroom_replica_behind_seconds",
        "Time since the replica was last seen holding every committed write (inf: never).",
        labels=["replica"],
    )
    now = time.time_ns()
    for alias, moment in sorted(watch.caught_up.items()):
        behind.add_metric([alias], (now - moment) / 1e9 if moment else float("inf"))
    yield behind


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # every worker's counts, from their files
    else:
        registry.register(REQUESTS)
        registry.register(LATENCY)
    registry.register(StateCollector())
    return registry


def allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    if not settings.METRICS_ALLOWED_ADDRESSES:
        return False
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(network, strict=False)
        for network in settings.METRICS_ALLOWED_ADDRESSES
    )


@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    if not (settings.METRICS_TOKEN or settings.METRICS_ALLOWED_ADDRESSES):
        raise Http404
    if not allowed(request):
        response = HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    else:
        response = HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
    add_never_cache_headers(response)
    return response
