"""The accounts service called directly: registration, authentication, passwords, invitations."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from matchmaker.models import AuditLog, Invitation, Organisation, OrgStatus, User
from matchmaker.models.base import utcnow
from matchmaker.services.accounts import accounts, organisations, users
from matchmaker.services.accounts.passwords import verify_password
from matchmaker.services.errors import InvalidTransition, PermissionDenied, ValidationFailed
from tests.factories import PASSWORD, OrganisationFactory, make_user, scan_upload

VALID_CODE = "91350100M000100Y43"
GOOD = "blue mango parachute 17"


def org_data(**overrides: str) -> accounts.OrganisationData:
    data = {
        "kind": "enterprise",
        "name": " 长春光电有限公司 ",
        "region": "changchun",
        "credit_code": "９１３５０１００ｍ０００１００ｙ４３",
    }
    data.update(overrides)
    return accounts.OrganisationData(**data)


def person(**overrides: str) -> accounts.PersonData:
    data = {"name": " 王伟 ", "email": " Wang@Example.COM ", "password": GOOD, "phone": " "}
    data.update(overrides)
    return accounts.PersonData(**data)


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_register_organisation(db):
    user = accounts.register_organisation(
        organisation=org_data(), person=person(), document=scan_upload()
    )
    db.session.commit()
    org = user.organisation
    assert (user.email, user.name, user.phone, user.role) == (
        "wang@example.com",
        "王伟",
        None,
        "enterprise",
    )
    assert (org.name, org.credit_code, org.status) == (
        "长春光电有限公司",
        VALID_CODE,
        OrgStatus.PENDING,
    )
    assert user.password_hash.startswith("$argon2id$")
    assert user.session_version == 1
    entry = db.session.scalar(sa.select(AuditLog))
    assert (entry.action, entry.actor_id, entry.object_id) == (
        "organisation.register",
        user.id,
        str(org.id),
    )
    assert entry.after["credit_code"] == VALID_CODE


@pytest.mark.parametrize(
    ("kind", "role"), [("university", "university"), ("institute", "university"), ("bank", "bank")]
)
def test_register_role_follows_kind(db, kind, role):
    user = accounts.register_organisation(
        organisation=org_data(kind=kind, credit_code=VALID_CODE),
        person=person(),
        document=scan_upload(),
    )
    assert user.role == role


@pytest.mark.parametrize(
    ("org", "who", "fields"),
    [
        ({"kind": "government"}, {}, {"kind"}),
        ({"kind": "nonsense"}, {}, {"kind"}),
        ({"region": "mars"}, {}, {"region"}),
        ({"credit_code": "91350100M000100Y44"}, {}, {"credit_code"}),
        ({"credit_code": ""}, {}, {"credit_code"}),
        ({"kind": "bank", "credit_code": " "}, {}, {"credit_code"}),
        ({}, {"password": "password123"}, {"password"}),
        ({}, {"password": "wang2024!!"}, {"password"}),
        ({"name": "吉林光电"}, {"password": "吉林光电2026"}, {"password"}),
        (
            {"region": "mars", "credit_code": "x"},
            {"password": "short"},
            {"region", "credit_code", "password"},
        ),
    ],
)
def test_register_refusals_store_nothing(db, org, who, fields):
    with pytest.raises(ValidationFailed) as caught:
        accounts.register_organisation(
            organisation=org_data(**org), person=person(**who), document=scan_upload()
        )
    assert set(caught.value.errors) == fields
    assert all(isinstance(m, str) and m for ms in caught.value.errors.values() for m in ms)
    db.session.rollback()
    assert count(db, User) == count(db, Organisation) == count(db, AuditLog) == 0


def test_register_refuses_taken_email_and_credit_code(db):
    accounts.register_organisation(organisation=org_data(), person=person(), document=scan_upload())
    db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        accounts.register_organisation(
            organisation=org_data(),
            person=person(email="WANG@example.com"),
            document=scan_upload(),
        )
    assert set(caught.value.errors) == {"email", "credit_code"}


def test_authenticate(db):
    user = make_user("bank", email="teller@example.com")
    db.session.commit()
    assert accounts.authenticate(email=" TELLER@example.com", password=PASSWORD) is user
    assert user.last_login_at is not None
    assert accounts.authenticate(email="teller@example.com", password=PASSWORD + "x") is None
    assert accounts.authenticate(email="nobody@example.com", password=PASSWORD) is None
    user.is_active = False
    assert accounts.authenticate(email="teller@example.com", password=PASSWORD) is None


def test_change_password(db):
    user = make_user("enterprise")
    version = user.session_version
    with pytest.raises(ValidationFailed) as caught:
        accounts.change_password(user=user, current="wrong", new=GOOD)
    assert set(caught.value.errors) == {"current_password"}
    with pytest.raises(ValidationFailed) as caught:
        accounts.change_password(user=user, current=PASSWORD, new="12345678")
    assert set(caught.value.errors) == {"new_password"}
    assert user.session_version == version
    accounts.change_password(user=user, current=PASSWORD, new=GOOD)
    assert verify_password(user.password_hash, GOOD)[0]
    assert user.session_version == version + 1
    assert user.get_id() == f"{user.id}:{version + 1}"


def test_reset_token_round_trip(db):
    user = make_user("enterprise")
    token = accounts.make_reset_token(user)
    assert accounts.user_for_reset_token(token) is user
    with pytest.raises(ValidationFailed):
        accounts.reset_password(token=token, new="password123")
    accounts.reset_password(token=token, new=GOOD)
    assert accounts.user_for_reset_token(token) is None
    with pytest.raises(ValidationFailed):
        accounts.reset_password(token=token, new="another good passphrase")


@pytest.mark.parametrize("token", ["", "x", "a.b.c", "null", "W10.aaaa.bbbb"])
def test_reset_token_garbage(db, token):
    assert accounts.user_for_reset_token(token) is None


def test_reset_token_for_disabled_user_is_dead(db):
    user = make_user("enterprise")
    token = accounts.make_reset_token(user)
    user.is_active = False
    assert accounts.user_for_reset_token(token) is None


def test_request_password_reset_mails_only_active_accounts(db, outbox):
    make_user("enterprise", email="a@example.com")
    make_user("enterprise", email="b@example.com", is_active=False)
    for email in ("a@example.com", "b@example.com", "c@example.com"):
        accounts.request_password_reset(email=email, link_for=lambda t: f"https://x/reset/{t}")
    assert [m.recipients for m in outbox] == [["a@example.com"]]
    assert "https://x/reset/" in outbox[0].body


def _invite(actor: User, email: str = "new@example.com") -> str:
    tokens: list[str] = []
    accounts.invite_member(actor=actor, email=email, link_for=tokens.append)
    return tokens[0]


def test_invitation_round_trip(db, outbox):
    inviter = make_user("university", verified=False)
    token = _invite(inviter, " New@Example.com ")
    invitation = db.session.scalar(sa.select(Invitation))
    assert invitation.token_hash != token  # only a hash is stored
    assert invitation.email == "new@example.com"
    assert accounts.find_invitation(token) is invitation
    joined = accounts.accept_invitation(token=token, person=person(email="other@example.com"))
    assert joined.email == "new@example.com"  # the invitation decides the address
    assert (joined.organisation_id, joined.role) == (inviter.organisation_id, "university")
    assert accounts.find_invitation(token) is None
    with pytest.raises(ValidationFailed):
        accounts.accept_invitation(token=token, person=person(email="third@example.com"))
    assert [m.recipients for m in outbox] == [["new@example.com"]]


def test_expired_invitation(db):
    token = _invite(make_user("bank"))
    db.session.scalar(sa.select(Invitation)).expires_at = utcnow() - timedelta(seconds=1)
    assert accounts.find_invitation(token) is None


def test_admins_cannot_invite_and_existing_accounts_cannot_be_invited(db):
    with pytest.raises(PermissionDenied):
        _invite(make_user("admin"))
    member = make_user("enterprise", email="member@example.com")
    # no error (the inviter must not learn it has an account): its owner is mailed instead
    tokens: list[str] = []
    invited = accounts.invite_member(
        actor=member, email="MEMBER@example.com", link_for=tokens.append
    )
    assert (invited, tokens) == (None, [])
    assert count(db, Invitation) == 0


def test_government_invitations_are_refused(db):
    gov = OrganisationFactory(government=True)
    clerk = make_user("enterprise", organisation=gov)
    token = _invite(clerk)
    with pytest.raises(PermissionDenied):
        accounts.accept_invitation(token=token, person=person())


def test_verify_and_reject_rules(db):
    admin = make_user("admin")
    org = OrganisationFactory(pending=True)
    with pytest.raises(PermissionDenied):
        organisations.verify_organisation(actor=make_user("enterprise"), organisation=org)
    with pytest.raises(ValidationFailed):
        organisations.reject_organisation(actor=admin, organisation=org, reason="  ")
    organisations.verify_organisation(actor=admin, organisation=org)
    assert (org.status, org.verified_by) == (OrgStatus.VERIFIED, admin)
    with pytest.raises(InvalidTransition):
        organisations.verify_organisation(actor=admin, organisation=org)
    organisations.reject_organisation(actor=admin, organisation=org, reason="复核未通过")
    assert (org.status, org.verified_at, org.review_reason) == (
        OrgStatus.REJECTED,
        None,
        "复核未通过",
    )
    with pytest.raises(InvalidTransition):
        organisations.reject_organisation(actor=admin, organisation=org, reason="again")


def test_user_management_rules(db):
    admin = make_user("admin")
    member = make_user("enterprise")
    with pytest.raises(PermissionDenied):
        users.set_user_active(actor=admin, user=admin, active=False)
    with pytest.raises(PermissionDenied):
        users.set_user_active(actor=member, user=admin, active=False)
    version = member.session_version
    users.set_user_active(actor=admin, user=member, active=False)
    assert (member.is_active, member.session_version) == (False, version + 1)
    with pytest.raises(InvalidTransition):
        users.set_user_active(actor=admin, user=member, active=False)


def test_create_admin_has_no_default_and_checks_the_password(db):
    with pytest.raises(ValidationFailed):
        users.create_admin(email="root@example.com", password="root1234", name="root")
    admin = users.create_admin(email="Root@Example.com", password=GOOD, name="")
    assert (admin.role, admin.email, admin.organisation) == ("admin", "root@example.com", None)
    assert count(db, User) == 1
