"""发榜 with a confirmation page, and the platform's review of challenges (issue 13, point 3).

A challenge is stored only on 确认发布 (the confirmed post is validated again); a 政府榜, or an
enterprise's challenge on a need edited since its review, waits for an admin, who approves it
or sends it back with the listings' coded reasons; the owner sees why and resubmits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import AuditLog, Challenge, Need, Notification
from matchmaker.models.base import CHINA
from matchmaker.services.challenges import challenge_review, challenges
from matchmaker.services.challenges.challenge_states import CHALLENGE
from matchmaker.services.market import listings
from tests.conftest import log_in
from tests.factories import make_user, publish_need
from tests.services.challenge_helpers import terms

TITLE = "玉米秸秆高值化利用"
CRITERIA = "秸秆利用率 90% 以上，产品通过第三方检测。"
DELIVERABLES = "秸秆饲料化工艺包及中试报告。"


def _page(response) -> str:
    return response.get_data(as_text=True)


def _form(**overrides: str) -> dict[str, str]:
    deadline = datetime.now(CHINA).date() + timedelta(days=20)
    return {
        "bounty_wan": "120",
        "deadline": deadline.isoformat(),
        "success_criteria": CRITERIA,
        "deliverables": DELIVERABLES,
        "ip_ownership": "shared",
        "ip_licence": "non_exclusive",
        "payment_form": "lump_sum",
        "visibility": "public",
        "has_panel": "y",
        **overrides,
    }


@pytest.fixture
def world(fields):
    admin = make_user("admin")
    owner = make_user("enterprise")
    university = make_user("university")
    need = publish_need(owner, admin, fields, TITLE, "需要把秸秆制成高附加值产品。" * 2)
    return {"admin": admin, "owner": owner, "university": university, "need": need}


def _count(model) -> int:  # noqa: ANN001
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def _kinds(user) -> list[str]:  # noqa: ANN001
    return list(
        db.session.scalars(
            sa.select(Notification.kind)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id)
        )
    )


def _government_challenge(world) -> Challenge:  # noqa: ANN001
    challenge = challenges.publish_challenge(
        actor=world["admin"], need=world["need"], terms=terms(is_government=True)
    )
    db.session.commit()
    return challenge


# --- the confirmation page -----------------------------------------------------------------------
def test_confirmation_shows_what_will_be_public_and_stores_nothing(client, world):
    url = f"/my/needs/{world['need'].id}/challenge"
    log_in(client, world["owner"])
    audits, notes = _count(AuditLog), _count(Notification)
    response = client.post(url, data=_form())
    page = _page(response)
    assert response.status_code == 200
    assert "确认发布" in page and "返回修改" in page
    for shown in (TITLE, "需要把秸秆制成高附加值产品。", CRITERIA, DELIVERABLES, "120 万元"):
        assert shown in page
    deadline = (datetime.now(CHINA).date() + timedelta(days=20)).isoformat()
    assert f"{deadline} 23:59" in page
    assert "双方共有" in page and "普通许可" in page and "一次性支付" in page
    assert "公开榜" in page and "所有访问者" in page and "专家组打分" in page
    assert "确认后榜单立即公开" in page  # an approved, unedited need: no second review
    # nothing is stored: no challenge, no audit record, no notification, the need unchanged
    assert _count(Challenge) == 0 and _count(AuditLog) == audits
    assert _count(Notification) == notes
    assert db.session.get(Need, world["need"].id).status == "open"

    # 返回修改: the form again with the values, still nothing stored
    back = client.post(url, data={**_form(), "action": "edit"})
    assert back.status_code == 200 and "预览并确认" in _page(back) and CRITERIA in _page(back)
    assert _count(Challenge) == 0

    done = client.post(url, data={**_form(), "action": "confirm"})
    challenge = db.session.scalar(sa.select(Challenge))
    assert done.status_code == 302 and challenge is not None
    assert done.headers["Location"].endswith(f"/my/challenges/{challenge.id}")
    assert challenge.status == "open" and challenge.success_criteria == CRITERIA
    assert TITLE in _page(client.get("/challenges"))


def test_the_confirmation_carries_every_value_as_it_was_typed(client, world):
    log_in(client, world["owner"])
    page = _page(client.post(f"/my/needs/{world['need'].id}/challenge", data=_form()))
    for name, value in _form().items():
        assert f'name="{name}" value="{value}"' in page, name


@pytest.mark.parametrize(
    ("tampered", "message"),
    [
        ({"success_criteria": "x"}, "成功标准至少写 10 个字"),
        ({"bounty_wan": "99999999999999"}, "金额不能超过 1,000,000 万元。"),
        ({"ip_ownership": "everyone"}, "不是有效的选择。"),
    ],
)
def test_a_tampered_confirmation_is_validated_again(client, world, tampered, message):
    log_in(client, world["owner"])
    url = f"/my/needs/{world['need'].id}/challenge"
    response = client.post(url, data={**_form(**tampered), "action": "confirm"})
    assert response.status_code == 200
    assert message in _page(response)
    assert _count(Challenge) == 0


def test_confirmation_says_a_government_challenge_is_reviewed_first(client, world):
    log_in(client, world["admin"])
    page = _page(client.post(f"/my/needs/{world['need'].id}/challenge", data=_form()))
    assert "确认发布" in page and "先提交平台审核" in page and "政府榜" in page
    assert _count(Challenge) == 0


# --- which challenges wait for review ------------------------------------------------------------
def test_an_unedited_enterprise_challenge_is_public_at_once(client, world):
    challenge = challenges.publish_challenge(
        actor=world["owner"], need=world["need"], terms=terms()
    )
    db.session.commit()
    assert challenge.status == "open"
    assert challenge_review.pending_challenges() == []
    assert TITLE in _page(client.get("/challenges"))
    assert client.get(f"/challenges/{challenge.id}").status_code == 200
    assert _kinds(world["owner"])[-1] == "challenge.published"


def test_a_government_challenge_waits_for_review_and_is_invisible(client, world, outbox):
    challenge = _government_challenge(world)
    assert challenge.status == "challenge_review"
    assert challenge.submitted_at is not None
    # not listed, not reachable, not open for applications
    assert TITLE not in _page(client.get("/challenges"))
    assert TITLE not in _page(client.get("/challenges?status=closed"))
    assert client.get(f"/challenges/{challenge.id}").status_code == 404
    log_in(client, world["university"])
    assert client.get(f"/challenges/{challenge.id}").status_code == 404
    assert client.get(f"/challenges/{challenge.id}/apply").status_code == 404
    # the owner sees the state on its pages; told by notification and mail
    log_in(client, world["owner"])
    manage = _page(client.get(f"/my/challenges/{challenge.id}"))
    assert "等待平台审核" in manage
    assert "待审核" in _page(client.get("/my/challenges"))
    assert _kinds(world["owner"])[-1] == "challenge.submitted"
    assert any(TITLE in m.subject and "提交审核" in m.subject for m in outbox)

    # the admin's queue lists it beside the listings; the count includes it
    assert listings.review_queue_size() == 1
    log_in(client, world["admin"])
    queue = _page(client.get("/admin/review/"))
    assert TITLE in queue and "榜单" in queue and "政府榜" in queue
    assert f"/admin/review/challenges/{challenge.id}" in queue
    review = _page(client.get(f"/admin/review/challenges/{challenge.id}"))
    assert CRITERIA not in review and "拉伸强度不低于 4.9 GPa。" in review
    assert "政府榜：发布前都要经平台审核" in review
    assert "审核通过，公开榜单" in review and "退回修改" in review

    outbox.clear()
    response = client.post(f"/admin/review/challenges/{challenge.id}/approve")
    assert response.status_code == 302
    db.session.refresh(challenge.need)
    assert challenge.status == "open" and challenge.reviewed_at is not None
    assert TITLE in _page(client.get("/challenges"))
    assert client.get(f"/challenges/{challenge.id}").status_code == 200
    assert _kinds(world["owner"])[-1] == "challenge.approved"
    assert any("审核通过" in m.subject for m in outbox)
    actions = set(db.session.scalars(sa.select(AuditLog.action)))
    assert {"challenge.publish", "challenge.submit", "challenge.approve"} <= actions
    assert listings.review_queue_size() == 0
    # approved once: the buttons are gone and a second approval is refused
    assert "不在待审核状态" in _page(client.get(f"/admin/review/challenges/{challenge.id}"))
    assert client.post(f"/admin/review/challenges/{challenge.id}/approve").status_code == 409


def test_an_enterprise_challenge_on_a_need_edited_since_its_review_waits(client, world):
    need = world["need"]
    data = listings.NeedData(
        title=need.title,
        field_id=need.field_id,
        keywords=(),
        region=need.region,
        contact_name="新的联系人",  # not substance: the need stays open, unreviewed
        contact_email=need.contact_email,
        description=need.description,
        deadline=need.deadline,
        budget_wan=need.budget_wan,
    )
    listings.update_listing(actor=world["owner"], listing=need, data=data)
    db.session.commit()
    assert need.status == "open"
    assert challenges.preview_challenge(actor=world["owner"], need=need, terms=terms()) is True
    challenge = challenges.publish_challenge(actor=world["owner"], need=need, terms=terms())
    db.session.commit()
    assert challenge.status == "challenge_review"
    assert TITLE not in _page(client.get("/challenges"))
    assert challenge_review.review_grounds(challenge) == ["need_edited"]
    log_in(client, world["admin"])
    review = _page(client.get(f"/admin/review/challenges/{challenge.id}"))
    assert "企业榜：需求在审核通过后修改过" in review


def test_a_need_whose_text_differs_from_the_approved_one_is_reviewed(world):
    need = world["need"]
    need.description = "未经审核改过的需求说明，与公开版本不同。"  # behind the services' back
    db.session.flush()
    assert challenge_review.needs_review(need=need, is_government=False)


# --- sent back, edited, resubmitted --------------------------------------------------------------
def test_reject_with_a_coded_reason_then_edit_and_resubmit(client, world, outbox):
    challenge = _government_challenge(world)
    url = f"/admin/review/challenges/{challenge.id}/reject"
    log_in(client, world["admin"])
    refused = client.post(url, data={"reason": "请补充验收方法。"})
    assert refused.status_code == 400 and "请选择驳回原因。" in _page(refused)
    assert challenge.status == "challenge_review"
    outbox.clear()
    response = client.post(url, data={"code": "incomplete", "reason": "请补充验收方法。"})
    assert response.status_code == 302
    db.session.refresh(challenge)
    db.session.refresh(challenge.need)
    assert challenge.status == "challenge_returned"
    assert (challenge.review_reason_code, challenge.review_reason) == (
        "incomplete",
        "请补充验收方法。",
    )
    assert _kinds(world["owner"])[-1] == "challenge.rejected"
    assert any("需要修改" in m.subject and "请补充验收方法" in m.body for m in outbox)
    assert client.get(f"/challenges/{challenge.id}").status_code == 200  # the admin may look
    log_in(client, world["university"])
    assert client.get(f"/challenges/{challenge.id}").status_code == 404

    # the owner sees the coded reason and the text on its challenge page and in 我的榜单
    log_in(client, world["owner"])
    manage = _page(client.get(f"/my/challenges/{challenge.id}"))
    assert "审核未通过：信息不全" in manage and "请补充验收方法。" in manage
    mine = _page(client.get("/my/challenges"))
    assert "退回修改" in mine and "信息不全" in mine and "请补充验收方法。" in mine

    # edit: the form comes filled in with the terms; preview, then confirm
    edit_url = f"/my/needs/{challenge.need_id}/challenge"
    form_page = _page(client.get(edit_url))
    assert "修改榜单并重新提交" in form_page and "拉伸强度不低于 4.9 GPa。" in form_page
    new_criteria = "拉伸强度不低于 4.9 GPa，按 GB/T 3362 检测。"
    data = _form(success_criteria=new_criteria)
    preview = _page(client.post(edit_url, data=data))
    assert "确认并重新提交" in preview and new_criteria in preview
    db.session.refresh(challenge)
    assert challenge.success_criteria == "拉伸强度不低于 4.9 GPa。"  # not stored yet
    assert client.post(edit_url, data={**data, "action": "confirm"}).status_code == 302
    db.session.refresh(challenge)
    db.session.refresh(challenge.need)
    assert challenge.status == "challenge_review" and challenge.is_government
    assert challenge.success_criteria == new_criteria
    assert "resubmitted" in challenge_review.review_grounds(challenge)

    log_in(client, world["admin"])
    assert "退回后重新提交" in _page(client.get("/admin/review/"))
    review = _page(client.get(f"/admin/review/challenges/{challenge.id}"))
    assert "上次退回：信息不全" in review and new_criteria in review
    assert client.post(f"/admin/review/challenges/{challenge.id}/approve").status_code == 302
    db.session.refresh(challenge)
    assert challenge.status == "open" and challenge.review_reason_code is None
    assert TITLE in _page(client.get("/challenges"))


def test_only_a_sent_back_challenge_can_be_edited(client, world):
    challenge = challenges.publish_challenge(
        actor=world["owner"], need=world["need"], terms=terms()
    )
    db.session.commit()
    log_in(client, world["owner"])
    url = f"/my/needs/{world['need'].id}/challenge"
    assert client.get(url).status_code == 302  # open: the management page, no editing
    assert client.post(url, data={**_form(), "action": "confirm"}).status_code == 302
    db.session.refresh(challenge)
    assert challenge.success_criteria == "拉伸强度不低于 4.9 GPa。"


# --- service rules -------------------------------------------------------------------------------
def test_review_needs_a_reviewer_and_a_pending_challenge(world):
    from matchmaker.services.errors import InvalidTransition, PermissionDenied, ValidationFailed

    challenge = _government_challenge(world)
    with pytest.raises(PermissionDenied):
        challenge_review.approve_challenge(actor=world["owner"], challenge=challenge)
    with pytest.raises(ValidationFailed):
        challenge_review.reject_challenge(
            actor=world["admin"], challenge=challenge, code="nonsense", reason="原因"
        )
    with pytest.raises(ValidationFailed):
        challenge_review.reject_challenge(
            actor=world["admin"], challenge=challenge, code="unclear", reason="  "
        )
    late = challenge.deadline_at + timedelta(seconds=1)
    with pytest.raises(InvalidTransition):  # the deadline passed while it waited
        challenge_review.approve_challenge(actor=world["admin"], challenge=challenge, now=late)
    with pytest.raises(InvalidTransition):
        challenge_review.resubmit_challenge(
            actor=world["admin"], challenge=challenge, terms=terms(is_government=True)
        )
    challenge_review.approve_challenge(actor=world["admin"], challenge=challenge)
    with pytest.raises(InvalidTransition):
        challenge_review.reject_challenge(
            actor=world["admin"], challenge=challenge, code="unclear", reason="原因"
        )


def test_the_clock_leaves_a_waiting_challenge_alone(world):
    challenge = _government_challenge(world)
    assert challenges.close_due_challenges(now=challenge.deadline_at + timedelta(days=1)) == 0
    assert challenge.status == "challenge_review"


def test_a_waiting_challenge_can_be_withdrawn(world):
    challenge = _government_challenge(world)
    assert CHALLENGE.can(challenge.need, "withdraw")
    challenges.withdraw_challenge(actor=world["admin"], challenge=challenge, reason="不再需要。")
    assert challenge.status == "withdrawn"


def test_the_daily_digest_counts_waiting_challenges(world):
    _government_challenge(world)
    assert listings.send_review_digest() == 1
    note = db.session.scalar(
        sa.select(Notification).where(Notification.kind == "listing.review_digest")
    )
    assert note.params["n"] == 1 and note.params["oldest"] == TITLE
