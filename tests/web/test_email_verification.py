"""Sign-up addresses are verified: a signed, expiring link goes out through the outbox.

Until the link is opened the user may log in but sees a banner with 重新发送验证邮件, may not
publish, and their organisation is not offered to admins for verification (issue 13, point 5).
"""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db as _db
from matchmaker.models import AuditLog, Organisation, OrgStatus, Result, User
from matchmaker.services.accounts import accounts, email_verification
from tests.conftest import log_in
from tests.factories import PNG_BYTES, OrganisationFactory, make_user
from tests.web.test_listing_flow import RESULT_FORM

VALID_CODE = "91350100M000100Y43"
GOOD_PASSWORD = "blue mango parachute 17"
EMAIL = "wang.wei@example.com"
BANNER = "重新发送验证邮件"


def register(client) -> None:
    response = client.post(
        "/auth/register",
        data={
            "kind": "enterprise",
            "org_name": "长春新材料有限公司",
            "credit_code": VALID_CODE,
            "region": "changchun",
            "name": "王伟",
            "email": EMAIL,
            "password": GOOD_PASSWORD,
            "confirm": GOOD_PASSWORD,
            "document": (io.BytesIO(PNG_BYTES), "营业执照.png"),
        },
    )
    assert response.status_code == 302
    log_in(client, the_user())  # registration does not log in (tests/web/test_enumeration.py)


def link_in(body: str) -> str:
    match = re.search(r"https?://[^/\s]+(/auth/verify-email/[A-Za-z0-9_.\-]+)", body)
    assert match, body
    return match.group(1)


def the_user() -> User:
    _db.session.expire_all()
    return _db.session.scalar(sa.select(User).where(User.email == EMAIL))


def test_sign_up_mails_a_link_that_verifies_the_address(client, db, outbox):
    register(client)
    assert the_user().email_verified_at is None
    (message,) = [m for m in outbox if m.recipients == [EMAIL]]
    assert "验证" in message.subject
    path = link_in(message.body)
    assert BANNER in client.get("/dashboard").get_data(as_text=True)

    response = client.get(path)
    assert response.status_code == 302
    assert the_user().email_verified_at is not None
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已验证" in page and BANNER not in page
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "user.email_verify"))
    assert entry.actor_id == the_user().id

    # Opening the link again is harmless and records nothing more.
    client.get(path)
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "user.email_verify")
        )
        == 1
    )


def test_the_link_works_without_being_logged_in(client, db, outbox):
    register(client)
    path = link_in(outbox[0].body)
    client.post("/auth/logout")
    response = client.get(path)
    assert response.headers["Location"].startswith("/auth/login")
    assert the_user().email_verified_at is not None


def test_expired_link_is_refused(app, client, db, outbox, monkeypatch):
    register(client)
    path = link_in(outbox[0].body)
    monkeypatch.setitem(app.config, "EMAIL_VERIFICATION_MAX_AGE", -1)
    page = client.get(path, follow_redirects=True).get_data(as_text=True)
    assert "验证链接无效或已过期" in page and BANNER in page
    assert the_user().email_verified_at is None


@pytest.mark.parametrize("tamper", ["flip", "other_secret", "garbage"])
def test_tampered_link_is_refused(app, client, db, outbox, tamper):
    register(client)
    path = link_in(outbox[0].body)
    token = path.rsplit("/", 1)[1]
    if tamper == "flip":
        token = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    elif tamper == "other_secret":
        from itsdangerous import URLSafeTimedSerializer

        token = URLSafeTimedSerializer("not-the-key", salt="email-verify").dumps(
            {"uid": the_user().id, "e": "x"}
        )
    else:
        token = "not-a-token"
    page = client.get(f"/auth/verify-email/{token}", follow_redirects=True)
    assert "验证链接无效或已过期" in page.get_data(as_text=True)
    assert the_user().email_verified_at is None


def test_a_reset_token_is_not_a_verification_token(client, db):
    register(client)
    token = accounts.make_reset_token(the_user())
    client.get(f"/auth/verify-email/{token}")
    assert the_user().email_verified_at is None


