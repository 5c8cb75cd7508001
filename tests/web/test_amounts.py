"""Every amount in 万元 under one rule, with its true reason; all errors of a form at once;
nothing typed silently changed (issue 13, points 3 and 4)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from matchmaker.extensions import db
from matchmaker.models import Challenge, FinancingNeed, LoanProduct, Need, Result
from matchmaker.models.base import CHINA, utcnow
from matchmaker.services.challenges import challenges, deals
from matchmaker.services.errors import ValidationFailed
from matchmaker.services.finance import financing_needs, loan_products
from matchmaker.services.market import listings
from matchmaker.services.platform.amounts import MAX_AMOUNT_WAN, amount_error
from tests.conftest import log_in
from tests.factories import make_user, publish_need
from tests.services.challenge_helpers import terms as challenge_terms
from tests.web.test_finance_bad_input import NEED, PRODUCT, finance_world
from tests.web.test_listings_web import need_form, result_form

HUGE = "99999999999999"  # the bounty that went public in the issue
TOO_BIG = "金额不能超过 1,000,000 万元。"
NEGATIVE = "金额不能为负数。"
NEGOTIABLE_NEGATIVE = "金额不能为负数，面议请填 0。"
DECIMALS = "最多保留两位小数"


def _page(response) -> str:
    return response.get_data(as_text=True)


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- the one rule ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        ("0", {}, None),
        ("0", {"positive": True}, "金额应大于 0。"),
        ("12.34", {}, None),
        ("12.340", {}, None),
        ("12.345", {}, DECIMALS),
        ("-50", {}, NEGATIVE),
        ("-50", {"negotiable": True}, NEGOTIABLE_NEGATIVE),
        ("1000000", {}, None),
        ("1000000.01", {}, TOO_BIG),
        (HUGE, {}, TOO_BIG),
        ("NaN", {}, "请填写数字。"),
    ],
)
def test_the_rule(app, value, kwargs, expected):
    with app.test_request_context():
        message = amount_error(Decimal(value), **kwargs)
    assert (message is None) if expected is None else (expected in message)
    assert Decimal(1_000_000) == MAX_AMOUNT_WAN


# --- listings --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "name", "value", "message"),
    [
        ("result", "price_wan", HUGE, TOO_BIG),
        ("result", "price_wan", "-50", NEGATIVE),
        ("result", "price_wan", "12.345", DECIMALS),
        ("need", "budget_wan", HUGE, TOO_BIG),
        ("need", "budget_wan", "-50", NEGOTIABLE_NEGATIVE),
        ("need", "budget_wan", "12.345", DECIMALS),
    ],
)
def test_listing_amounts_are_refused_with_their_reason(client, fields, kind, name, value, message):
    owner = make_user("university" if kind == "result" else "enterprise")
    db.session.commit()
    log_in(client, owner)
    form = (result_form if kind == "result" else need_form)(fields, **{name: value})
    response = client.post(f"/my/{kind}s/new", data=form)
    page = _page(response)
    assert response.status_code == 200
    assert message in page
    assert "金额应为 0 或正数" not in page and "价格应为 0 或正数" not in page
    assert _count(Result if kind == "result" else Need) == 0


def test_listing_amounts_within_the_rule_are_stored_as_typed(client, fields):
    owner = make_user("enterprise")
    db.session.commit()
    log_in(client, owner)
    response = client.post("/my/needs/new", data=need_form(fields, budget_wan="12.34"))
    assert response.status_code == 302
    assert db.session.scalars(sa.select(Need)).one().budget_wan == Decimal("12.34")


def test_thirty_keywords_are_refused_not_cut(client, fields):
    owner = make_user("university")
    db.session.commit()
    log_in(client, owner)
    keywords = "，".join(f"关键词{i}" for i in range(30))
    response = client.post("/my/results/new", data=result_form(fields, keywords=keywords))
    assert response.status_code == 200
    assert "关键词最多 20 个，现有 30 个。" in _page(response)
    assert _count(Result) == 0
    twenty = "，".join(f"关键词{i}" for i in range(20))
    response = client.post("/my/results/new", data=result_form(fields, keywords=twenty))
    assert response.status_code == 302
    assert len(db.session.scalars(sa.select(Result)).one().keyword_list) == 20


def test_the_listing_service_refuses_what_the_form_would(fields):
    owner = make_user("enterprise")
    data = listings.NeedData(
        title="需求",
        field_id=None,
        keywords=tuple(f"k{i}" for i in range(21)),
        region="changchun",
        budget_wan=Decimal(HUGE),
    )
    with pytest.raises(ValidationFailed) as raised:
        listings.create_listing(actor=owner, data=data)
    assert TOO_BIG in raised.value.errors["budget_wan"]
    assert "关键词最多 20 个" in " ".join(raised.value.errors["keywords"])


# --- challenges ------------------------------------------------------------------------------
@pytest.fixture
def need_to_publish(client, fields):
    admin, owner = make_user("admin"), make_user("enterprise")
    need = publish_need(owner, admin, fields, "玉米秸秆高值化利用", "需要秸秆制备高附加值产品" * 2)
    log_in(client, owner)
    return need


def _publish_form(**overrides: str) -> dict[str, str]:
    return {
        "bounty_wan": "120",
        "deadline": (datetime.now(CHINA).date() + timedelta(days=20)).isoformat(),
        "success_criteria": "秸秆利用率 90% 以上，产品通过第三方检测。",
        "deliverables": "秸秆饲料化工艺包及中试报告。",
        "ip_ownership": "shared",
        "ip_licence": "non_exclusive",
        "payment_form": "lump_sum",
        "visibility": "public",
        **overrides,
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [(HUGE, TOO_BIG), ("-50", NEGOTIABLE_NEGATIVE), ("12.345", DECIMALS)],
)
def test_bounty_is_refused_with_its_reason(client, need_to_publish, value, message):
    url = f"/my/needs/{need_to_publish.id}/challenge"
    response = client.post(url, data=_publish_form(bounty_wan=value))
    page = _page(response)
    assert response.status_code == 200
    assert message in page
    assert "必须大于 0" not in page and "Number must be" not in page
    assert _count(Challenge) == 0


def test_zero_bounty_is_negotiable(client, need_to_publish):
    url = f"/my/needs/{need_to_publish.id}/challenge"
    data = _publish_form(bounty_wan="0", action="confirm")  # 确认发布 on the confirmation page
    assert client.post(url, data=data).status_code == 302


def test_criteria_and_deliverables_need_substance(client, need_to_publish):
    url = f"/my/needs/{need_to_publish.id}/challenge"
    response = client.post(url, data=_publish_form(success_criteria="x", deliverables="y"))
    page = _page(response)
    assert response.status_code == 200
    assert "成功标准至少写 10 个字" in page
    assert "预期交付成果至少写 10 个字" in page
    assert _count(Challenge) == 0


def test_all_errors_of_the_publish_form_at_once(client, need_to_publish):
    url = f"/my/needs/{need_to_publish.id}/challenge"
    yesterday = (datetime.now(CHINA).date() - timedelta(days=1)).isoformat()
    response = client.post(
        url,
        data=_publish_form(bounty_wan=HUGE, deadline=yesterday, deliverables="工艺包。"),
    )
    page = _page(response)
    assert response.status_code == 200
    assert TOO_BIG in page
    assert "揭榜截止日期不能早于今天。" in page
    assert "预期交付成果至少写 10 个字" in page
    assert _count(Challenge) == 0


def test_the_challenge_service_collects_every_error(fields):
    admin, owner = make_user("admin"), make_user("enterprise")
    need = publish_need(owner, admin, fields, "玉米秸秆高值化利用", "需要秸秆制备高附加值产品" * 2)
    bad = challenge_terms(
        bounty_wan=Decimal(HUGE),
        deadline_at=utcnow() - timedelta(days=1),
        success_criteria="x",
        deliverables="y",
    )
    with pytest.raises(ValidationFailed) as raised:
        challenges.publish_challenge(actor=owner, need=need, terms=bad)
    errors = raised.value.errors
    assert set(errors) >= {"bounty_wan", "deadline_at", "success_criteria", "deliverables"}
    assert TOO_BIG in errors["bounty_wan"]


# --- deals, applications, offers (the forms themselves) --------------------------------------
@pytest.mark.parametrize(
    ("form_path", "name", "value", "message"),
    [
        ("matchmaker.web.pipeline.forms:DealForm", "amount_wan", HUGE, TOO_BIG),
        ("matchmaker.web.pipeline.forms:DealForm", "amount_wan", "-50", NEGATIVE),
        ("matchmaker.web.pipeline.forms:DealForm", "amount_wan", "12.345", DECIMALS),
        ("matchmaker.web.challenges.forms:ApplicationForm", "price_wan", HUGE, TOO_BIG),
        ("matchmaker.web.challenges.forms:ApplicationForm", "price_wan", "12.345", DECIMALS),
        ("matchmaker.web.challenges.forms:OfferForm", "price_wan", HUGE, TOO_BIG),
        ("matchmaker.web.challenges.forms:OfferForm", "price_wan", "-50", NEGATIVE),
    ],
)
def test_other_amount_forms_follow_the_rule(app, form_path, name, value, message):
    import importlib

    module, cls = form_path.split(":")
    form_class = getattr(importlib.import_module(module), cls)
    with app.test_request_context(method="POST"):
        form = form_class(formdata=MultiDict({name: value}), meta={"csrf": False})
        form.validate()
        assert any(message in str(e) for e in form[name].errors), form[name].errors


def test_the_deal_service_refuses_a_huge_amount(app):
    terms = deals.DealTerms(
        mode="cooperation",
        amount_wan=Decimal(HUGE),
        payment_form="lump_sum",
        contract_number=None,
        signed_on=None,
        trial_start=None,
        trial_end=None,
    )
    with app.test_request_context():
        assert TOO_BIG in deals._validate(terms)["amount_wan"]


# --- 科技金融 --------------------------------------------------------------------------------
@pytest.fixture
def world(db):
    return finance_world()


@pytest.mark.parametrize(
    ("value", "message"),
    [(HUGE, TOO_BIG), ("-50", NEGATIVE), ("12.345", DECIMALS), ("0", "金额应大于 0。")],
)
def test_financing_need_amount(client, world, value, message):
    log_in(client, world["firm_a"])
    before = _count(FinancingNeed)
    response = client.post("/finance/financing-needs/new", data={**NEED, "amount_wan": value})
    assert response.status_code == 400
    assert message in _page(response)
    assert _count(FinancingNeed) == before


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("amount_min_wan", "-50", NEGATIVE),
        ("amount_max_wan", HUGE, TOO_BIG),
        ("amount_max_wan", "12.345", DECIMALS),
    ],
)
def test_loan_product_amounts(client, world, name, value, message):
    log_in(client, world["organiser"])
    before = _count(LoanProduct)
    response = client.post("/finance/products/new", data={**PRODUCT, name: value})
    assert response.status_code in (200, 400)
    assert message in _page(response)
    assert _count(LoanProduct) == before


def test_finance_services_share_the_rule(app, db):
    with app.test_request_context():
        with pytest.raises(ValidationFailed) as raised:
            financing_needs.validate_financing_need(
                financing_needs.FinancingNeedData(
                    title="设备贷", amount_wan=Decimal(HUGE), purpose="购置设备。", term_months=12
                )
            )
        assert raised.value.errors["amount_wan"] == [TOO_BIG]
        product = loan_products.ProductData(
            name="科创贷",
            kind="sci_tech",
            description="",
            amount_min_wan=Decimal(-50),
            amount_max_wan=Decimal(HUGE),
            term_min_months=6,
            term_max_months=36,
            rate_min=Decimal(3),
            rate_max=Decimal(4),
        )
        with pytest.raises(ValidationFailed) as raised:
            loan_products.validate_product(product)
        assert raised.value.errors["amount_min_wan"] == [NEGATIVE]
        assert raised.value.errors["amount_max_wan"] == [TOO_BIG]


def test_credit_approval_reports_amount_and_product_together(app, world):
    from matchmaker.services.finance import leads

    with pytest.raises(ValidationFailed) as raised:
        leads.approve_credit(
            actor=world["organiser"],
            lead=world["lead_in_contact"],
            amount_wan=Decimal(HUGE),
            product_id=world["product_b"].id,  # another bank's product
        )
    assert raised.value.errors["amount_wan"] == [TOO_BIG]
    assert "product_id" in raised.value.errors


def test_an_overlong_keyword_is_refused_not_cut(client, fields):
    owner = make_user("university")
    db.session.commit()
    log_in(client, owner)
    response = client.post("/my/results/new", data=result_form(fields, keywords="碳" * 41))
    assert response.status_code == 200
    assert "每个关键词不能超过 40 个字。" in _page(response)
    assert _count(Result) == 0
