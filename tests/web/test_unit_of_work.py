"""One unit of work per request and one mapping from domain errors to answers, per error kind.

A small app of its own (the session app has served requests, so no routes can be added to it)
with probe routes that write an audit row and then succeed, refuse or fail.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask, flash, get_flashed_messages, render_template_string
from flask_wtf import FlaskForm
from wtforms import StringField

from matchmaker import create_app
from matchmaker.config import TestConfig
from matchmaker.extensions import db
from matchmaker.models import AuditLog, Base
from matchmaker.services.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from matchmaker.services.platform import uow
from matchmaker.services.platform.audit import record_audit
from matchmaker.web.forms import form_errors
from matchmaker.web.policy import public
from matchmaker.web.refusals import on_refusal

ERRORS = {
    "not_found": NotFound(),
    "denied": PermissionDenied("你不是这个榜单的发榜方。"),
    "illegal": InvalidTransition("只有待审核的内容可以通过。"),
    "invalid": ValidationFailed({"amount": "金额必须大于零。"}),
}
PAGE = "<p>the probe page</p>{% for m in get_flashed_messages() %}<i>{{ m }}</i>{% endfor %}"
EVENTS: list[str] = []


class NameForm(FlaskForm):
    name = StringField()


def _write(tag: str) -> None:
    record_audit(actor=None, action=f"probe.{tag}", object_type="probe")
    db.session.flush()


@pytest.fixture(scope="module")
def probe_app(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("uow")
    app = create_app(
        TestConfig, instance_path=str(tmp), SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/uow.sqlite3"
    )

    @app.get("/probe/ok")
    @public
    def ok() -> str:
        _write("ok")
        uow.after_commit(lambda: EVENTS.append("committed"))
        uow.on_rollback(lambda: EVENTS.append("rolled back"))
        return "ok"

    @app.get("/probe/raise/<kind>")
    @public
    def raise_(kind: str) -> str:
        _write(kind)
        uow.after_commit(lambda: EVENTS.append("committed"))
        uow.on_rollback(lambda: EVENTS.append("rolled back"))
        raise ERRORS[kind]

    @app.get("/probe/page/<kind>")
    @public
    def with_page(kind: str) -> str:
        _write(kind)
        on_refusal(lambda: render_template_string(PAGE, get_flashed_messages=get_flashed_messages))
        raise ERRORS[kind]

    @app.get("/probe/crash")
    @public
    def crash() -> str:
        _write("crash")
        raise RuntimeError("unexpected")

    @app.get("/probe/discarded")
    @public
    def discarded() -> str:
        _write("discarded")
        uow.discard()
        _write("after-discard")
        return "shown with 200, stored nothing"

    @app.post("/probe/form")
    @public
    def form() -> tuple[str, int]:
        name_form = NameForm()
        with form_errors(name_form) as outcome:
            _write("form")
            raise ValidationFailed({"name": "名称已被使用。", "other": "另一个问题。"})
        flash("never")
        return f"ok={outcome.ok} errors={name_form.name.errors}", 200

    with app.app_context():
        Base.metadata.create_all(db.engine)
    return app


@pytest.fixture
def probe(probe_app: Flask):
    EVENTS.clear()
    with probe_app.app_context():
        db.session.execute(sa.delete(AuditLog))
        db.session.commit()
    return probe_app.test_client()


def _stored(app: Flask) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(sa.select(AuditLog.action)))


def test_a_successful_request_commits_once_and_runs_the_after_commit_work(probe, probe_app):
    assert probe.get("/probe/ok").status_code == 200
    assert _stored(probe_app) == ["probe.ok"]
    assert EVENTS == ["committed"]


@pytest.mark.parametrize(
    ("kind", "status"), [("not_found", 404), ("denied", 403), ("illegal", 409), ("invalid", 400)]
)
def test_each_domain_error_has_one_status_and_stores_nothing(probe, probe_app, kind, status):
    response = probe.get(f"/probe/raise/{kind}")
    assert response.status_code == status
    assert _stored(probe_app) == []
    assert EVENTS == ["rolled back"]


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("denied", "你不是这个榜单的发榜方。"),
        ("illegal", "只有待审核的内容可以通过。"),
        ("invalid", "金额必须大于零。"),
    ],
)
def test_the_refusal_shows_the_reason_on_the_error_page_and_in_json(probe, kind, message):
    html = probe.get(f"/probe/raise/{kind}").get_data(as_text=True)
    assert message in html
    body = probe.get(f"/probe/raise/{kind}", headers={"Accept": "application/json"}).get_json()
    assert body["error"]["message"] == message
    assert body["error"]["status"] == {"denied": 403, "illegal": 409, "invalid": 400}[kind]


def test_not_found_says_nothing_more(probe):
    response = probe.get("/probe/page/not_found")
    assert response.status_code == 404
    assert "the probe page" not in response.get_data(as_text=True)


@pytest.mark.parametrize(("kind", "status"), [("denied", 403), ("illegal", 409)])
def test_a_registered_page_is_shown_again_with_the_reason(probe, probe_app, kind, status):
    response = probe.get(f"/probe/page/{kind}")
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert "the probe page" in html
    assert str(ERRORS[kind]) in html
    assert _stored(probe_app) == []


def test_an_unexpected_error_is_a_500_and_rolls_back(probe, probe_app):
    assert probe.get("/probe/crash").status_code == 500
    assert _stored(probe_app) == []


def test_a_discarded_unit_stores_nothing_even_when_the_page_answers_200(probe, probe_app):
    assert probe.get("/probe/discarded").status_code == 200
    assert _stored(probe_app) == []
    assert probe.get("/probe/ok").status_code == 200  # the next request starts afresh
    assert _stored(probe_app) == ["probe.ok"]


def test_form_errors_go_to_their_fields_and_store_nothing(probe, probe_app):
    response = probe.post("/probe/form", data={"name": "x"})
    text = response.get_data(as_text=True)
    assert "ok=False" in text
    assert "名称已被使用。" in text
    assert _stored(probe_app) == []
    with probe.session_transaction() as session:  # the message without a field is flashed
        assert ("danger", "另一个问题。") in session.get("_flashes", [])
