"""Privacy sweep: a firm's financial figures and contact details appear to a bank under its
consent only, and nowhere else (public pages, universities, other enterprises).

Every GET page of the 科技金融 blueprint (and the home and market pages) is fetched with the
ids of the firm's real objects: its organisation, financing need, lead, event and meeting.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from openpyxl import load_workbook

from matchmaker.extensions import db
from matchmaker.models import ConsentScope, ProductKind
from matchmaker.services.finance import consent, firm_shortlist, leads
from matchmaker.services.finance import event_scheduling as meetings
from matchmaker.services.finance import finance_events as events
from tests.conftest import log_in
from tests.factories import make_user
from tests.finance.test_events import event_data
from tests.finance_factories import make_financing_need, make_firm, make_product

ALL_SCOPES = int(
    ConsentScope.BASIC | ConsentScope.INNOVATION | ConsentScope.FINANCIALS | ConsentScope.ACTIVITY
)
PHONE = "13912345678"
EMAIL = "cfo-secret@firm.example.com"
CONTACT = "赵保密"
KEY_PRODUCTS = "量子点光学膜"
#: The revenue and R&D spend as the pages could print them (raw, or with a thousands comma).
FIGURES = ("97531", "97,531", "86420", "86,420")
NEED_TITLE = "保密扩产项目贷款"
NEED_AMOUNTS = ("4321.5", "4,321.5")
CONTACT_DETAILS = (PHONE, EMAIL, CONTACT)
EVERYTHING = (*FIGURES, *CONTACT_DETAILS, KEY_PRODUCTS, NEED_TITLE, *NEED_AMOUNTS)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HOME_AND_MARKET = {
    "main.index",
    "main.dashboard",
    "market.needs",
    "market.results",
    "market.organisation",
}


@pytest.fixture
def world(db) -> dict[str, Any]:
    """A bank and a firm that consented to everything, with a financing need, a lead the firm
    accepted, a shortlist entry, and a 银企对接 meeting; a university; another enterprise."""
    bank = make_user("bank")
    firm = make_firm(
        scopes=ALL_SCOPES,
        years=[(2023, 90000, 80000), (2024, Decimal("97531.24"), Decimal("86420.13"))],
        contact_name=CONTACT,
        contact_phone=PHONE,
        contact_email=EMAIL,
        key_products=KEY_PRODUCTS,
    )
    other = make_firm()
    product = make_product(bank, kind=ProductKind.IP_PLEDGE, amount_max_wan=Decimal(10000))
    need = make_financing_need(firm, title=NEED_TITLE, amount_wan=Decimal("4321.5"))
    event = events.create_event(actor=bank, data=event_data())
    events.publish_event(actor=bank, event=event)
    for user in (bank, firm, other):
        events.register(actor=user, event=event)
    meetings.generate_schedule(actor=bank, event=event)
    (meeting,) = [m for m in event.meetings if m.firm_org_id == firm.organisation_id]
    lead = leads.request_contact(
        actor=bank,
        firm_org_id=firm.organisation_id,
        product_id=product.id,
        financing_need_id=need.id,
    )
    leads.answer_lead(actor=firm, lead=lead, accept=True)
    firm_shortlist.add_to_shortlist(actor=bank, firm_org_id=firm.organisation_id, note="重点")
    db.session.commit()
    return {
        "bank": bank,
        "firm": firm,
        "other": other,
        "university": make_user("university"),
        "ids": {
            "firm_id": firm.organisation_id,
            "org_id": firm.organisation_id,
            "product_id": product.id,
            "financing_need_id": need.id,
            "lead_id": lead.id,
            "event_id": event.id,
            "meeting_id": meeting.id,
        },
    }


def pages(app: Flask, ids: dict[str, int]) -> Iterator[str]:
    """Every GET page of the finance blueprint, the home and the market pages, with real ids."""
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            wanted = rule.endpoint.startswith("finance.") or rule.endpoint in HOME_AND_MARKET
            if wanted and "GET" in (rule.methods or ()) and set(rule.arguments) <= set(ids):
                yield url_for(rule.endpoint, **{name: ids[name] for name in rule.arguments})


def text_of(response) -> str:
    """The page, or every cell of a workbook."""
    if response.mimetype == XLSX:
        book = load_workbook(io.BytesIO(response.get_data()))
        return "\n".join(
            str(cell)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if cell is not None
        )
    return response.get_data(as_text=True)


def sweep(app: Flask, client: FlaskClient, ids: dict[str, int], secrets: tuple[str, ...]) -> int:
    """Fetch every page; none may fail or show a secret. Returns how many answered 200."""
    shown = 0
    for url in pages(app, ids):
        response = client.get(url)
        assert response.status_code < 500, url
        text = text_of(response)
        for secret in secrets:
            assert secret not in text, (url, secret)
        shown += response.status_code == 200
    return shown


def test_the_sweep_covers_every_finance_page(app, world):
    urls = list(pages(app, world["ids"]))
    finance_gets = [
        r
        for r in app.url_map.iter_rules()
        if r.endpoint.startswith("finance.") and "GET" in r.methods
    ]
    assert len([u for u in urls if u.startswith("/finance/")]) == len(finance_gets)


def test_the_firm_itself_sees_its_figures(app, client, world):
    """The sweep's secrets are on the pages when the viewer may see them (the test has teeth)."""
    log_in(client, world["firm"])
    profile = client.get("/finance/profile").get_data(as_text=True)
    assert "97,531" in profile and PHONE in profile and EMAIL in profile
    log_in(client, world["bank"])
    page = client.get(f"/finance/firms/{world['ids']['firm_id']}").get_data(as_text=True)
    assert "97,531" in page and PHONE in page and NEED_TITLE in page


