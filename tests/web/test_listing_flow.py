"""A result and a need through their whole life from the UI: draft, review, public, search."""

from __future__ import annotations

import re

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import AuditLog, Notification, Publication, Result
from tests.conftest import log_in
from tests.factories import make_user

RESULT_FORM = {
    "title": "高强高模碳纤维T800级原丝干喷湿纺工艺",
    "summary": "采用干喷湿纺工艺制备T800级碳纤维原丝，拉伸强度≥5.5GPa，适用于航空航天复合材料。",
    "description": "技术指标：拉伸强度≥5.5GPa，模量≥294GPa。应用领域：航空航天、压力容器。",
    "keywords": "碳纤维，原丝、干喷湿纺",
    "trl": "6",
    "modes": ["1", "4"],
    "price_wan": "300",
    "region": "changchun",
    "contact_name": "李老师",
    "contact_phone": "0431-85168888",
    "contact_email": "li@example.com",
}


def _create_result(client, fields, **overrides):
    data = {**RESULT_FORM, "field_id": str(fields["materials"].id), **overrides}
    response = client.post("/my/results/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/my/results/(\d+)", response.headers["Location"]).group(1))


def test_result_life_cycle_from_draft_to_public_search(client, fields):
    owner = make_user("university")
    admin = make_user("admin")
    db.session.commit()
    log_in(client, owner)
    result_id = _create_result(client, fields)
    assert (
        client.get("/results?q=碳纤").get_data(as_text=True).count("T800") == 0
    )  # draft is private

    assert (
        client.post(f"/my/results/{result_id}/action", data={"action": "submit"}).status_code == 302
    )
    result = db.session.get(Result, result_id)
    assert result.status == "pending_review"

    log_in(client, admin)
    page = client.get("/admin/review/")
    assert "高强高模碳纤维" in page.get_data(as_text=True)
    response = client.post(
        f"/admin/review/results/{result_id}/reject",
        data={"code": "incomplete", "reason": "请补充专利号"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert result.status == "draft" and result.review_reason == "请补充专利号"

    log_in(client, owner)
    show = client.get(f"/my/results/{result_id}").get_data(as_text=True)
    assert "请补充专利号" in show and "信息不全" in show
    client.post(
        f"/my/results/{result_id}/edit",
        data={
            **RESULT_FORM,
            "field_id": str(fields["materials"].id),
            "patents": "ZL2021 1 0123456.7 已授权",
        },
    )
    client.post(f"/my/results/{result_id}/action", data={"action": "submit"})

    log_in(client, admin)
    assert client.post(f"/admin/review/results/{result_id}/approve").status_code == 302
    db.session.expire_all()
    assert result.status == "listed" and result.publication is not None

    client.get("/")  # anonymous visitor from here on
    with client.session_transaction() as session:
        session.clear()
    listing_page = client.get("/results?q=碳纤").get_data(as_text=True)
    assert "高强高模<mark>碳纤</mark>维T800级原丝干喷湿纺工艺" in listing_page  # the term marked
    assert "T800" in client.get("/results?q=t800").get_data(as_text=True)
    detail = client.get(f"/results/{result_id}").get_data(as_text=True)
    assert "ZL2021 1 0123456.7" in detail
    assert "0431-85168888" not in detail and "li@example.com" not in detail  # staged disclosure

    actions = set(
        db.session.scalars(sa.select(AuditLog.action).where(AuditLog.object_type == "result"))
    )
    assert {"result.create", "result.submit", "result.reject", "result.approve"} <= actions
    kinds = set(
        db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == owner.id))
    )
    assert {"listing.rejected", "listing.approved"} <= kinds


def test_editing_a_published_result_keeps_the_approved_version_public(client, fields):
    owner = make_user("university")
    admin = make_user("admin")
    db.session.commit()
    log_in(client, owner)
    result_id = _create_result(client, fields)
    client.post(f"/my/results/{result_id}/action", data={"action": "submit"})
    log_in(client, admin)
    client.post(f"/admin/review/results/{result_id}/approve")

    log_in(client, owner)
    client.post(
        f"/my/results/{result_id}/edit",
        data={
            **RESULT_FORM,
            "field_id": str(fields["materials"].id),
            "title": "全新标题：大丝束碳纤维",
        },
    )
    db.session.expire_all()
    result = db.session.get(Result, result_id)
    assert result.status == "pending_review"
    public = client.get(f"/results/{result_id}").get_data(as_text=True)
    assert "高强高模碳纤维T800级原丝干喷湿纺工艺" in public and "全新标题" not in public
    assert "全新标题" in client.get(f"/results/{result_id}?preview=1").get_data(as_text=True)

    log_in(client, admin)
    review = client.get(f"/admin/review/results/{result_id}").get_data(as_text=True)
    assert "<ins>" in review and "<del>" in review
    client.post(f"/admin/review/results/{result_id}/approve")
    assert db.session.scalar(sa.select(Publication.title)) == "全新标题：大丝束碳纤维"


def test_unverified_organisation_can_draft_but_not_submit(client, fields):
    owner = make_user("university", verified=False)
    db.session.commit()
    log_in(client, owner)
    result_id = _create_result(client, fields)
    client.post(f"/my/results/{result_id}/action", data={"action": "submit"})
    assert db.session.get(Result, result_id).status == "draft"


def test_contact_shown_to_verified_members_only(client, fields):
    owner = make_user("university")
    admin = make_user("admin")
    reader = make_user("enterprise")
    unverified = make_user("enterprise", verified=False)
    db.session.commit()
    log_in(client, owner)
    result_id = _create_result(client, fields)
    client.post(f"/my/results/{result_id}/action", data={"action": "submit"})
    log_in(client, admin)
    client.post(f"/admin/review/results/{result_id}/approve")
    log_in(client, reader)
    assert "0431-85168888" in client.get(f"/results/{result_id}").get_data(as_text=True)
    log_in(client, unverified)
    assert "0431-85168888" not in client.get(f"/results/{result_id}").get_data(as_text=True)


def test_near_duplicates_are_shown_to_the_owner_and_flagged_to_the_reviewer(client, fields):
    owner = make_user("university")
    admin = make_user("admin")
    db.session.commit()
    log_in(client, owner)
    first = _create_result(client, fields)
    client.post(f"/my/results/{first}/action", data={"action": "submit"})
    log_in(client, admin)
    client.post(f"/admin/review/results/{first}/approve")

    log_in(client, owner)
    copy = _create_result(client, fields, title="高强高模碳纤维T800级原丝干喷湿纺工艺（重复提交）")
    page = client.get(f"/my/results/{copy}").get_data(as_text=True)
    assert "平台上已有相似的内容" in page and f"/results/{first}" in page
    client.post(f"/my/results/{copy}/action", data={"action": "submit"})
    log_in(client, admin)
    review = client.get(f"/admin/review/results/{copy}").get_data(as_text=True)
    assert "疑似重复" in review and f"/results/{first}" in review
    other = client.get(f"/admin/review/results/{first}").get_data(as_text=True)
    assert "疑似重复" not in other  # a listing is not its own duplicate
