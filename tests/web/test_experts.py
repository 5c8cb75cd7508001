"""Expert profiles (人才): keepers create and submit, the admin reviews, the public 人才 page."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import ExpertProfile, ExpertStatus, Notification
from matchmaker.models.base import utcnow
from matchmaker.services.errors import NotFound, ValidationFailed
from matchmaker.services.talent import expert_review, experts
from tests.conftest import log_in
from tests.factories import make_user, publish_result

PHONE = "0431-85166888"


def _form(fields, **overrides):
    data = {
        "name": "王建国",
        "title": "教授",
        "unit": "材料科学与工程学院",
        "field_id": str(fields["materials"].id),
        "directions": "碳纤维复合材料\n轻量化结构设计",
        "keywords": "碳纤维，复合材料",
        "patents": "ZL202010000001.1 一种碳纤维预浸料\nZL202110000002.2 复合材料连接件",
        "offers": ["1", "2"],
        "availability": "每月两天",
        "contact_phone": PHONE,
        "contact_email": "wang@example.edu.cn",
    }
    data.update(overrides)
    return data


def _published(owner, admin, fields, **overrides) -> ExpertProfile:
    values = {
        "name": "李敏",
        "unit": "化学学院",
        "field_id": fields["materials"].id,
        "directions": "功能高分子材料",
        "keywords": "高分子",
        "offers": 1,
        "contact_phone": PHONE,
    }
    values.update(overrides)
    expert = experts.create_expert(actor=owner, data=experts.ExpertData(**values))
    experts.submit_expert(actor=owner, expert=expert)
    expert_review.approve_expert(actor=admin, expert=expert)
    db.session.commit()
    return expert


def test_create_submit_approve_publish(client, fields):
    owner = make_user("university")
    admin = make_user("admin")
    db.session.commit()
    result = publish_result(owner, admin, fields, "碳纤维预浸料制备技术", "低成本碳纤维预浸料")
    log_in(client, owner)

    response = client.post("/my/experts/new", data=_form(fields, result_ids=[str(result.id)]))
    assert response.status_code == 302
    expert = db.session.scalars(sa.select(ExpertProfile)).one()
    assert expert.status == ExpertStatus.DRAFT
    assert [r.id for r in expert.results] == [result.id]
    assert expert.offers == 3
    assert len(expert.patents) == 2
    assert client.get(f"/experts/{expert.id}").status_code == 404  # a draft is not public

    assert client.post(f"/my/experts/{expert.id}/submit").status_code == 302
    db.session.refresh(expert)
    assert expert.status == ExpertStatus.PENDING_REVIEW

    log_in(client, admin)
    queue = client.get("/admin/review/").get_data(as_text=True)
    assert f"/admin/review/experts/{expert.id}" in queue
    assert client.get(f"/admin/review/experts/{expert.id}").status_code == 200
    assert client.post(f"/admin/review/experts/{expert.id}/approve").status_code == 302
    db.session.refresh(expert)
    assert expert.status == ExpertStatus.PUBLISHED
    assert expert.expires_at is not None and expert.reviewed_at is not None
    assert db.session.scalar(
        sa.select(Notification).where(
            Notification.user_id == owner.id, Notification.kind == "expert.approved"
        )
    )

    with client.session_transaction() as session:
        session.clear()  # a visitor
    page = client.get(f"/experts/{expert.id}").get_data(as_text=True)
    assert "王建国" in page and "碳纤维复合材料" in page
    assert f'href="/results/{result.id}"' in page
    assert "王建国" in client.get("/experts").get_data(as_text=True)


def test_reject_sends_back_with_coded_reason(client, fields):
    owner = make_user("university")
    admin = make_user("admin")
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
    db.session.commit()
    log_in(client, admin)
    response = client.post(f"/admin/review/experts/{expert.id}/reject", data={"code": "unclear"})
    assert response.status_code == 400  # no text: the form says so
    assert "请填写具体的修改意见" in response.get_data(as_text=True)
    response = client.post(
        f"/admin/review/experts/{expert.id}/reject",
        data={"code": "incomplete", "reason": "请补充研究方向"},
    )
    assert response.status_code == 302
    db.session.refresh(expert)
    assert expert.status == ExpertStatus.DRAFT
    assert expert.review_reason_code == "incomplete"
    log_in(client, owner)
    assert "请补充研究方向" in client.get(f"/my/experts/{expert.id}").get_data(as_text=True)


def test_validation_reports_every_problem_at_once(db, fields):
    owner = make_user("university")
    other = make_user("university")
    admin = make_user("admin")
    db.session.commit()
    foreign = publish_result(other, admin, fields, "别家的成果", "另一所大学的成果摘要")
    experts.create_expert(actor=owner, data=experts.ExpertData(name="王建国", unit="材料学院"))
    with pytest.raises(ValidationFailed) as caught:
        experts.create_expert(
            actor=owner,
            data=experts.ExpertData(
                name="王建国",
                unit="材料学院",
                contact_email="not-an-email",
                result_ids=[foreign.id],
            ),
        )
    errors = caught.value.errors
    assert set(errors) == {"name", "contact_email", "result_ids"}
    assert "已有这位专家的档案" in errors["name"][0]

    draft = experts.create_expert(
        actor=owner, data=experts.ExpertData(name="孙涛", unit="物理学院")
    )
    with pytest.raises(ValidationFailed) as caught:
        experts.submit_expert(actor=owner, expert=draft)
    assert set(caught.value.errors) == {"field_id", "directions", "offers", "contact_phone"}


def test_duplicate_is_refused_on_the_form(client, fields):
    owner = login_as_university(client)
    client.post("/my/experts/new", data=_form(fields))
    response = client.post("/my/experts/new", data=_form(fields))
    assert response.status_code == 200
    assert "已有这位专家的档案" in response.get_data(as_text=True)
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(ExpertProfile)
            .where(ExpertProfile.organisation_id == owner.organisation_id)
        )
        == 1
    )


def login_as_university(client):
    user = make_user("university")
    db.session.commit()
    log_in(client, user)
    return user


def test_non_member_cannot_see_or_edit(client, fields):
    owner = make_user("university")
    expert = experts.create_expert(actor=owner, data=experts.ExpertData(name="周平", unit="化工"))
    db.session.commit()
    login_as_university(client)  # another university
    assert client.get(f"/my/experts/{expert.id}").status_code == 404
    assert client.get(f"/my/experts/{expert.id}/edit").status_code == 404
    response = client.post(f"/my/experts/{expert.id}/edit", data=_form(fields, name="篡改"))
    assert response.status_code == 404
    assert client.post(f"/my/experts/{expert.id}/submit").status_code == 404
    db.session.refresh(expert)
    assert expert.name == "周平"
    enterprise = make_user("enterprise")
    with pytest.raises(NotFound):
        experts.get_owned(actor=enterprise, expert_id=expert.id)


def test_enterprise_member_cannot_create(client, fields):
    user = make_user("enterprise")
    db.session.commit()
    log_in(client, user)
    assert client.get("/my/experts/new").status_code == 403


def test_contact_is_staged(client, fields):
    owner = make_user("university")
    admin = make_user("admin")
    expert = _published(owner, admin, fields)
    page = client.get(f"/experts/{expert.id}").get_data(as_text=True)
    assert PHONE not in page
    assert "登录并通过机构认证后可以查看联系方式" in page
    assert "expert-enquire" not in page

    unverified = make_user("enterprise", verified=False)
    db.session.commit()
    log_in(client, unverified)
    assert PHONE not in client.get(f"/experts/{expert.id}").get_data(as_text=True)

    firm = make_user("enterprise")
    db.session.commit()
    log_in(client, firm)
    page = client.get(f"/experts/{expert.id}").get_data(as_text=True)
    assert PHONE in page
    assert "expert-enquire" in page


def test_search_and_facets(client, fields):
    admin = make_user("admin")
    jilin = make_user("university")
    other = make_user("university")
    db.session.commit()
    carbon = _published(
        jilin,
        admin,
        fields,
        name="王建国",
        unit="材料学院",
        directions="碳纤维复合材料",
        keywords="碳纤维",
        offers=1,
    )
    ginseng = _published(
        other,
        admin,
        fields,
        name="李敏",
        unit="药学院",
        field_id=fields["biomedicine"].id,
        directions="人参皂苷提取",
        keywords="人参",
        offers=8,
    )
    _draft = experts.create_expert(
        actor=jilin, data=experts.ExpertData(name="草稿专家", unit="材料学院", directions="碳纤维")
    )
    db.session.commit()

    page = client.get("/experts").get_data(as_text=True)
    assert "王建国" in page and "李敏" in page and "草稿专家" not in page
    assert 'id="facet-field"' in page and 'id="facet-offer"' in page

    found = client.get("/experts?q=碳纤维").get_data(as_text=True)
    assert "王建国" in found and "李敏" not in found
    by_offer = client.get("/experts?offer=training").get_data(as_text=True)
    assert "李敏" in by_offer and "王建国" not in by_offer
    by_field = client.get(f"/experts?field={fields['biomedicine'].id}").get_data(as_text=True)
    assert "李敏" in by_field and "王建国" not in by_field
    by_org = client.get(f"/experts?org={carbon.organisation_id}").get_data(as_text=True)
    assert "王建国" in by_org and "李敏" not in by_org
    assert ginseng.organisation.name in page
    assert client.get("/experts?offer=nonsense&field=abc&page=x").status_code == 200


def test_edit_of_published_profile_is_reviewed_again(db, fields):
    owner = make_user("university")
    admin = make_user("admin")
    expert = _published(owner, admin, fields)
    data = experts.ExpertData(
        name=expert.name,
        unit=expert.unit,
        field_id=expert.field_id,
        directions=expert.directions,
        keywords=expert.keywords,
        offers=expert.offers,
        contact_phone="0431-80000000",
    )
    experts.update_expert(actor=owner, expert=expert, data=data)
    assert expert.status == ExpertStatus.PUBLISHED  # contact only: stays public
    data.directions = "新的研究方向"
    experts.update_expert(actor=owner, expert=expert, data=data)
    assert expert.status == ExpertStatus.PENDING_REVIEW


def test_expiry_takes_profiles_off_the_page(client, fields):
    owner = make_user("university")
    admin = make_user("admin")
    expert = _published(owner, admin, fields)
    assert expert_review.expire_experts() == 0
    assert expert_review.expire_experts(now=utcnow() + timedelta(days=366)) == 1
    db.session.commit()
    assert expert.status == ExpertStatus.EXPIRED
    assert client.get(f"/experts/{expert.id}").status_code == 404


def test_the_expiry_job_and_command_expire_profiles(app, fields):
    owner = make_user("university")
    admin = make_user("admin")
    expert = _published(owner, admin, fields)
    expert.expires_at = utcnow() - timedelta(days=1)
    db.session.commit()
    output = app.test_cli_runner().invoke(args=["listings", "expire"]).output
    assert "expired 1 expert profiles" in output
    db.session.expire_all()
    assert db.session.get(type(expert), expert.id).status == ExpertStatus.EXPIRED
