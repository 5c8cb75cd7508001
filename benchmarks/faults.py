"""Scripted fault checks of docs/performance.md; each records its outcome as JSON in --out.

    .venv/bin/python benchmarks/faults.py --db h_load_dev redis worker-kill index job-kill excel
    .venv/bin/python benchmarks/faults.py --db h_load_dev postgres      # once: shared server

The database must hold the demo and some synthetic data (benchmarks/load_run.py --setup-only,
or `matchmaker seed demo` + `seed synthetic`), with its index in /tmp/h_load/instance-<db>.
Each check starts its own gunicorn (production configuration, plain-HTTP cookie overrides as
in load_run.py) on 127.0.0.1:--port and stops it by its pid; the job checks start and kill
their own `matchmaker jobs work` processes. Everything is bounded in time.

- redis: Redis stopped (`redis-cli shutdown nosave`) for --redis-down seconds under load, then
  restarted: which statuses the pages answered before, during, after.
- postgres: the PostgreSQL cluster restarted under load (readers and a writer posting need
  drafts): 500s vs clean 503s, time to recover, and every draft acknowledged (302) stored
  exactly once, none of the refused ones stored.
- worker-kill: a gunicorn worker SIGKILLed while it serves slow searches: what the clients
  got, how soon the master had a new worker, whether the next requests succeed.
- index: the current index artifact overwritten with garbage in its middle, then the server
  (re)started on it: whether the pages, search and detail pages keep answering 200.
- job-kill: the job worker SIGKILLed in the middle of an index rebuild job; a new worker
  picks the job up again (after the heartbeat goes stale) and the generation goes up once.
- excel: the job worker SIGKILLed during an excel.import of 2000 needs: nothing created;
  the re-run creates all 2000 once.
"""

# ruff: noqa: S311, S603, S607, S108 - fixed local commands (no shell), /tmp work files
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load_run  # noqa: E402 - the sibling script: the server's environment and process helpers

ROOT = load_run.ROOT
BIN = load_run.BIN
PASSWORD = "demo-password-2026"  # noqa: S105 - the demo accounts' (README.md)
SEARCH_WORDS = ["传感器", "碳纤维", "人参", "锂电池", "无人机", "催化剂", "机器视觉", "光纤"]
REDIS_START = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
]


# --- the server and a load ------------------------------------------------------------------------
class Server:
    """gunicorn (2 workers) in production configuration on the check's database."""

    def __init__(self, args: argparse.Namespace, out: Path) -> None:
        self.args = args
        self.instance = args.work_dir / f"instance-{args.db}"
        self.env = load_run.server_env(args.db, self.instance, args.redis_url)
        self.base = f"http://127.0.0.1:{args.port}"
        self.log = out / "gunicorn.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 180) -> float:
        cmd = [
            str(BIN / "gunicorn"),
            "-c",
            "python:matchmaker.gunicorn_conf",
            "--bind",
            f"127.0.0.1:{self.args.port}",
            "wsgi:app",
        ]
        self.process = load_run.start(cmd, {**self.env, "WORKERS": "2"}, self.log)
        return load_run.wait_healthy(f"{self.base}/healthz", timeout)

    def workers(self) -> list[int]:
        assert self.process is not None
        found = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False
        )
        return [int(p) for p in found.stdout.split()]

    def stop(self) -> None:
        load_run.stop(self.process)
        self.process = None


