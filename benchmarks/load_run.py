"""The load measurement of docs/performance.md, end to end, on this machine (loopback only).

    .venv/bin/python benchmarks/load_run.py --db h_load --listings 100000 --time 5m

1. (unless --reuse) drops and creates the PostgreSQL database --db, `matchmaker db upgrade`,
   `seed demo --force`, `seed synthetic --listings N --force` (timed);
2. starts gunicorn (2 workers, `matchmaker.gunicorn_conf`) in production configuration on
   127.0.0.1:--port, plus one `matchmaker jobs work` (as a deployment runs both); plain HTTP,
   so the `__Host-` secure cookies are swapped for plain ones by environment overrides, and the
   per-organisation enquiry cap is lifted so the enquiries exercise the write path;
3. runs locust headless (benchmarks/locustfile.py, -u/-r/-t) with CSV output;
4. compares a trivial endpoint with search on the same server: wrk for --wrk-seconds each
   against /healthz and against /results?q=<a vocabulary word, rotated>;
5. writes summary.json and summary.md in --out, stops what it started.

Every step has a time limit; the server and the worker are stopped by their own pids.
"""

# ruff: noqa: S311, S603, S607, S108 - fixed local commands (no shell), /tmp work files
from __future__ import annotations

import argparse
import csv
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/{db}"


def server_env(db: str, instance: Path, redis_url: str) -> dict[str, str]:
    """The production configuration, served over plain HTTP on loopback."""
    env = dict(os.environ)
    env.update(
        MATCHMAKER_ENV="production",
        MATCHMAKER_SECRET_KEY=secrets.token_urlsafe(48),
        MATCHMAKER_SQLALCHEMY_DATABASE_URI=PG.format(db=db),
        MATCHMAKER_REDIS_URL=redis_url,
        MATCHMAKER_REDIS_KEY_PREFIX=f"mm-{db}",  # one database's cache never answers another's
        MATCHMAKER_INSTANCE_PATH=str(instance),
        # __Host- cookies need HTTPS; a plain-HTTP run needs plain cookie names
        MATCHMAKER_SESSION_COOKIE_SECURE="false",
        MATCHMAKER_SESSION_COOKIE_NAME="mm_session",
        MATCHMAKER_REMEMBER_COOKIE_SECURE="false",
        MATCHMAKER_REMEMBER_COOKIE_NAME="mm_remember",
        MATCHMAKER_PREFERRED_URL_SCHEME="http",
        MATCHMAKER_PUBLIC_URL="http://127.0.0.1",  # production needs one; the Host it serves
        MATCHMAKER_ENQUIRY_DAILY_CAP="1000000",
        PYTHONUNBUFFERED="1",
    )
    return env


def run(cmd: list[str], env: dict[str, str], timeout: float, log: Path) -> float:
    """Run a step to completion within `timeout` seconds; its duration in seconds."""
    started = time.perf_counter()
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(cmd)}\n")
        out.flush()
        subprocess.run(cmd, env=env, cwd=ROOT, stdout=out, stderr=out, timeout=timeout, check=True)
    return round(time.perf_counter() - started, 1)


def psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True,
        timeout=120,
        capture_output=True,
    )


