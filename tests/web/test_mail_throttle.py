"""Mail a visitor can make the platform send is throttled per sender and per target address
(SECURITY.md row 5, v5.0.0-6.3.1 / v5.0.0-2.4.1 anti-automation, and row 8, v5.0.0-6.4.x;
issue 17 points 7 and 11a): invitations to an organisation (per organisation and address, and
per organisation), challenge invitations (per organisation), the notice to an address someone
registered with again, password-reset links (per address, besides the page's per-IP limit),
and the registration pages themselves (per IP). The verification-mail resend keeps its own
per-account limit (tests/web/test_email_verification.py::test_resend_is_rate_limited).

A quota is told the same way whether the address has an account or not, and it is counted in
the rate limiter's storage: with Redis it holds across app instances.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from redis import Redis

from matchmaker.extensions import db as _db
from matchmaker.extensions import limiter
from matchmaker.models import ChallengeInvitation, Invitation, User
from matchmaker.services.accounts import accounts, mail_throttle
from matchmaker.services.challenges import challenges
from matchmaker.services.errors import LimitReached
from tests.conftest import log_in
from tests.factories import make_user
from tests.services.challenge_helpers import challenge_world
from tests.services.test_redis_apps import (  # noqa: F401 - the shared fixtures
    REDIS_URL,
    make_app,
    needs_redis,
    redis_prefix,
)
from tests.web.test_auth import field_errors, register_data

TAKEN = "taken@example.com"


def _invite(client, email: str):  # noqa: ANN202
    return client.post("/organisation/", data={"email": email})


@pytest.mark.parametrize("address", ["fresh@example.com", TAKEN])
def test_three_invitations_a_day_to_one_address(client, login_as, outbox, address):
    """Rows 5 and 8: the 4th invitation to one address is refused, with or without account."""
    make_user("bank", email=TAKEN)
    login_as("enterprise")
    for _ in range(3):
        assert _invite(client, address).status_code == 302
    response = _invite(client, address)
    assert response.status_code == 200
    (message,) = field_errors(response.get_data(as_text=True), "email")
    assert "近期已多次邀请这个邮箱" in message and "小时后再试" in message
    assert len(outbox) == 3
    assert _invite(client, "someone.else@example.com").status_code == 302


def test_twenty_invitations_a_day_per_organisation_are_counted_together(client, login_as, outbox):
    """Rows 5 and 8: the 21st invitation of one organisation is refused, whoever sends it."""
    inviter = login_as("enterprise")
    for n in range(20):
        assert _invite(client, f"person{n}@example.com").status_code == 302
    response = _invite(client, "one.more@example.com")
    assert response.status_code == 200
    (message,) = field_errors(response.get_data(as_text=True), "email")
    assert "你的机构近期发出的邀请已达上限" in message
    colleague = make_user("enterprise", organisation=inviter.organisation)
    with pytest.raises(LimitReached) as refused:
        accounts.invite_member(actor=colleague, email="x@example.com", link_for=str)
    assert refused.value.retry_after > 23 * 3600
    assert len(outbox) == 20
    other = make_user("enterprise")
    assert accounts.invite_member(actor=other, email="x@example.com", link_for=str) is not None
    _db.session.rollback()
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 20


def test_three_reset_links_an_hour_to_one_address(app, db, outbox):
    """Row 8 (and 5): the per-IP limit does not stop one address being flooded from many IPs;
    the 4th link is not sent and the answer does not change."""
    make_user("enterprise", email=TAKEN)
    _db.session.commit()
    answers = set()
    for n in range(5):
        browser = app.test_client()
        response = browser.post(
            "/auth/forgot", data={"email": TAKEN}, environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}
        )
        answers.add((response.status_code, response.headers["Location"]))
    assert answers == {(302, "/auth/login")}
    assert [m.recipients for m in outbox] == [[TAKEN]] * 3


def test_registration_notices_to_one_address_are_limited(app, db, outbox):
    """Row 8: registering again and again with someone's address mails them 3 times a day."""
    make_user("enterprise", email=TAKEN)
    _db.session.commit()
    for _ in range(4):
        response = app.test_client().post("/auth/register", data=register_data(email=TAKEN))
        assert response.headers["Location"] == "/auth/register/sent"
    assert [m.recipients for m in outbox] == [[TAKEN]] * 3


