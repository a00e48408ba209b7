"""Most read under load: the counting endpoint alone, and pages while it takes a steady 200
hits a second (part of `make bench`; `python -m benchmarks.mostread` runs it alone on the
benchmark database).

Gunicorn with two sync workers and Redis, page cache on, behind nginx as a plain buffering
proxy (no cache of its own), as in production: a sync worker must only ever get whole requests,
or a paced client's idle connection would hold it. wrk sends beacons for the newest stories
from random reader addresses; then it loads the cached story pages alone, and again beside a
paced beacon run (6 connections, each waiting 25 ms after every answer: about 200 a
second; the rate reached is reported).
"""

import argparse
import concurrent.futures
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from benchmarks import serve

BEACON = Path(__file__).resolve().parent / "beacon.lua"
BACKGROUND_CONNECTIONS = 6
BACKGROUND_DELAY_MS = 25


def story_ids(count: int = 300) -> list[int]:
    from articles.models import Article

    return list(Article.objects.published().latest_first().values_list("pk", flat=True)[:count])


@contextmanager
def buffering_proxy(app_url: str):
    """nginx on a free loopback port passing every request to `app_url`, caching nothing."""
    port = serve.free_port()
    with tempfile.TemporaryDirectory(prefix="newsroom-proxy-") as directory:
        root = Path(directory)
        temp = "\n".join(
            f"    {kind}_temp_path {root / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        config = root / "nginx.conf"
        config.write_text(
            f"""worker_processes 1;
pid {root / "nginx.pid"};
error_log {root / "error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
{temp}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass {app_url};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}
}}
"""
        )
        with serve.nginx(config, [port]):
            yield f"http://127.0.0.1:{port}"


def runs(targets: dict, env: dict, duration: int, connections: int, redis_url: str | None) -> dict:
    """Beacons alone; story pages alone; story pages beside 200 beacons a second."""
    import redis

    if redis_url:
        redis.Redis.from_url(redis_url).flushall()
    site_env = {**env, "PAGE_CACHE": "1", "CACHE_URL": redis_url or "locmem://"}
    descriptor, ids_file = tempfile.mkstemp(suffix=".txt")
    with os.fdopen(descriptor, "w") as handle:
        handle.write("\n".join(str(pk) for pk in story_ids()))
    stories = targets["story"]
    try:
        with serve.gunicorn(site_env) as (app_url, _master), buffering_proxy(app_url) as front:
            for path in stories:
                for _ in range(3):
                    serve.fetch(front + path)
            beacons = serve.wrk(
                front + "/", duration, connections, script=BEACON, script_env={"WRK_IDS": ids_file}
            )
            print(f"  most-read beacon      {beacons['rps']:>9} hits/s", flush=True)
            alone = serve.wrk(front + stories[0], duration, connections, paths=stories)
            print(f"  story alone           {alone['rps']:>9} req/s", flush=True)
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                background = pool.submit(
                    serve.wrk,
                    front + "/",
                    duration,
                    BACKGROUND_CONNECTIONS,
                    script=BEACON,
                    script_env={"WRK_IDS": ids_file, "WRK_DELAY_MS": str(BACKGROUND_DELAY_MS)},
                )
                beside = serve.wrk(front + stories[0], duration, connections, paths=stories)
                paced = background.result()
            print(
                f"  story beside beacons  {beside['rps']:>9} req/s ({paced['rps']} hits/s running)",
                flush=True,
            )
    finally:
        os.unlink(ids_file)
    return {
        "beacon": beacons,
        "story_alone": alone,
        "story_beside_beacons": beside,
        "background_beacons": paced,
        "ratio": round(beside["rps"] / max(alone["rps"], 1), 3),
    }


def checks(result: dict) -> list[tuple[str, bool, str]]:
    """The issue's two targets for most read."""
    return [
        (
            "most-read beacon ≥ 1000 hits/s",
            result["beacon"]["rps"] >= 1000,
            f"{result['beacon']['rps']} hits/s, {result['beacon']['errors']} errors",
        ),
        (
            "pages with 200 beacons/s ≥ 90 % of without",
            result["ratio"] >= 0.9,
            f"{result['story_beside_beacons']['rps']} vs {result['story_alone']['rps']} req/s "
            f"({result['ratio']}) at {result['background_beacons']['rps']} hits/s",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    from benchmarks.__main__ import DEFAULT_DATABASE_URL, VAR

    parser = argparse.ArgumentParser(prog="python -m benchmarks.mostread")
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    )
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args(argv)
    env = serve.site_environment(args.database_url, VAR, "locmem://")
    os.environ.update(env)
    VAR.mkdir(parents=True, exist_ok=True)
    import django

    django.setup()
    from benchmarks import measure
    from benchmarks.__main__ import prepare_site

    prepare_site()
    targets = measure.pick_targets()
    with serve.redis_server() as redis_url:
        result = runs(targets, env, args.duration, args.connections, redis_url)
    failed = False
    for what, met, figures in checks(result):
        print(f"{'ok ' if met else 'NO '} {what}: {figures}")
        failed |= not met
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
