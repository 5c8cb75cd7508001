"""Inviting a reviewer to a challenge's panel by e-mail (SECURITY.md row 8, docs/security.md §5).

The owner's answer is the same whether the address has an account or not: the same flash,
status, redirect and page, and the same rows written (one audit record, one queued mail).
The mail carries a signed link built from PUBLIC_URL; the account with that address (in any
case) confirms it with a POST and joins the panel under every rule of add_panel_member,
checked at that moment. Another account, an expired or a tampered link changes nothing.
Invitation mails are throttled per sender and per sender and address.
"""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from werkzeug.test import TestResponse

from matchmaker.extensions import db as _db
from matchmaker.models import AuditLog, Job, Notification, PanelMember, User
from matchmaker.services.accounts import accounts
from matchmaker.services.challenges import panel_invitations
from matchmaker.services.errors import LimitReached
from tests.conftest import log_in
from tests.factories import PASSWORD, make_user
from tests.services.challenge_helpers import apply, challenge_world

PUBLIC = "https://kjcg.jl.example"
TAKEN = "expert@example.com"
FRESH = "fresh.expert@example.com"
LINK = re.compile(r"(https?://[^/\s]+)(/my/panel-invitations/\S+)")


@pytest.fixture
def world(app, fields, monkeypatch):
    """A challenge with a panel; an outside expert (a university member) with the address TAKEN;
    links built from PUBLIC."""
    monkeypatch.setitem(app.config, "PUBLIC_URL", PUBLIC)
    w = challenge_world(fields)
    w["expert"] = make_user("university", email=TAKEN)
    _db.session.commit()
    return w


def _invite(client: FlaskClient, challenge_id: int, email: str, **kwargs) -> TestResponse:
    return client.post(f"/my/challenges/{challenge_id}/panel", data={"email": email}, **kwargs)


def _shape(html: str, *addresses: str) -> str:
    """The page without per-request tokens and nonces, and without the typed address."""
    html = re.sub(r'nonce="[^"]*"', 'nonce=""', html)
    html = re.sub(r'(name="csrf-token" content|name="csrf_token" value)="[^"]*"', r'\1=""', html)
    for address in addresses:
        html = re.sub(re.escape(address), "ADDRESS", html, flags=re.IGNORECASE)
    return html


def _answer(client: FlaskClient, response: TestResponse, *addresses: str) -> tuple:
    """Status, redirect and the page it leads to: all the owner sees."""
    location = response.headers.get("Location")
    page = client.get(location) if location else response
    return response.status_code, location, _shape(page.get_data(as_text=True), *addresses)


def _counts() -> dict[str, int]:
    return {
        model.__name__: _db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (AuditLog, Job, PanelMember, Notification, User)
    }


def _invitation_mails(outbox) -> dict[str, str]:  # noqa: ANN001
    """Address -> body of the panel invitations delivered."""
    return {m.recipients[0]: m.body for m in outbox if "/my/panel-invitations/" in m.body}


def _path(body: str) -> str:
    match = LINK.search(body)
    assert match, body
    return match.group(2)


def _invited_path(client: FlaskClient, w: dict, email: str, outbox) -> str:  # noqa: ANN001
    """The owner invites `email`; the path of the link mailed to it."""
    log_in(client, w["owner"])
    assert _invite(client, w["challenge"].id, email).status_code == 302
    return _path(_invitation_mails(outbox)[email.lower()])


def _members(challenge) -> list[int]:  # noqa: ANN001
    _db.session.expire_all()
    return [m.user_id for m in challenge.panel_members]


