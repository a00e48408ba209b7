"""`make bench BENCH_ARGS="--compare REV"`: this checkout against an earlier commit, in one run.

Both serve the same PostgreSQL database (built as `make bench` builds it) from their own
checkout (REV in a git worktree under var/bench/), in turns — REV, this, REV, this… for
`--rounds` rounds — so that the machine's mood weighs on both alike. Each turn measures every
page type in-process (server time, page cache off, data caches warm) and over HTTP (gunicorn
with two workers and Redis, wrk, page cache off and on). The medians of the rounds are compared
page by page; a page more than `--slower` (10 %) slower is reported as a miss.
"""

import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import serve

# Run in each checkout: its own code measures the pages the targets name.
IN_PROCESS = """
import json, sys
import django
django.setup()
from benchmarks import measure
targets = json.loads(sys.argv[1])
print("JSON " + json.dumps(measure.server_times(targets, int(sys.argv[2]))))
"""


def worktree(rev: str, var: Path) -> Path:
    """A checkout of `rev` beside this one (made once, kept for the next comparison)."""
    sha = subprocess.run(
        ["git", "rev-parse", "--short", rev],
        cwd=serve.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    tree = var / f"compare-{sha}"
    if not tree.exists():
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(tree), sha],
            cwd=serve.BASE_DIR,
            check=True,
            capture_output=True,
        )
    return tree


def in_process(tree: Path, targets: dict, env: dict, iterations: int) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", IN_PROCESS, json.dumps(targets), str(iterations)],
        cwd=tree,
        env={**os.environ, **env, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=1800,
    )
    line = next((line for line in done.stdout.splitlines() if line.startswith("JSON ")), None)
    if line is None:
        raise RuntimeError(f"in-process run in {tree} failed:\n{done.stderr[-3000:]}")
    return {name: page["p50_ms"] for name, page in json.loads(line[5:]).items()}


def over_http(tree: Path, targets: dict, env: dict, redis_url: str, duration: int) -> dict:
    import redis

    found: dict = {}
    for mode, page_cache in (("uncached", "0"), ("cached", "1")):
        redis.Redis.from_url(redis_url).flushall()
        site = {**env, "PAGE_CACHE": page_cache, "CACHE_URL": redis_url, "PYTHONPATH": str(tree)}
        with serve.gunicorn(site, base_dir=tree) as (base_url, _master):
            for paths in targets.values():
                for path in paths:
                    for _ in range(3):  # both workers warm, and the page stored
                        serve.fetch(base_url + path)
            found[mode] = {
                name: serve.wrk(
                    base_url + paths[0], duration, 8, paths=paths if len(paths) > 1 else None
                )["rps"]
                for name, paths in targets.items()
            }
    return found


def compare(
    rev: str, targets: dict, env: dict, var: Path, rounds: int, duration: int, iterations: int
) -> dict:
    trees = {"before": worktree(rev, var), "after": serve.BASE_DIR}
    runs: dict = {side: [] for side in trees}
    with serve.redis_server() as redis_url:
        if redis_url is None:
            raise SystemExit("The comparison needs redis-server.")
        for number in range(1, rounds + 1):
            for side, tree in trees.items():
                print(f"Round {number}/{rounds}: {side} ({tree.name})…", flush=True)
                runs[side].append(
                    {
                        "in_process_p50_ms": in_process(tree, targets, env, iterations),
                        **over_http(tree, targets, env, redis_url, duration),
                    }
                )
    medians: dict = {}
    for side, measured in runs.items():
        medians[side] = {
            kind: {name: statistics.median(run[kind][name] for run in measured) for name in targets}
            for kind in ("in_process_p50_ms", "uncached", "cached")
        }
    return {"rev": rev, "rounds": rounds, "runs": runs, "medians": medians}


def slower(before: float, after: float, kind: str) -> float:
    """How much slower `after` is, as a fraction (negative when faster)."""
    if kind == "in_process_p50_ms":
        return after / before - 1
    return before / after - 1


def table(result: dict, limit: float) -> tuple[str, bool]:
    before, after = result["medians"]["before"], result["medians"]["after"]
    lines = [
        f"This checkout against {result['rev']}, medians of {result['rounds']} interleaved rounds",
        "",
        f"{'page':<13} │ {'in-process p50 ms':>21} │ {'uncached req/s':>21} │ {'cached req/s':>21}",
        f"{'':<13} │ {'before':>6} {'after':>6} {'Δ':>7} │ {'before':>6} {'after':>6} {'Δ':>7} │ "
        f"{'before':>6} {'after':>6} {'Δ':>7}",
    ]
    met = True
    for name in before["uncached"]:
        row = f"{name:<13} │"
        for kind in ("in_process_p50_ms", "uncached", "cached"):
            old, new = before[kind][name], after[kind][name]
            change = slower(old, new, kind)
            met = met and change <= limit
            row += f" {old:>6g} {new:>6g} {-change:>+7.0%} │"
        lines.append(row.rstrip(" │"))
    lines += [
        "",
        f"{'MET ' if met else 'MISS'} no page more than {limit:.0%} slower (Δ: + is faster)",
    ]
    return "\n".join(lines), met


def run(args, targets: dict, env: dict, var: Path, results: Path) -> int:
    result = compare(args.compare, targets, env, var, args.rounds, args.duration, args.iterations)
    text, met = table(result, args.slower)
    result["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    result["met"] = met
    results.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = results / f"compare-{args.articles}-{stamp}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print()
    print(text)
    print(f"\nWritten to {path}")
    return 0 if met else 1
