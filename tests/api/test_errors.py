"""The API's central error mapping: domain errors from the services, unexpected exceptions and
an expired browser session, each answered as JSON {code, message, fields} and rolled back."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from matchmaker.api import meta as views
from matchmaker.models import ApiToken
from matchmaker.services.errors import InvalidTransition, PermissionDenied, ValidationFailed
from tests.factories import PASSWORD, make_user


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (InvalidTransition("当前状态下不能进行此操作。"), 409, "invalid_transition"),
        (PermissionDenied("你的账号无权访问这个页面。"), 403, "forbidden"),
        (ValidationFailed({"title": "请填写标题。"}), 422, "validation_failed"),
    ],
)
def test_domain_errors_map_to_json(client, db, monkeypatch, error, status, code):
    def refuse() -> None:
        raise error

    monkeypatch.setattr(views.stats, "verified_organisation_counts", refuse)
    answer = client.get("/api/v1/stats")
    assert answer.status_code == status
    body = answer.get_json()
    assert body["code"] == code and body["message"]
    if status == 422:
        assert body["fields"] == {"title": ["请填写标题。"]}
    else:
        assert body["fields"] == {}


def test_an_unexpected_exception_is_a_json_500_without_traceback(client, db, monkeypatch):
    def crash() -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(views.stats, "verified_organisation_counts", crash)
    answer = client.get("/api/v1/stats")
    assert answer.status_code == 500
    assert answer.get_json()["code"] == "server_error"
    assert "secret internals" not in answer.get_data(as_text=True)


def test_a_refused_token_request_stores_nothing(client, db):
    user = make_user("enterprise", verified=False)
    db.session.commit()
    answer = client.post(
        "/api/v1/tokens",
        json={"email": user.email, "password": PASSWORD, "scopes": ["read", "write"]},
    )
    assert answer.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_unknown_json_fields_are_refused(client, db):
    answer = client.post(
        "/api/v1/tokens", json={"email": "a@example.com", "password": "x", "user_id": 1}
    )
    assert answer.status_code == 422
    assert "user_id" in answer.get_json()["fields"]


def test_a_non_object_body_is_refused_not_500(client, db):
    for body in ("[]", "42", "not json"):
        answer = client.post(
            "/api/v1/tokens", data=body, headers={"Content-Type": "application/json"}
        )
        assert answer.status_code in (400, 422)
        assert answer.is_json


def test_an_expired_browser_session_does_not_redirect_an_api_call(client, login_as):
    login_as("enterprise")
    with client.session_transaction() as session:
        session["seen_at"] = int(time.time()) - 10 * 24 * 3600
    answer = client.get("/api/v1/stats")
    assert answer.status_code == 200
    assert answer.is_json


def test_nul_characters_in_a_json_body_are_refused_before_any_schema(client, bearer):  # noqa: ANN001
    answer = client.post(
        "/api/v1/tokens",
        json={"email": "a\x00@example.com", "password": "x", "scopes": ["read", "wr\x00ite"]},
    )
    assert answer.status_code == 422
    assert set(answer.get_json()["fields"]) == {"email", "scopes.1"}
    english = client.post(
        "/api/v1/tokens", json={"name\x00": "x"}, headers={"Accept-Language": "en"}
    ).get_json()
    assert english["fields"] == {"name\x00": ["Must not contain NUL control characters."]}


@pytest.mark.parametrize(
    ("language", "page_word"), [("zh-CN", "页面"), ("en", "page")], ids=["zh", "en"]
)
def test_the_default_texts_speak_of_resources_not_pages(
    client, db, monkeypatch, language, page_word
):
    """A 403 or 404 the API answers with its default text names a resource or an operation:
    the web's texts ("this page") read wrongly to a program's caller."""
    from werkzeug.exceptions import Forbidden

    def refuse() -> None:
        raise Forbidden()

    headers = {"Accept-Language": language}
    missing = client.get("/api/v1/results/987654", headers=headers)
    monkeypatch.setattr(views.stats, "verified_organisation_counts", refuse)
    forbidden = client.get("/api/v1/stats", headers=headers)
    for answer, status in ((missing, 404), (forbidden, 403)):
        assert answer.status_code == status
        message = answer.get_json()["message"]
        assert message and page_word not in message.lower(), message
    english = language == "en"
    assert ("resource" in missing.get_json()["message"]) is english