@pytest.mark.parametrize("page", ["/auth/register", "/brokers/register"])
def test_registration_pages_are_limited_per_ip(client, page):
    """Row 5 (v5.0.0-2.4.1): 10 registrations an hour from one IP, then 429."""
    for _ in range(10):
        assert client.post(page, data={}).status_code == 200
    assert client.post(page, data={}).status_code == 429
    other = client.post(page, data={}, environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert other.status_code == 200


def test_challenge_invitations_are_limited_per_organisation(app, fields, monkeypatch):
    """Rows 5 and 8: an organisation invites at most CHALLENGE_INVITE_LIMIT_PER_ORGANISATION
    organisations; past it nothing is invited (no partial batch)."""
    monkeypatch.setitem(app.config, "CHALLENGE_INVITE_LIMIT_PER_ORGANISATION", "2 per day")
    w = challenge_world(fields)
    owner, challenge = w["owner"], w["challenge"]
    first = challenges.invite_organisations(
        actor=owner, challenge=challenge, organisations=[w["uni_a"].organisation]
    )
    assert len(first) == 1
    extra = make_user("university").organisation
    with pytest.raises(LimitReached) as refused:
        challenges.invite_organisations(
            actor=owner, challenge=challenge, organisations=[w["uni_b"].organisation, extra]
        )
    assert "organisation_ids" in refused.value.errors
    _db.session.flush()
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(ChallengeInvitation)) == 1
    # those already invited cost nothing; one more fits
    again = challenges.invite_organisations(
        actor=owner, challenge=challenge, organisations=[w["uni_a"].organisation, extra]
    )
    assert [i.organisation_id for i in again] == [extra.id]


def test_challenge_invitation_over_the_quota_shows_the_reason(app, client, fields, monkeypatch):
    """Rows 5 and 8: the management page shows the reason (400), and nothing is invited."""
    monkeypatch.setitem(app.config, "CHALLENGE_INVITE_LIMIT_PER_ORGANISATION", "1 per day")
    w = challenge_world(fields)
    log_in(client, w["owner"])
    url = f"/my/challenges/{w['challenge'].id}/invite"
    ids = [w["uni_a"].organisation_id, w["uni_b"].organisation_id]
    response = client.post(url, data={"organisation_ids": [str(i) for i in ids]})
    assert response.status_code == 400
    assert "你的机构近期邀请的机构已达上限" in response.get_data(as_text=True)
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(ChallengeInvitation)) == 0


def test_addresses_are_not_kept_in_clear_in_the_limiter(app, db):
    """Row 8: the quota keys hold a hash of the address, not the address."""
    assert mail_throttle.take(("reset-address", "secret.person@example.com")) is None
    storage = limiter.storage
    keys = " ".join([*getattr(storage, "events", {}), *getattr(storage, "storage", {})])
    assert "mail-quota" in keys
    assert "secret.person" not in keys


@needs_redis
def test_an_invitation_quota_spent_in_one_instance_holds_in_another(make_app, redis_prefix):  # noqa: F811
    """Rows 5 and 8: counted in Redis, a quota holds across workers and hosts."""
    inviter = make_user("enterprise")
    _db.session.commit()
    first, second = make_app(), make_app()
    with first.app_context():
        actor = _db.session.get(User, inviter.id)
        for _ in range(3):
            accounts.invite_member(actor=actor, email="fresh@example.com", link_for=str)
        _db.session.rollback()
    with second.app_context():
        actor = _db.session.get(User, inviter.id)
        with pytest.raises(LimitReached):
            accounts.invite_member(actor=actor, email="fresh@example.com", link_for=str)
        _db.session.rollback()
    keys = [k.decode() for k in Redis.from_url(REDIS_URL).scan_iter(f"{redis_prefix}:limits*")]
    assert any("mail-quota" in k for k in keys)
    assert not any("fresh@example.com" in k for k in keys)
