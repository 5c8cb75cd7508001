"""The firm's 科技金融 pages: profile form, score breakdown, consent, view log, formula admin."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    ConsentGrant,
    ConsentScope,
    FirmFinancialYear,
    FirmProfile,
    Job,
    ScoreFormula,
    ViewAction,
)
from matchmaker.services.errors import NotFound
from matchmaker.services.finance import consent, innovation_score
from tests.conftest import log_in
from tests.factories import make_user
from tests.finance_factories import make_firm, make_profile

LAST = date.today().year - 1
EXPIRES = (date.today() + timedelta(days=400)).isoformat()


def _form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "field_id": "0",
        "size": "small",
        "employees": "80",
        "founded_year": "2015",
        "high_tech": "y",
        "high_tech_cert_no": "GR202422000123",
        "high_tech_expires_on": EXPIRES,
        "specialised": "none",
        "specialised_cert_no": "",
        "specialised_expires_on": "",
        "patents_invention": "3",
        "patents_utility": "8",
        "patents_design": "1",
        "software_copyrights": "2",
        "awards": "",
        "key_products": "碳纤维复合材料汽车零部件",
        "contact_name": "王经理",
        "contact_phone": "13900000001",
        "contact_email": "finance@firm.example.com",
        "years-0-year": str(LAST - 2),
        "years-0-revenue_wan": "",
        "years-0-rd_spend_wan": "",
        "years-1-year": str(LAST - 1),
        "years-1-revenue_wan": "1000",
        "years-1-rd_spend_wan": "60",
        "years-2-year": str(LAST),
        "years-2-revenue_wan": "1300",
        "years-2-rd_spend_wan": "90",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _profiles() -> int:
    return db.session.scalar(sa.select(sa.func.count(FirmProfile.id)))


def test_enterprise_fills_the_profile_and_sees_the_score_breakdown(client, login_as):
    firm = login_as("enterprise")
    page = client.get("/finance/profile")
    assert page.status_code == 200 and "还没有填写企业画像" in page.text
    form = client.get("/finance/profile/edit")
    assert form.status_code == 200
    # the three year rows default to the last three years
    assert f'value="{LAST}"' in form.text and f'value="{LAST - 2}"' in form.text
    response = client.post("/finance/profile/edit", data=_form())
    assert response.status_code == 302 and response.location.endswith("/finance/profile")
    profile = db.session.scalar(
        sa.select(FirmProfile).where(FirmProfile.organisation_id == firm.organisation_id)
    )
    assert [y.year for y in profile.years] == [LAST - 1, LAST]  # the blank row is ignored
    assert str(profile.score) == "56.75"  # worked example B of docs/innovation-score.md
    shown = client.get("/finance/profile")
    assert "56.75" in shown.text and "GR202422000123" in shown.text
    assert "<svg" in shown.text and "<polygon" in shown.text
    assert "/finance/score/formula" in shown.text
    score = client.get("/finance/score")
    assert score.status_code == 200
    assert "研发投入强度" in score.text and "69.20" in score.text and "13.84" in score.text
    assert "v1" in score.text
    # the page stays CSP-safe: no inline style or script
    assert " style=" not in score.text and "<script>" not in score.text


def test_the_edit_form_is_prefilled_from_the_profile(client, login_as):
    firm = login_as("enterprise")
    make_profile(firm, years=[(2020, 500, 20), (2021, 600, 30), (2022, 700, 40), (2023, 800, 50)])
    db.session.commit()
    page = client.get("/finance/profile/edit")
    assert page.status_code == 200
    assert 'value="GR202422000123"' in page.text
    # every declared year gets a row, so saving does not drop one
    assert all(f'value="{y}"' in page.text for y in (2020, 2021, 2022, 2023))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"high_tech_cert_no": ""}, "勾选高新技术企业时请填写证书编号"),
        ({"high_tech_expires_on": ""}, "勾选高新技术企业时请填写证书有效期"),
        ({"specialised": "sme"}, "选择专精特新认定时请填写证书"),
        ({"employees": "-3"}, "不能为负数"),
        ({"patents_invention": "-1"}, "请填写不小于 0 的整数"),
        ({"patents_invention": "many"}, ""),
        ({"years-2-year": str(LAST - 1)}, "同一年度只能填写一次"),
        ({"years-2-year": str(date.today().year + 3)}, "年度须在"),
        ({"years-2-revenue_wan": ""}, "每个年度请完整填写"),
        ({"years-2-revenue_wan": "-5"}, "金额不能为负数。"),
        ({"contact_email": "not-an-email"}, "请填写有效的邮箱地址"),
        ({"size": "gigantic"}, ""),
        ({"field_id": "999999"}, ""),
        ({"high_tech_expires_on": "31/12/2026"}, ""),
        ({"years-2-revenue_wan": "NaN"}, "请填写不小于 0 的金额"),
        ({"years-2-rd_spend_wan": "sNaN"}, "请填写不小于 0 的金额"),
        ({"years-2-revenue_wan": "Infinity"}, "请填写不小于 0 的金额"),
        ({"years-2-revenue_wan": "1e400"}, "金额不能超过 1,000,000 万元。"),
        ({"years-2-year": "1" * 40, "employees": "9" * 40}, ""),
        ({"years-9-year": str(LAST - 5), "years-9-revenue_wan": "1"}, "每个年度请完整填写"),
    ],
)
def test_bad_profile_input_is_explained_and_stores_nothing(client, login_as, overrides, message):
    login_as("enterprise")
    response = client.post("/finance/profile/edit", data=_form(**overrides))
    assert response.status_code == 400
    assert message in response.text
    assert _profiles() == 0
    assert db.session.scalar(sa.select(sa.func.count(FirmFinancialYear.id))) == 0


def test_consent_grant_shows_up_and_revoke_ends_bank_access_at_once(client, login_as):
    firm = login_as("enterprise")
    make_profile(firm)
    db.session.commit()
    page = client.get("/finance/consent")
    assert page.status_code == 200 and "目前没有生效的授权" in page.text
    assert "高新技术企业和专精特新资质" in page.text  # the scope's help text
    response = client.post(
        "/finance/consent",
        data={
            "scopes": [str(int(ConsentScope.BASIC)), str(int(ConsentScope.INNOVATION))],
            "days": "90",
        },
    )
    assert response.status_code == 302
    grant = consent.live_grant(firm.organisation_id)
    assert grant.scopes == int(ConsentScope.BASIC | ConsentScope.INNOVATION)
    page = client.get("/finance/consent")
    assert "基本信息、创新指标" in page.text and "生效中" in page.text
    bank = make_user("bank")
    db.session.commit()
    assert consent.peek_firm(actor=bank, firm_org_id=firm.organisation_id).allows(
        ConsentScope.INNOVATION
    )
    assert client.post("/finance/consent/revoke").status_code == 302
    with pytest.raises(NotFound):
        consent.peek_firm(actor=bank, firm_org_id=firm.organisation_id)
    page = client.get("/finance/consent")
    assert "已撤回" in page.text
    # nothing left to revoke
    assert client.post("/finance/consent/revoke").status_code == 409


@pytest.mark.parametrize(
    "data",
    [
        {"days": "90"},  # no scope
        {"scopes": "1", "days": "7"},  # not an offered duration
        {"scopes": "64", "days": "90"},  # not a scope
        {"scopes": "abc", "days": "90"},
        {"scopes": "1"},
    ],
)
def test_bad_consent_input_grants_nothing(client, login_as, data):
    login_as("enterprise")
    response = client.post("/finance/consent", data=data)
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(ConsentGrant.id))) == 0


def test_view_log_shows_each_bank_and_each_look_of_this_firm_only(client):
    firm = make_firm(scopes=int(ConsentScope.BASIC | ConsentScope.FINANCIALS))
    other = make_firm()
    bank = make_user("bank")
    bank.organisation.name = "吉林银行长春分行"
    consent.open_firm(actor=bank, firm_org_id=firm.organisation_id)
    consent.open_firm(actor=bank, firm_org_id=firm.organisation_id, action=ViewAction.EXPORT)
    other_bank = make_user("bank")
    other_bank.organisation.name = "长春农商银行"
    consent.open_firm(actor=other_bank, firm_org_id=other.organisation_id)
    db.session.commit()
    log_in(client, firm)
    page = client.get("/finance/views")
    assert page.status_code == 200
    summary = page.text.split('id="views-summary"')[1].split("</table>")[0]
    assert "吉林银行长春分行" in summary and re.search(r">\s*2\s*<", summary)
    detail = page.text.split('id="views-detail"')[1]
    assert "导出" in detail and "查看画像" in detail and "基本信息、财务数据" in detail
    assert "长春农商银行" not in page.text


def test_dashboard_card(client, login_as):
    firm = login_as("enterprise")
    profile = make_profile(firm)
    innovation_score.compute_score(profile)
    consent.grant(actor=firm, scopes=int(ConsentScope.BASIC), days=30)
    consent.open_firm(actor=make_user("bank"), firm_org_id=firm.organisation_id)
    db.session.commit()
    page = client.get("/dashboard")
    assert page.status_code == 200
    card = page.text.split('id="finance-panel"')[1]
    assert "56.75" in card and "基本信息" in card and "1 次" in card
    assert '<div class="col-lg-6">\n  <section class="card h-100" id="finance-panel">' in page.text


def test_bank_sees_no_firm_card(client, login_as):
    login_as("bank")
    assert 'id="finance-panel"' not in client.get("/dashboard").text


def test_figures_and_contacts_stay_off_public_pages(app, client, login_as):
    login_as("enterprise")
    assert client.post("/finance/profile/edit", data=_form()).status_code == 302
    anonymous = app.test_client()
    for url in ("/", "/finance/score/formula"):
        text = anonymous.get(url).text
        assert "13900000001" not in text and "GR202422000123" not in text
        assert "56.75" not in text
    assert anonymous.get("/finance/profile").status_code == 302  # to the login page
    assert anonymous.get("/finance/score").status_code == 302


def test_formula_page_is_public_and_lists_the_weights(client):
    page = client.get("/finance/score/formula")
    assert page.status_code == 200
    assert "第 1 版" in page.text
    table = page.text.split('id="formula-table"')[1]
    assert "研发投入强度" in table and "响应速度" in table
    assert re.search(r">\s*100\s*</td>", table)  # the total of the weights


def test_admin_creates_a_new_formula_version(client, login_as):
    admin = login_as("admin")
    make_profile(make_user("enterprise"))
    db.session.commit()
    page = client.get("/finance/score-formula/new")
    assert page.status_code == 200 and 'value="20"' in page.text
    weights = {**innovation_score.DEFAULT_WEIGHTS, "awards": 10, "responsiveness": 0}
    bad = client.post("/finance/score-formula/new", data={**weights, "awards": 11, "note": "调整"})
    assert bad.status_code == 400 and "各项权重之和须恰好为 100" in bad.text
    out_of_range = client.post(
        "/finance/score-formula/new", data={**weights, "awards": 120, "note": "调整"}
    )
    assert out_of_range.status_code == 400 and "0 到 100" in out_of_range.text
    # nothing stored by the pages nor the refused posts (v1 is the unsaved default)
    assert db.session.scalar(sa.select(sa.func.count(ScoreFormula.id))) == 0
    ok = client.post("/finance/score-formula/new", data={**weights, "note": "更看重获奖"})
    assert ok.status_code == 302
    formula = innovation_score.current_formula()
    assert formula.version == 2 and formula.weights["awards"] == 10
    assert [f.version for f in innovation_score.formulas()] == [2, 1]  # v1 kept as history
    assert formula.created_by_id == admin.id
    assert db.session.scalar(sa.select(Job).where(Job.name == "finance.rescore")) is not None
    assert db.session.scalar(sa.select(FirmProfile.score_stale)) is True
    versions = client.get("/finance/score-formula")
    assert "v2" in versions.text and "更看重获奖" in versions.text
    assert "第 2 版" in client.get("/finance/score/formula").text


def test_enterprise_cannot_edit_the_formula(client, login_as):
    login_as("enterprise")
    weights = dict(innovation_score.DEFAULT_WEIGHTS)
    response = client.post("/finance/score-formula/new", data={**weights, "note": "x"})
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(ScoreFormula.id))) == 0


def test_a_stale_score_is_shown_as_such_and_recomputed_on_request(client, login_as):
    firm = login_as("enterprise")
    profile = make_profile(firm)
    innovation_score.compute_score(profile)
    innovation_score.mark_stale(firm.organisation_id)
    db.session.commit()
    page = client.get("/finance/score")
    assert page.status_code == 200
    assert 'id="recompute"' in page.text and "输入已变化" in page.text
    db.session.refresh(profile)
    assert profile.score_stale is True  # showing the page changes nothing
    assert client.post("/finance/score/recompute").status_code == 302
    db.session.refresh(profile)
    assert profile.score_stale is False
    assert 'id="recompute"' not in client.get("/finance/score").text


def test_recompute_needs_a_profile(client, login_as):
    login_as("enterprise")
    assert client.post("/finance/score/recompute").status_code == 404
