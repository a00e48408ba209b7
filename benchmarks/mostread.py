"""Most read under load: the counting endpoint alone, and pages while it takes a steady 200
hits a second (part of `make bench`; `python -m benchmarks.mostread` runs it alone on the
benchmark database).

Through gunicorn with two workers and Redis, page cache on, like the other HTTP figures: wrk
sends beacons for the newest stories from random reader addresses; then it loads the cached
story pages alone, and again beside a paced beacon run (4 connections, 20 ms apart).
"""

import argparse
import concurrent.futures
import os
import sys
import tempfile
from pathlib import Path

from benchmarks import serve

BEACON = Path(__file__).resolve().parent / "beacon.lua"
BACKGROUND_CONNECTIONS = 4
BACKGROUND_DELAY_MS = 20  # at most 4 × 50 = 200 hits a second


def story_ids(count: int = 300) -> list[int]:
    from articles.models import Article

    return list(Article.objects.published().latest_first().values_list("pk", flat=True)[:count])


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
        with serve.gunicorn(site_env) as (base_url, _master):
            for path in stories:
                for _ in range(3):
                    serve.fetch(base_url + path)
            beacons = serve.wrk(
                base_url + "/",
                duration,
                connections,
                script=BEACON,
                script_env={"WRK_IDS": ids_file},
            )
            print(f"  most-read beacon      {beacons['rps']:>9} hits/s", flush=True)
            alone = serve.wrk(base_url + stories[0], duration, connections, paths=stories)
            print(f"  story alone           {alone['rps']:>9} req/s", flush=True)
            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                background = pool.submit(
                    serve.wrk,
                    base_url + "/",
                    duration,
                    BACKGROUND_CONNECTIONS,
                    script=BEACON,
                    script_env={"WRK_IDS": ids_file, "WRK_DELAY_MS": str(BACKGROUND_DELAY_MS)},
                )
                beside = serve.wrk(base_url + stories[0], duration, connections, paths=stories)
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