def test_anonymous_visitors_see_nothing_private(app, client, world):
    assert sweep(app, client, world["ids"], EVERYTHING) >= 6


@pytest.mark.parametrize("who", ["university", "other"])
def test_a_university_or_another_enterprise_sees_nothing_private(app, client, world, who):
    log_in(client, world[who])
    assert sweep(app, client, world["ids"], EVERYTHING) >= 6


def test_a_bank_with_basic_consent_sees_the_contact_not_the_figures(app, client, world):
    consent.grant(actor=world["firm"], scopes=int(ConsentScope.BASIC), days=90)
    db.session.commit()
    log_in(client, world["bank"])
    page = client.get(f"/finance/firms/{world['ids']['firm_id']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert PHONE in html and EMAIL in html and CONTACT in html
    assert "未授权" in html
    sweep(app, client, world["ids"], FIGURES)
    export = text_of(client.get("/finance/firms/export.xlsx"))
    assert PHONE in export and not any(figure in export for figure in FIGURES)


def test_after_revocation_the_bank_sees_no_profile(app, client, world):
    consent.revoke(actor=world["firm"])
    db.session.commit()
    log_in(client, world["bank"])
    assert client.get(f"/finance/firms/{world['ids']['firm_id']}").status_code == 404
    shortlist = client.get("/finance/shortlist")
    assert shortlist.status_code == 200
    html = shortlist.get_data(as_text=True)
    assert world["firm"].organisation.name in html and "授权已失效" in html
    for private in (*FIGURES, *CONTACT_DETAILS, KEY_PRODUCTS, NEED_TITLE, *NEED_AMOUNTS):
        assert private not in html
    exported = text_of(client.get("/finance/shortlist/export.xlsx"))
    assert world["firm"].organisation.name in exported
    for private in (*FIGURES, *CONTACT_DETAILS, KEY_PRODUCTS, NEED_TITLE):
        assert private not in exported
    sweep(app, client, world["ids"], (*FIGURES, *CONTACT_DETAILS, KEY_PRODUCTS))