def test_an_address_with_an_account_is_answered_as_one_without(client, world, outbox):
    """Row 8: the same flash, status, redirect, page and rows; each address gets its mail."""
    w, challenge = world, world["challenge"]
    log_in(client, w["owner"])
    client.get(f"/my/challenges/{challenge.id}/pipeline")  # the session settles first
    answers, written = [], []
    for email in (FRESH, TAKEN.upper()):
        before = _counts()
        response = _invite(client, challenge.id, email)
        after = _counts()
        written.append({k: after[k] - before[k] for k in after})
        answers.append(_answer(client, response, FRESH, TAKEN))
    assert answers[0][:2] == (302, f"/my/challenges/{challenge.id}/pipeline")
    assert "已向该邮箱发送评审邀请。" in answers[0][2]
    assert "没有找到这个用户" not in answers[0][2]
    assert answers[1] == answers[0]
    assert (
        written[0]
        == written[1]
        == {
            "AuditLog": 1,
            "Job": 1,
            "PanelMember": 0,
            "Notification": 0,
            "User": 0,
        }
    )
    assert _members(challenge) == []
    audit = _db.session.scalars(
        sa.select(AuditLog).where(AuditLog.action == "challenge.panel_invite")
    ).all()
    assert [(a.actor_id, a.object_id, a.after) for a in audit] == [
        (w["owner"].id, str(challenge.id), {"email": FRESH}),
        (w["owner"].id, str(challenge.id), {"email": TAKEN}),
    ]

    mails = _invitation_mails(outbox)
    assert set(mails) == {FRESH, TAKEN}
    for body in mails.values():
        match = LINK.search(body)
        assert match and match.group(1) == PUBLIC
        assert challenge.need.title in body and w["owner"].name in body
        _ok, payload = URLSafeTimedSerializer("any key").loads_unsafe(match.group(2).split("/")[-1])
        assert set(payload) == {"c", "by", "e"}  # the address only as a hash
        assert FRESH not in str(payload) and TAKEN not in str(payload)
    assert "还没有 matchmaker 账号" in mails[FRESH]
    assert f"{PUBLIC}/auth/register" in mails[FRESH]
    assert "还没有 matchmaker 账号" not in mails[TAKEN]
    assert "/auth/register" not in mails[TAKEN]


def test_the_link_is_built_from_public_url_not_the_host_header(app, client, world, outbox):
    """Row 8 (v5.0.0-14.2.1): a request naming another Host does not move the mailed link."""
    w = world
    log_in(client, w["owner"])
    session = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert session is not None
    client.set_cookie(session.key, session.value, domain="evil.example")
    response = client.post(
        f"http://evil.example/my/challenges/{w['challenge'].id}/panel", data={"email": FRESH}
    )
    assert response.status_code == 302
    body = _invitation_mails(outbox)[FRESH]
    assert "evil.example" not in body
    assert LINK.search(body).group(1) == PUBLIC
    assert f"{PUBLIC}/auth/register" in body


def test_the_invited_account_confirms_and_scores(client, world, outbox):
    """The address's account (typed in another case) opens the link: a page to confirm, which
    stores nothing; the POST seats it as an outside expert and its scoring page opens."""
    w, challenge, expert = world, world["challenge"], world["expert"]
    path = _invited_path(client, w, "Expert@Example.COM", outbox)
    log_in(client, expert)
    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert challenge.need.title in html and "接受邀请，加入评审专家组" in html
    assert 'method="post"' in html
    assert _members(challenge) == []  # opening the link changes nothing

    accepted = client.post(path)
    assert accepted.status_code == 302
    assert accepted.headers["Location"] == f"/my/challenges/{challenge.id}/scores"
    assert _members(challenge) == [expert.id]
    member = challenge.panel_members[0]
    assert member.is_expert and member.added_by_id == w["owner"].id
    assert client.get(f"/my/challenges/{challenge.id}/scores").status_code == 200
    entry = _db.session.scalars(
        sa.select(AuditLog).where(AuditLog.action == "challenge.panel_add")
    ).one()
    assert entry.actor_id == expert.id
    assert entry.after == {"user_id": expert.id, "is_expert": True, "invited_by_id": w["owner"].id}
    told = _db.session.scalars(
        sa.select(Notification).where(Notification.kind == "panel.accepted")
    ).one()
    assert told.user_id == w["owner"].id

    # The page now says so; a second POST is refused with the reason, nothing doubled.
    assert "你已经在这个榜单的评审专家组中" in client.get(path).get_data(as_text=True)
    again = client.post(path)
    assert again.status_code == 400
    assert "该用户已在专家组中" in again.get_data(as_text=True)
    assert _members(challenge) == [expert.id]


