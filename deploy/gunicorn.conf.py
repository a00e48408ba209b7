"""Gunicorn for Newsroom: `gunicorn -c deploy/gunicorn.conf.py newsroom.wsgi`.

One worker per core, each serving one request at a time: a page is CPU work (templates) plus
a few short queries, and threads would only queue behind the GIL. Sync workers, because each
takes a connection only when it is free: a gthread worker accepts kept-alive connections while
busy, so under load one worker could hold every client while the other sat idle (measured:
half the throughput, at random). Sync workers need a buffering proxy in front for slow
clients, which nginx is (deploy/nginx.conf). Each worker keeps its own small psycopg
connection pool (DATABASE_POOL_SIZE). With more than one worker, cached pages and their
invalidation must live in a shared cache: set CACHE_URL to Redis.
"""

import logging
import multiprocessing
import os
import shutil
import tempfile

# Workers trust page versions read from Redis for half a second (a change made through
# another worker shows within that), so most cached pages cost no round trip to Redis.
os.environ.setdefault("PAGE_CACHE_NEAR_SECONDS", "0.5")

# Each worker writes its request counts for /metrics to files here; a scrape sums them all
# (prometheus_client's multiprocess mode). Emptied at every start: old workers' counts are gone.
_own_metrics_dir = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="newsroom-metrics-")
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
for stale in os.listdir(os.environ["PROMETHEUS_MULTIPROC_DIR"]):
    os.unlink(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], stale))

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = "sync"
# Loading the site once, before forking, shares its code between workers (less memory each).
preload_app = True
# A worker is replaced after this many requests (staggered), so no leak can grow for long.
max_requests = 20000
max_requests_jitter = 2000
timeout = 30
graceful_timeout = 20
# nginx on the same machine sets X-Forwarded-For and X-Forwarded-Proto.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"


def on_starting(server):
    cache_url = os.environ.get("CACHE_URL", "locmem://")
    if server.cfg.workers > 1 and cache_url.startswith("locmem"):
        logging.getLogger("gunicorn.error").warning(
            "CACHE_URL is %s with %d workers: each worker caches pages on its own, and a change "
            "made through one worker is not seen by the others. Use redis:// in production.",
            cache_url,
            server.cfg.workers,
        )


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _own_metrics_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