def fetch(url: str, timeout: float = 30) -> int | str:
    """The status of a GET, or the name of the error the client saw."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except Exception as error:  # noqa: BLE001 - what the client saw is the finding
        return type(error).__name__


class Load:
    """Threads asking for pages in a loop; every answer is recorded with its time."""

    def __init__(self, base: str, paths: list[str], threads: int = 4) -> None:
        self.base = base
        self.paths = paths
        self.threads = threads
        self.records: list[tuple[float, str, int | str]] = []
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.pool: list[threading.Thread] = []

    def _run(self, seed: int) -> None:
        rng = random.Random(seed)
        while not self.stop_event.is_set():
            path = rng.choice(self.paths)
            outcome = fetch(self.base + path, timeout=15)
            with self.lock:
                self.records.append((time.time(), path, outcome))
            time.sleep(0.05)

    def start(self) -> None:
        for i in range(self.threads):
            thread = threading.Thread(target=self._run, args=(i,), daemon=True)
            thread.start()
            self.pool.append(thread)

    def stop(self) -> None:
        self.stop_event.set()
        for thread in self.pool:
            thread.join(30)

    def phases(self, marks: dict[str, float]) -> dict[str, dict[str, int]]:
        """Status counts between consecutive marks (name: start time)."""
        names = sorted(marks, key=marks.__getitem__)
        out: dict[str, dict[str, int]] = {}
        for i, name in enumerate(names):
            start = marks[name]
            end = marks[names[i + 1]] if i + 1 < len(names) else float("inf")
            counts = Counter(str(o) for t, _p, o in self.records if start <= t < end)
            out[name] = dict(sorted(counts.items()))
        return out

    def first_ok_after(self, moment: float) -> float | None:
        times = [t for t, _p, o in self.records if t >= moment and o == 200]
        return round(min(times) - moment, 2) if times else None


def pages() -> list[str]:
    from urllib.parse import quote

    return ["/", "/results", "/needs", "/challenges"] + [
        f"/results?q={quote(w)}" for w in SEARCH_WORDS[:4]
    ]


def in_app(env: dict[str, str], code: str) -> Any:
    """Run Python in the app's context in a child process (the check's own process holds no
    database connection across a fault); returns what it prints as JSON."""
    prelude = (
        "import json, sys\n"
        "from matchmaker import create_app\n"
        "app = create_app()\n"
        "ctx = app.app_context(); ctx.push()\n"
        "from matchmaker.extensions import db\n"
        "import sqlalchemy as sa\n"
    )
    result = subprocess.run(
        [str(BIN / "python"), "-c", prelude + code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def a_listing_id(server: Server) -> int:
    body = fetch_text(server.base + "/results")
    found = re.search(r'href="/results/(\d+)"', body)
    if not found:
        raise RuntimeError("no result on /results")
    return int(found.group(1))


def fetch_text(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - loopback
        return response.read().decode("utf-8")


# --- the checks -----------------------------------------------------------------------------------
def _logins(base: str, stop: threading.Event, into: list[tuple[float, int | str]]) -> None:
    """Log in (a fresh session each time) every second: the rate limiter's storage is Redis."""
    import requests

    csrf = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
    while not stop.is_set():
        session = requests.Session()
        try:
            page = session.get(base + "/auth/login", timeout=15)
            token = csrf.search(page.text)
            sent = session.post(
                base + "/auth/login",
                data={
                    "csrf_token": token.group(1) if token else "",
                    "email": "enterprise@example.com",
                    "password": PASSWORD,
                },
                allow_redirects=False,
                timeout=15,
            )
            into.append((time.time(), sent.status_code))
        except requests.RequestException as error:
            into.append((time.time(), type(error).__name__))
        time.sleep(1)


def check_redis(args: argparse.Namespace, server: Server) -> dict[str, Any]:
    server.start()
    load = Load(server.base, [*pages(), "/healthz"])
    logins: list[tuple[float, int | str]] = []
    stop = threading.Event()
    login_thread = threading.Thread(target=_logins, args=(server.base, stop, logins), daemon=True)
    marks = {"before": time.time()}
    load.start()
    login_thread.start()
    time.sleep(5)
    marks["redis down"] = time.time()
    subprocess.run(["redis-cli", "-p", "6379", "shutdown", "nosave"], timeout=10, check=False)
    time.sleep(args.redis_down)
    marks["redis restarted"] = time.time()
    subprocess.run(REDIS_START, timeout=10, check=True)
    time.sleep(10)
    stop.set()
    load.stop()
    login_thread.join(30)
    server.stop()
    phases = load.phases(marks)
    during = phases["redis down"]
    names = sorted(marks, key=marks.__getitem__)
    login_phases = {
        name: dict(
            Counter(
                str(o)
                for t, o in logins
                if marks[name] <= t < (marks[names[i + 1]] if i + 1 < len(names) else 1e12)
            )
        )
        for i, name in enumerate(names)
    }
    return {
        "redis_down_seconds": args.redis_down,
        "statuses_by_phase": phases,
        "login_posts_by_phase": login_phases,
        "500s": sum(n for k, n in during.items() if k == "500"),
        "recovered_after_restart_s": load.first_ok_after(marks["redis restarted"]),
        "ok": all(k == "200" for p in phases.values() for k in p),
    }


