"""场景清单 through the pages: the admin's 新建场景 with its confirmation page, the review, the
public list and the scenario's page, a university's and a firm's application (pages and API),
the admin's selection and the deal, all on the challenge pages; a sent-back scenario edited
whole and resubmitted through the confirmation page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask, g, request_started

from matchmaker.extensions import db
from matchmaker.models import Application, AuditLog, Challenge, Deal, Need
from matchmaker.models.base import CHINA
from matchmaker.services.accounts import api_tokens
from tests.conftest import log_in
from tests.factories import OrganisationFactory, make_user
from tests.services.challenge_helpers import challenge_world
from tests.web.test_challenges_web import ANSWER

TITLE = "智慧病房护理机器人试点"
DESCRIPTION = "长春市中心医院开放两间病房，提供真实护理场景、护士配合和三个月试用期。"
OWNER = "长春市中心医院"
SITE = "长春市朝阳区工农大路 1478 号"


def _page(response) -> str:
    return response.get_data(as_text=True)


def _count(model) -> int:  # noqa: ANN001
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


@pytest.fixture
def world(fields):
    bureau = OrganisationFactory(government=True, name="长春市科学技术局")
    admin = make_user("admin", organisation=bureau)
    university = make_user("university")
    db.session.commit()
    field = next(iter(fields.values()))
    return {"bureau": bureau, "admin": admin, "university": university, "field": field}


def _form(world, **overrides: str) -> dict[str, str]:
    deadline = datetime.now(CHINA).date() + timedelta(days=20)
    return {
        "title": TITLE,
        "description": DESCRIPTION,
        "scenario_owner": OWNER,
        "scenario_site": SITE,
        "field_id": str(world["field"].id),
        "region": "changchun",
        "bounty_wan": "0",
        "deadline": deadline.isoformat(),
        "success_criteria": "护理机器人在病房连续运行 30 天，故障率低于 1%。",
        "deliverables": "试点运行报告与改进方案。",
        "ip_ownership": "solver",
        "ip_licence": "none",
        "payment_form": "lump_sum",
        "weight_feasibility": "40",
        "weight_maturity": "30",
        "weight_price": "10",
        "weight_team": "20",
        **overrides,
    }


def _publish(client, world) -> Challenge:  # noqa: ANN001
    log_in(client, world["admin"])
    done = client.post("/scenarios/new", data={**_form(world), "action": "confirm"})
    assert done.status_code == 302
    challenge = db.session.scalar(sa.select(Challenge).where(Challenge.kind == "scenario"))
    assert challenge is not None
    return challenge


def test_admin_finds_new_scenario_from_the_list_and_the_dashboard(client, world):
    log_in(client, world["admin"])
    assert 'href="/scenarios/new"' in _page(client.get("/scenarios"))
    assert 'href="/scenarios/new"' in _page(client.get("/dashboard"))
    assert 'href="/scenarios"' in _page(client.get("/"))  # the navbar
    university = make_user("university")
    db.session.commit()
    log_in(client, university)
    assert 'href="/scenarios/new"' not in _page(client.get("/scenarios"))


def test_confirmation_shows_the_scenario_and_stores_nothing(client, world):
    log_in(client, world["admin"])
    form = client.get("/scenarios/new")
    assert form.status_code == 200 and "场景方" in _page(form)
    audits = _count(AuditLog)
    response = client.post("/scenarios/new", data=_form(world))
    page = _page(response)
    assert response.status_code == 200
    for shown in (TITLE, DESCRIPTION, OWNER, SITE, "面议", "确认发布", "返回修改", "平台审核"):
        assert shown in page, shown
    assert "可行性 40" in page
    assert _count(Challenge) == 0 and _count(Need) == 0 and _count(AuditLog) == audits
    for name, value in _form(world).items():
        assert f'name="{name}" value="{value}"' in page, name

    back = client.post("/scenarios/new", data={**_form(world), "action": "edit"})
    assert back.status_code == 200 and "预览并确认" in _page(back) and SITE in _page(back)
    assert _count(Challenge) == 0


@pytest.mark.parametrize(
    ("tampered", "message"),
    [
        ({"scenario_owner": ""}, "请填写场景方。"),
        ({"scenario_site": ""}, "请填写场景地点。"),
        ({"description": "太短了"}, "场景介绍至少写 20 个字"),
        ({"success_criteria": "x"}, "成功标准至少写 10 个字"),
        ({"weight_team": "-1"}, "权重在 0 到 100 之间。"),
        (
            {
                "weight_feasibility": "0",
                "weight_maturity": "0",
                "weight_price": "0",
                "weight_team": "0",
            },
            "评分权重之和必须大于 0。",
        ),
        ({"field_id": "0"}, "请选择技术领域。"),
        ({"region": "mars"}, "不是有效的选择。"),
        ({"bounty_wan": "abc"}, "万元"),
    ],
)
def test_bad_input_is_explained_and_nothing_stored(client, world, tampered, message):
    log_in(client, world["admin"])
    for action in ("preview", "confirm"):
        response = client.post(
            "/scenarios/new", data={**_form(world, **tampered), "action": action}
        )
        assert response.status_code == 200
        assert message in _page(response), (action, _page(response)[:0])
        assert "invalid-feedback" in _page(response)
    assert _count(Challenge) == 0 and _count(Need) == 0


@pytest.mark.parametrize("role", ["enterprise", "university", "bank", "broker", "bureau"])
def test_non_admins_cannot_publish(client, world, role):
    user = make_user(role)
    db.session.commit()
    log_in(client, user)
    assert client.get("/scenarios/new").status_code == 403
    response = client.post("/scenarios/new", data={**_form(world), "action": "confirm"})
    assert response.status_code == 403
    assert _count(Challenge) == 0


def test_published_reviewed_applied_to_selected_and_contracted(client, world):
    challenge = _publish(client, world)
    assert challenge.kind == "scenario" and challenge.status == "challenge_review"
    assert challenge.need.organisation_id == world["bureau"].id
    assert (challenge.weight_feasibility, challenge.weight_team) == (40, 20)
    # not public before the review
    client.get("/logout")
    log_in(client, world["university"])
    assert TITLE not in _page(client.get("/scenarios"))
    assert client.get(f"/challenges/{challenge.id}").status_code == 404
    # the admin approves it from the one review queue
    log_in(client, world["admin"])
    review = _page(client.get(f"/admin/review/challenges/{challenge.id}"))
    assert OWNER in review and SITE in review
    approved = client.post(f"/admin/review/challenges/{challenge.id}/approve")
    assert approved.status_code == 302 and challenge.status == "open"

    # listed on 场景清单 (and not on the 榜单 list); the scenario's page is the challenge's
    log_in(client, world["university"])
    listed = _page(client.get("/scenarios"))
    assert TITLE in listed and OWNER in listed and SITE in listed
    assert TITLE not in _page(client.get("/challenges"))
    assert TITLE in _page(client.get(f"/scenarios?field={world['field'].code}&region=changchun"))
    assert TITLE not in _page(client.get("/scenarios?region=jilin"))
    redirect = client.get(f"/scenarios/{challenge.id}")
    assert redirect.status_code == 302
    assert redirect.headers["Location"].endswith(f"/challenges/{challenge.id}")
    show = _page(client.get(f"/challenges/{challenge.id}"))
    assert "scenario-badge" in show and OWNER in show and SITE in show and "我要揭榜" in show

    # a university applies with the existing pages
    url = f"/challenges/{challenge.id}/apply"
    assert client.post(url, data={**ANSWER, "action": "submit"}).status_code == 302
    application = db.session.scalar(sa.select(Application))
    assert application.status == "submitted"

    # the admin shortlists, closes, selects and records the deal
    log_in(client, world["admin"])
    assert client.get(f"/my/challenges/{challenge.id}").status_code == 200
    board = _page(client.get(f"/my/challenges/{challenge.id}/pipeline"))
    assert world["university"].organisation.name in board
    assert client.post(f"/my/applications/{application.id}/shortlist").status_code == 302
    assert client.post(f"/my/challenges/{challenge.id}/close").status_code == 302
    selected = client.post(
        f"/my/applications/{application.id}/select",
        data={f"select-{application.id}-code": "other", f"select-{application.id}-reason": "无"},
    )
    assert selected.status_code == 302
    assert application.status == "selected" and challenge.status == "awarded"
    recorded = client.post(
        f"/my/deals/new?application={application.id}",
        data={"mode": "cooperation", "amount_wan": "30", "payment_form": "lump_sum"},
    )
    assert recorded.status_code == 302
    deal = db.session.scalar(sa.select(Deal))
    assert deal.application_id == application.id
    assert (deal.provider_org_id, deal.client_org_id) == (
        world["university"].organisation_id,
        world["bureau"].id,
    )
    assert challenge.status == "contracted"
    assert TITLE in _page(client.get("/scenarios?status=done"))


def test_scenario_path_of_a_plain_challenge_is_not_found(client, fields):
    w = challenge_world(fields)
    assert client.get(f"/scenarios/{w['challenge'].id}").status_code == 404
    assert client.get("/scenarios/999999").status_code == 404
    assert client.get("/scenarios?page=abc&status=nonsense").status_code == 200


def test_the_api_says_the_kind_and_filters_on_it(client, world, fields):
    plain = challenge_world(fields)["challenge"]
    scenario = _publish(client, world)
    client.post(f"/admin/review/challenges/{scenario.id}/approve")
    body = client.get("/api/v1/challenges?kind=scenario").get_json()
    (item,) = body["items"]
    assert item["id"] == scenario.id and item["kind"] == "scenario"
    assert (item["scenario_owner"], item["scenario_site"]) == (OWNER, SITE)
    (other,) = client.get("/api/v1/challenges").get_json()["items"]
    assert other["id"] == plain.id and other["kind"] == "challenge"
    assert other["scenario_owner"] == ""
    detail = client.get(f"/api/v1/challenges/{scenario.id}").get_json()
    assert detail["kind"] == "scenario" and detail["scenario_site"] == SITE
    assert client.get("/api/v1/challenges?kind=nonsense").status_code == 422


# --- firms apply to scenarios (and only to scenarios) -------------------------------------------
def _approved(client, world) -> Challenge:  # noqa: ANN001
    challenge = _publish(client, world)
    assert client.post(f"/admin/review/challenges/{challenge.id}/approve").status_code == 302
    return challenge


def _select_and_contract(client, world, challenge, application) -> Deal:  # noqa: ANN001
    log_in(client, world["admin"])
    assert client.post(f"/my/applications/{application.id}/shortlist").status_code == 302
    assert client.post(f"/my/challenges/{challenge.id}/close").status_code == 302
    selected = client.post(
        f"/my/applications/{application.id}/select",
        data={f"select-{application.id}-code": "other", f"select-{application.id}-reason": "无"},
    )
    assert selected.status_code == 302
    assert application.status == "selected" and challenge.status == "awarded"
    recorded = client.post(
        f"/my/deals/new?application={application.id}",
        data={"mode": "cooperation", "amount_wan": "30", "payment_form": "lump_sum"},
    )
    assert recorded.status_code == 302
    deal = db.session.scalar(sa.select(Deal))
    assert deal is not None and challenge.status == "contracted"
    return deal


def test_a_firm_applies_to_a_scenario_on_the_pages_and_is_contracted(client, world):
    challenge = _approved(client, world)
    firm = make_user("enterprise")
    db.session.commit()
    log_in(client, firm)
    show = _page(client.get(f"/challenges/{challenge.id}"))
    assert "我要揭榜" in show and "用我的成果揭榜" not in show  # a firm has no results
    url = f"/challenges/{challenge.id}/apply"
    form = client.get(url)
    assert form.status_code == 200 and "已用本机构的成果预填" not in _page(form)
    assert client.post(url, data={**ANSWER, "action": "submit"}).status_code == 302
    application = db.session.scalar(sa.select(Application))
    assert application.status == "submitted" and application.source_result_id is None
    assert application.organisation_id == firm.organisation_id
    mine = _page(client.get("/my/applications"))
    assert TITLE in mine
    assert "我的揭榜" in _page(client.get("/dashboard"))  # the navbar leads there

    deal = _select_and_contract(client, world, challenge, application)
    assert (deal.provider_org_id, deal.client_org_id) == (firm.organisation_id, world["bureau"].id)


@pytest.fixture
def _fresh_globals(app: Flask) -> Iterator[None]:
    """API calls in this module: each request starts with a clean `g` (as tests/api do)."""

    def clear(sender: Flask, **extra: object) -> None:
        for key in list(g):
            g.pop(key)

    request_started.connect(clear, app)
    yield
    request_started.disconnect(clear, app)


@pytest.mark.usefixtures("_fresh_globals")
def test_a_firm_applies_to_a_scenario_through_the_api_and_is_contracted(app, client, world):
    challenge = _approved(client, world)
    firm = make_user("enterprise")
    token = api_tokens.create_token(user=firm, name="test", scopes=["read", "write"])
    db.session.commit()
    headers = {"Authorization": f"Bearer {token.secret}"}
    api = app.test_client()
    proposal = {
        "approach": "采用视觉导航与柔性机械臂，在病房完成送药与巡视，已在两家医院试用。",
        "indicators": "连续运行 30 天，故障率低于 1%，对应成功标准。",
        "trl": 7,
        "plan": [{"title": "病房部署", "due": "2027-03-01"}],
        "team": "工程师 6 名。",
        "price_wan": "30",
        "terms": "试点合作。",
    }
    response = api.post(
        f"/api/v1/challenges/{challenge.id}/applications", json=proposal, headers=headers
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "submitted" and body["source_result_id"] is None
    listed = api.get("/api/v1/applications?side=applicant", headers=headers).get_json()
    assert [item["id"] for item in listed["items"]] == [body["id"]]

    application = db.session.get(Application, body["id"])
    deal = _select_and_contract(client, world, challenge, application)
    assert deal.provider_org_id == firm.organisation_id


@pytest.mark.usefixtures("_fresh_globals")
def test_a_firm_applies_to_no_ordinary_challenge_least_of_all_its_own(app, client, fields):
    w = challenge_world(fields)
    challenge, owner = w["challenge"], w["owner"]
    colleague = make_user("enterprise", organisation=owner.organisation)
    stranger = make_user("enterprise")
    tokens = {
        u.id: api_tokens.create_token(user=u, name="t", scopes=["read", "write"]).secret
        for u in (colleague, stranger)
    }
    db.session.commit()
    api = app.test_client()
    for firm in (colleague, stranger):
        log_in(client, firm)
        assert "我要揭榜" not in _page(client.get(f"/challenges/{challenge.id}"))
        url = f"/challenges/{challenge.id}/apply"
        assert client.post(url, data={**ANSWER, "action": "submit"}).status_code == 403
        response = api.post(
            f"/api/v1/challenges/{challenge.id}/applications",
            json={"approach": "x" * 30},
            headers={"Authorization": f"Bearer {tokens[firm.id]}"},
        )
        assert response.status_code == 403
    assert _count(Application) == 0


def test_the_bureau_never_applies_to_its_own_scenario(client, world):
    challenge = _approved(client, world)
    member = make_user("enterprise", organisation=world["bureau"])  # a bureau member, any role
    db.session.commit()
    log_in(client, member)
    assert "我要揭榜" not in _page(client.get(f"/challenges/{challenge.id}"))
    url = f"/challenges/{challenge.id}/apply"
    assert client.post(url, data={**ANSWER, "action": "submit"}).status_code == 403
    assert _count(Application) == 0


def test_the_scenario_pages_say_firms_apply(client, world):
    challenge = _publish(client, world)
    assert "企业、高校和科研院所" in _page(client.get("/scenarios"))
    confirm = client.post("/scenarios/new", data=_form(world, title="另一个场景"))
    assert "通过认证的企业、高校和科研院所可以揭榜" in _page(confirm)
    assert challenge.status == "challenge_review"


# --- sent back by the reviewer: edited whole, confirmed, back in the review ---------------------
def _returned(client, world) -> Challenge:  # noqa: ANN001
    challenge = _publish(client, world)
    rejected = client.post(
        f"/admin/review/challenges/{challenge.id}/reject",
        data={"code": "incomplete", "reason": "请写明场景方联系人和现场开放时间。"},
    )
    assert rejected.status_code == 302 and challenge.status == "challenge_returned"
    return challenge


def test_a_returned_scenario_is_edited_whole_and_resubmitted_through_confirm(client, world):
    challenge = _returned(client, world)
    manage = _page(client.get(f"/my/challenges/{challenge.id}"))
    assert "修改后重新提交" in manage
    # the owner's 修改后重新提交 (the 政府榜 terms form's address) leads to the scenario form
    leads = client.get(f"/my/needs/{challenge.need_id}/challenge")
    assert leads.status_code == 302
    assert leads.headers["Location"].endswith(f"/scenarios/{challenge.id}/edit")
    url = f"/scenarios/{challenge.id}/edit"
    page = _page(client.get(url))
    assert "请写明场景方联系人和现场开放时间。" in page  # the reviewer's reason
    for shown in (TITLE, OWNER, SITE, 'name="weight_feasibility"'):
        assert shown in page, shown
    assert 'value="40"' in page and 'name="visibility"' not in page  # no 公开范围

    edited = _form(
        world,
        title="智慧病房护理机器人试点（二期）",
        scenario_owner="吉林大学第一医院",
        scenario_site="长春市朝阳区新民大街 71 号",
        weight_price="20",
    )
    audits = _count(AuditLog)
    confirm = client.post(url, data=edited)
    assert confirm.status_code == 200
    text = _page(confirm)
    for shown in ("吉林大学第一医院", "新民大街 71 号", "（二期）", "确认并重新提交", "返回修改"):
        assert shown in text, shown
    assert challenge.need.title == TITLE and challenge.status == "challenge_returned"
    assert _count(AuditLog) == audits  # the confirmation page stores nothing
    back = client.post(url, data={**edited, "action": "edit"})
    assert back.status_code == 200 and "吉林大学第一医院" in _page(back)

    done = client.post(url, data={**edited, "action": "confirm"})
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/my/challenges/{challenge.id}")
    db.session.refresh(challenge)
    need = challenge.need
    assert challenge.status == "challenge_review"  # back in the review queue
    assert need.title == "智慧病房护理机器人试点（二期）"
    assert (challenge.scenario_owner, challenge.scenario_site) == (
        "吉林大学第一医院",
        "长春市朝阳区新民大街 71 号",
    )
    assert challenge.weight_price == 20 and challenge.kind == "scenario"
    assert challenge.is_government and challenge.visibility == "public"
    assert _count(Challenge) == 1 and _count(Need) == 1
    review = _page(client.get(f"/admin/review/challenges/{challenge.id}"))
    assert "吉林大学第一医院" in review
    # once resubmitted it is no longer editable
    assert client.get(url).status_code == 409


def test_a_returned_scenario_refuses_bad_input_and_stores_nothing(client, world):
    challenge = _returned(client, world)
    url = f"/scenarios/{challenge.id}/edit"
    for action in ("preview", "confirm"):
        response = client.post(url, data={**_form(world, scenario_owner=""), "action": action})
        assert response.status_code == 200 and "请填写场景方。" in _page(response)
    assert challenge.status == "challenge_returned" and challenge.scenario_owner == OWNER


def test_only_a_returned_scenario_is_edited_and_only_by_admins(client, world, fields):
    challenge = _publish(client, world)  # under review, not sent back
    assert client.get(f"/scenarios/{challenge.id}/edit").status_code == 409
    plain = challenge_world(fields)["challenge"]
    assert client.get(f"/scenarios/{plain.id}/edit").status_code == 404
    log_in(client, world["university"])
    assert client.get(f"/scenarios/{challenge.id}/edit").status_code == 403
