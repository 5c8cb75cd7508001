"""Links that leave the site are built from the configured public URL, never from the request's
Host header; production refuses to start without one and answers another Host with 400
(SECURITY.md row 8, v5.0.0-14.2.1 and 6.4.1; services/platform/links.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from matchmaker import ConfigurationError, create_app
from matchmaker.config import Config, TestConfig
from matchmaker.extensions import db as _db
from matchmaker.models import User
from matchmaker.services.platform import links
from matchmaker.services.platform.notifications import notify
from tests.conftest import log_in
from tests.factories import make_user

PUBLIC = "https://kjcg.jl.example"
EVIL = "http://evil.example"
STRONG_KEY = "6Qm1u0kZt3pLw8xYc2vB5nR7sD9fG4hJ-production-test"


@pytest.fixture
def public_url(app: Flask, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setitem(app.config, "PUBLIC_URL", PUBLIC)
    return PUBLIC


def _logged_in_at(client: FlaskClient, app: Flask, user: User, host: str) -> None:
    """The user's session cookie, sent to `host` too (the test client matches cookie domains)."""
    log_in(client, user)
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name)
    assert cookie is not None
    client.set_cookie(name, cookie.value, domain=host)


def test_reset_link_ignores_a_forged_host_header(client, db, outbox, public_url):
    """SECURITY.md row 8 (v5.0.0-14.2.1): `POST /auth/forgot` with `Host: evil.example` mails a
    link on the configured public URL; the attacker's host never receives a valid token."""
    make_user("enterprise", email="victim@example.com")
    db.session.commit()
    response = client.post("/auth/forgot", data={"email": "victim@example.com"}, base_url=EVIL)
    assert response.status_code == 302
    [mail] = list(outbox)
    found = re.findall(r"\S+/auth/reset/\S+", mail.body)
    assert found and all(link.startswith(f"{PUBLIC}/auth/reset/") for link in found), mail.body
    assert "evil.example" not in mail.body
    token = found[0].rsplit("/", 1)[1]
    assert client.get(f"/auth/reset/{token}").status_code == 200  # the link works


def test_without_a_public_url_tests_and_development_link_to_localhost(client, db, outbox):
    """SECURITY.md row 8 (v5.0.0-14.2.1): outside production the default is
    http://localhost:5000 (`make run`), whatever Host a request names."""
    make_user("enterprise", email="dev@example.com")
    db.session.commit()
    client.post("/auth/forgot", data={"email": "dev@example.com"}, base_url=EVIL)
    [mail] = list(outbox)
    assert "http://localhost:5000/auth/reset/" in mail.body
    assert "evil.example" not in mail.body


def test_invitation_link_ignores_a_forged_host_header(app, client, db, outbox, public_url):
    """SECURITY.md row 8 (v5.0.0-14.2.1): an invitation's join link is on the public URL."""
    inviter = make_user("university")
    db.session.commit()
    _logged_in_at(client, app, inviter, "evil.example")
    response = client.post("/organisation/", data={"email": "colleague@example.com"}, base_url=EVIL)
    assert response.status_code == 302
    [mail] = [m for m in outbox if m.recipients == ["colleague@example.com"]]
    assert re.search(rf"{re.escape(PUBLIC)}/auth/join/\S+", mail.body), mail.body
    assert "evil.example" not in mail.body


def test_verification_link_ignores_a_forged_host_header(app, client, db, outbox, public_url):
    """SECURITY.md row 8 (v5.0.0-6.4.1): the e-mail verification link is on the public URL."""
    user = make_user("enterprise", email_verified_at=None)
    db.session.commit()
    _logged_in_at(client, app, user, "evil.example")
    client.post("/auth/verify-email/resend", base_url=EVIL)
    [mail] = [m for m in outbox if m.recipients == [user.email]]
    assert re.search(rf"{re.escape(PUBLIC)}/auth/verify-email/\S+", mail.body), mail.body
    assert "evil.example" not in mail.body


def test_a_notifications_path_is_mailed_as_a_public_link(app, db, outbox, public_url):
    """SECURITY.md row 8: a notification's in-app path (`/my/results/7`) reaches the e-mail as a
    link on the public URL, not as a bare path; the in-app link stays a path."""
    user = make_user("enterprise")
    db.session.commit()
    [note] = notify(
        users=[user], kind="listing.submitted", params={"title": "传感器"}, link="/my/results/7"
    )
    db.session.commit()
    assert note.link == "/my/results/7"
    [mail] = list(outbox)
    assert mail.body.rstrip().endswith(f"{PUBLIC}/my/results/7")


def test_digest_links_need_no_request_and_use_the_public_url(app, db, public_url):
    """SECURITY.md row 8: the alert digests (a CLI command or a job, no request) link to the
    public URL; MATCHMAKER_SERVER_NAME is no longer needed for them."""
    from matchmaker.cli.alerts import alert_links

    built = alert_links()
    assert built.unsubscribe("abc") == f"{PUBLIC}/unsubscribe/abc"
    assert built.listing("result", 3) == f"{PUBLIC}/results/3"
    assert built.manage.startswith(f"{PUBLIC}/")


def test_create_bureau_prints_a_link_on_the_public_url(app, runner, public_url):
    """SECURITY.md row 8: `users create-bureau` prints the set-password link on the public URL."""
    result = runner.invoke(args=["users", "create-bureau", "reader@kjj.example"])
    assert result.exit_code == 0, result.output
    assert re.search(rf"^{re.escape(PUBLIC)}/auth/reset/\S+$", result.output, re.M), result.output


