"""A live page's first page with 5 updates and with 5,000: queries and server time, in process,
page cache off, the two measured in alternating rounds so that the machine's drift falls on both.

    python -m benchmarks.livepage [--iterations 300] [--database-url postgres://…/newsroom_livepage]

The issue's target: the long stream within 20 % of the short one's time, both within the query
budget (tests/articles/test_live.py guards the queries; this measures the time).
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import timedelta

from benchmarks import load, serve

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/newsroom_livepage"
SIZES = (5, 5000)
ROUNDS = 6
LIMIT_RATIO = 1.2


def prepare(sizes=SIZES) -> dict[int, str]:
    """A live story per size (made once), and its address."""
    from django.utils import timezone

    from articles.live.models import LiveEntry
    from articles.models import Article, Section

    section = Section.objects.get_or_create(slug="bench-live", defaults={"name": "Bench live"})[0]
    now = timezone.now()
    addresses = {}
    for size in sizes:
        article, created = Article.objects.get_or_create(
            slug=f"bench-live-{size}",
            defaults={
                "headline": f"A live page with {size} updates",
                "body": "<p>What happened overnight.</p>",
                "section": section,
                "status": Article.Status.PUBLISHED,
                "publish_at": now - timedelta(days=1),
                "coverage_started_at": now - timedelta(days=1),
            },
        )
        if created:
            LiveEntry.objects.bulk_create(
                LiveEntry(
                    article=article,
                    posted_at=now - timedelta(seconds=10 * n),
                    title=f"Update {n}" if n % 3 else "",
                    body=f"<p>Update number {n}, with a sentence or two of text in it.</p>",
                    key_event=n % 250 == 0,
                    pinned=n == size // 2,
                )
                for n in range(size)
            )
        addresses[size] = article.get_absolute_url()
    return addresses


def measure(iterations: int) -> dict:
    from django.test.utils import override_settings

    from benchmarks.measure import InProcess, capture

    addresses = prepare()
    app = InProcess()
    timings: dict[int, list[float]] = {size: [] for size in SIZES}
    queries = {}
    with override_settings(PAGE_CACHE=False):
        for size, path in addresses.items():
            for _ in range(3):  # templates, chrome and the kept count warm
                status, _body = app.get(path)
                if status != 200:
                    raise RuntimeError(f"{path} answered {status}")
            queries[size] = len(capture(app, path))
        per_round = max(1, iterations // ROUNDS)
        for round_number in range(ROUNDS):
            order = SIZES if round_number % 2 == 0 else SIZES[::-1]
            for size in order:
                for _ in range(per_round):
                    started = time.perf_counter()
                    app.get(addresses[size])
                    timings[size].append((time.perf_counter() - started) * 1000)
    small, large = (statistics.median(timings[size]) for size in SIZES)
    return {
        "sizes": {
            size: {
                "queries": queries[size],
                "p50_ms": round(statistics.median(timings[size]), 2),
                "p95_ms": round(statistics.quantiles(timings[size], n=20)[18], 2),
            }
            for size in SIZES
        },
        "ratio": round(large / small, 3),
        "met": large / small <= LIMIT_RATIO and max(queries.values()) <= 8,
    }


def table_lines(result: dict) -> list[str]:
    lines = ["Live page, first page, in process (page cache off):"]
    for size, figures in result["sizes"].items():
        lines.append(
            f"  {size:>5} updates: {figures['queries']} queries, "
            f"p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms"
        )
    verdict = "met" if result["met"] else "MISSED"
    lines.append(f"  5,000 vs 5: {result['ratio']}× the time (target ≤ {LIMIT_RATIO}×): {verdict}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    args = parser.parse_args()
    os.environ.update(
        serve.site_environment(args.database_url, serve.BASE_DIR / "var" / "bench", "locmem://")
    )
    load.recreate_database(args.database_url)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=serve.BASE_DIR,
        env=os.environ,
        check=True,
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("collectstatic", interactive=False, verbosity=0)
    result = measure(args.iterations)
    print("\n".join(table_lines(result)))
    sys.exit(0 if result["met"] else 1)


if __name__ == "__main__":
    main()
