"""The staged disclosure of an expert's contact: never to visitors, to signed-in users only when
the keepers chose so, always to members of verified organisations, admins and verified brokers."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import ExpertProfile, ExpertStatus
from matchmaker.services.talent import expert_review, experts
from tests.conftest import log_in
from tests.factories import make_broker, make_user

PHONE = "0431-85166888"
EMAIL = "wang.jianguo@example.edu.cn"


def _published(*, contact_public: bool, fields) -> ExpertProfile:
    owner = make_user("university")
    admin = make_user("admin")
    expert = experts.create_expert(
        actor=owner,
        data=experts.ExpertData(
            name="王建国",
            unit="材料学院",
            field_id=fields["materials"].id,
            directions="碳纤维复合材料",
            offers=1,
            contact_phone=PHONE,
            contact_email=EMAIL,
            contact_public=contact_public,
        ),
    )
    experts.submit_expert(actor=owner, expert=expert)
    expert_review.approve_expert(actor=admin, expert=expert)
    db.session.commit()
    return expert


def _page(client, expert: ExpertProfile) -> str:
    response = client.get(f"/experts/{expert.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize("contact_public", [False, True])
def test_visitors_never_get_the_contact(client, fields, contact_public):
    expert = _published(contact_public=contact_public, fields=fields)
    page = _page(client, expert)
    assert PHONE not in page and EMAIL not in page
    assert 'id="contact-hint"' in page and "/auth/login" in page
    assert "发起对接" in page
    listing = client.get("/experts").get_data(as_text=True)
    assert "王建国" in listing and PHONE not in listing and EMAIL not in listing


@pytest.mark.parametrize(
    ("who", "contact_public", "sees"),
    [
        ("unverified", False, False),
        ("unverified", True, True),
        ("member", False, True),
        ("admin", False, True),
        ("broker", False, True),
        ("pending_broker", False, False),
        ("pending_broker", True, True),
    ],
)
def test_signed_in_users_by_kind(client, fields, who, contact_public, sees):
    expert = _published(contact_public=contact_public, fields=fields)
    if who == "unverified":
        user = make_user("enterprise", verified=False)
    elif who == "member":
        user = make_user("enterprise")
    elif who == "admin":
        user = make_user("admin")
    else:
        user = make_broker(verified=who == "broker").user
    db.session.commit()
    assert experts.can_see_expert_contact(user, expert) is sees
    log_in(client, user)
    page = _page(client, expert)
    assert (PHONE in page) is sees
    assert (EMAIL in page) is sees
    assert ('id="expert-contact"' in page) is sees


def test_an_inactive_user_sees_nothing(db, fields):
    expert = _published(contact_public=True, fields=fields)
    user = make_user("enterprise")
    user.is_active = False
    assert experts.visible_contact(user, expert) is None


def test_the_switch_is_on_the_form_and_needs_no_review(client, fields):
    expert = _published(contact_public=False, fields=fields)
    owner = expert.created_by
    log_in(client, owner)
    page = client.get(f"/my/experts/{expert.id}/edit").get_data(as_text=True)
    assert "联系方式公开范围" in page
    assert re.search(r'<input checked[^>]*value="members"', page)
    assert not re.search(r'<input checked[^>]*value="signed_in"', page)
    form = {
        "name": expert.name,
        "unit": expert.unit,
        "field_id": str(expert.field_id),
        "directions": expert.directions,
        "offers": ["1"],
        "contact_phone": PHONE,
        "contact_email": EMAIL,
        "contact_visibility": "signed_in",
    }
    assert client.post(f"/my/experts/{expert.id}/edit", data=form).status_code == 302
    db.session.refresh(expert)
    assert expert.contact_public is True
    assert expert.status == ExpertStatus.PUBLISHED  # no re-review for the switch
    assert "登录用户可见" in client.get(f"/my/experts/{expert.id}").get_data(as_text=True)

    form["contact_visibility"] = "everyone"  # not a choice
    response = client.post(f"/my/experts/{expert.id}/edit", data=form)
    assert response.status_code == 200
    db.session.refresh(expert)
    assert expert.contact_public is True


def test_new_profiles_default_to_members_only(client, fields):
    owner = make_user("university")
    db.session.commit()
    log_in(client, owner)
    page = client.get("/my/experts/new").get_data(as_text=True)
    assert "仅已认证机构成员可见" in page and "登录用户可见" in page
    response = client.post(
        "/my/experts/new",
        data={"name": "李敏", "unit": "化学学院", "contact_visibility": "members"},
    )
    assert response.status_code == 302
    expert = db.session.scalars(sa.select(ExpertProfile)).one()
    assert expert.contact_public is False


def test_the_public_page_shows_the_approved_version_during_review(client, fields):
    expert = _published(contact_public=False, fields=fields)
    owner = expert.created_by
    data = experts.ExpertData(
        name=expert.name,
        unit=expert.unit,
        field_id=expert.field_id,
        directions="未经审核的新方向",
        offers=expert.offers,
        contact_phone=PHONE,
        contact_email=EMAIL,
    )
    experts.update_expert(actor=owner, expert=expert, data=data)
    db.session.commit()
    page = _page(client, expert)
    assert "碳纤维复合材料" in page and "未经审核的新方向" not in page
    log_in(client, owner)
    mine = client.get(f"/my/experts/{expert.id}").get_data(as_text=True)
    assert 'id="snapshot-note"' in mine and "未经审核的新方向" in mine
