"""Memory of gunicorn workers with and without the preloaded matching tables.

    .venv/bin/python benchmarks/worker_memory.py [--workers 2] [--requests 40] [--json]

Seeds the demo into a throw-away SQLite database, fits the index, then for MATCHMAKER_PRELOAD=1
and =0 starts `gunicorn -c python:matchmaker.gunicorn_conf wsgi:app` on a free loopback port,
sends the same requests (listing pages whose recommendations rank and explain, and the API's
matches) so that every worker has served matches, and reads each process's
/proc/<pid>/smaps_rollup: USS (pages only this process holds), PSS (shared pages divided among
the processes that map them) and RSS. With preloading the fixed tables live in the master and
the workers share them, so each worker's USS drops; the total PSS is what the server costs.
`first_request_ms` is the wait of the first request on the fresh server (a listing page that
ranks and explains): without preloading, that worker first builds its tables.
Loopback only; bounded in requests and time.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _smaps(pid: int) -> dict[str, float]:
    """USS, PSS and RSS of a process in MiB."""
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            values[name] = int(parts[0])
    uss = values.get("Private_Clean", 0) + values.get("Private_Dirty", 0)
    return {
        "uss_mib": round(uss / 1024, 1),
        "pss_mib": round(values.get("Pss", 0) / 1024, 1),
        "rss_mib": round(values.get("Rss", 0) / 1024, 1),
    }


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:  # noqa: S310 - loopback only
            answer.read()
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def _prepare(env: dict[str, str]) -> None:
    for args in (["db", "upgrade"], ["seed", "demo", "--force"], ["recommender", "rebuild"]):
        subprocess.run(  # noqa: S603
            [str(BIN / "matchmaker"), *args],
            env=env,
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


def _paths(env: dict[str, str], limit: int) -> list[str]:
    """Public result and need pages (they rank and explain) and the API's matches."""
    code = (
        "import json\n"
        "from matchmaker import create_app\n"
        "from matchmaker.services.market import publication\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    out = []\n"
        "    for kind, path in (('result', 'results'), ('need', 'needs')):\n"
        "        for pub in publication.latest(kind, limit=" + str(limit) + "):\n"
        "            out += [f'/{path}/{pub.listing_id}',"
        " f'/api/v1/{path}/{pub.listing_id}/matches']\n"
        "    print(json.dumps(out))\n"
    )
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True, cwd=ROOT
    )
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def measure(
    env: dict[str, str], preload: bool, workers: int, paths: list[str]
) -> dict[str, object]:
    port = _free_port()
    run_env = {**env, "MATCHMAKER_PRELOAD": "1" if preload else "0", "WORKERS": str(workers)}
    server = subprocess.Popen(  # noqa: S603
        [
            str(BIN / "gunicorn"),
            "-c",
            "python:matchmaker.gunicorn_conf",
            "--bind",
            f"127.0.0.1:{port}",
            "wsgi:app",
        ],
        env=run_env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if _get(base + "/healthz") == 200 and len(_children(server.pid)) == workers:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            raise RuntimeError("gunicorn did not start")
        # The first page that ranks and explains, on a fresh server: what its first visitor waits.
        started = time.monotonic()
        _get(base + paths[0])
        first_ms = round((time.monotonic() - started) * 1000, 1)
        statuses: dict[int, int] = {}
        for _round in range(3):  # enough requests that every worker serves matches
            for path in paths:
                status = _get(base + path)
                statuses[status] = statuses.get(status, 0) + 1
        time.sleep(1)
        master = _smaps(server.pid)
        per_worker = [_smaps(pid) for pid in _children(server.pid)]
        return {
            "preload": preload,
            "first_request_ms": first_ms,
            "requests": sum(statuses.values()),
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
            "master": master,
            "workers": per_worker,
            "worker_uss_mib_mean": round(sum(w["uss_mib"] for w in per_worker) / workers, 1),
            "total_pss_mib": round(master["pss_mib"] + sum(w["pss_mib"] for w in per_worker), 1),
        }
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--listings", type=int, default=20, help="pages per kind to request")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "MATCHMAKER_ENV": "production",
            "MATCHMAKER_SECRET_KEY": "worker-memory-bench-" + "x" * 32,
            "MATCHMAKER_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3",
            "MATCHMAKER_INSTANCE_PATH": tmp,
            "MATCHMAKER_PUBLIC_URL": "http://127.0.0.1",  # production needs one
            "MATCHMAKER_RATELIMIT_ENABLED": "false",  # several workers refuse memory:// limits
        }
        _prepare(env)
        paths = _paths(env, args.listings)
        runs = [measure(env, preload, args.workers, paths) for preload in (True, False)]
    if args.json:
        print(json.dumps({"workers": args.workers, "runs": runs}, indent=2))
        return
    for run in runs:
        label = "preloaded" if run["preload"] else "per worker"
        print(
            f"{label:>10}: first request {run['first_request_ms']} ms, "
            f"worker USS mean {run['worker_uss_mib_mean']} MiB, "
            f"total PSS {run['total_pss_mib']} MiB, statuses {run['statuses']}"
        )


if __name__ == "__main__":
    main()
