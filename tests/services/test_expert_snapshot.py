"""The approved version of an expert profile stays public while an edit waits for review, like a
listing's Publication row; the expert.* notifications; membership and duplicate checks."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import ExpertProfile, ExpertStatus, Notification
from matchmaker.models.base import utcnow
from matchmaker.services.errors import ValidationFailed
from matchmaker.services.platform import notifications
from matchmaker.services.talent import expert_review, expert_search, expert_states, experts
from tests.factories import make_user


def _data(expert: ExpertProfile, **changes: object) -> experts.ExpertData:
    values = {
        "name": expert.name,
        "title": expert.title,
        "unit": expert.unit,
        "field_id": expert.field_id,
        "directions": expert.directions,
        "keywords": expert.keywords,
        "biography": expert.biography,
        "patents": list(expert.patents),
        "offers": expert.offers,
        "availability": expert.availability,
        "contact_phone": expert.contact_phone,
        "contact_email": expert.contact_email,
        "contact_public": expert.contact_public,
        "result_ids": [r.id for r in expert.results],
        "user_id": expert.user_id,
    }
    values.update(changes)
    return experts.ExpertData(**values)  # type: ignore[arg-type]


@pytest.fixture
def people(db):
    owner = make_user("university")
    admin = make_user("admin")
    db.session.commit()
    return owner, admin


def _published(owner, admin, fields, **overrides) -> ExpertProfile:
    values = {
        "name": "王建国",
        "unit": "材料学院",
        "field_id": fields["materials"].id,
        "directions": "碳纤维复合材料",
        "keywords": "碳纤维",
        "offers": 1,
        "contact_phone": "0431-85166888",
    }
    values.update(overrides)
    expert = experts.create_expert(actor=owner, data=experts.ExpertData(**values))
    experts.submit_expert(actor=owner, expert=expert)
    expert_review.approve_expert(actor=admin, expert=expert)
    db.session.flush()
    return expert


def _search(q: str = "", **kwargs: object) -> list[int]:
    page, _facets = expert_search.search_experts(expert_search.ExpertQuery(q=q, **kwargs))
    return [e.id for e in page.items]


def test_edit_of_substance_keeps_the_approved_version_public(people, fields):
    owner, admin = people
    expert = _published(owner, admin, fields)
    experts.update_expert(
        actor=owner,
        expert=expert,
        data=_data(expert, directions="人参皂苷提取", field_id=fields["biomedicine"].id),
    )
    assert expert.status == ExpertStatus.PENDING_REVIEW
    assert expert.public_snapshot is not None
    assert expert.public_snapshot["directions"] == "碳纤维复合材料"
    assert expert.public_snapshot["field_id"] == fields["materials"].id

    assert experts.get_public(expert.id) is expert
    shown = experts.public_view(expert)
    assert shown.directions == "碳纤维复合材料" and shown.under_review
    assert shown.field is not None and shown.field.id == fields["materials"].id
    assert not hasattr(shown, "contact_phone")
    assert _search("复合材料") == [expert.id]  # the approved text is searched
    assert _search("人参") == []  # the unreviewed text is not
    assert _search(field_id=fields["materials"].id) == [expert.id]
    assert _search(field_id=fields["biomedicine"].id) == []
    _page, facets = expert_search.search_experts(expert_search.ExpertQuery())
    assert [(f.id, n) for f, n in facets.fields] == [(fields["materials"].id, 1)]

    expert_review.approve_expert(actor=admin, expert=expert)
    assert expert.status == ExpertStatus.PUBLISHED and expert.public_snapshot is None
    db.session.commit()
    assert _search("人参") == [expert.id] and _search("复合材料") == []
    assert experts.public_view(expert).directions == "人参皂苷提取"


def test_contact_and_availability_edits_keep_it_published(people, fields):
    owner, admin = people
    expert = _published(owner, admin, fields)
    experts.update_expert(
        actor=owner,
        expert=expert,
        data=_data(expert, contact_public=True, contact_phone="0431-80000000"),
    )
    assert expert.status == ExpertStatus.PUBLISHED
    assert expert.contact_public is True and expert.public_snapshot is None


def test_rejected_edit_returns_as_draft_while_the_snapshot_stays_public(people, fields):
    owner, admin = people
    expert = _published(owner, admin, fields)
    experts.update_expert(actor=owner, expert=expert, data=_data(expert, directions="新方向"))
    expert_review.reject_expert(actor=admin, expert=expert, code="unclear", reason="请写清楚")
    db.session.commit()
    assert expert.status == ExpertStatus.DRAFT
    assert experts.is_public(expert)
    assert experts.public_view(expert).directions == "碳纤维复合材料"
    assert _search("碳纤维") == [expert.id]
    assert expert.directions == "新方向"  # the keepers' edit is theirs to fix

    # a draft whose approved version is public can be withdrawn; a plain draft cannot
    assert expert_states.EXPERT.can(expert, "withdraw")
    experts.withdraw_expert(actor=owner, expert=expert)
    db.session.commit()
    assert expert.status == ExpertStatus.WITHDRAWN and expert.public_snapshot is None
    assert not experts.is_public(expert) and _search() == []
    plain = experts.create_expert(
        actor=owner, data=experts.ExpertData(name="孙涛", unit="物理学院")
    )
    assert not expert_states.EXPERT.can(plain, "withdraw")


def test_expiry_removes_the_snapshot_and_keeps_the_review(people, fields):
    owner, admin = people
    expert = _published(owner, admin, fields)
    experts.update_expert(actor=owner, expert=expert, data=_data(expert, directions="新方向"))
    db.session.commit()
    later = utcnow() + timedelta(days=366)
    assert expert_review.expire_experts(now=later) == 1
    assert expert.status == ExpertStatus.PENDING_REVIEW  # the edit still waits for review
    assert expert.public_snapshot is None
    assert not experts.is_public(expert, now=later)
    kinds = db.session.scalars(
        sa.select(Notification.kind).where(Notification.user_id == owner.id)
    ).all()
    assert "expert.expired" in kinds and "listing.expired" not in kinds
    assert expert_review.expire_experts(now=later) == 0  # nothing left to expire


def test_expiring_reminder_is_sent_once(people, fields):
    owner, admin = people
    expert = _published(owner, admin, fields)
    db.session.commit()

    def reminders() -> int:
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.user_id == owner.id, Notification.kind == "expert.expiring")
        )

    assert expert_review.expire_experts(now=utcnow() + timedelta(days=300)) == 0
    assert reminders() == 0  # not yet within 14 days
    soon = utcnow() + timedelta(days=355)
    assert expert_review.expire_experts(now=soon) == 0
    assert reminders() == 1
    expert_review.expire_experts(now=soon + timedelta(days=1))
    assert reminders() == 1
    assert expert.status == ExpertStatus.PUBLISHED


def test_expert_notifications_have_their_own_kinds_and_labels(people, fields):
    owner, admin = people
    expert = experts.create_expert(
        actor=owner,
        data=experts.ExpertData(
            name="赵磊",
            unit="生命科学学院",
            field_id=fields["materials"].id,
            directions="人参皂苷",
            offers=8,
            contact_email="zhao@example.edu.cn",
        ),
    )
    experts.submit_expert(actor=owner, expert=expert)
    expert_review.reject_expert(actor=admin, expert=expert, code="incomplete", reason="补充方向")
    note = db.session.scalars(sa.select(Notification).where(Notification.user_id == owner.id)).one()
    assert note.kind == "expert.rejected"
    assert note.params["reason_code"] == "incomplete"
    subject, body = notifications.render(note.kind, note.params)
    assert "赵磊" in subject and "补充方向" in body
    assert "incomplete" not in body  # the code is shown as its label
    assert notifications.email_group("expert.approved") == "experts"
    assert "experts" in notifications.OPTIONAL_GROUPS
    for kind in ("expert.approved", "expert.rejected", "expert.expiring", "expert.expired"):
        assert kind in notifications.MESSAGES


def test_linked_account_must_be_a_member_and_listed_once(people, fields):
    owner, _admin = people
    colleague = make_user("university", organisation=owner.organisation)
    stranger = make_user("university")
    db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        experts.create_expert(
            actor=owner,
            data=experts.ExpertData(name="陈静", unit="化学学院", user_id=stranger.id),
        )
    assert caught.value.errors["user_id"] == ["该研究人员不是本机构成员。"]
    experts.create_expert(
        actor=owner, data=experts.ExpertData(name="陈静", unit="化学学院", user_id=colleague.id)
    )
    with pytest.raises(ValidationFailed) as caught:
        experts.create_expert(
            actor=owner,
            data=experts.ExpertData(name="陈静", unit="化学系", user_id=colleague.id),
        )
    assert "已有专家档案" in caught.value.errors["user_id"][0]
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(ExpertProfile)
            .where(ExpertProfile.user_id == colleague.id)
        )
        == 1
    )