def test_link_for_an_earlier_address_does_not_verify_a_new_one(client, db):
    register(client)
    user = the_user()
    token = email_verification.make_verification_token(user)
    user.email = "new.address@example.com"
    db.session.commit()
    client.get(f"/auth/verify-email/{token}")
    _db.session.expire_all()
    assert _db.session.get(User, user.id).email_verified_at is None


def test_resend_is_rate_limited(client, db, outbox):
    register(client)
    outbox.clear()
    response = client.post("/auth/verify-email/resend", data={"next": "/organisation/"})
    assert response.status_code == 302 and response.headers["Location"] == "/organisation/"
    (message,) = list(outbox)
    assert message.recipients == [EMAIL]
    assert link_in(message.body)
    assert client.post("/auth/verify-email/resend").status_code == 429
    assert len(outbox) == 1


def test_verified_users_see_no_banner_and_resend_does_nothing(client, db, outbox):
    user = make_user("enterprise")
    db.session.commit()
    log_in(client, user)
    assert BANNER not in client.get("/dashboard").get_data(as_text=True)
    client.post("/auth/verify-email/resend")
    assert list(outbox) == []


# --- what an unverified address cannot do ---------------------------------------------------


def test_unverified_user_cannot_publish(client, db, fields):
    owner = make_user("university", email_verified_at=None)  # in a verified organisation
    db.session.commit()
    log_in(client, owner)
    data = {**RESULT_FORM, "field_id": str(fields["materials"].id)}
    response = client.post("/my/results/new", data=data)
    assert response.status_code == 302  # drafting is allowed
    result_id = int(re.search(r"/my/results/(\d+)", response.headers["Location"]).group(1))
    response = client.post(f"/my/results/{result_id}/action", data={"action": "submit"})
    assert response.status_code == 403
    assert "验证邮箱" in response.get_data(as_text=True)  # the true reason, not the organisation's
    _db.session.expire_all()
    assert _db.session.get(Result, result_id).status == "draft"

    owner = _db.session.get(User, owner.id)
    email_verification.mark_email_verified(owner)
    db.session.commit()
    response = client.post(f"/my/results/{result_id}/action", data={"action": "submit"})
    assert response.status_code == 302
    _db.session.expire_all()
    assert _db.session.get(Result, result_id).status == "pending_review"


def test_organisation_of_an_unverified_registrant_is_not_offered_for_verification(
    client, db, outbox
):
    register(client)
    org = db.session.scalar(sa.select(Organisation))
    admin = make_user("admin")
    db.session.commit()
    log_in(client, admin)
    page = client.get(f"/admin/organisations/{org.id}").get_data(as_text=True)
    assert "注册人还没有验证邮箱。" in page and "邮箱未验证" in page
    assert "通过认证" not in page
    assert client.post(f"/admin/organisations/{org.id}/verify").status_code == 409

    email_verification.mark_email_verified(the_user())
    db.session.commit()
    assert "通过认证" in client.get(f"/admin/organisations/{org.id}").get_data(as_text=True)
    assert client.post(f"/admin/organisations/{org.id}/verify").status_code == 302
    _db.session.expire_all()
    assert _db.session.get(Organisation, org.id).status == OrgStatus.VERIFIED


def test_invited_member_is_verified_by_accepting_the_mailed_link(client, db, outbox):
    inviter = make_user("enterprise", organisation=OrganisationFactory())
    db.session.commit()
    tokens: list[str] = []
    accounts.invite_member(actor=inviter, email="colleague@example.com", link_for=tokens.append)
    db.session.commit()
    response = client.post(
        f"/auth/join/{tokens[0]}",
        data={"name": "李娜", "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD},
    )
    assert response.status_code == 302
    joined = db.session.scalar(sa.select(User).where(User.email == "colleague@example.com"))
    assert joined.email_verified_at is not None
    assert BANNER not in client.get("/dashboard").get_data(as_text=True)
