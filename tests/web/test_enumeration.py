"""No page tells whether an e-mail address has an account (SECURITY.md row 8, the enumeration
part: v5.0.0-6.4.1 / 6.4.x, with v5.0.0-6.3.x; issue 17 point 7).

Registration (an organisation's and a broker's), invitations to an organisation and the
forgot-password page answer an address that already has an account exactly as a new one:
the same status, redirect and page. What differs goes by mail to the address itself: its
owner learns that someone tried to register with it, or was invited, and how to log in. And
the work behind the answer is the same: the password is hashed on both paths.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from matchmaker.extensions import db as _db
from matchmaker.models import BrokerProfile, Invitation, Organisation, User
from matchmaker.services.accounts import accounts
from matchmaker.services.accounts.credit_code import make_credit_code
from matchmaker.services.talent import brokers
from tests.factories import make_user
from tests.web.test_auth import GOOD_PASSWORD, field_errors, register_data, row_counts
from tests.web.test_brokers_web import FORM as BROKER_FORM

TAKEN = "taken@example.com"
FRESH = "fresh@example.com"
CODES = [make_credit_code(f"9122010{n}MA0Y3K7R2") for n in range(4)]


@pytest.fixture
def taken(db: object) -> User:
    """An account of an enterprise, with the address TAKEN."""
    user = make_user("enterprise", email=TAKEN)
    _db.session.commit()
    return user


def _shape(html: str, *addresses: str) -> str:
    """A page without what differs between any two answers: per-request tokens and nonces, and
    the address the visitor typed in."""
    html = re.sub(r'nonce="[^"]*"', 'nonce=""', html)
    html = re.sub(r'(name="csrf-token" content|name="csrf_token" value)="[^"]*"', r'\1=""', html)
    for address in addresses:
        html = re.sub(re.escape(address), "ADDRESS", html, flags=re.IGNORECASE)
    return html


def _answer(browser: FlaskClient, response: TestResponse, *addresses: str) -> tuple:
    """Status, redirect and the page it leads to (shaped): all a visitor sees."""
    location = response.headers.get("Location")
    page = browser.get(location) if location else response
    return response.status_code, location, _shape(page.get_data(as_text=True), *addresses)


def _register(app: Flask, email: str, code: str, **overrides: str) -> tuple:
    browser = app.test_client()
    data = register_data(email=email, credit_code=code, **overrides)
    return _answer(browser, browser.post("/auth/register", data=data), email)


def _count(model: type) -> int:
    _db.session.expire_all()
    return _db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def test_registration_answers_a_taken_address_as_a_new_one(app, taken, outbox):
    """Row 8: the same answer for a taken address; its owner is mailed, nothing is stored."""
    new = _register(app, FRESH, CODES[0])
    again = _register(app, "Taken@Example.com", CODES[1])
    assert new[:2] == (302, "/auth/register/sent")
    assert again == new
    assert "ADDRESS" in new[2] and "这个邮箱已经注册过" not in again[2]
    # the new address has its account; the taken one got no second organisation or user
    assert _count(Organisation) == 2 and _count(User) == 2
    assert (
        _db.session.scalar(sa.select(Organisation.id).where(Organisation.credit_code == CODES[1]))
        is None
    )
    mails = {m.recipients[0]: m for m in outbox}
    assert set(mails) == {FRESH, TAKEN}
    assert "/auth/verify-email/" in mails[FRESH].body
    notice = mails[TAKEN]
    assert "有人尝试用你的邮箱注册" in notice.subject
    assert "/auth/login" in notice.body and "/auth/forgot" in notice.body
    assert "/auth/verify-email/" not in notice.body


def test_the_other_registration_errors_are_shown_but_never_a_taken_address(app, taken, outbox):
    """Row 8: a weak password or a bad credit code is still told, the taken address is not."""
    before = row_counts()
    weak = {"password": "abcdefg", "confirm": "abcdefg", "credit_code": "91350100M000100Y44"}
    answers = []
    for email in (FRESH, TAKEN):
        browser = app.test_client()
        response = browser.post("/auth/register", data=register_data(email=email, **weak))
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert field_errors(html, "email") == []
        errors = {f: field_errors(html, f) for f in ("password", "credit_code", "email")}
        assert errors["password"] and errors["credit_code"]
        answers.append((errors, _shape(html, email)))
    assert answers[0] == answers[1]
    assert row_counts() == before
    assert list(outbox) == []


def test_both_registration_paths_hash_the_password(app, taken, monkeypatch):
    """Row 8: the answer takes as long for a taken address (one password hash on each path)."""
    calls: list[str] = []
    real = accounts.hash_password

    def counting(password: str) -> str:
        calls.append(password)
        return real(password)

    monkeypatch.setattr(accounts, "hash_password", counting)
    monkeypatch.setattr(brokers, "hash_password", counting)
    _register(app, FRESH, CODES[0])
    assert calls == [GOOD_PASSWORD]
    _register(app, TAKEN, CODES[1])
    assert calls == [GOOD_PASSWORD, GOOD_PASSWORD]
    browser = app.test_client()
    browser.post("/brokers/register", data={**BROKER_FORM, "email": TAKEN})
    assert calls == [GOOD_PASSWORD] * 2 + [BROKER_FORM["password"]]


def test_broker_registration_answers_a_taken_address_as_a_new_one(app, taken, outbox):
    """Row 8: the broker's sign-up page tells no more than the organisations' one."""
    answers = []
    for n, email in enumerate((FRESH, TAKEN)):
        browser = app.test_client()
        data = {**BROKER_FORM, "email": email, "licence_number": f"JL-2026-00077{n}"}
        answers.append(_answer(browser, browser.post("/brokers/register", data=data), email))
    assert answers[0][:2] == (302, "/auth/register/sent")
    assert answers[1] == answers[0]
    assert _count(BrokerProfile) == 1
    mails = {m.recipients[0]: m for m in outbox}
    assert set(mails) == {FRESH, TAKEN}
    assert "有人尝试用你的邮箱注册" in mails[TAKEN].subject


def test_an_invitation_answers_an_address_with_an_account_as_a_new_one(
    client, login_as, taken, outbox
):
    """Row 8: the inviter sees the same answer; the account's owner is told by mail."""
    inviter = login_as("enterprise")
    colleague = make_user(
        "enterprise", organisation=inviter.organisation, email="colleague@example.com"
    )
    _db.session.commit()
    addresses = (FRESH, TAKEN, colleague.email)  # the last one is on the members' list too
    answers = [
        _answer(client, client.post("/organisation/", data={"email": email}), *addresses)
        for email in (FRESH, TAKEN.upper(), colleague.email)
    ]
    assert answers[0][:2] == (302, "/organisation/")
    assert "ADDRESS" in answers[0][2]
    assert answers[1] == answers[0] == answers[2]
    assert [i.email for i in _db.session.scalars(sa.select(Invitation))] == [FRESH]
    mails = {m.recipients[0]: m.body for m in outbox}
    assert set(mails) == {FRESH, TAKEN, colleague.email}
    assert "/auth/join/" in mails[FRESH]
    assert "/auth/join/" not in mails[TAKEN] and "已经有 matchmaker 账号" in mails[TAKEN]
    assert "/auth/login" in mails[TAKEN]
    assert "你已经是" in mails[colleague.email]


def test_forgot_password_answers_an_unknown_address_as_a_known_one(app, taken, outbox):
    """Row 8: `Unknown email → identical response`, the whole page compared."""
    answers = []
    for email in (TAKEN, "nobody@example.com"):
        browser = app.test_client()
        response = browser.post("/auth/forgot", data={"email": email})
        answers.append(_answer(browser, response, email))
    assert answers[0][:2] == (302, "/auth/login")
    assert "如果这个邮箱已注册" in answers[0][2]
    assert answers[1] == answers[0]
    assert [m.recipients for m in outbox] == [[TAKEN]]
