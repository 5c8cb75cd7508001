"""Loan products and financing needs through the web pages: forms, messages, who sees what."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    Collateral,
    FinancingNeed,
    FinancingStatus,
    LoanProduct,
    ProductStatus,
)
from matchmaker.services.finance import consent
from tests.conftest import log_in
from tests.factories import make_user
from tests.finance_factories import make_financing_need, make_firm, make_product

PRODUCT_FORM = {
    "name": "吉科知识产权贷",
    "kind": "ip_pledge",
    "description": "以授权发明专利质押，支持研发投入。",
    "amount_min_wan": "100",
    "amount_max_wan": "2000",
    "term_min_months": "12",
    "term_max_months": "36",
    "rate_min": "3.2",
    "rate_max": "4.8",
    "min_score": "",
    "collateral": [str(int(Collateral.IP_PLEDGE))],
}
NEED_FORM = {
    "title": "研发设备购置贷款",
    "amount_wan": "300",
    "term_months": "24",
    "purpose": "购置碳纤维预浸料生产线研发设备，扩大研发投入。",
    "collateral": [str(int(Collateral.IP_PLEDGE)), str(int(Collateral.UNSECURED))],
}


def _products() -> list[LoanProduct]:
    return list(db.session.scalars(sa.select(LoanProduct)))


def test_a_bank_drafts_publishes_and_the_public_sees_the_product(client, login_as, fields):
    bank = login_as("bank")
    form = {**PRODUCT_FORM, "field_ids": [str(fields["materials"].id)], "requires_high_tech": "y"}
    response = client.post("/finance/products/new", data=form)
    assert response.status_code == 302
    (product,) = _products()
    assert product.status == ProductStatus.DRAFT and product.bank_org_id == bank.organisation_id
    assert product.field_ids == [fields["materials"].id] and product.requires_high_tech
    # a draft is the bank's alone
    assert "吉科知识产权贷" not in client.get("/finance/products").get_data(as_text=True)
    mine = client.get("/finance/products/mine").get_data(as_text=True)
    assert "吉科知识产权贷" in mine
    assert client.post(f"/finance/products/{product.id}/publish").status_code == 302
    db.session.refresh(product)
    assert product.status == ProductStatus.PUBLISHED
    # published: anyone, even anonymous, sees it in the catalogue and on its page
    with client.session_transaction() as session:
        session.clear()
    catalogue = client.get("/finance/products").get_data(as_text=True)
    assert "吉科知识产权贷" in catalogue
    page = client.get(f"/finance/products/{product.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "100–2,000 万元" in html and "3.20%–4.80%" in html
    assert "须为高新技术企业" in html and "碳纤维" in html
    assert "匹配的融资需求" not in html  # only the owner sees matches
    assert (
        client.get("/finance/products?kind=talent").get_data(as_text=True).count("吉科知识产权贷")
        == 0
    )


def test_bad_product_input_shows_messages_and_stores_nothing(client, login_as):
    login_as("bank")
    bad = {**PRODUCT_FORM, "rate_max": "30", "amount_min_wan": "500", "amount_max_wan": "100"}
    response = client.post("/finance/products/new", data=bad)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "年利率应在 0% 到 24% 之间。" in html
    assert "最高额度不能低于最低额度。" in html
    no_collateral = {k: v for k, v in PRODUCT_FORM.items() if k != "collateral"}
    response = client.post("/finance/products/new", data=no_collateral)
    assert response.status_code == 400
    assert "请至少选择一种接受的担保方式。" in response.get_data(as_text=True)
    for garbage in (
        {**PRODUCT_FORM, "amount_min_wan": "abc"},
        {**PRODUCT_FORM, "kind": "nope"},
        {**PRODUCT_FORM, "field_ids": ["x"]},
        {**PRODUCT_FORM, "collateral": ["999"]},
        {},
    ):
        assert client.post("/finance/products/new", data=garbage).status_code == 400
    assert _products() == []


def test_edit_needs_a_withdrawn_product_and_other_banks_get_404(client, login_as, db):
    bank = login_as("bank")
    product = make_product(bank)
    db.session.commit()
    response = client.post(f"/finance/products/{product.id}/edit", data=PRODUCT_FORM)
    assert response.status_code == 409
    assert "已发布的产品请先下架再修改。" in response.get_data(as_text=True)
    assert client.post(f"/finance/products/{product.id}/withdraw").status_code == 302
    assert client.get(f"/finance/products/{product.id}/edit").status_code == 200
    assert client.post(f"/finance/products/{product.id}/edit", data=PRODUCT_FORM).status_code == (
        302
    )
    db.session.refresh(product)
    assert product.name == "吉科知识产权贷" and product.status == ProductStatus.WITHDRAWN
    # withdrawn: gone from the public
    log_in(client, make_user("bank"))
    db.session.commit()
    for url in (
        f"/finance/products/{product.id}",
        f"/finance/products/{product.id}/edit",
    ):
        assert client.get(url).status_code == 404
    for url in (
        f"/finance/products/{product.id}/publish",
        f"/finance/products/{product.id}/withdraw",
        f"/finance/products/{product.id}/edit",
    ):
        assert client.post(url, data=PRODUCT_FORM).status_code == 404
    db.session.refresh(product)
    assert product.status == ProductStatus.WITHDRAWN


def test_an_unverified_bank_is_told_it_cannot_publish(client, login_as, db):
    bank = login_as("bank", verified=False)
    product = make_product(bank, status=ProductStatus.DRAFT, published_at=None)
    db.session.commit()
    response = client.post(f"/finance/products/{product.id}/publish")
    assert response.status_code == 403
    assert "银行通过平台认证后才能发布贷款产品。" in response.get_data(as_text=True)


def test_the_owner_sees_matching_needs_of_consenting_firms_only(client, login_as, db):
    bank = login_as("bank")
    product = make_product(bank)
    shown = make_firm()
    make_financing_need(shown, title="碳纤维生产线贷款")
    hidden = make_firm(scopes=None)
    make_financing_need(hidden, title="未授权企业的需求")
    db.session.commit()
    html = client.get(f"/finance/products/{product.id}").get_data(as_text=True)
    assert "碳纤维生产线贷款" in html and shown.organisation.name in html
    assert "未授权企业的需求" not in html and hidden.organisation.name not in html
    assert f"/finance/firms/{shown.organisation_id}/lead" in html
    consent.revoke(actor=shown)
    db.session.commit()
    html = client.get(f"/finance/products/{product.id}").get_data(as_text=True)
    assert "碳纤维生产线贷款" not in html


def test_an_enterprise_posts_a_need_and_sees_eligible_products(client, login_as, db):
    firm = login_as("enterprise")
    bank = make_user("bank")
    fits = make_product(bank, name="科创贷")
    make_product(bank, name="小额贷", amount_min_wan=Decimal(10), amount_max_wan=Decimal(100))
    db.session.commit()
    response = client.post("/finance/financing-needs/new", data=NEED_FORM)
    assert response.status_code == 302
    need = db.session.scalar(sa.select(FinancingNeed))
    assert need.organisation_id == firm.organisation_id
    assert need.collateral == int(Collateral.IP_PLEDGE | Collateral.UNSECURED)
    html = client.get(f"/finance/financing-needs/{need.id}").get_data(as_text=True)
    assert html.index("科创贷") < html.index("小额贷")
    # the reason the second one does not fit, rule by rule
    assert 'data-rule="amount" data-ok="no"' in html and "金额在 10" in html
    assert f'id="product-{fits.id}" class="eligible"' in html
    assert "当前没有生效的授权" in html  # no profile, no consent yet
    assert "研发设备购置贷款" in client.get("/finance/financing-needs").get_data(as_text=True)


def test_bad_need_input_and_closing(client, login_as, db):
    firm = login_as("enterprise")
    response = client.post("/finance/financing-needs/new", data={**NEED_FORM, "amount_wan": "0"})
    assert response.status_code == 400
    assert "金额应大于 0。" in response.get_data(as_text=True)
    response = client.post("/finance/financing-needs/new", data={**NEED_FORM, "purpose": ""})
    assert response.status_code == 400
    assert "请说明资金用途。" in response.get_data(as_text=True)
    assert client.post("/finance/financing-needs/new", data={}).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FinancingNeed)) == 0

    need = make_financing_need(firm)
    db.session.commit()
    url = f"/finance/financing-needs/{need.id}"
    assert client.post(f"{url}/close", data={}).status_code == 400
    assert client.post(f"{url}/close", data={"outcome": "satisfied"}).status_code == 302
    db.session.refresh(need)
    assert need.status == FinancingStatus.SATISFIED
    again = client.post(f"{url}/close", data={"outcome": "closed"})
    assert again.status_code == 409
    assert client.post(f"{url}/edit", data=NEED_FORM).status_code == 409


def test_another_firm_gets_404_for_a_need(client, login_as, db):
    owner = make_firm()
    need = make_financing_need(owner)
    db.session.commit()
    login_as("enterprise")
    url = f"/finance/financing-needs/{need.id}"
    assert client.get(url).status_code == 404
    assert client.get(f"{url}/edit").status_code == 404
    assert client.post(f"{url}/edit", data=NEED_FORM).status_code == 404
    assert client.post(f"{url}/close", data={"outcome": "closed"}).status_code == 404
    db.session.refresh(need)
    assert need.status == FinancingStatus.OPEN and need.title == "研发设备购置贷款"
