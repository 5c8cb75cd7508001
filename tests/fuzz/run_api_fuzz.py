"""schemathesis against every operation of the live API (issue 15; `make fuzz`, `.ci/run`).

A throw-away SQLite database in a temporary folder gets the migrations and the demo data; one
token per role (every scope the role allows, made through the service) plus anonymous calls;
the app runs under gunicorn on a free port of 127.0.0.1 with the production configuration
(only the login rate limits are raised, so that 429 is not all the fuzzer sees of
`POST /tokens`). schemathesis then runs every operation of /api/v1/openapi.json once per token
(two tokens at a time) with all its checks (response-schema conformance among them), the
examples, coverage and fuzzing phases (schema-valid and invalid input), a fixed seed and
deterministic generation. The exit status is non-zero when any run finds something; about
four and a half minutes on two cores.

    .venv/bin/python -m tests.fuzz.run_api_fuzz [--roles bank,anonymous] [--negative admin]
        [--max-examples N] [--phases examples,coverage,fuzzing,stateful] [--keep]

Not a pytest module (no test_ prefix): it starts servers and takes minutes.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
#: The demo account of each role (README, "Demo logins"); "anonymous" sends no token.
ACCOUNTS = {
    "anonymous": None,
    "enterprise": "enterprise@example.com",
    "university": "university@example.com",
    "bank": "bank@example.com",
    "admin": "admin@example.com",
    "broker": "broker@example.com",
    "bureau": "bureau@example.com",  # the read-only 科技局 reader (the stats area)
}
#: Who gets the negative cases (invalid input, unexpected methods) with `--negative admin`, a
#: quicker run: a request's schema is validated the same way for every token that passes the
#: scope check, so one token holding every scope covers most of it, and the other roles get
#: the schema-valid cases only. The default (`all`) gives them to every role.
NEGATIVE_ROLES = ("admin",)
SEED = 15
MAX_EXAMPLES = 8
#: The stateful phase (chains of calls along the document's links) is left out by default: it
#: took nine minutes per token here. `--phases examples,coverage,fuzzing,stateful` runs it.
PHASES = "examples,coverage,fuzzing"
#: schemathesis.toml: schema-valid bodies may still break a rule no schema can say (a deadline
#: in the future, one of three ids), so positive_data_acceptance takes 422 too; a 400, 405 or
#: 415 for valid data is still a failure.
CONFIG = """\
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
"""
#: Requests that load what a worker loads lazily (the search tokenizer's dictionary takes
#: seconds), sent before the fuzzing so that no first request is mistaken for a slow answer.
WARM_UP = ("/api/v1/needs?q=%E7%A2%B3%E7%BA%A4%E7%BB%B4", "/api/v1/results?q=laser")


def _tool(name: str) -> str:
    """A console script of this virtualenv (or of PATH)."""
    here = BIN / name
    return str(here) if here.exists() else (shutil.which(name) or name)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _environment(instance: Path) -> dict[str, str]:
    """The app's configuration: production, a fresh instance folder, raised login limits."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHMAKER_")}
    env.update(
        MATCHMAKER_ENV="production",
        MATCHMAKER_SECRET_KEY=secrets.token_urlsafe(48),
        MATCHMAKER_PUBLIC_URL="http://127.0.0.1",  # production needs one; the Host it serves
        # several workers without Redis: production refuses per-process limits (raised anyway)
        MATCHMAKER_RATELIMIT_ENABLED="false",
        MATCHMAKER_INSTANCE_PATH=str(instance),
        MATCHMAKER_SQLALCHEMY_DATABASE_URI=f"sqlite:///{instance / 'fuzz.sqlite3'}",
        MATCHMAKER_LOGIN_LIMIT_PER_IP="100000 per minute",
        MATCHMAKER_LOGIN_LIMIT_PER_ACCOUNT="100000 per minute",
        PYTHONUNBUFFERED="1",
    )
    return env


def _prepare(env: dict[str, str]) -> None:
    """Migrations and the demo data (demo data in production needs --force)."""
    for args in (["db", "upgrade"], ["seed", "demo", "--force"]):
        done = subprocess.run(  # noqa: S603 - our own console script
            [_tool("matchmaker"), *args],
            cwd=ROOT,
            env=env,
            check=False,
            capture_output=True,
            text=True,
        )
        if done.returncode:
            print(done.stdout, done.stderr, sep="\n", file=sys.stderr)
            raise SystemExit(f"matchmaker {' '.join(args)} failed (exit {done.returncode})")


def _make_tokens(env: dict[str, str]) -> dict[str, str | None]:
    """One token per role with every scope the role allows, made by the service."""
    os.environ.update(env)
    import sqlalchemy as sa

    from matchmaker import create_app
    from matchmaker.extensions import db
    from matchmaker.models import User
    from matchmaker.services.accounts import api_tokens

    app = create_app()
    tokens: dict[str, str | None] = {}
    with app.app_context():
        for role, email in ACCOUNTS.items():
            if email is None:
                tokens[role] = None
                continue
            user = db.session.scalar(sa.select(User).where(User.email == email))
            if user is None:
                raise SystemExit(f"the demo data has no {email}")
            made = api_tokens.create_token(
                user=user, name=f"fuzz {role}", scopes=list(api_tokens.allowed_scopes(user))
            )
            tokens[role] = made.secret
            print(f"   {role:<10} {email:<24} {' '.join(made.token.scopes)}")
        db.session.commit()
        db.engine.dispose()
    return tokens


