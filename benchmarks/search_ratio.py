"""The search/trivial ratio as issue 20 measured it, on this machine (docs/performance.md).

    .venv/bin/python benchmarks/search_ratio.py --db h_ratio            # demo data, created
    .venv/bin/python benchmarks/search_ratio.py --db h_load --reuse     # 100,000 listings

Serves the app as `benchmarks/load_run.py` does (gunicorn, 2 workers, production configuration,
PostgreSQL, Redis; plain HTTP on loopback) and runs wrk (2 threads, --connections, --seconds)
against `/healthz`, then against one fixed search, `/results?q=碳纤` (the issue's own URL), then
against the same search with every URL distinct (`&n=<counter>`, a parameter the page ignores,
so no request is answered from a kept page and every search is rendered); twice: with the
visitors' page cache (`PAGE_CACHE_SECONDS=60`, the default) and without it (`0`). Writes
`summary.json` and prints one table. Loopback only, every step bounded in time.
"""

# ruff: noqa: S603, S607, S108 - fixed local commands (no shell), /tmp work files
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_run import BIN, psql, run, server_env, start, stop, wait_healthy, wrk  # noqa: E402

QUERY = "碳纤"


def distinct_script(path: Path) -> Path:
    """A wrk script asking the fixed search with a counter, so that every URL differs."""
    path.write_text(
        "counter = 0\n"
        "request = function()\n"
        "  counter = counter + 1\n"
        f'  return wrk.format("GET", "/results?q={quote(QUERY)}&n=" .. counter)\n'
        "end\n"
    )
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="h_ratio")
    parser.add_argument("--reuse", action="store_true", help="Keep the database as it is.")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/6")
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/h_ratio"))
    args = parser.parse_args()

    out = args.work_dir / time.strftime("run-%Y%m%dT%H%M%SZ", time.gmtime())
    out.mkdir(parents=True, exist_ok=True)
    instance = args.work_dir / f"instance-{args.db}"
    instance.mkdir(parents=True, exist_ok=True)
    env = server_env(args.db, instance, args.redis_url)
    summary: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average_at_start": os.getloadavg(),
        "db": args.db,
        "query": QUERY,
        "seconds": args.seconds,
        "runs": {},
    }
    mm = str(BIN / "matchmaker")
    if not args.reuse:
        psql(f'DROP DATABASE IF EXISTS "{args.db}"')
        psql(f'CREATE DATABASE "{args.db}"')
        log = out / "setup.log"
        run([mm, "db", "upgrade"], env, 600, log)
        run([mm, "seed", "demo", "--force"], env, 900, log)
        run([mm, "jobs", "work", "--once"], env, 900, log)
    base = f"http://127.0.0.1:{args.port}"
    for seconds in (60, 0):
        subprocess.run(["redis-cli", "-u", args.redis_url, "flushdb"], timeout=30, check=True)
        server = start(
            [
                str(BIN / "gunicorn"),
                "-c",
                "python:matchmaker.gunicorn_conf",
                "--bind",
                f"127.0.0.1:{args.port}",
                "wsgi:app",
            ],
            {**env, "WORKERS": "2", "MATCHMAKER_PAGE_CACHE_SECONDS": str(seconds)},
            out / f"gunicorn-{seconds}.log",
        )
        try:
            wait_healthy(f"{base}/healthz", 300)
            healthz = wrk(f"{base}/healthz", args.seconds, out / f"healthz-{seconds}.txt")
            fixed = wrk(
                f"{base}/results?q={quote(QUERY)}", args.seconds, out / f"search-{seconds}.txt"
            )
            every = wrk(
                base,
                args.seconds,
                out / f"search-distinct-{seconds}.txt",
                script=distinct_script(out / "distinct.lua"),
            )
        finally:
            stop(server)
        summary["runs"][f"page_cache_{seconds}s"] = {
            "healthz": healthz,
            "search": fixed,
            "search_distinct_urls": every,
            "ratio": _ratio(fixed, healthz),
            "ratio_distinct_urls": _ratio(every, healthz),
        }
    summary["load_average_at_end"] = os.getloadavg()
    (out / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False))
    print(f"{args.db}, wrk -t2 -c10 -d{args.seconds}s, load average at start", end=" ")
    print(" ".join(f"{x:.2f}" for x in summary["load_average_at_start"]))
    print(
        "| page cache | /healthz req/s | search req/s (p50, p99) | ratio "
        "| distinct URLs req/s (p50, p99) | ratio |"
    )
    print("|---|---|---|---|---|---|")
    for name, r in summary["runs"].items():
        print(
            f"| {name} | {r['healthz']['requests_per_s']} | {_cell(r['search'])} | {r['ratio']} "
            f"| {_cell(r['search_distinct_urls'])} | {r['ratio_distinct_urls']} |"
        )
    print(f"Files: {out}")
    return 0


def _ratio(of: dict[str, Any], to: dict[str, Any]) -> float | None:
    if of["requests_per_s"] and to["requests_per_s"]:
        return round(of["requests_per_s"] / to["requests_per_s"], 3)
    return None


def _cell(r: dict[str, Any]) -> str:
    latency = r["latency"]
    return (
        f"{r['requests_per_s']} ({latency.get('50')}, {latency.get('99')}; non-2xx {r['non_2xx']})"
    )


if __name__ == "__main__":
    sys.exit(main())
