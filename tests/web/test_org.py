"""A member's own organisation page: status, members and invitations."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from matchmaker.models import Invitation
from matchmaker.permissions import can_invite_to, can_publish
from tests.factories import OrganisationFactory, make_user


@pytest.mark.parametrize("verified", [True, False])
def test_members_of_any_organisation_can_invite_colleagues(client, login_as, db, outbox, verified):
    user = login_as("enterprise", verified=verified)
    response = client.post("/organisation/", data={"email": "new.colleague@example.com"})
    assert response.status_code == 302
    invitation = db.session.scalar(sa.select(Invitation))
    assert invitation.organisation_id == user.organisation_id
    assert invitation.invited_by_id == user.id
    assert invitation.email == "new.colleague@example.com"
    assert len(outbox) == 1


def test_page_shows_own_organisation_status_and_members(client, login_as, db):
    user = login_as("bank", verified=False)
    make_user("bank", organisation=user.organisation, email="teller@example.com", name="柜员小赵")
    stranger = make_user("bank", email="stranger@example.com")
    db.session.commit()
    html = client.get("/organisation/").get_data(as_text=True)
    assert user.organisation.name in html
    assert "teller@example.com" in html
    assert "柜员小赵" in html
    assert user.email in html
    assert stranger.email not in html
    assert stranger.organisation.name not in html


def test_a_member_cannot_invite_into_another_organisation(client, login_as, db, outbox):
    user = login_as("university")
    other = OrganisationFactory(university=True)
    db.session.commit()
    response = client.post(
        "/organisation/",
        data={"email": "mole@example.com", "organisation_id": str(other.id), "organisation": "x"},
    )
    assert response.status_code == 302
    invitation = db.session.scalar(sa.select(Invitation))
    assert invitation.organisation_id == user.organisation_id
    assert not can_invite_to(user, other)
    assert can_invite_to(user, user.organisation)


def test_admins_have_no_organisation_page(client, login_as, db):
    login_as("admin")
    assert client.get("/organisation/").status_code == 403
    assert client.post("/organisation/", data={"email": "x@example.com"}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0


def test_unverified_members_may_not_publish(db):
    pending = make_user("enterprise", verified=False)
    verified = make_user("enterprise")
    assert not can_publish(pending)
    assert can_publish(verified)
    verified.is_active = False
    assert not can_publish(verified)


def test_invalid_invitation_email_is_shown_next_to_the_field(client, login_as, db, outbox):
    login_as("enterprise")
    response = client.post("/organisation/", data={"email": "not an email"})
    assert response.status_code == 200
    assert "邮箱格式不正确。" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0
    assert outbox == []