def _serve(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    """gunicorn with the production configuration (as `make serve`), its log in `log`."""
    with log.open("wb") as out:
        server = subprocess.Popen(  # noqa: S603 - our own console script
            [
                _tool("gunicorn"),
                "-c",
                "python:matchmaker.gunicorn_conf",  # as `make serve`: preloaded, shared index
                "--workers",
                str(workers),
                "--timeout",
                "120",
                "--bind",
                f"127.0.0.1:{port}",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn ended at once:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2):  # noqa: S310
                break
        except OSError:
            if time.monotonic() > deadline:
                server.terminate()
                raise SystemExit("gunicorn did not answer /healthz within a minute") from None
            time.sleep(0.3)
    _warm_up(base, workers)
    return server


def _warm_up(base: str, workers: int) -> None:
    """Every worker loads its lazy parts (concurrent requests reach every sync worker)."""

    def get(path: str) -> None:
        with urllib.request.urlopen(base + path, timeout=120):  # noqa: S310
            pass

    with ThreadPoolExecutor(max_workers=workers * 2) as pool:
        list(pool.map(get, WARM_UP * workers * 2))


def _fuzz(
    role: str, token: str | None, url: str, args: argparse.Namespace, tmp: Path
) -> tuple[int, float, str]:
    """One schemathesis run: its exit status, how long it took, and its output."""
    command = [
        _tool("schemathesis"),
        "--no-color",
        "--config-file",
        str(tmp / "schemathesis.toml"),
        "run",
        url,
        "--checks",
        "all",
        "--phases",
        args.phases,
        "--mode",
        "all" if args.negative == "all" or role in NEGATIVE_ROLES else "positive",
        "--max-examples",
        str(args.max_examples),
        "--seed",
        str(args.seed),
        "--generation-deterministic",
        # NUL characters in a query string are refused with 400 before any schema reads it
        # (web/hooks.py: PostgreSQL cannot store them), which the document says of every
        # operation; generated strings leave them out so the other checks see the answers.
        "--generation-allow-x00",
        "false",
        "--workers",
        "1",
        "--request-timeout",
        "60",
        "--report",
        "junit",
        "--report-junit-path",
        str(tmp / "reports" / f"{role}.xml"),
        "--header",
        "Accept-Language: en",
    ]
    if token:
        command += ["--header", f"Authorization: Bearer {token}"]
    started = time.monotonic()
    # run in the temporary folder: schemathesis keeps its crash files (`st replay`) in
    # ./.schemathesis, which is not for the checkout (with --keep, replay from that folder)
    done = subprocess.run(  # noqa: S603 - our own console script
        command, cwd=tmp, check=False, capture_output=True, text=True
    )
    return done.returncode, time.monotonic() - started, done.stdout + done.stderr


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--max-examples", type=int, default=MAX_EXAMPLES)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--phases", default=PHASES)
    parser.add_argument("--parallel", type=int, default=2, help="roles fuzzed at once")
    parser.add_argument(
        "--negative", choices=("all", "admin"), default="all", help="who gets invalid input"
    )
    parser.add_argument("--roles", default=",".join(ACCOUNTS), help="comma-separated")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    roles = [r.strip() for r in args.roles.split(",") if r.strip()]
    unknown = [r for r in roles if r not in ACCOUNTS]
    if unknown:
        parser.error(f"unknown roles: {', '.join(unknown)}")

    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="matchmaker-fuzz-"))
    instance = tmp / "instance"
    instance.mkdir()
    (tmp / "reports").mkdir()
    (tmp / "schemathesis.toml").write_text(CONFIG)
    env = _environment(instance)
    server: subprocess.Popen[bytes] | None = None
    results: dict[str, tuple[int, float]] = {}
    try:
        print(f"== fuzz: database and demo data in {instance}", flush=True)
        _prepare(env)
        print("== fuzz: tokens", flush=True)
        tokens = _make_tokens(env)
        port = _free_port()
        server = _serve(env, port, args.parallel + 1, tmp / "server.log")
        url = f"http://127.0.0.1:{port}/api/v1/openapi.json"
        print(f"== fuzz: {', '.join(roles)} ({args.parallel} at a time)", flush=True)
        with ThreadPoolExecutor(max_workers=max(1, args.parallel)) as pool:
            # the longest runs (negative cases too) first, so the others fill the other slot
            first = sorted(roles, key=lambda role: role not in NEGATIVE_ROLES)
            runs = {role: pool.submit(_fuzz, role, tokens[role], url, args, tmp) for role in first}
            for role in roles:
                run = runs[role]
                code, seconds, output = run.result()
                results[role] = (code, seconds)
                print(f"\n== fuzz: {role}\n{output}", flush=True)
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
        log = tmp / "server.log"
        if log.exists() and any(code for code, _ in results.values()):
            tail = log.read_text(errors="replace").splitlines()[-80:]
            print("\n== fuzz: the server's log (last lines)\n" + "\n".join(tail))
        if args.keep:
            print(f"\nkept: {tmp} (reports/, server.log, instance/)")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print("\n== fuzz: summary")
    for role, (code, seconds) in results.items():
        verdict = "ok" if code == 0 else f"FAILED (exit {code})"
        print(f"   {role:<10} {seconds:6.1f} s  {verdict}")
    failed = [role for role, (code, _) in results.items() if code != 0]
    print(f"   total      {time.monotonic() - started:6.1f} s")
    if failed:
        print(f"schemathesis found problems for: {', '.join(failed)}")
        return 1
    print("schemathesis found nothing.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