def check_postgres(args: argparse.Namespace, server: Server) -> dict[str, Any]:
    import requests

    server.start()
    load = Load(server.base, pages(), threads=3)
    writes: list[tuple[str, int | str]] = []
    stop = threading.Event()

    def writer() -> None:
        session = requests.Session()
        csrf = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
        page = session.get(server.base + "/auth/login", timeout=30)
        session.post(
            server.base + "/auth/login",
            data={
                "csrf_token": csrf.search(page.text).group(1),  # type: ignore[union-attr]
                "email": "enterprise@example.com",
                "password": PASSWORD,
            },
            timeout=30,
        )
        n = 0
        while not stop.is_set():
            n += 1
            title = f"故障测试需求 {args.stamp}-{n}"
            try:
                form = session.get(server.base + "/my/needs/new", timeout=15)
                token = csrf.search(form.text)
                if form.status_code != 200 or token is None:
                    writes.append((title, f"form {form.status_code}"))
                    time.sleep(0.3)
                    continue
                sent = session.post(
                    server.base + "/my/needs/new",
                    data={
                        "csrf_token": token.group(1),
                        "title": title,
                        "region": "changchun",
                        "description": "故障测试：数据库重启期间提交的需求草稿。",
                        "budget_wan": "10",
                    },
                    allow_redirects=False,
                    timeout=15,
                )
                writes.append((title, sent.status_code))
            except requests.RequestException as error:
                writes.append((title, type(error).__name__))
            time.sleep(0.2)

    thread = threading.Thread(target=writer, daemon=True)
    marks = {"before": time.time()}
    load.start()
    thread.start()
    time.sleep(6)
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    marks["restart"] = time.time()
    started = time.perf_counter()
    if args.rehearse:  # the plumbing without touching the shared server
        time.sleep(3)
    else:
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
            timeout=60,
            check=True,
        )
    restart_seconds = round(time.perf_counter() - started, 2)
    marks["after restart"] = time.time()
    time.sleep(15)
    stop.set()
    load.stop()
    thread.join(30)
    server.stop()
    titles = [t for t, _o in writes]
    stored = in_app(
        server.env,
        "from matchmaker.models import Need\n"
        f"titles = {json.dumps(titles, ensure_ascii=False)}\n"
        "rows = db.session.scalars(sa.select(Need.title).where(Need.title.in_(titles))).all()\n"
        "print(json.dumps(rows, ensure_ascii=False))\n",
    )
    stored_count = Counter(stored)
    acknowledged = [t for t, o in writes if o == 302]
    refused = [t for t, o in writes if o != 302]
    phases = load.phases(marks)
    return {
        "rehearsal": args.rehearse,
        "restart_seconds": restart_seconds,
        "statuses_by_phase": phases,
        "writes": dict(Counter(str(o) for _t, o in writes)),
        "acknowledged_missing": [t for t in acknowledged if stored_count[t] != 1],
        "refused_but_stored": [t for t in refused if stored_count[t]],
        "500s": sum(n for p in phases.values() for k, n in p.items() if k == "500"),
        "recovered_after_restart_s": load.first_ok_after(marks["after restart"]),
    }


def check_worker_kill(args: argparse.Namespace, server: Server) -> dict[str, Any]:
    from urllib.parse import quote

    server.start()
    before = server.workers()
    outcomes: list[int | str] = []
    lock = threading.Lock()

    def slow(word: str) -> None:
        # several terms: the search's slowest path (each term a LIKE over every listing)
        outcome = fetch(f"{server.base}/results?q={quote(word)}&sort=newest&page=3", timeout=60)
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=slow, args=(w,)) for w in SEARCH_WORDS[:6]]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    victim = before[0]
    os.kill(victim, signal.SIGKILL)
    killed_at = time.time()
    for thread in threads:
        thread.join(90)
    replaced_after = None
    while time.time() - killed_at < 60:
        now = server.workers()
        if len(now) == 2 and victim not in now:
            replaced_after = round(time.time() - killed_at, 2)
            break
        time.sleep(0.2)
    after = [fetch(server.base + p) for p in pages() for _ in range(2)]
    server.stop()
    return {
        "workers_before": before,
        "killed": victim,
        "in_flight_outcomes": dict(Counter(str(o) for o in outcomes)),
        "new_worker_after_s": replaced_after,
        "next_requests": dict(Counter(str(o) for o in after)),
        "ok": replaced_after is not None and all(o == 200 for o in after),
    }


