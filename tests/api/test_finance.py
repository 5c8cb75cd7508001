"""The finance area through the API: a bank's firm browser (consented scopes only, each look in
the firm's "who viewed me" log, revoked consent 404 at once), loan products and leads (another
bank's → 404, mass assignment refused, illegal steps 409), scopes and roles."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import jsonschema
import pytest
import sqlalchemy as sa

from matchmaker.extensions import db as _db
from matchmaker.models import ConsentScope, Lead, LoanProduct, ProductStatus, ViewAction
from matchmaker.services.finance import consent
from tests.conftest import log_in
from tests.factories import make_user
from tests.finance_factories import make_financing_need, make_firm, make_product

FINANCE = ("read:finance", "write:finance")
#: Values of scopes the firms did NOT consent to: they must never appear in a finance answer.
SECRET_REVENUE = "97531"
SECRET_PHONE = "13955556666"
SECRET_EMAIL = "treasurer-secret@firm.example.com"
SECRET_PRODUCTS = "绝密量子隧穿存储芯片"
SENTINELS = (SECRET_REVENUE, SECRET_PHONE, SECRET_EMAIL, SECRET_PRODUCTS)
EN = {"Accept-Language": "en"}


def product_body(**extra: Any) -> dict[str, Any]:
    return {
        "name": "知识产权质押贷",
        "kind": "ip_pledge",
        "description": "以发明专利质押为主的科技贷款。",
        "amount_min_wan": "50",
        "amount_max_wan": "800",
        "term_min_months": 6,
        "term_max_months": 36,
        "rate_min": "3.20",
        "rate_max": "4.80",
        "collateral": ["ip_pledge"],
        **extra,
    }


@pytest.fixture
def world(db) -> dict[str, Any]:  # noqa: ANN001
    """Two banks; a firm consenting to BASIC + INNOVATION (its revenue is a secret), a firm
    consenting to INNOVATION only (its contact details are secret), a firm without consent."""
    bank, rival = make_user("bank"), make_user("bank")
    firm = make_firm(
        scopes=int(ConsentScope.BASIC | ConsentScope.INNOVATION),
        years=[(2024, Decimal("97531.24"), Decimal("8642.13"))],
    )
    quiet = make_firm(
        scopes=int(ConsentScope.INNOVATION),
        contact_phone=SECRET_PHONE,
        contact_email=SECRET_EMAIL,
        key_products=SECRET_PRODUCTS,
    )
    silent = make_firm(scopes=None)
    product = make_product(bank)
    rival_draft = make_product(
        rival, name="别行草稿", status=ProductStatus.DRAFT, published_at=None
    )
    need = make_financing_need(firm)
    _db.session.commit()
    return {
        "bank": bank,
        "rival": rival,
        "firm": firm,
        "quiet": quiet,
        "silent": silent,
        "product": product,
        "rival_draft": rival_draft,
        "need": need,
    }


def _views(firm) -> list:  # noqa: ANN001
    return consent.views_of(firm.organisation_id)


def _request_lead(client, bearer_headers, world, **extra) -> Any:  # noqa: ANN001
    body = {"firm_id": world["firm"].organisation_id, "product_id": world["product"].id, **extra}
    return client.post("/api/v1/leads", json=body, headers=bearer_headers)


# --- firms ----------------------------------------------------------------------------------------
def test_bank_lists_the_consenting_firms_with_their_consented_scopes_only(client, bearer, world):
    answer = client.get("/api/v1/firms", headers=bearer(world["bank"], FINANCE))
    assert answer.status_code == 200
    body = answer.get_json()
    by_id = {item["id"]: item for item in body["items"]}
    firm_id, quiet_id = world["firm"].organisation_id, world["quiet"].organisation_id
    assert set(by_id) == {firm_id, quiet_id}  # the firm without consent is not listed
    assert body["total"] == 2
    assert by_id[firm_id]["scopes"] == ["basic", "innovation"]
    assert by_id[firm_id]["financials"] is None  # not consented: null, never the figures
    assert by_id[quiet_id]["basic"] is None
    assert by_id[quiet_id]["innovation"]["high_tech"] is True
    assert by_id[firm_id]["financing_needs"][0]["id"] == world["need"].id
    assert not any(secret in answer.get_data(as_text=True) for secret in SENTINELS)


def test_firm_filters_and_sort_as_the_web_browser(client, bearer, world):
    headers = bearer(world["bank"], FINANCE)
    low = client.get("/api/v1/firms", query_string={"need_min": "200"}, headers=headers)
    assert [i["id"] for i in low.get_json()["items"]] == [world["firm"].organisation_id]
    fit = client.get(
        "/api/v1/firms",
        query_string={"sort": "fit", "product": world["product"].id},
        headers=headers,
    )
    assert fit.status_code == 200
    assert all(i["fit"]["product"]["id"] == world["product"].id for i in fit.get_json()["items"])
    bad = client.get("/api/v1/firms", query_string={"sort": "fit"}, headers={**headers, **EN})
    assert bad.status_code == 422
    assert bad.get_json()["fields"] == {
        "product": ["To sort by fit, choose one of your bank's products."]
    }
    other = client.get(
        "/api/v1/firms",
        query_string={"sort": "fit", "product": world["rival_draft"].id},
        headers=headers,
    )
    assert other.status_code == 422 and "product" in other.get_json()["fields"]
    capped = client.get("/api/v1/firms", query_string={"page_size": 5000}, headers=headers)
    assert capped.get_json()["page_size"] == 50


def test_each_firm_read_is_logged_for_the_firm_as_the_web_page_logs_it(app, client, bearer, world):
    firm = world["firm"]
    headers = bearer(world["bank"], ("read:finance",))
    assert _views(firm) == []
    client.get("/api/v1/firms", headers=headers)  # a list is not a look
    assert _views(firm) == []
    for expected in (1, 2):
        answer = client.get(f"/api/v1/firms/{firm.organisation_id}", headers=headers)
        assert answer.status_code == 200
        assert len(_views(firm)) == expected
    row = _views(firm)[0]
    assert (row.bank_org_id, row.user_id, row.action) == (
        world["bank"].organisation_id,
        world["bank"].id,
        ViewAction.VIEW,
    )
    assert row.scopes == int(ConsentScope.BASIC | ConsentScope.INNOVATION)
    # the firm sees the look on its "哪些银行查看了我的画像" page, as it sees the web page's
    web = app.test_client()
    log_in(web, firm)
    page = web.get("/finance/views").get_data(as_text=True)
    assert world["bank"].organisation.name in page


def test_firm_detail_holds_the_consented_scopes_only(client, bearer, world):
    headers = bearer(world["bank"], FINANCE)
    body = client.get(f"/api/v1/firms/{world['firm'].organisation_id}", headers=headers)
    data = body.get_json()
    assert data["basic"]["contact_phone"] == "13900000001"  # BASIC consented
    assert data["financials"] is None and data["activity"] is None
    assert data["products"][0]["product"]["id"] == world["product"].id
    quiet = client.get(f"/api/v1/firms/{world['quiet'].organisation_id}", headers=headers)
    assert quiet.get_json()["basic"] is None
    for answer in (body, quiet):
        assert not any(secret in answer.get_data(as_text=True) for secret in SENTINELS)


def test_revoked_consent_is_404_at_once_and_gone_from_the_list(client, bearer, world):
    firm = world["firm"]
    headers = bearer(world["bank"], FINANCE)
    url = f"/api/v1/firms/{firm.organisation_id}"
    assert client.get(url, headers=headers).status_code == 200
    consent.revoke(actor=firm)
    _db.session.commit()
    assert client.get(url, headers=headers).status_code == 404
    ids = {i["id"] for i in client.get("/api/v1/firms", headers=headers).get_json()["items"]}
    assert firm.organisation_id not in ids
    assert (
        client.get(f"/api/v1/firms/{world['silent'].organisation_id}", headers=headers).status_code
        == 404
    )


@pytest.mark.parametrize("role", ["enterprise", "university", "admin", "broker"])
def test_roles_other_than_banks_are_refused_the_firm_browser(client, bearer, world, role):
    headers = {**bearer(role, ("read",)), **EN}
    for url in ("/api/v1/firms", f"/api/v1/firms/{world['firm'].organisation_id}"):
        answer = client.get(url, headers=headers)
        assert answer.status_code == 403
        assert answer.get_json()["code"] == "forbidden"
        assert answer.get_json()["message"].isascii()
    assert _views(world["firm"]) == []


def test_scopes_of_another_area_or_read_only_are_refused(client, bearer, world):
    market = client.get("/api/v1/firms", headers=bearer(world["bank"], ("read:market",)))
    assert market.status_code == 403 and market.get_json()["code"] == "insufficient_scope"
    read_only = bearer(world["bank"], ("read:finance",))
    before = _db.session.scalar(sa.select(sa.func.count(LoanProduct.id)))
    write = client.post("/api/v1/loan-products", json=product_body(), headers=read_only)
    assert write.status_code == 403 and write.get_json()["code"] == "insufficient_scope"
    lead = _request_lead(client, read_only, world)
    assert lead.status_code == 403
    assert _db.session.scalar(sa.select(sa.func.count(LoanProduct.id))) == before
    assert _db.session.scalar(sa.select(sa.func.count(Lead.id))) == 0


# --- loan products ------------------------------------------------------------------------------
def test_catalogue_for_everyone_own_products_for_the_bank(client, bearer, world):
    public = client.get("/api/v1/loan-products", headers=bearer("enterprise")).get_json()
    assert [p["id"] for p in public["items"]] == [world["product"].id]
    assert public["items"][0]["collateral"] == ["unsecured", "ip_pledge"]
    mine = client.get(
        "/api/v1/loan-products", query_string={"mine": "true"}, headers=bearer(world["rival"])
    ).get_json()
    assert [p["id"] for p in mine["items"]] == [world["rival_draft"].id]
    refused = client.get(
        "/api/v1/loan-products", query_string={"mine": "true"}, headers=bearer("enterprise")
    )
    assert refused.status_code == 403


def test_another_banks_draft_product_is_404(client, bearer, world):
    headers = bearer(world["bank"], FINANCE)
    draft = world["rival_draft"].id
    assert client.get(f"/api/v1/loan-products/{draft}", headers=headers).status_code == 404
    assert (
        client.patch(f"/api/v1/loan-products/{draft}", json={"name": "x"}, headers=headers)
    ).status_code == 404
    for step in ("publish", "withdraw"):
        assert (
            client.post(f"/api/v1/loan-products/{draft}/{step}", headers=headers).status_code == 404
        )
    _db.session.expire_all()
    assert world["rival_draft"].name == "别行草稿"
    assert world["rival_draft"].status == ProductStatus.DRAFT
    own = bearer(world["rival"], FINANCE)
    assert client.get(f"/api/v1/loan-products/{draft}", headers=own).status_code == 200


def test_product_life_cycle_and_illegal_steps(client, bearer, world):
    headers = {**bearer(world["bank"], FINANCE), **EN}
    made = client.post("/api/v1/loan-products", json=product_body(), headers=headers)
    assert made.status_code == 201
    product = made.get_json()
    assert product["status"] == "draft" and product["bank"]["id"] == world["bank"].organisation_id
    assert product["amount_max_wan"] == "800.00" and product["rate_min"] == "3.20"
    url = f"/api/v1/loan-products/{product['id']}"
    changed = client.patch(url, json={"rate_max": "5.10"}, headers=headers)
    assert changed.status_code == 200
    assert (
        changed.get_json()["rate_max"] == "5.10" and changed.get_json()["name"] == "知识产权质押贷"
    )
    assert client.post(f"{url}/withdraw", headers=headers).status_code == 409  # a draft
    assert client.post(f"{url}/publish", headers=headers).get_json()["status"] == "published"
    refused = client.patch(url, json={"name": "改名"}, headers=headers)
    assert refused.status_code == 409 and refused.get_json()["code"] == "invalid_transition"
    assert refused.get_json()["message"].isascii()
    assert client.post(f"{url}/publish", headers=headers).status_code == 409
    assert client.post(f"{url}/withdraw", headers=headers).get_json()["status"] == "withdrawn"
    assert client.post(f"{url}/publish", headers=headers).get_json()["status"] == "published"


@pytest.mark.parametrize(
    "extra",
    [
        {"bank_org_id": 1},
        {"organisation_id": 1},
        {"status": "published"},
        {"published_at": "2026-01-01T00:00:00Z"},
        {"id": 5},
    ],
)
def test_product_mass_assignment_is_refused_and_nothing_stored(client, bearer, world, extra):
    """SECURITY.md row 17 (v5.0.0-15.3.3)."""
    headers = bearer(world["bank"], FINANCE)
    before = _db.session.scalar(sa.select(sa.func.count(LoanProduct.id)))
    answer = client.post("/api/v1/loan-products", json=product_body(**extra), headers=headers)
    assert answer.status_code == 422
    assert set(answer.get_json()["fields"]) == set(extra)
    assert _db.session.scalar(sa.select(sa.func.count(LoanProduct.id))) == before
    patch = client.patch(
        f"/api/v1/loan-products/{world['product'].id}", json=extra, headers=headers
    )
    assert patch.status_code == 422
    _db.session.expire_all()
    assert world["product"].status == ProductStatus.PUBLISHED


def test_product_rules_give_field_errors_in_english(client, bearer, world):
    headers = {**bearer(world["bank"], FINANCE), **EN}
    before = _db.session.scalar(sa.select(sa.func.count(LoanProduct.id)))
    answer = client.post(
        "/api/v1/loan-products",
        json=product_body(amount_min_wan="900", rate_max="99"),
        headers=headers,
    )
    assert answer.status_code == 422
    fields = answer.get_json()["fields"]
    assert set(fields) == {"amount_max_wan", "rate_max"}
    assert all(m.isascii() for messages in fields.values() for m in messages)
    assert _db.session.scalar(sa.select(sa.func.count(LoanProduct.id))) == before
    bad = client.post(
        "/api/v1/loan-products",
        json=product_body(amount_min_wan="NaN", term_min_months=10**30, field_ids=[10**30]),
        headers=headers,
    )
    assert bad.status_code == 422


@pytest.mark.parametrize("role", ["enterprise", "university", "admin", "broker"])
def test_only_banks_make_products(client, bearer, world, role):
    answer = client.post(
        "/api/v1/loan-products", json=product_body(), headers=bearer(role, ("write",))
    )
    assert answer.status_code == 403 and answer.get_json()["code"] == "forbidden"


# --- leads ----------------------------------------------------------------------------------------
def test_lead_journey_through_the_api(client, bearer, world):
    bank = bearer(world["bank"], FINANCE)
    firm = bearer(world["firm"], FINANCE)
    made = _request_lead(client, bank, world, financing_need_id=world["need"].id, message="您好")
    assert made.status_code == 201
    lead = made.get_json()
    assert lead["status"] == "requested" and lead["bank"]["id"] == world["bank"].organisation_id
    assert [r.action for r in _views(world["firm"])] == [ViewAction.LEAD]  # as the web logs it
    url = f"/api/v1/leads/{lead['id']}"
    assert client.post(f"{url}/contact", headers=bank).status_code == 409  # not yet accepted
    assert (
        client.post(f"{url}/answer", json={"decision": "accept"}, headers=bank).status_code == 403
    )
    answered = client.post(
        f"{url}/answer", json={"decision": "accept", "reply": "欢迎"}, headers=firm
    )
    assert answered.status_code == 200 and answered.get_json()["firm_reply"] == "欢迎"
    assert client.post(f"{url}/contact", headers=firm).status_code == 403
    assert client.post(f"{url}/contact", headers=bank).get_json()["status"] == "in_contact"
    approved = client.post(
        f"{url}/approve",
        json={"amount_wan": "500", "product_id": world["product"].id},
        headers=bank,
    )
    assert approved.get_json()["approved_amount_wan"] == "500.00"
    too_much = client.post(f"{url}/disburse", json={"amount_wan": "600"}, headers=bank)
    assert too_much.status_code == 422 and "amount_wan" in too_much.get_json()["fields"]
    paid = client.post(
        f"{url}/disburse", json={"amount_wan": "450", "first_loan": True}, headers=bank
    )
    assert paid.get_json()["status"] == "disbursed" and paid.get_json()["first_loan"] is True
    history = [s["action"] for s in paid.get_json()["history"]]
    assert history == ["request", "accept", "contact", "approve", "disburse"]
    assert (
        client.post(f"{url}/reject", json={"reason": "collateral"}, headers=bank).status_code == 409
    )
    for side in (bank, firm):
        listed = client.get("/api/v1/leads", query_string={"status": "disbursed"}, headers=side)
        assert [i["id"] for i in listed.get_json()["items"]] == [lead["id"]]
    assert client.get(url, headers=bearer("admin")).status_code == 200  # the bureau sees all


def test_a_second_live_lead_is_409(client, bearer, world):
    bank = {**bearer(world["bank"], FINANCE), **EN}
    assert _request_lead(client, bank, world).status_code == 201
    again = _request_lead(client, bank, world)
    assert again.status_code == 409 and again.get_json()["message"].isascii()
    assert _db.session.scalar(sa.select(sa.func.count(Lead.id))) == 1


def test_a_firm_without_consent_cannot_be_asked(client, bearer, world):
    bank = bearer(world["bank"], FINANCE)
    answer = client.post(
        "/api/v1/leads", json={"firm_id": world["silent"].organisation_id}, headers=bank
    )
    assert answer.status_code == 404
    assert _db.session.scalar(sa.select(sa.func.count(Lead.id))) == 0


def test_another_banks_lead_is_404(client, bearer, world):
    made = _request_lead(client, bearer(world["bank"], FINANCE), world).get_json()
    rival = bearer(world["rival"], FINANCE)
    url = f"/api/v1/leads/{made['id']}"
    assert client.get(url, headers=rival).status_code == 404
    assert client.post(f"{url}/withdraw", headers=rival).status_code == 404
    assert client.get("/api/v1/leads", headers=rival).get_json()["items"] == []
    other_firm = bearer(world["quiet"], FINANCE)
    assert client.get(url, headers=other_firm).status_code == 404
    assert (
        client.post(f"{url}/answer", json={"decision": "decline"}, headers=other_firm).status_code
        == 404
    )
    _db.session.expire_all()
    assert _db.session.get(Lead, made["id"]).status == "requested"


@pytest.mark.parametrize(
    "extra", [{"bank_id": 1}, {"organisation_id": 1}, {"status": "approved"}, {"score": 99}]
)
def test_lead_mass_assignment_is_refused_and_nothing_stored(client, bearer, world, extra):
    """SECURITY.md row 17 (v5.0.0-15.3.3)."""
    answer = _request_lead(client, bearer(world["bank"], FINANCE), world, **extra)
    assert answer.status_code == 422 and set(answer.get_json()["fields"]) == set(extra)
    assert _db.session.scalar(sa.select(sa.func.count(Lead.id))) == 0
    assert _views(world["firm"]) == []


@pytest.mark.parametrize("role", ["university", "broker"])
def test_roles_without_leads_are_refused_the_list(client, bearer, world, role):
    assert client.get("/api/v1/leads", headers=bearer(role)).status_code == 403


def test_no_secret_in_any_finance_answer(client, bearer, world):
    """The sentinel sweep: every finance read, as the bank and as the firms."""
    bank = bearer(world["bank"], FINANCE)
    lead = _request_lead(client, bank, world).get_json()
    quiet_lead = client.post(
        "/api/v1/leads", json={"firm_id": world["quiet"].organisation_id}, headers=bank
    ).get_json()
    urls = [
        "/api/v1/firms",
        "/api/v1/firms?sort=name",
        f"/api/v1/firms?sort=fit&product={world['product'].id}",
        f"/api/v1/firms/{world['firm'].organisation_id}",
        f"/api/v1/firms/{world['quiet'].organisation_id}",
        "/api/v1/loan-products",
        "/api/v1/loan-products?mine=true",
        f"/api/v1/loan-products/{world['product'].id}",
        "/api/v1/leads",
        f"/api/v1/leads/{lead['id']}",
        f"/api/v1/leads/{quiet_lead['id']}",
    ]
    seen = []
    for who in (bank, bearer(world["rival"], FINANCE), bearer("admin")):
        for url in urls:
            answer = client.get(url, headers=who)
            seen.append(answer.status_code)
            text = json.dumps(answer.get_json(), ensure_ascii=False)
            assert not any(secret in text for secret in SENTINELS), url
    assert seen.count(200) >= len(urls)


def test_answers_conform_to_the_documented_schemas(client, bearer, world):
    """What schemathesis checks in CI: every field required, nullable only where documented."""
    spec = client.get("/api/v1/openapi.json").get_json()
    bank = bearer(world["bank"], FINANCE)
    made = client.post("/api/v1/loan-products", json=product_body(), headers=bank).get_json()
    lead = _request_lead(client, bank, world).get_json()
    firm_id = world["firm"].organisation_id
    answers = {
        "/api/v1/firms": "FirmPage",
        f"/api/v1/firms?sort=fit&product={world['product'].id}": "FirmPage",
        f"/api/v1/firms/{firm_id}": "FirmDetail",
        f"/api/v1/firms/{world['quiet'].organisation_id}": "FirmDetail",
        "/api/v1/loan-products?mine=true": "LoanProductPage",
        f"/api/v1/loan-products/{made['id']}": "LoanProduct",
        "/api/v1/leads": "LeadPage",
        f"/api/v1/leads/{lead['id']}": "LeadDetail",
    }
    for url, name in answers.items():
        answer = client.get(url, headers=bank)
        assert answer.status_code == 200, url
        schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
        jsonschema.Draft202012Validator(schema).validate(answer.get_json())
    # and a null where a scope is missing is documented as nullable
    body = client.get(f"/api/v1/firms/{firm_id}", headers=bank).get_json()
    assert body["financials"] is None


def test_detail_reads_carry_an_etag_and_a_304_firm_read_is_still_logged(client, bearer, world):
    bank = bearer(world["bank"], FINANCE)
    for url in (
        f"/api/v1/loan-products/{world['product'].id}",
        f"/api/v1/leads/{_request_lead(client, bank, world).get_json()['id']}",
        f"/api/v1/firms/{world['firm'].organisation_id}",
    ):
        first = client.get(url, headers=bank)
        assert first.status_code == 200 and first.headers["ETag"]
        again = client.get(url, headers={**bank, "If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304, url
    # the lead request and both firm reads are in the firm's log
    assert [r.action for r in _views(world["firm"])] == [
        ViewAction.VIEW,
        ViewAction.VIEW,
        ViewAction.LEAD,
    ]


def test_an_unverified_bank_is_refused_as_on_the_web(client, bearer, world):
    pending = make_user("bank", verified=False)
    headers = bearer(pending, ("read:finance",))
    assert client.get("/api/v1/firms", headers=headers).status_code == 403
    firm_url = f"/api/v1/firms/{world['firm'].organisation_id}"
    assert client.get(firm_url, headers=headers).status_code == 404  # peek_firm: not a bank yet
    assert _views(world["firm"]) == []