def test_an_address_registered_after_the_invitation_accepts_it(client, world, outbox):
    """The mail to an address without an account: register with it, log in, open the link."""
    w, challenge = world, world["challenge"]
    path = _invited_path(client, w, FRESH, outbox)
    newcomer = make_user("university", email=FRESH)
    _db.session.commit()
    log_in(client, newcomer)
    assert client.post(path).status_code == 302
    assert _members(challenge) == [newcomer.id]


def test_a_logged_out_visitor_logs_in_and_comes_back(app, client, world, outbox):
    """The app's `next` handling: to the login page, then back to the invitation."""
    w = world
    path = _invited_path(client, w, TAKEN, outbox)
    visitor = app.test_client()
    response = visitor.get(path)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/auth/login"
    (target,) = parse_qs(location.query)["next"]
    assert target == path
    login = visitor.post(
        f"/auth/login?{location.query}", data={"email": TAKEN, "password": PASSWORD}
    )
    assert login.status_code == 302 and login.headers["Location"] == path
    assert visitor.get(path).status_code == 200
    assert _members(w["challenge"]) == []


def test_another_account_is_refused_and_nothing_is_stored(client, world, outbox):
    """The link was sent to another address: a clear refusal on GET and POST, no seat."""
    w, challenge = world, world["challenge"]
    path = _invited_path(client, w, TAKEN, outbox)
    for someone in (make_user("university"), w["owner"]):
        _db.session.commit()
        log_in(client, someone)
        before = _counts()
        for method in (client.get, client.post):
            response = method(path)
            assert response.status_code == 403
            assert "这份评审邀请是发给另一个邮箱地址的" in response.get_data(as_text=True)
        assert _counts() == before
    assert _members(challenge) == []