def check_index(args: argparse.Namespace, server: Server) -> dict[str, Any]:
    folder = server.instance / "recommender"
    artifacts = sorted(folder.glob("index-*.mmr"))
    if not artifacts:
        raise RuntimeError(f"no index artifact in {folder}")
    target = artifacts[-1]
    backup = target.with_suffix(".mmr.fault-backup")
    target_bytes = target.read_bytes()
    backup.write_bytes(target_bytes)
    result: dict[str, Any] = {"artifact": target.name, "size": len(target_bytes)}
    try:
        middle = len(target_bytes) // 2
        garbage = os.urandom(min(65536, len(target_bytes) // 4))
        with target.open("r+b") as f:  # server stopped: no process has it mapped
            f.seek(middle)
            f.write(garbage)
        result["server_ready_s"] = server.start()
        listing = a_listing_id(server)
        checks = {
            "/": fetch(server.base + "/"),
            "/results": fetch(server.base + "/results"),
            "/results?q=传感器": fetch(server.base + "/results?q=%E4%BC%A0%E6%84%9F%E5%99%A8"),
            f"/results/{listing}": fetch(f"{server.base}/results/{listing}"),
            "/healthz": fetch(server.base + "/healthz"),
        }
        result["statuses"] = checks
        detail = fetch_text(f"{server.base}/results/{listing}")
        result["detail_recommendations"] = detail.count('class="card mb-2 recommendation"')
        result["healthz"] = fetch_text(server.base + "/healthz")[:600]
        result["ok"] = all(v == 200 for v in checks.values())
        result["log_lines"] = [
            line[:300]
            for line in server.log.read_text(errors="replace").splitlines()
            if "index" in line.lower() and ("error" in line.lower() or "warn" in line.lower())
        ][-5:]
    finally:
        server.stop()
        target.write_bytes(backup.read_bytes())
        backup.unlink()
    return result


def _job_state(env: dict[str, str], job_id: int) -> dict[str, Any]:
    return in_app(
        env,
        "from matchmaker.models import Job, RecommenderState\n"
        f"job = db.session.get(Job, {job_id})\n"
        "state = db.session.get(RecommenderState, 1)\n"
        "print(json.dumps({'status': str(job.status), 'attempts': job.attempts, "
        "'progress': job.progress, 'generation': state.generation if state else 0}))\n",
    )


def _wait(what: Callable[[], bool], timeout: float, step: float = 0.5) -> bool:
    started = time.time()
    while time.time() - started < timeout:
        if what():
            return True
        time.sleep(step)
    return False


def _worker(server: Server, out: Path, name: str) -> subprocess.Popen[bytes]:
    return load_run.start(
        [str(BIN / "matchmaker"), "jobs", "work", "--interval", "0.5"],
        server.env,
        out / f"jobs-{name}.log",
    )


def check_job_kill(args: argparse.Namespace, server: Server, out: Path) -> dict[str, Any]:
    job = in_app(
        server.env,
        "from matchmaker.services import matching\n"
        "from matchmaker.services.platform import jobs\n"
        "from matchmaker.models import RecommenderState\n"
        "state = db.session.get(RecommenderState, 1)\n"
        "job = jobs.enqueue(matching.REBUILD_JOB)\n"
        "db.session.commit()\n"
        "print(json.dumps({'id': job.id, 'generation': state.generation if state else 0}))\n",
    )
    first = _worker(server, out, "job-kill-1")
    running = _wait(lambda: _job_state(server.env, job["id"])["status"] == "running", 60)
    time.sleep(3)  # inside the fit
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    killed = _job_state(server.env, job["id"])
    second = _worker(server, out, "job-kill-2")
    try:
        done = _wait(lambda: _job_state(server.env, job["id"])["status"] == "done", 240, 2)
    finally:
        load_run.stop(second)
    final = _job_state(server.env, job["id"])
    return {
        "job": job["id"],
        "was_running_when_killed": running,
        "state_after_kill": killed,
        "final": final,
        "generation_before": job["generation"],
        "ok": done and final["generation"] == job["generation"] + 1,
    }


def _need_csv(rows: int, stamp: str) -> bytes:
    columns = ["标题", "需求描述", "预期目标", "现有工作基础", "技术领域", "关键词"]
    columns += ["意向金额（万元）", "截止日期", "所在地区", "联系人", "联系电话", "联系邮箱"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for n in range(1, rows + 1):
        writer.writerow(
            [
                f"导入故障测试需求 {stamp}-{n}",
                "需要一种低成本高可靠的传感器封装工艺，用于批量生产。",
                "良品率≥99%",
                "已有生产线",
                "电子信息/光电",
                "传感器，封装",
                "50",
                "",
                "长春市",
                "张伟",
                "0431-85000000",
                "zhang@example.com",
            ]
        )
    return out.getvalue().encode("utf-8-sig")


def check_excel(args: argparse.Namespace, server: Server, out: Path) -> dict[str, Any]:
    stamp = args.stamp
    upload = out / "import.csv"
    upload.write_bytes(_need_csv(2000, stamp))
    like = f"导入故障测试需求 {stamp}-%"
    count_code = (
        "from matchmaker.models import Need\n"
        f"print(json.dumps(db.session.scalar(sa.select(sa.func.count()).select_from(Need)"
        f".where(Need.title.like({like!r})))))\n"
    )
    job = in_app(
        server.env,
        "from matchmaker.models import User\n"
        "from matchmaker.services.market import excel\n"
        "from matchmaker.services.platform import jobs\n"
        "user = db.session.scalar(sa.select(User).where(User.email == 'enterprise@example.com'))\n"
        f"content = open({str(upload)!r}, 'rb').read()\n"
        "path = excel.store_upload(user_id=user.id, filename='import.csv', content=content)\n"
        "job = jobs.enqueue('excel.import', actor=user, max_attempts=2, user_id=user.id, "
        "kind='need', path=path, filename='import.csv')\n"
        "db.session.commit()\n"
        "print(json.dumps({'id': job.id}))\n",
    )
    first = _worker(server, out, "excel-1")
    running = _wait(
        lambda: (
            (s := _job_state(server.env, job["id"]))["status"] == "running"
            and (s["progress"] or 0) > 0.1
        ),
        120,
        0.3,
    )
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    killed = _job_state(server.env, job["id"])
    created_after_kill = in_app(server.env, count_code)
    second = _worker(server, out, "excel-2")
    try:
        done = _wait(lambda: _job_state(server.env, job["id"])["status"] == "done", 300, 2)
    finally:
        load_run.stop(second)
    final = _job_state(server.env, job["id"])
    created = in_app(server.env, count_code)
    return {
        "job": job["id"],
        "rows": 2000,
        "was_running_when_killed": running,
        "state_after_kill": killed,
        "needs_created_after_kill": created_after_kill,
        "final": final,
        "needs_created_in_the_end": created,
        "ok": done and created_after_kill == 0 and created == 2000,
    }


CHECKS = ("redis", "postgres", "worker-kill", "index", "job-kill", "excel")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checks", nargs="+", choices=CHECKS)
    parser.add_argument("--db", default="h_load_dev")
    parser.add_argument("--port", type=int, default=8770)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--redis-down", type=float, default=6.0)
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/h_load"))
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--rehearse", action="store_true", help="postgres: sleep instead of the restart."
    )
    args = parser.parse_args()
    args.stamp = time.strftime("%H%M%S", time.gmtime())
    out = (args.out or args.work_dir / f"faults-{args.stamp}").resolve()
    out.mkdir(parents=True, exist_ok=True)
    for name in args.checks:
        server = Server(args, out)
        started = time.strftime("%H:%M:%S UTC", time.gmtime())
        try:
            if name == "redis":
                result = check_redis(args, server)
            elif name == "postgres":
                result = check_postgres(args, server)
            elif name == "worker-kill":
                result = check_worker_kill(args, server)
            elif name == "index":
                result = check_index(args, server)
            elif name == "job-kill":
                result = check_job_kill(args, server, out)
            else:
                result = check_excel(args, server, out)
        except Exception as error:  # noqa: BLE001 - a check that could not run says why
            result = {"error": f"{type(error).__name__}: {error}"}
        finally:
            server.stop()
        result = {"check": name, "started": started, **result}
        (out / f"{name}.json").write_text(json.dumps(result, indent=1, ensure_ascii=False))
        print(json.dumps(result, ensure_ascii=False))
    print(f"Files: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
