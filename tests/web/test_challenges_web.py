"""揭榜挂帅 pages: public lists and detail, publishing, applying with autosave, adopting."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import AdoptionRequest, Application, Challenge, ConversionOffer, Mode
from matchmaker.models.base import utcnow
from matchmaker.services.challenges import applications, challenges, conversion
from tests.conftest import log_in
from tests.factories import make_user, publish_need
from tests.services.challenge_helpers import apply, challenge_world

ANSWER = {
    "approach": "采用连续碳化工艺改进原丝预氧化，降低能耗并提高强度一致性。",
    "indicators": "拉伸强度 4.9 GPa 以上，对应成功标准第 1 条。",
    "trl": "6",
    "plan-0-title": "中试线改造",
    "plan-0-month": "2027-03",
    "plan-1-title": "批量验证",
    "plan-1-month": "2027-06",
    "team": "教授 1 名，博士 3 名。",
    "price_wan": "60",
    "terms": "合作开发。",
}


@pytest.fixture
def world(fields):
    return challenge_world(fields)


def _page(response) -> str:
    return response.get_data(as_text=True)


# --- public lists and detail -------------------------------------------------------------------
def test_public_list_shows_open_challenge_with_countdown(client, world):
    response = client.get("/challenges")
    assert response.status_code == 200
    page = _page(response)
    assert "高强度碳纤维原丝工艺" in page
    assert "还剩 9 天" in page or "还剩 10 天" in page
    assert "已揭榜 / 已解决" in page


def test_public_list_filters_by_band_and_status(client, world):
    assert "高强度碳纤维原丝工艺" in _page(client.get("/challenges?band=100_500"))
    assert "高强度碳纤维原丝工艺" not in _page(client.get("/challenges?band=lt10"))
    assert "高强度碳纤维原丝工艺" not in _page(client.get("/challenges?status=closed"))
    code = world["need"].field.code
    assert "高强度碳纤维原丝工艺" in _page(client.get(f"/challenges?field={code}"))


def test_showcase_lists_awarded_challenges(client, world):
    w = world
    application = apply(w["uni_a"], w["challenge"])
    applications.shortlist_application(actor=w["owner"], application=application)
    challenges.tick(now=w["challenge"].deadline_at + timedelta(seconds=1))
    applications.select_application(
        actor=w["owner"], application=application, others_code="other", others_reason="无"
    )
    db.session.commit()
    page = _page(client.get("/challenges"))
    showcase = page.split("已揭榜 / 已解决", 1)[1]
    assert "高强度碳纤维原丝工艺" in showcase


def test_detail_shows_terms_and_apply_buttons_for_universities(client, world):
    log_in(client, world["uni_a"])
    page = _page(client.get(f"/challenges/{world['challenge'].id}"))
    assert "拉伸强度不低于 4.9 GPa。" in page and "中试工艺包与检测报告。" in page
    assert "发榜方所有" in page and "分期支付" in page
    assert "我要揭榜" in page and "用我的成果揭榜" in page
    assert f'value="{world["result"].id}"' in page


def test_detail_for_anonymous_visitor_has_no_apply_button(client, world):
    page = _page(client.get(f"/challenges/{world['challenge'].id}"))
    assert "我要揭榜" not in page and "登录后揭榜" in page


def test_invite_only_challenge_is_404_to_others(client, fields):
    w = challenge_world(fields, visibility="invite_only")
    url = f"/challenges/{w['challenge'].id}"
    assert client.get(url).status_code == 404
    assert "高强度碳纤维原丝工艺" not in _page(client.get("/challenges"))
    log_in(client, w["uni_a"])
    assert client.get(url).status_code == 404
    assert client.get(url + "/apply").status_code == 404
    challenges.invite_organisations(
        actor=w["owner"], challenge=w["challenge"], organisations=[w["uni_a"].organisation]
    )
    db.session.commit()
    assert client.get(url).status_code == 200
    log_in(client, w["owner"])
    assert client.get(url).status_code == 200
    log_in(client, w["admin"])
    assert client.get(url).status_code == 200


# --- applying ------------------------------------------------------------------------------------
def test_save_draft_then_submit(client, world):
    w = world
    log_in(client, w["uni_a"])
    url = f"/challenges/{w['challenge'].id}/apply"
    assert client.get(url).status_code == 200
    response = client.post(url, data={**ANSWER, "action": "save"})
    assert response.status_code == 302
    application = db.session.scalar(sa.select(Application))
    assert application.status == "draft"
    assert application.plan == [
        {"title": "中试线改造", "due": "2027-03-01"},
        {"title": "批量验证", "due": "2027-06-01"},
    ]
    assert "中试线改造" in _page(client.get(url))
    response = client.post(url, data={**ANSWER, "action": "submit"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/my/applications")
    db.session.refresh(application)
    assert application.status == "submitted"


def test_incomplete_submit_keeps_the_draft_and_shows_errors(client, world):
    log_in(client, world["uni_a"])
    url = f"/challenges/{world['challenge'].id}/apply"
    response = client.post(url, data={"approach": "太短", "action": "submit"})
    assert response.status_code == 200
    page = _page(response)
    assert "提交前请填写至少 20 个字的技术方案。" in page
    assert "invalid-feedback" in page
    assert db.session.scalar(sa.select(Application)).status == "draft"


def test_autosave_returns_json(client, world):
    log_in(client, world["uni_a"])
    url = f"/challenges/{world['challenge'].id}/apply/draft"
    response = client.post(url, data={"approach": "初步思路", "plan-0-title": "调研"})
    assert response.status_code == 200
    assert "saved_at" in response.get_json()
    application = db.session.scalar(sa.select(Application))
    assert application.approach == "初步思路" and application.plan[0]["title"] == "调研"
    bad = client.post(url, data={"plan-0-month": "2027/6"})
    assert bad.status_code == 400 and "errors" in bad.get_json()


def test_deadline_is_enforced_with_a_message(client, world):
    w = world
    w["challenge"].deadline_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    log_in(client, w["uni_a"])
    url = f"/challenges/{w['challenge'].id}/apply"
    response = client.post(url, data={**ANSWER, "action": "submit"})
    assert response.status_code == 409
    assert "榜单已截止，不能再揭榜。" in _page(response)
    assert client.post(url + "/draft", data=ANSWER).status_code == 409
    assert db.session.scalar(sa.select(Application)) is None


def test_unverified_organisation_is_refused_with_403_and_the_page(client, world):
    w = world
    pending = make_user("university", verified=False)
    db.session.commit()
    log_in(client, pending)
    url = f"/challenges/{w['challenge'].id}/apply"
    response = client.post(url, data={**ANSWER, "action": "submit"})
    assert response.status_code == 403
    page = _page(response)
    assert "你的机构不能揭榜这个榜单。" in page and ANSWER["approach"] in page
    autosave = client.post(url + "/draft", data=ANSWER, headers={"Accept": "application/json"})
    assert autosave.status_code == 403
    assert autosave.get_json()["error"]["message"] == "你的机构不能揭榜这个榜单。"
    assert db.session.scalar(sa.select(Application)) is None


def test_prefill_from_my_result(client, world):
    w = world
    log_in(client, w["uni_a"])
    page = _page(client.get(f"/challenges/{w['challenge'].id}/apply?result={w['result'].id}"))
    assert "连续碳化工艺，能耗降低两成" in page
    assert f'value="{w["result"].id}"' in page
    other = make_user("university")
    db.session.commit()
    log_in(client, other)
    url = f"/challenges/{w['challenge'].id}/apply?result={w['result'].id}"
    assert client.get(url).status_code == 404


def test_prefilled_application_keeps_the_source_result(client, world):
    w = world
    log_in(client, w["uni_a"])
    url = f"/challenges/{w['challenge'].id}/apply"
    client.post(url, data={**ANSWER, "source_result_id": str(w["result"].id), "action": "submit"})
    assert db.session.scalar(sa.select(Application)).source_result_id == w["result"].id


def test_my_applications_shows_the_decline_reason(client, world):
    w = world
    application = apply(w["uni_b"], w["challenge"])
    applications.decline_application(
        actor=w["owner"], application=application, code="price_too_high", reason="报价高于预算"
    )
    db.session.commit()
    log_in(client, w["uni_b"])
    page = _page(client.get("/my/applications"))
    assert "未入选" in page and "报价过高" in page and "报价高于预算" in page


def test_withdraw_and_withdraw_again_is_409(client, world):
    w = world
    application = apply(w["uni_a"], w["challenge"])
    db.session.commit()
    log_in(client, w["uni_a"])
    url = f"/my/applications/{application.id}/withdraw"
    assert client.post(url).status_code == 302
    db.session.refresh(application)
    assert application.status == "withdrawn"
    again = client.post(url)
    assert again.status_code == 409
    assert "我的揭榜" in _page(again)


def test_second_application_after_submitting_is_409(client, world):
    w = world
    apply(w["uni_a"], w["challenge"])
    db.session.commit()
    log_in(client, w["uni_a"])
    response = client.post(f"/challenges/{w['challenge'].id}/apply", data=ANSWER)
    assert response.status_code == 409
    assert "每个机构只能有一份有效申请" in _page(response)


def test_other_organisation_cannot_withdraw_an_application(client, world):
    """SECURITY.md row 15 (v5.0.0-8.2.2)."""
    w = world
    application = apply(w["uni_a"], w["challenge"])
    db.session.commit()
    log_in(client, w["uni_b"])
    assert client.post(f"/my/applications/{application.id}/withdraw").status_code == 404
    assert "高强度碳纤维原丝工艺" not in _page(client.get("/my/applications"))


# --- publishing and managing -------------------------------------------------------------------
def test_publish_form_creates_a_challenge(client, fields):
    admin = make_user("admin")
    owner = make_user("enterprise")
    need = publish_need(owner, admin, fields, "玉米秸秆高值化利用", "需要秸秆制备高附加值产品" * 2)
    log_in(client, owner)
    page = _page(client.get(f"/my/needs/{need.id}"))
    assert f"/my/needs/{need.id}/challenge" in page
    url = f"/my/needs/{need.id}/challenge"
    assert client.get(url).status_code == 200
    deadline = (utcnow() + timedelta(days=20)).date().isoformat()
    response = client.post(url, data={"bounty_wan": "-1", "deadline": deadline})
    assert response.status_code == 200 and "请填写成功标准。" in _page(response)
    terms = {
        "bounty_wan": "120",
        "deadline": deadline,
        "success_criteria": "秸秆利用率 90% 以上。",
        "deliverables": "秸秆饲料化工艺包及中试报告。",
        "ip_ownership": "shared",
        "ip_licence": "non_exclusive",
        "payment_form": "lump_sum",
        "visibility": "public",
        "has_panel": "y",
    }
    preview = client.post(url, data=terms)  # 确认发布 first shows what will be public
    assert preview.status_code == 200 and "确认发布" in _page(preview)
    assert db.session.scalar(sa.select(Challenge)) is None
    response = client.post(url, data={**terms, "action": "confirm"})
    challenge = db.session.scalar(sa.select(Challenge))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/my/challenges/{challenge.id}")
    assert challenge.has_panel and str(challenge.ip_ownership) == "shared"
    manage = client.get(f"/my/challenges/{challenge.id}")
    assert manage.status_code == 200 and "邀请机构揭榜" in _page(manage)
    assert client.get(url).status_code == 302  # already published: go to the management page


def test_other_enterprise_cannot_publish_or_manage(client, world):
    other = make_user("enterprise")
    db.session.commit()
    log_in(client, other)
    assert client.get(f"/my/needs/{world['need'].id}/challenge").status_code == 404
    assert client.get(f"/my/challenges/{world['challenge'].id}").status_code == 404
    assert client.post(f"/my/challenges/{world['challenge'].id}/close").status_code == 404


def test_invite_by_search_close_and_illegal_close(client, world):
    w = world
    log_in(client, w["owner"])
    base = f"/my/challenges/{w['challenge'].id}"
    org = w["uni_b"].organisation
    page = _page(client.get(base + f"?q={org.name}"))
    assert org.name in page
    assert (
        client.post(base + "/invite", data={"organisation_ids": [str(org.id)]}).status_code == 302
    )
    assert [i.organisation_id for i in w["challenge"].invitations] == [org.id]
    assert client.post(base + "/close").status_code == 302
    assert w["need"].status == "unawarded"
    again = client.post(base + "/close")
    assert again.status_code == 409


def test_withdraw_challenge_needs_a_reason(client, world):
    w = world
    log_in(client, w["owner"])
    url = f"/my/challenges/{w['challenge'].id}/withdraw"
    response = client.post(url, data={"reason": ""})
    assert response.status_code == 200 and "请填写原因。" in _page(response)
    assert client.post(url, data={"reason": "预算取消"}).status_code == 302
    assert w["need"].status == "withdrawn"


# --- conversion list and adoption --------------------------------------------------------------
def test_offer_publication_list_and_adoption(client, world):
    w = world
    log_in(client, w["uni_a"])
    url = f"/my/results/{w['result'].id}/offer"
    assert client.get(url).status_code == 200
    response = client.post(url, data={"modes": [str(int(Mode.USE_FIRST_PAY_LATER))]})
    assert response.status_code == 200 and "先使用后付费需要填写试用期" in _page(response)
    response = client.post(
        url,
        data={
            "modes": [str(int(Mode.TRANSFER)), str(int(Mode.USE_FIRST_PAY_LATER))],
            "price_wan": "",
            "trial_months": "6",
            "trial_terms": "试用期内免费。",
        },
    )
    assert response.status_code == 302
    offer = db.session.scalar(sa.select(ConversionOffer))
    assert offer.price_wan is None and offer.trial_months == 6

    log_in(client, w["owner"])
    page = _page(client.get("/conversion"))
    assert "碳纤维连续碳化技术" in page and "试用 6 个月" in page and "面议" in page
    page = _page(client.get(f"/conversion/{offer.id}"))
    assert "申请采用" in page
    adopt = f"/conversion/{offer.id}/adopt"
    response = client.post(adopt, data={"intended_use": ""})
    assert response.status_code == 200 and "请说明成果的用途。" in _page(response)
    response = client.post(
        adopt, data={"intended_use": "用于原丝产线", "scale": "年产 500 吨", "wants_trial": "y"}
    )
    assert response.status_code == 302
    request_row = db.session.scalar(sa.select(AdoptionRequest))
    assert request_row.wants_trial and request_row.status == "submitted"
    assert client.post(adopt, data={"intended_use": "再来一次"}).status_code == 409
    assert "用于原丝产线" in _page(client.get("/my/adoptions"))
    withdraw = f"/my/adoptions/{request_row.id}/withdraw"
    assert client.post(withdraw).status_code == 302
    assert client.post(withdraw).status_code == 409

    log_in(client, w["uni_a"])
    assert client.post(url + "/close").status_code == 302
    assert client.get(f"/conversion/{offer.id}").status_code == 404
    assert client.post(url + "/close").status_code == 409


def test_other_organisation_cannot_manage_an_offer_or_see_adoptions(client, world):
    w = world
    offer = conversion.publish_conversion_offer(
        actor=w["uni_a"], result=w["result"], terms=conversion.OfferTerms(modes=1)
    )
    adoption = conversion.request_adoption(actor=w["owner"], offer=offer, intended_use="产线")
    db.session.commit()
    log_in(client, w["uni_b"])
    assert client.get(f"/my/results/{w['result'].id}/offer").status_code == 404
    other = make_user("enterprise")
    db.session.commit()
    log_in(client, other)
    assert client.post(f"/my/adoptions/{adoption.id}/withdraw").status_code == 404
    assert "产线" not in _page(client.get("/my/adoptions"))


def test_nav_links(client, world):
    page = _page(client.get("/"))
    assert "/challenges" in page and "/conversion" in page and "/my/applications" not in page
    log_in(client, world["uni_a"])
    assert "/my/applications" in _page(client.get("/challenges"))
    log_in(client, world["owner"])
    assert "/my/adoptions" in _page(client.get("/challenges"))
