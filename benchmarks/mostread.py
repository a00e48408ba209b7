"""Most read under load: the counting endpoint alone, and pages while it takes a steady 200
hits a second (part of `make bench`; `python -m benchmarks.mostread` runs it alone on the
benchmark database).

Gunicorn with two sync workers and Redis, page cache on, behind nginx as a plain buffering
proxy (no cache of its own), as in production: a sync worker must only ever get whole requests,
or a paced client's idle connection would hold it. wrk sends beacons for the newest stories
from random reader addresses; then it loads the cached story pages alone, and again beside a
paced beacon run (6 connections, each waiting 25 ms after every answer: about 200 a
second; the rate reached is reported). The two page runs go back to back for `--rounds` rounds,
in alternating order, and the ratio is the median of the rounds' ratios: on a shared machine,
runs one after the other measure the machine's drift as much as the beacon.
"""

import argparse
import concurrent.futures
import os
import statistics
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


def runs(
    targets: dict,
    env: dict,
    duration: int,
    connections: int,
    redis_url: str | None,
    rounds: int = 3,
) -> dict:
    """Beacons alone; then `rounds` times story pages alone and beside 200 beacons a second."""
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
            rounds_run = [
                _round(front, stories, ids_file, duration, connections, beside_first=index % 2 == 1)
                for index in range(rounds)
            ]
    finally:
        os.unlink(ids_file)
    alone = _median_run([each["alone"] for each in rounds_run])
    beside = _median_run([each["beside"] for each in rounds_run])
    paced = _median_run([each["paced"] for each in rounds_run])
    ratios = sorted(each["beside"]["rps"] / max(each["alone"]["rps"], 1) for each in rounds_run)
    return {
        "beacon": beacons,
        "story_alone": alone,
        "story_beside_beacons": beside,
        "background_beacons": paced,
        "rounds": rounds,
        "round_ratios": [round(ratio, 3) for ratio in ratios],
        "ratio": round(statistics.median(ratios), 3),
    }


def _median_run(runs: list[dict]) -> dict:
    return sorted(runs, key=lambda run: run["rps"])[len(runs) // 2]


def _round(
    front: str,
    stories: list[str],
    ids_file: str,
    duration: int,
    connections: int,
    beside_first: bool,
) -> dict:
    """Story pages alone and beside the paced beacons, back to back; the order alternates between
    rounds so that whatever else the machine does falls on both alike."""

    def alone() -> dict:
        run = serve.wrk(front + stories[0], duration, connections, paths=stories)
        print(f"  story alone           {run['rps']:>9} req/s", flush=True)
        return run

    def beside() -> tuple[dict, dict]:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            background = pool.submit(
                serve.wrk,
                front + "/",
                duration,
                BACKGROUND_CONNECTIONS,
                script=BEACON,
                script_env={"WRK_IDS": ids_file, "WRK_DELAY_MS": str(BACKGROUND_DELAY_MS)},
            )
            run = serve.wrk(front + stories[0], duration, connections, paths=stories)
            paced = background.result()
        print(
            f"  story beside beacons  {run['rps']:>9} req/s ({paced['rps']} hits/s running)",
            flush=True,
        )
        return run, paced

    if beside_first:
        with_beacons, paced = beside()
        without = alone()
    else:
        without = alone()
        with_beacons, paced = beside()
    return {"alone": without, "beside": with_beacons, "paced": paced}


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
    parser.add_argument("--rounds", type=int, default=3)
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
        result = runs(targets, env, args.duration, args.connections, redis_url, args.rounds)
    failed = False
    for what, met, figures in checks(result):
        print(f"{'ok ' if met else 'NO '} {what}: {figures}")
        failed |= not met
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