def _tampered(path: str) -> str:
    head, _sep, token = path.rpartition("/")
    body, _dot, signature = token.rpartition(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return f"{head}/{body}.{flipped}"


def test_an_expired_or_tampered_link_is_refused(client, world, outbox, monkeypatch):
    """A link eight days old, one with a changed signature, one signed for something else (a
    password-reset token) and a made-up one are refused with the reason; nothing is stored."""
    w, challenge, expert = world, world["challenge"], world["expert"]
    tokens: list[str] = []
    eight_days_ago = int(time.time()) - 8 * 24 * 3600
    with monkeypatch.context() as patched:
        patched.setattr(TimestampSigner, "get_timestamp", lambda self: eight_days_ago)
        panel_invitations.invite_panel_member(
            actor=w["owner"],
            challenge=challenge,
            email=TAKEN,
            link_for=lambda token: tokens.append(token) or token,
            register_url="",
        )
    _db.session.commit()
    expired = f"/my/panel-invitations/{tokens[0]}"
    fresh = _invited_path(client, w, TAKEN, outbox)
    foreign = f"/my/panel-invitations/{accounts.make_reset_token(expert)}"
    log_in(client, expert)
    before = _counts()
    for path in (expired, _tampered(fresh), foreign, "/my/panel-invitations/nonsense"):
        for method in (client.get, client.post):
            response = method(path)
            assert response.status_code == 302
            assert response.headers["Location"] == "/dashboard"
            page = client.get("/dashboard").get_data(as_text=True)
            assert "评审邀请链接无效或已过期" in page
    assert _counts() == before
    assert _members(challenge) == []
    assert client.post(fresh).status_code == 302  # the untouched link still works
    assert _members(challenge) == [expert.id]


def _invitation_mails_all(outbox) -> list:  # noqa: ANN001
    return [m for m in outbox if "/my/panel-invitations/" in m.body]


def test_a_link_whose_inviter_no_longer_manages_the_challenge_is_refused(client, world, outbox):
    """The invitation is the owner's act: once they are deactivated it lapses."""
    w = world
    path = _invited_path(client, w, TAKEN, outbox)
    w["owner"].is_active = False
    _db.session.commit()
    log_in(client, w["expert"])
    assert client.post(path).headers["Location"] == "/dashboard"
    assert _members(w["challenge"]) == []


def test_conflict_of_interest_is_checked_when_the_link_is_accepted(client, world, outbox):
    """A member of an organisation that applied after being invited is refused on accepting."""
    w, challenge = world, world["challenge"]
    path = _invited_path(client, w, w["uni_b"].email, outbox)
    apply(w["uni_b"], challenge)
    _db.session.commit()
    log_in(client, w["uni_b"])
    refused = client.post(path)
    assert refused.status_code == 403
    assert "利益冲突：评审专家不能来自揭榜申请方所在机构。" in refused.get_data(as_text=True)
    assert _members(challenge) == []


def test_a_challenge_without_panel_refuses_the_invitation(client, fields, outbox):
    """The challenge's own state is checked at once (it does not depend on the address)."""
    w = challenge_world(fields, has_panel=False)
    log_in(client, w["owner"])
    response = _invite(client, w["challenge"].id, FRESH)
    assert response.status_code == 409
    assert "这个榜单没有设置评审专家组。" in response.get_data(as_text=True)
    assert _invitation_mails(outbox) == {}


def test_the_own_organisation_select_still_adds_at_once(client, world):
    w, challenge = world, world["challenge"]
    colleague = make_user("enterprise", organisation=w["owner"].organisation)
    _db.session.commit()
    log_in(client, w["owner"])
    response = client.post(f"/my/challenges/{challenge.id}/panel", data={"user_id": colleague.id})
    assert response.status_code == 302
    assert _members(challenge) == [colleague.id]


@pytest.mark.parametrize("address", [FRESH, TAKEN])
def test_three_invitations_a_day_to_one_address(client, world, outbox, address):
    """Rows 5 and 8: the 4th invitation from one sender to one address is refused with the
    same words whether the address has an account or not; another address still goes."""
    w, challenge = world, world["challenge"]
    log_in(client, w["owner"])
    for _ in range(3):
        assert _invite(client, challenge.id, address).status_code == 302
    refused = _invite(client, challenge.id, address)
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "近期已多次邀请这个邮箱" in html and "小时后再试" in html
    assert len(_invitation_mails_all(outbox)) == 3
    assert _invite(client, challenge.id, "someone.else@example.com").status_code == 302


def test_invitations_of_one_organisation_are_counted_together(
    app, client, world, fields, outbox, monkeypatch
):
    """Rows 5 and 8: past the sender's quota (INVITE_LIMIT_PER_ORGANISATION) nothing is sent,
    whoever of the organisation sends it; another organisation is not affected."""
    monkeypatch.setitem(app.config, "INVITE_LIMIT_PER_ORGANISATION", "2 per day")
    w, challenge = world, world["challenge"]
    log_in(client, w["owner"])
    for n in range(2):
        assert _invite(client, challenge.id, f"person{n}@example.com").status_code == 302
    refused = _invite(client, challenge.id, "one.more@example.com")
    assert refused.status_code == 400
    assert "近期发出的评审邀请已达上限" in refused.get_data(as_text=True)
    colleague = make_user("enterprise", organisation=w["owner"].organisation)
    with pytest.raises(LimitReached) as limited:
        panel_invitations.invite_panel_member(
            actor=colleague,
            challenge=challenge,
            email="x@example.com",
            link_for=str,
            register_url="",
        )
    assert limited.value.retry_after > 23 * 3600
    _db.session.rollback()
    assert len(_invitation_mails_all(outbox)) == 2
    other = challenge_world(fields)
    panel_invitations.invite_panel_member(
        actor=other["owner"],
        challenge=other["challenge"],
        email="x@example.com",
        link_for=str,
        register_url="",
    )
    _db.session.commit()
    assert [m.recipients for m in outbox if "评审邀请" in m.subject][-1] == ["x@example.com"]
    assert len([m for m in outbox if "评审邀请" in m.subject]) == 3
