"""A database outage is answered 503 with Retry-After, in the user's language; never a 500.

The app under test points at a PostgreSQL port nothing listens on (connection refused at
once), so every page fails the way it does while the database restarts
(benchmarks/faults.py measures the real restart: docs/performance.md).
"""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_babel import force_locale
from markupsafe import escape

from matchmaker import create_app
from matchmaker.config import Config
from matchmaker.web.errors import MESSAGES
from matchmaker.web.i18n import LOCALE_COOKIE

DEAD = "postgresql+psycopg://postgres@127.0.0.1:1/nothing"


@pytest.fixture(scope="module")
def down_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The production configuration, its database unreachable."""
    return create_app(
        Config,
        instance_path=str(tmp_path_factory.mktemp("down")),
        SECRET_KEY="x" * 40,
        PUBLIC_URL="http://localhost",  # production needs one; the test client's host
        SQLALCHEMY_DATABASE_URI=DEAD,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "connect_args": {"connect_timeout": 2}},
        WTF_CSRF_ENABLED=False,
    )


@pytest.mark.parametrize("path", ["/", "/results", "/needs?q=传感器", "/results/1", "/challenges"])
def test_pages_answer_503_in_chinese_with_retry_after(down_app, path):
    response = down_app.test_client().get(path)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "10"
    body = response.get_data(as_text=True)
    assert "暂时无法访问数据库" in body
    assert "Traceback" not in body and "psycopg" not in body


def test_english_readers_and_json_clients_get_their_form(down_app):
    client = down_app.test_client()
    client.set_cookie(LOCALE_COOKIE, "en")
    page = client.get("/results")
    assert page.status_code == 503
    body = page.get_data(as_text=True)
    assert '<html lang="en"' in body
    with down_app.test_request_context(), force_locale("en"):
        english = str(MESSAGES[503][1])  # its English once the catalogue is compiled
    assert escape(english) in body

    api = down_app.test_client().get("/results", headers={"Accept": "application/json"})
    assert api.status_code == 503
    assert api.get_json()["error"]["status"] == 503


def test_a_form_post_and_a_logged_in_session_get_503_too(down_app):
    client = down_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1:1"  # the user loader then needs the database first
        session["_fresh"] = True
        session["login_at"] = session["seen_at"] = int(time.time())
    assert client.get("/dashboard").status_code == 503
    posted = client.post("/auth/login", data={"email": "a@example.com", "password": "x" * 12})
    assert posted.status_code == 503
    assert posted.headers["Retry-After"] == "10"


def test_healthz_still_reports_the_outage_itself(down_app):
    response = down_app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.is_json


def test_a_commit_that_loses_the_connection_is_a_503_not_a_500(client, monkeypatch):
    """The view succeeded, the commit after it (web/hooks.py) lost the database."""
    from matchmaker.extensions import db

    def lost(*args: object, **kwargs: object) -> None:
        raise sa.exc.OperationalError("COMMIT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(db.session, "commit", lost)
    # production answers an exception raised after the view; TESTING would re-raise it
    monkeypatch.setitem(client.application.config, "PROPAGATE_EXCEPTIONS", False)
    response = client.get("/results")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "10"
    assert "暂时无法访问数据库" in response.get_data(as_text=True)