# --- the setting -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("https://kjcg.jl.example", "https://kjcg.jl.example"),
        ("https://KJCG.jl.example/", "https://kjcg.jl.example"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("https://[::1]:8443", "https://[::1]:8443"),
        ("https://科技.吉林.example", "https://xn--2qux23c.xn--9pry86b.example"),
    ],
)
def test_a_public_url_is_normalised(given, stored):
    """SECURITY.md row 8: scheme and host (and port) only, host in lower case and IDNA."""
    assert links.parse_public_url(given) == stored


@pytest.mark.parametrize(
    "given",
    [
        "kjcg.jl.example",
        "ftp://kjcg.jl.example",
        "javascript:alert(1)",
        "https://",
        "https://user:pw@kjcg.jl.example",
        "https://kjcg.jl.example/path",
        "https://kjcg.jl.example?next=x",
        "https://kjcg.jl.example#x",
        "https://kjcg.jl.example:99999",
        "https://bad_host!.example",
    ],
)
def test_a_public_url_with_anything_else_is_refused(given):
    """SECURITY.md row 8: a public URL is scheme + host, no path, query, fragment or user."""
    with pytest.raises(ValueError, match="must|invalid|no valid"):
        links.parse_public_url(given)


def _production(tmp_path: Path, **overrides: object) -> Flask:
    settings: dict[str, object] = {
        "SECRET_KEY": STRONG_KEY,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        **overrides,
    }
    return create_app(Config, instance_path=str(tmp_path), **settings)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("PUBLIC_URL", "SERVER_NAME", "TRUSTED_HOSTS", "PREFERRED_URL_SCHEME"):
        monkeypatch.delenv(f"MATCHMAKER_{name}", raising=False)
    for name in ("WORKERS", "WEB_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_production_refuses_to_start_without_a_public_url(tmp_path, clean_env):
    """SECURITY.md row 8 (v5.0.0-14.2.1): production cannot fall back to the Host header."""
    with pytest.raises(ConfigurationError, match="MATCHMAKER_PUBLIC_URL is not set"):
        _production(tmp_path)


def test_production_refuses_a_public_url_with_a_path(tmp_path, clean_env):
    """SECURITY.md row 8: a malformed public URL stops the start with the reason."""
    with pytest.raises(ConfigurationError, match="MATCHMAKER_PUBLIC_URL: .*without a path"):
        _production(tmp_path, PUBLIC_URL="https://kjcg.jl.example/login?x=1")


def test_server_name_still_serves_as_the_public_url(tmp_path, clean_env):
    """SECURITY.md row 8: deployments that set MATCHMAKER_SERVER_NAME keep starting."""
    clean_env.setenv("MATCHMAKER_SERVER_NAME", "kjcg.jl.example")
    app = _production(tmp_path)
    assert app.config["PUBLIC_URL"] == "https://kjcg.jl.example"
    assert app.config["TRUSTED_HOSTS"] == ["kjcg.jl.example"]


def test_production_answers_another_host_with_400(tmp_path, clean_env):
    """SECURITY.md row 8 (v5.0.0-14.2.1): TRUSTED_HOSTS is the public URL's host: a request
    naming another Host (directly or through X-Forwarded-Host behind ProxyFix) gets 400,
    the public host (on any port) is served."""
    app = _production(tmp_path, PUBLIC_URL=PUBLIC, PROXY_FIX_X_FOR=1)
    with app.app_context():
        _db.create_all()
    client = app.test_client()
    refused = client.get("/healthz", base_url=EVIL)
    assert refused.status_code == 400
    assert "evil.example" not in refused.get_data(as_text=True)
    assert client.get("/healthz", base_url=PUBLIC).status_code == 200
    assert client.get("/healthz", base_url=f"{PUBLIC}:8443").status_code == 200
    forwarded = client.get(
        "/healthz", base_url=PUBLIC, headers={"X-Forwarded-Host": "evil.example"}
    )
    assert forwarded.status_code == 400
    with app.app_context():
        _db.engine.dispose()


@pytest.mark.parametrize(
    "setting", ['["kjcg.jl.example", "10.0.0.5"]', "kjcg.jl.example, 10.0.0.5"]
)
def test_trusted_hosts_can_add_a_health_checks_address(tmp_path, clean_env, setting):
    """SECURITY.md row 8: MATCHMAKER_TRUSTED_HOSTS (a JSON list or names separated by commas)
    replaces the default, e.g. for a load balancer's health check by address."""
    clean_env.setenv("MATCHMAKER_TRUSTED_HOSTS", setting)
    app = _production(tmp_path, PUBLIC_URL=PUBLIC)
    assert app.config["TRUSTED_HOSTS"] == ["kjcg.jl.example", "10.0.0.5"]
    client = app.test_client()
    assert client.get("/healthz", base_url="http://10.0.0.5:8000").status_code != 400
    assert client.get("/healthz", base_url=EVIL).status_code == 400


def test_testing_accepts_any_host_unless_told_otherwise():
    """SECURITY.md row 8: TRUSTED_HOSTS is derived in production only (tests and `make run`
    are reached as localhost, 127.0.0.1 or a LAN address)."""
    bare = Flask(__name__)
    bare.config.from_object(TestConfig)
    bare.config["PUBLIC_URL"] = PUBLIC
    links.configure(bare)
    assert bare.config["TRUSTED_HOSTS"] is None
