"""Two servers, one PostgreSQL database and one Redis, behave as one site.

Two gunicorn processes (separate instance folders, as on two hosts) serve the same database
and Redis: a listing approved through server A (an admin logged in over HTTP, the review
page's approve form, CSRF on) is found by a search on server B within 5 seconds; both report
the same index generation on /healthz after a rebuild; a login limit spent on A holds on B.

Needs PostgreSQL (`MATCHMAKER_TEST_DATABASE_URL`: the test creates and drops its own database
on that server) and Redis (`MATCHMAKER_TEST_REDIS_URL`); CI sets both. Select with
`pytest -m deploy tests/deploy`.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent.parent
DATABASE_URL = os.environ.get("MATCHMAKER_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("MATCHMAKER_TEST_REDIS_URL", "")
WORD = "quokkatronic"  # in no other listing: found only once the new listing is matchable
MATCHABLE_WITHIN = 5.0  # seconds

pytestmark = [
    pytest.mark.deploy,
    pytest.mark.skipif(
        not DATABASE_URL.startswith("postgresql"),
        reason="needs PostgreSQL: set MATCHMAKER_TEST_DATABASE_URL=postgresql+psycopg://...",
    ),
    pytest.mark.skipif(
        not REDIS_URL, reason="needs Redis: set MATCHMAKER_TEST_REDIS_URL=redis://127.0.0.1:6379/n"
    ),
]


class Browser:
    """Cookies and forms over plain HTTP against one server (no redirects followed)."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), self._NoRedirect()
        )

    def request(self, path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(self.base + path, data=data, timeout=60) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as answer:
            return answer.code, answer.read().decode(errors="replace")

    def csrf(self, path: str) -> str:
        status, page = self.request(path)
        assert status == 200, (path, status)
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    def log_in(self, email: str, password: str, *, totp_secret: str | None = None) -> int:
        """The login form, then (for an account with a second factor) the code step."""
        token = self.csrf("/auth/login")
        status, _page = self.request(
            "/auth/login", {"csrf_token": token, "email": email, "password": password}
        )
        if status == 302 and totp_secret is not None:
            import pyotp

            token = self.csrf("/auth/login/code")
            code = pyotp.TOTP(totp_secret).now()
            status, _page = self.request("/auth/login/code", {"csrf_token": token, "code": code})
        return status


#: The seeded admin's second factor (a fixed base32 secret of this test's own).
ADMIN_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@dataclass
class Cluster:
    a: str
    b: str
    env: dict[str, str]
    admin_email: str
    listing_id: int
    title: str


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _matchmaker(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own console script
        [sys.executable, "-m", "matchmaker.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, f"matchmaker {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _seed(env: dict[str, str], instance: Path) -> tuple[str, int, str]:
    """An admin and a submitted (not yet approved) result, written through the services."""
    from matchmaker import create_app
    from matchmaker.config import TestConfig
    from matchmaker.extensions import db
    from matchmaker.models.base import utcnow
    from matchmaker.services.platform.sealing import seal
    from matchmaker.services.platform.taxonomy import active_fields
    from tests.factories import make_user, publish_result

    app = create_app(
        TestConfig,
        instance_path=str(instance),
        SQLALCHEMY_DATABASE_URI=env["MATCHMAKER_SQLALCHEMY_DATABASE_URI"],
        SECRET_KEY=env["MATCHMAKER_SECRET_KEY"],  # the servers' key opens the sealed TOTP seed
    )
    with app.app_context():
        try:
            fields = {f.code: f for f in active_fields()}  # seeded by the migrations
            admin = make_user("admin")
            # Admins must use a second factor (issue 17): this one has it set up already.
            admin.totp_secret = seal(ADMIN_TOTP_SECRET)
            admin.totp_enabled_at = utcnow()
            owner = make_user("university")  # results come from universities and institutes
            title = f"{WORD} 低温余热回收换热器"
            summary = f"{WORD} 板式换热器，回收工业余热，节能百分之二十。"
            result = publish_result(owner, admin, fields, title, summary, approve=False)
            found = (admin.email, result.id, title)
        finally:
            db.session.remove()
            db.engine.dispose()
    return found


def _serve(env: dict[str, str], name: str, tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    server_env = {
        **env,
        "MATCHMAKER_INSTANCE_PATH": str(tmp / f"instance-{name}"),  # a host's own disk
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / f"metrics-{name}"),
        "WORKERS": "1",
        "MATCHMAKER_PRELOAD": "0",
    }
    log = tmp / f"server-{name}.log"
    with log.open("wb") as out:
        server = subprocess.Popen(  # noqa: S603 - gunicorn from this venv, as `make serve`
            [sys.executable, "-m", "gunicorn", "-c", "python:matchmaker.gunicorn_conf"]
            + ["--bind", f"127.0.0.1:{port}", "--timeout", "120", "wsgi:app"],
            cwd=ROOT,
            env=server_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return server, f"http://127.0.0.1:{port}"


def _wait_until_up(server: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + 120
    while True:
        assert server.poll() is None, log.read_text(errors="replace")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=30):  # noqa: S310
                return
        except OSError:
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.3)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    tmp = tmp_path_factory.mktemp("deploy")
    server_url = sa.make_url(DATABASE_URL)
    # its own database beside the suite's (`<suite's name>_consistency_<random>`), dropped after
    name = f"{server_url.database or 'matchmaker'}_consistency_{uuid.uuid4().hex[:8]}"
    admin_engine = sa.create_engine(
        server_url.set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin_engine.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    env = {
        **os.environ,
        "MATCHMAKER_ENV": "development",  # CSRF on; cookies without `Secure` over plain HTTP
        "MATCHMAKER_SECRET_KEY": uuid.uuid4().hex,  # one key: a session is valid on both
        "MATCHMAKER_SQLALCHEMY_DATABASE_URI": server_url.set(database=name).render_as_string(
            hide_password=False
        ),
        "MATCHMAKER_REDIS_URL": REDIS_URL,
        "MATCHMAKER_REDIS_KEY_PREFIX": name,  # this run's limits and caches only
        "MATCHMAKER_INSTANCE_PATH": str(tmp / "instance-cli"),
    }
    servers: list[subprocess.Popen[bytes]] = []
    try:
        _matchmaker(env, "db", "upgrade")  # the startup order: upgrade, then serve
        admin_email, listing_id, title = _seed(env, tmp / "instance-seed")
        (server_a, a), (server_b, b) = _serve(env, "a", tmp), _serve(env, "b", tmp)
        servers = [server_a, server_b]
        _wait_until_up(server_a, a, tmp / "server-a.log")
        _wait_until_up(server_b, b, tmp / "server-b.log")
        yield Cluster(a, b, env, admin_email, listing_id, title)
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
        for server in servers:
            server.wait(timeout=60)
        with admin_engine.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()
        _forget_keys(f"{name}:*")


def _forget_keys(pattern: str) -> None:
    """This run's rate limits and caches in Redis (the limits' keys live a day)."""
    from redis import Redis

    client = Redis.from_url(REDIS_URL)
    try:
        for key in client.scan_iter(pattern):
            client.delete(key)
    finally:
        client.close()


def _found(base: str, listing_id: int) -> bool:
    """Whether a search for WORD on this server lists the listing (a link to its page)."""
    status, page = Browser(base).request(f"/results?q={WORD}")
    assert status == 200, status
    return re.search(f'href="/results/{listing_id}["?#]', page) is not None


def test_a_listing_approved_on_a_is_matchable_on_b_within_5_seconds(cluster: Cluster) -> None:
    from tests.factories import PASSWORD

    assert not _found(cluster.b, cluster.listing_id)  # B searched (and may cache) before
    admin = Browser(cluster.a)
    assert admin.log_in(cluster.admin_email, PASSWORD, totp_secret=ADMIN_TOTP_SECRET) == 302
    review = f"/admin/review/results/{cluster.listing_id}"
    token = admin.csrf(review)
    status, _page = admin.request(f"{review}/approve", {"csrf_token": token})
    assert status == 302, status
    approved = time.monotonic()
    assert _found(cluster.a, cluster.listing_id)
    while not _found(cluster.b, cluster.listing_id):
        waited = time.monotonic() - approved
        assert waited < MATCHABLE_WITHIN, f"not matchable on B {waited:.1f} s after approval"
        time.sleep(0.2)
    print(f"matchable on B {time.monotonic() - approved:.2f} s after approval on A")  # noqa: T201


def _generation(base: str) -> int:
    with urllib.request.urlopen(base + "/healthz", timeout=30) as answer:  # noqa: S310
        import json

        return int(json.load(answer)["index"]["generation"])


def test_both_report_the_same_index_generation_after_a_rebuild(cluster: Cluster) -> None:
    before = _generation(cluster.a)
    assert _generation(cluster.b) == before
    _matchmaker(cluster.env, "recommender", "rebuild")
    assert _generation(cluster.a) == _generation(cluster.b) == before + 1


def test_a_login_limit_spent_on_a_holds_on_b(cluster: Cluster) -> None:
    email = f"guesser-{uuid.uuid4().hex[:8]}@example.com"  # LOGIN_LIMIT_PER_ACCOUNT: 5 a minute
    on_a = Browser(cluster.a)
    for attempt in range(5):
        assert on_a.log_in(email, f"wrong-{attempt}") == 200  # the form again, with the error
    on_b = Browser(cluster.b)
    token = on_b.csrf("/auth/login")
    status, _page = on_b.request(
        "/auth/login", {"csrf_token": token, "email": email, "password": "wrong-6"}
    )
    assert status == 429, f"B answered {status}: the limit spent on A does not hold on B"