def wait_healthy(url: str, timeout: float) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return round(time.perf_counter() - started, 1)
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"{url} did not answer 200 within {timeout:.0f} s")


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    return subprocess.Popen(
        cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(process: subprocess.Popen[bytes] | None, timeout: float = 30) -> None:
    """SIGTERM to the process we started (gunicorn's master stops its workers), then SIGKILL."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def vocabulary() -> list[str]:
    data = json.loads((ROOT / "matchmaker" / "seed" / "listings.json").read_text("utf-8"))
    words = {k for e in data["results"] + data["needs"] for k in e["keywords"]}
    return sorted(w for w in words if len(w) <= 8 and "'" not in w and '"' not in w)


def wrk(url: str, seconds: int, out: Path, *, script: Path | None = None) -> dict[str, Any]:
    """wrk (2 threads, 10 connections) for `seconds`: requests/s, latency and non-2xx."""
    cmd = ["wrk", "-t2", "-c10", f"-d{seconds}s", "--latency", "--timeout", "30s"]
    if script is not None:
        cmd += ["-s", str(script)]
    result = subprocess.run(
        [*cmd, url], capture_output=True, text=True, timeout=seconds + 60, check=True
    )
    out.write_text(result.stdout + result.stderr)
    text = result.stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    total = re.search(r"(\d+) requests in", text)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = re.search(r"Socket errors: (.*)", text)
    latency = dict(re.findall(r"^\s+(50|90|99)%\s+([\d.]+\w+)", text, re.MULTILINE))
    return {
        "requests_per_s": float(rps.group(1)) if rps else None,
        "requests": int(total.group(1)) if total else None,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1) if errors else "",
        "latency": latency,
    }


def search_script(path: Path, words: list[str], *, distinct: bool = False) -> Path:
    """A wrk script that asks /results?q= a different vocabulary word each request; with
    `distinct`, every URL also carries its own counter (`&n=`, a parameter the page ignores),
    so no two requests share a kept page (web/page_cache.py) and every search is rendered."""
    from urllib.parse import quote

    quoted = ", ".join(f'"{quote(w)}"' for w in words)
    suffix = ' .. "&n=" .. counter .. "-" .. math.random(1000000000)' if distinct else ""
    path.write_text(
        f"words = {{{quoted}}}\n"
        "counter = 0\n"
        "request = function()\n"
        "  counter = counter + 1\n"
        f'  return wrk.format("GET", "/results?q=" .. words[(counter % #words) + 1]{suffix})\n'
        "end\n"
    )
    return path


def locust_summary(prefix: Path) -> dict[str, Any]:
    """The aggregated and per-endpoint figures of locust's CSV."""
    rows = list(csv.DictReader(prefix.with_name(prefix.name + "_stats.csv").open()))
    figures: dict[str, Any] = {"endpoints": []}
    for row in rows:
        item = {
            "name": row["Name"],
            "method": row["Type"],
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "rps": round(float(row["Requests/s"]), 2),
            "p50_ms": row["50%"],
            "p95_ms": row["95%"],
            "p99_ms": row["99%"],
            "max_ms": round(float(row["Max Response Time"])),
        }
        if row["Name"] == "Aggregated":
            figures["total"] = item
        else:
            figures["endpoints"].append(item)
    failures = prefix.with_name(prefix.name + "_failures.csv")
    figures["failure_kinds"] = list(csv.DictReader(failures.open())) if failures.exists() else []
    return figures


def markdown(summary: dict[str, Any]) -> str:
    lines = [f"# Load run {summary['started']}", ""]
    lines.append(f"Conditions: {summary['conditions']}")
    lines.append("")
    if summary.get("setup"):
        lines.append("Setup (s): " + ", ".join(f"{k} {v}" for k, v in summary["setup"].items()))
        lines.append("")
    loc = summary["locust"]
    total = loc["total"]
    lines += [
        f"Locust: {summary['locust_args']}",
        "",
        "| endpoint | requests | failures | req/s | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for item in [*loc["endpoints"], total]:
        lines.append(
            f"| {item['method']} {item['name']} | {item['requests']} | {item['failures']} | "
            f"{item['rps']} | {item['p50_ms']} | {item['p95_ms']} | {item['p99_ms']} | "
            f"{item['max_ms']} |"
        )
    lines.append("")
    for kind in loc["failure_kinds"]:
        lines.append(
            f"- failure: {kind.get('Method')} {kind.get('Name')}: {kind.get('Error')} "
            f"x{kind.get('Occurrences')}"
        )
    cmp_ = summary.get("comparison")
    if cmp_:
        lines += [
            "",
            f"wrk -t2 -c10 -d{cmp_['seconds']}s: "
            f"/healthz {cmp_['healthz']['requests_per_s']} req/s, "
            f"search {cmp_['search']['requests_per_s']} req/s: ratio search/healthz "
            f"{cmp_['ratio']}",
        ]
        if cmp_.get("search_rendered"):
            lines.append(
                f"search with every page rendered (a distinct URL each request) "
                f"{cmp_['search_rendered']['requests_per_s']} req/s "
                f"(p50 {cmp_['search_rendered']['latency'].get('50')}, "
                f"p99 {cmp_['search_rendered']['latency'].get('99')}): ratio "
                f"{cmp_['ratio_rendered']}"
            )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="h_load")
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="Keep the database as it is.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=int, default=10)
    parser.add_argument("--time", default="5m")
    parser.add_argument("--wrk-seconds", type=int, default=30)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/h_load"))
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--no-jobs", action="store_true", help="Run no job worker beside.")
    parser.add_argument("--setup-only", action="store_true", help="Load the data, then stop.")
    args = parser.parse_args()

    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    out = (args.out or args.work_dir / f"run-{stamp}").resolve()
    out.mkdir(parents=True, exist_ok=True)
    instance = args.work_dir / f"instance-{args.db}"
    instance.mkdir(parents=True, exist_ok=True)
    env = server_env(args.db, instance, args.redis_url)
    setup_log = out / "setup.log"
    summary: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "conditions": f"{os.cpu_count()} cores, load average at start "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        "setup": {},
    }
    server = worker = None
    try:
        mm = str(BIN / "matchmaker")
        if args.reuse:  # the checkout may have gained a migration since
            summary["setup"]["db upgrade"] = run([mm, "db", "upgrade"], env, 600, setup_log)
        else:
            psql(f"DROP DATABASE IF EXISTS {args.db} WITH (FORCE)")
            psql(f"CREATE DATABASE {args.db}")
            for f in instance.glob("recommender/*"):
                f.unlink()
            summary["setup"]["db upgrade"] = run([mm, "db", "upgrade"], env, 600, setup_log)
            summary["setup"]["seed demo"] = run(
                [mm, "seed", "demo", "--force"], env, 900, setup_log
            )
            summary["setup"][f"seed synthetic {args.listings}"] = run(
                [mm, "seed", "synthetic", "--listings", str(args.listings), "--force"],
                env,
                3600,
                setup_log,
            )
            # what the seeds queued (mail, an automatic rebuild the seed made moot), before
            # the measurement rather than during it
            summary["setup"]["jobs drained"] = run(
                [mm, "jobs", "work", "--once"], env, 900, setup_log
            )
        if args.setup_only:
            return 0
        # the Redis database of these runs (--redis-url) holds only their keys: start cold
        subprocess.run(["redis-cli", "-u", args.redis_url, "flushdb"], timeout=30, check=True)
        gunicorn = [
            str(BIN / "gunicorn"),
            "-c",
            "python:matchmaker.gunicorn_conf",
            "--bind",
            f"127.0.0.1:{args.port}",
            "wsgi:app",
        ]
        server = start(gunicorn, {**env, "WORKERS": "2"}, out / "gunicorn.log")
        (out / "gunicorn.pid").write_text(str(server.pid))
        if not args.no_jobs:
            worker = start([str(BIN / "matchmaker"), "jobs", "work"], env, out / "jobs.log")
        base = f"http://127.0.0.1:{args.port}"
        summary["setup"]["server ready"] = wait_healthy(f"{base}/healthz", 300)
        for path in ("/", "/results", "/needs", "/results?q=%E4%BC%A0%E6%84%9F%E5%99%A8"):
            urllib.request.urlopen(base + path, timeout=60).read()  # noqa: S310 - warm-up

        prefix = out / "locust"
        locust_args = [
            "--headless",
            "-u",
            str(args.users),
            "-r",
            str(args.spawn_rate),
            "-t",
            args.time,
        ]
        summary["locust_args"] = " ".join(locust_args)
        summary["load_before_locust"] = os.getloadavg()
        locust = [
            str(BIN / "locust"),
            "-f",
            str(ROOT / "benchmarks" / "locustfile.py"),
            "--host",
            base,
            *locust_args,
            "--csv",
            str(prefix),
            "--only-summary",
            "--stop-timeout",
            "10",
        ]
        with (out / "locust.log").open("w") as log:
            # exit code 1 means "some requests failed": the figures say how many
            subprocess.run(locust, cwd=ROOT, stdout=log, stderr=log, timeout=3600, check=False)
        summary["load_after_locust"] = os.getloadavg()
        summary["locust"] = locust_summary(prefix)

        words = vocabulary()
        healthz = wrk(f"{base}/healthz", args.wrk_seconds, out / "wrk-healthz.txt")
        script = search_script(out / "search.lua", words)
        search = wrk(base, args.wrk_seconds, out / "wrk-search.txt", script=script)
        script = search_script(out / "search-rendered.lua", words, distinct=True)
        rendered = wrk(base, args.wrk_seconds, out / "wrk-search-rendered.txt", script=script)

        def ratio(of: dict[str, Any]) -> float | None:
            if healthz["requests_per_s"] and of["requests_per_s"]:
                return round(of["requests_per_s"] / healthz["requests_per_s"], 3)
            return None

        summary["comparison"] = {
            "seconds": args.wrk_seconds,
            "healthz": healthz,
            "search": search,
            "ratio": ratio(search),
            "search_rendered": rendered,
            "ratio_rendered": ratio(rendered),
        }
        summary["finished"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    finally:
        stop(worker)
        stop(server)
        (out / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False))
    (out / "summary.md").write_text(markdown(summary))
    print(markdown(summary))
    print(f"Files: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
