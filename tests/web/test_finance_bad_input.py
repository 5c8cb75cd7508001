"""Hostile input on every POST route of the 科技金融 blueprint, and odd query strings on its
GET pages: never a 500, a message for the user, and nothing stored.

Each form is posted by the role that may use it, on a real object in a state that lets the
action through, with one field at a time replaced by values that no field of its kind
accepts. The one-click routes (CSRF only) get junk fields and other organisations' objects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from matchmaker.extensions import db
from matchmaker.models import Base, ConsentScope, FinancingNeed, ProductStatus
from matchmaker.services.finance import event_scheduling as meetings
from matchmaker.services.finance import finance_events as events
from matchmaker.services.finance import firm_shortlist, leads
from tests.conftest import log_in
from tests.finance.test_events import event_data, event_world
from tests.finance_factories import make_product
from tests.web.test_finance_events_web import FORM as EVENT_FORM
from tests.web.test_finance_events_web import _into_the_past

#: One over the longest text any finance field takes (a product's description: 10,000).
LONG = "长" * 10_001
HUGE = "99999999999999999999"  # over 2**63: SQLite refuses it as a parameter

#: What no field of a kind accepts (an empty value is a case of its own: some are optional).
BAD: dict[str, list[Any]] = {
    "amount": ["NaN", "sNaN", "Infinity", "-Infinity", "-1", "1e30", "abc", "1,5", HUGE],
    "count": ["NaN", "Infinity", "-1", "1e30", "abc", "1.5", HUGE],
    "text": [LONG],
    "choice": ["zzz", "1e30", LONG],
    "choices": [["zzz"], ["999999"], ["NaN"], [HUGE]],
    "time": ["abc", "2030-13-45T25:61", "NaN", "-1", HUGE, LONG, "0001-01-01T00:00"],
    "date": ["abc", "2030-02-30", "-1", LONG],
    "email": ["abc", "a@" + "b" * 300 + ".cn", LONG],
}
#: Messages a user must never see: WTForms' English defaults (the page is in Chinese).
ENGLISH_DEFAULTS = ("Not a valid", "Invalid Choice", "This field is required", "Invalid input")


def snapshot() -> dict[str, list[tuple[str, ...]]]:
    """Every committed row (what a failed request left uncommitted is thrown away, as its
    teardown would)."""
    db.session.rollback()
    return {
        t.name: sorted(tuple(map(repr, row)) for row in db.session.execute(sa.select(t)))
        for t in Base.metadata.sorted_tables
    }


def finance_world() -> dict[str, Any]:
    """event_world (two banks, three firms, an admin, products, needs, an event everyone
    joined), scheduled and under way; plus an open and a draft event, a draft product, a lead
    in each state a form acts on, and a shortlist entry."""
    w = event_world()
    organiser, other_bank = w["organiser"], w["other_bank"]
    firm_a, firm_c = w["firm_a"], w["firm_c"]
    meetings.generate_schedule(actor=organiser, event=w["event"])
    w["meeting"] = next(
        m for m in w["event"].meetings if m.bank_org_id == organiser.organisation_id
    )
    w["open_event"] = events.create_event(actor=organiser, data=event_data(title="第二场对接会"))
    events.publish_event(actor=organiser, event=w["open_event"])
    events.register(actor=firm_a, event=w["open_event"])
    w["draft_event"] = events.create_event(actor=organiser, data=event_data(title="草稿对接会"))
    w["draft_product"] = make_product(
        organiser, name="草稿产品", status=ProductStatus.DRAFT, published_at=None
    )
    # organiser -> firm_a: requested; organiser -> firm_c: in contact; other -> firm_a: approved
    w["lead_requested"] = leads.request_contact(
        actor=organiser,
        firm_org_id=firm_a.organisation_id,
        product_id=w["product_a"].id,
        financing_need_id=w["need_a"].id,
    )
    w["lead_in_contact"] = leads.request_contact(
        actor=organiser, firm_org_id=firm_c.organisation_id
    )
    leads.answer_lead(actor=firm_c, lead=w["lead_in_contact"], accept=True)
    leads.mark_in_contact(actor=organiser, lead=w["lead_in_contact"])
    w["lead_approved"] = leads.request_contact(actor=other_bank, firm_org_id=firm_a.organisation_id)
    leads.answer_lead(actor=firm_a, lead=w["lead_approved"], accept=True)
    leads.mark_in_contact(actor=other_bank, lead=w["lead_approved"])
    leads.approve_credit(
        actor=other_bank,
        lead=w["lead_approved"],
        amount_wan=Decimal(500),
        product_id=w["product_b"].id,
    )
    firm_shortlist.add_to_shortlist(
        actor=organiser, firm_org_id=firm_a.organisation_id, note="首批"
    )
    _into_the_past(w["event"])  # began half an hour ago: its meetings' outcomes may be recorded
    return w


World = dict[str, Any]


@dataclass
class FormCase:
    """A form posted by `user` to `url`: valid `data`, and the kind of each field to attack."""

    user: str
    url: Callable[[World], str]
    data: Callable[[World], dict[str, Any]]
    fields: dict[str, str]
    empty_is_valid: bool = False  # every field optional: an empty post is a real action
    extra: dict[str, list[Any]] = field(default_factory=dict)  # per-field bad values


def _id(name: str, attr: str = "id") -> Callable[[World], int]:
    return lambda w: getattr(w[name], attr)


PROFILE = {
    "field_id": "0",
    "size": "small",
    "employees": "80",
    "founded_year": "2015",
    "high_tech": "y",
    "high_tech_cert_no": "GR202422000123",
    "high_tech_expires_on": "2099-12-31",
    "specialised": "none",
    "patents_invention": "3",
    "patents_utility": "8",
    "patents_design": "1",
    "software_copyrights": "2",
    "awards": "",
    "key_products": "碳纤维复合材料",
    "contact_name": "王经理",
    "contact_phone": "13900000001",
    "contact_email": "finance@firm.example.com",
    "years-0-year": "2023",
    "years-0-revenue_wan": "1000",
    "years-0-rd_spend_wan": "60",
}
PRODUCT = {
    "name": "科创贷二期",
    "kind": "sci_tech",
    "description": "面向高新技术企业的信用贷款。",
    "amount_min_wan": "50",
    "amount_max_wan": "1000",
    "term_min_months": "6",
    "term_max_months": "36",
    "rate_min": "3.1",
    "rate_max": "4.5",
    "min_score": "60",
    "collateral": ["1"],
}
PRODUCT_FIELDS = {
    "name": "text",
    "kind": "choice",
    "description": "text",
    "amount_min_wan": "amount",
    "amount_max_wan": "amount",
    "term_min_months": "count",
    "term_max_months": "count",
    "rate_min": "amount",
    "rate_max": "amount",
    "min_score": "amount",
    "collateral": "choices",
    "field_ids": "choices",
}
NEED = {
    "title": "研发设备贷款",
    "amount_wan": "300",
    "term_months": "24",
    "purpose": "购置研发设备。",
    "collateral": ["2"],
}
NEED_FIELDS = {
    "title": "text",
    "amount_wan": "amount",
    "term_months": "count",
    "purpose": "text",
    "collateral": "choices",
}
EVENT_FIELDS = {
    "title": "text",
    "description": "text",
    "location": "text",
    "starts_at": "time",
    "ends_at": "time",
    "registration_closes_at": "time",
    "slot_minutes": "count",
}
WEIGHTS = {
    "rd_intensity": "30",
    "patents": "20",
    "certifications": "15",
    "awards": "5",
    "rd_growth": "10",
    "revenue_growth": "10",
    "platform_activity": "5",
    "responsiveness": "5",
}

FORMS: dict[str, FormCase] = {
    "consent": FormCase(
        "firm_a",
        lambda w: "/finance/consent",
        lambda w: {"scopes": [str(int(ConsentScope.BASIC))], "days": "90"},
        {"scopes": "choices", "days": "choice"},
        extra={"days": ["-1", "NaN", HUGE, "91"]},
    ),
    "profile": FormCase(
        "firm_a",
        lambda w: "/finance/profile/edit",
        lambda w: dict(PROFILE),
        {
            "field_id": "choice",
            "size": "choice",
            "specialised": "choice",
            "employees": "count",
            "founded_year": "count",
            "patents_invention": "count",
            "patents_utility": "count",
            "patents_design": "count",
            "software_copyrights": "count",
            "years-0-year": "count",
            "years-0-revenue_wan": "amount",
            "years-0-rd_spend_wan": "amount",
            "high_tech_cert_no": "text",
            "specialised_cert_no": "text",
            "awards": "text",
            "key_products": "text",
            "contact_name": "text",
            "contact_phone": "text",
            "contact_email": "email",
            "high_tech_expires_on": "date",
        },
        extra={"field_id": ["999999", HUGE]},
    ),
    "formula": FormCase(
        "admin",
        lambda w: "/finance/score-formula/new",
        lambda w: {**WEIGHTS, "note": "调整权重"},
        {**dict.fromkeys(WEIGHTS, "count"), "note": "text"},
    ),
    "product_new": FormCase(
        "organiser", lambda w: "/finance/products/new", lambda w: dict(PRODUCT), PRODUCT_FIELDS
    ),
    "product_edit": FormCase(
        "organiser",
        lambda w: f"/finance/products/{w['draft_product'].id}/edit",
        lambda w: dict(PRODUCT),
        PRODUCT_FIELDS,
    ),
    "need_new": FormCase(
        "firm_a", lambda w: "/finance/financing-needs/new", lambda w: dict(NEED), NEED_FIELDS
    ),
    "need_edit": FormCase(
        "firm_a",
        lambda w: f"/finance/financing-needs/{w['need_a'].id}/edit",
        lambda w: dict(NEED),
        NEED_FIELDS,
    ),
    "need_close": FormCase(
        "firm_a",
        lambda w: f"/finance/financing-needs/{w['need_a'].id}/close",
        lambda w: {"outcome": "satisfied"},
        {"outcome": "choice"},
    ),
    "lead_new": FormCase(
        "other_bank",
        lambda w: f"/finance/firms/{w['firm_c'].organisation_id}/lead",
        lambda w: {"product_id": w["product_b"].id, "financing_need_id": "0", "message": "你好"},
        {"product_id": "choice", "financing_need_id": "choice", "message": "text"},
        empty_is_valid=True,
        # another bank's product, another firm's needs; a meeting of other parties
        extra={
            "product_id": [_id("product_a")],
            "financing_need_id": [_id("need_a"), _id("need_b")],
            "meeting_id": ["abc", "-1", "0x1", HUGE, _id("meeting")],
        },
    ),
    "answer": FormCase(
        "firm_a",
        lambda w: f"/finance/leads/{w['lead_requested'].id}/answer",
        lambda w: {"decision": "accept", "reply": ""},
        {"decision": "choice", "reply": "text"},
    ),
    "approve": FormCase(
        "organiser",
        lambda w: f"/finance/leads/{w['lead_in_contact'].id}/approve",
        lambda w: {"amount_wan": "500", "product_id": w["product_a"].id},
        {"amount_wan": "amount", "product_id": "choice"},
        extra={"product_id": [_id("product_b"), _id("draft_product")]},
    ),
    "reject": FormCase(
        "organiser",
        lambda w: f"/finance/leads/{w['lead_in_contact'].id}/reject",
        lambda w: {"reason": "collateral", "note": ""},
        {"reason": "choice", "note": "text"},
    ),
    "disburse": FormCase(
        "other_bank",
        lambda w: f"/finance/leads/{w['lead_approved'].id}/disburse",
        lambda w: {"amount_wan": "400", "first_loan": "y"},
        {"amount_wan": "amount"},
        extra={"amount_wan": ["500.01", "0.001"]},  # over the approved 500; three decimals
    ),
    "event_new": FormCase(
        "organiser", lambda w: "/events/new", lambda w: dict(EVENT_FORM), EVENT_FIELDS
    ),
    "event_edit": FormCase(
        "organiser",
        lambda w: f"/events/{w['open_event'].id}/edit",
        lambda w: dict(EVENT_FORM),
        EVENT_FIELDS,
    ),
    "event_cancel": FormCase(
        "organiser",
        lambda w: f"/finance/events/{w['open_event'].id}/cancel",
        lambda w: {"reason": "场地变更"},
        {"reason": "text"},
        empty_is_valid=True,
    ),
    "event_schedule": FormCase(
        "organiser",
        lambda w: f"/finance/events/{w['event'].id}/schedule",
        lambda w: {"cap": "3"},
        {"cap": "count"},
        empty_is_valid=True,
    ),
    "event_register": FormCase(
        "firm_c",
        lambda w: f"/events/{w['open_event'].id}/register",
        lambda w: {"note": "希望洽谈知识产权质押"},
        {"note": "text"},
        empty_is_valid=True,
    ),
    "meeting_outcome": FormCase(
        "organiser",
        lambda w: f"/finance/meetings/{w['meeting'].id}/outcome",
        lambda w: {"outcome": "follow_up", "note": ""},
        {"outcome": "choice", "note": "text"},
    ),
    "shortlist_add": FormCase(
        "organiser",
        lambda w: f"/finance/firms/{w['firm_c'].organisation_id}/shortlist",
        lambda w: {"note": "", "next": ""},
        {"note": "text"},
        empty_is_valid=True,
    ),
    "shortlist_note": FormCase(
        "organiser",
        lambda w: f"/finance/shortlist/{w['firm_a'].organisation_id}/note",
        lambda w: {"note": "第二批", "next": ""},
        {"note": "text"},
        empty_is_valid=True,
    ),
}

#: The routes that take no input but the CSRF token, with the role and object they act on.
ONE_CLICK: dict[str, tuple[str, Callable[[World], str]]] = {
    "finance.revoke_consent": ("firm_a", lambda w: "/finance/consent/revoke"),
    "finance.recompute_score": ("firm_a", lambda w: "/finance/score/recompute"),
    "finance.publish_product": (
        "organiser",
        lambda w: f"/finance/products/{w['draft_product'].id}/publish",
    ),
    "finance.withdraw_product": (
        "organiser",
        lambda w: f"/finance/products/{w['product_a'].id}/withdraw",
    ),
    "finance.publish_event": (
        "organiser",
        lambda w: f"/finance/events/{w['draft_event'].id}/publish",
    ),
    "finance.finish_event": ("organiser", lambda w: f"/finance/events/{w['event'].id}/finish"),
    "events.withdraw": (
        "firm_a",
        lambda w: f"/events/{w['open_event'].id}/withdraw",
    ),
    "finance.confirm_meeting": (
        "organiser",
        lambda w: f"/finance/meetings/{w['meeting'].id}/confirm",
    ),
    "finance.cancel_meeting": (
        "organiser",
        lambda w: f"/finance/meetings/{w['meeting'].id}/cancel",
    ),
    "finance.withdraw_lead": (
        "organiser",
        lambda w: f"/finance/leads/{w['lead_requested'].id}/withdraw",
    ),
    "finance.contact_lead": (
        "other_bank",
        lambda w: f"/finance/leads/{w['lead_approved'].id}/contact",
    ),
    "finance.remove_from_shortlist": (
        "organiser",
        lambda w: f"/finance/shortlist/{w['firm_a'].organisation_id}/remove",
    ),
}

FORM_ENDPOINTS = {
    "consent": "finance.consent_page",
    "profile": "finance.edit_profile",
    "formula": "finance.new_score_formula",
    "product_new": "finance.new_product",
    "product_edit": "finance.edit_product",
    "need_new": "finance.new_financing_need",
    "need_edit": "finance.edit_financing_need",
    "need_close": "finance.close_financing_need",
    "lead_new": "finance.new_lead",
    "answer": "finance.answer_lead",
    "approve": "finance.approve_lead",
    "reject": "finance.reject_lead",
    "disburse": "finance.disburse_lead",
    "event_new": "events.new_event",  # 银企对接 events are created on the common event pages
    "event_edit": "events.edit_event",
    "event_cancel": "finance.cancel_event",
    "event_schedule": "finance.schedule_event",
    "event_register": "events.register",
    "meeting_outcome": "finance.record_outcome",
    "shortlist_add": "finance.shortlist_firm",
    "shortlist_note": "finance.update_shortlist_note",
}


def test_every_post_route_of_the_blueprint_is_attacked_here(app):
    posts = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("finance.") and "POST" in (rule.methods or ())
    }
    attacked = set(FORM_ENDPOINTS.values()) | set(ONE_CLICK)
    assert posts == {e for e in attacked if e.startswith("finance.")}
    assert set(FORM_ENDPOINTS) == set(FORMS)


@pytest.fixture
def world(db) -> World:
    return finance_world()


def _as(client: FlaskClient, w: World, who: str) -> None:
    log_in(client, w[who])


def _resolve(value: Any, w: World) -> Any:
    return value(w) if callable(value) else value


def _assert_refused(response, before, where: object = None, *, form: bool = True) -> None:
    """Not a 500, not done; a form that comes back says what is wrong, in Chinese."""
    assert response.status_code < 500, where
    assert response.status_code != 302, (where, response.headers.get("Location"))
    html = response.get_data(as_text=True)
    if form and response.status_code == 400:
        assert "invalid-feedback" in html or "alert-" in html, where
        for english in ENGLISH_DEFAULTS:
            assert english not in html, where
    assert snapshot() == before, where


@pytest.mark.parametrize("form", FORMS)
def test_the_valid_post_goes_through(client, world, form):
    """The baseline the attacks change one field of is itself accepted."""
    case = FORMS[form]
    _as(client, world, case.user)
    response = client.post(case.url(world), data=case.data(world))
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]


@pytest.mark.parametrize("form", FORMS)
def test_hostile_values_field_by_field_store_nothing(client, world, form):
    case = FORMS[form]
    _as(client, world, case.user)
    url = case.url(world)
    valid = case.data(world)
    before = snapshot()
    for name in dict.fromkeys([*case.fields, *case.extra]):
        values = [*BAD.get(case.fields.get(name, ""), []), *case.extra.get(name, [])]
        for value in values:
            value = _resolve(value, world)
            response = client.post(url, data={**valid, name: value})
            _assert_refused(response, before, (name, str(value)[:40]))


@pytest.mark.parametrize("form", FORMS)
def test_empty_posts_and_posts_that_are_no_form(client, world, form):
    case = FORMS[form]
    _as(client, world, case.user)
    url = case.url(world)
    before = snapshot()
    for kwargs in (
        {"data": {}},
        {"json": {"amount_wan": "NaN", "note": ["x"], "outcome": {"a": 1}}},
        {"json": [1, 2]},
        {"json": "abc"},
        {"json": {"title": {"a": 1}, "note": 5, "reason": None, "message": ["a\x00b"]}},
        {"data": b"{not json", "content_type": "application/json"},
        {
            "data": b"\xff\xfe\x00garbage=%FF%C0%AF&&&==",
            "content_type": "application/x-www-form-urlencoded",
        },
        {"data": b"--broken\r\n", "content_type": "multipart/form-data; boundary=broken"},
    ):
        response = client.post(url, **kwargs)
        assert response.status_code < 500, kwargs
        if not case.empty_is_valid:
            _assert_refused(response, before, kwargs, form=kwargs.get("data") == {})


@pytest.mark.parametrize("endpoint", ONE_CLICK)
def test_one_click_routes_take_junk_fields(client, world, endpoint):
    who, url = ONE_CLICK[endpoint]
    _as(client, world, who)
    junk = {"amount_wan": "NaN", "note": LONG, "next": "https://evil.example", "id": HUGE}
    response = client.post(url(world), data=junk)
    assert response.status_code < 500
    if response.status_code == 302:
        assert "evil.example" not in response.headers["Location"]


#: A user posting to an object of another organisation: (who, url, data).
FOREIGN: dict[str, tuple[str, Callable[[World], str], dict[str, Any]]] = {
    "edit another bank's product": (
        "other_bank",
        lambda w: f"/finance/products/{w['draft_product'].id}/edit",
        PRODUCT,
    ),
    "publish another bank's product": (
        "other_bank",
        lambda w: f"/finance/products/{w['draft_product'].id}/publish",
        {},
    ),
    "withdraw another bank's product": (
        "other_bank",
        lambda w: f"/finance/products/{w['product_a'].id}/withdraw",
        {},
    ),
    "edit another firm's need": (
        "firm_c",
        lambda w: f"/finance/financing-needs/{w['need_a'].id}/edit",
        NEED,
    ),
    "close another firm's need": (
        "firm_c",
        lambda w: f"/finance/financing-needs/{w['need_a'].id}/close",
        {"outcome": "closed"},
    ),
    "answer another firm's lead": (
        "firm_c",
        lambda w: f"/finance/leads/{w['lead_requested'].id}/answer",
        {"decision": "accept"},
    ),
    "approve another bank's lead": (
        "other_bank",
        lambda w: f"/finance/leads/{w['lead_in_contact'].id}/approve",
        {"amount_wan": "500", "product_id": "1"},
    ),
    "reject another bank's lead": (
        "other_bank",
        lambda w: f"/finance/leads/{w['lead_in_contact'].id}/reject",
        {"reason": "collateral"},
    ),
    "disburse another bank's lead": (
        "organiser",
        lambda w: f"/finance/leads/{w['lead_approved'].id}/disburse",
        {"amount_wan": "400"},
    ),
    "withdraw another bank's lead": (
        "other_bank",
        lambda w: f"/finance/leads/{w['lead_requested'].id}/withdraw",
        {},
    ),
    "contact on another bank's lead": (
        "other_bank",
        lambda w: f"/finance/leads/{w['lead_in_contact'].id}/contact",
        {},
    ),
    "edit another organiser's event": (
        "other_bank",
        lambda w: f"/events/{w['open_event'].id}/edit",
        EVENT_FORM,
    ),
    "cancel another organiser's event": (
        "other_bank",
        lambda w: f"/finance/events/{w['open_event'].id}/cancel",
        {},
    ),
    "schedule another organiser's event": (
        "other_bank",
        lambda w: f"/finance/events/{w['event'].id}/schedule",
        {},
    ),
    "publish another organiser's event": (
        "other_bank",
        lambda w: f"/finance/events/{w['draft_event'].id}/publish",
        {},
    ),
    "finish another organiser's event": (
        "other_bank",
        lambda w: f"/finance/events/{w['event'].id}/finish",
        {},
    ),
    "register for a draft event": (
        "firm_c",
        lambda w: f"/finance/events/{w['draft_event'].id}/register",
        {},
    ),
    "confirm another organiser's meeting": (
        "other_bank",
        lambda w: f"/finance/meetings/{w['meeting'].id}/confirm",
        {},
    ),
    "cancel another organiser's meeting": (
        "other_bank",
        lambda w: f"/finance/meetings/{w['meeting'].id}/cancel",
        {},
    ),
    "record the outcome of another bank's meeting": (
        "other_bank",
        lambda w: f"/finance/meetings/{w['meeting'].id}/outcome",
        {"outcome": "no_fit"},
    ),
    "note on another bank's shortlist": (
        "other_bank",
        lambda w: f"/finance/shortlist/{w['firm_a'].organisation_id}/note",
        {"note": "x"},
    ),
    "remove from another bank's shortlist": (
        "other_bank",
        lambda w: f"/finance/shortlist/{w['firm_a'].organisation_id}/remove",
        {},
    ),
    "ask a firm without consent": (
        "other_bank",
        lambda w: f"/finance/firms/{w['firm_b'].organisation_id}/lead",
        {"message": "你好"},
    ),
    "shortlist a firm without consent": (
        "organiser",
        lambda w: f"/finance/firms/{w['firm_b'].organisation_id}/shortlist",
        {"note": ""},
    ),
}


@pytest.mark.parametrize("case", FOREIGN)
def test_other_organisations_objects_are_out_of_reach(client, world, case):
    """SECURITY.md row 15 (v5.0.0-8.2.2)."""
    who, url, data = FOREIGN[case]
    _as(client, world, who)
    before = snapshot()
    response = client.post(url(world), data=data)
    assert response.status_code in (403, 404), response.status_code
    assert snapshot() == before


# --- GET pages with odd query strings ---------------------------------------------------------
ODD_QUERIES: list[dict[str, Any]] = [
    {"status": "zzz"},
    {"status": "x" * 5000},
    {"page": "-1"},
    {"page": "abc"},
    {"page": HUGE},
    {"sort": "zzz"},
    {"sort": "fit"},
    {"sort": "fit", "product": "999999"},
    {"score": "abc"},
    {"band": "zzz"},
    {"field": "abc"},
    {"field": HUGE},
    {"region": "mars"},
    {"product": "999999"},
    {"product": "abc"},
    {"product": HUGE},
    {"need": "NaN"},
    {"need": HUGE},
    {"need_min": "NaN"},
    {"need_min": "sNaN", "need_max": "Infinity"},
    {"need_min": "1e30"},
    {"need_min": "5", "need_max": "1"},
    {"need_min": "-1"},
    {"kind": "zzz"},
    {"bank": "abc"},
    {"bank": HUGE},
    {"meeting": "abc"},
    {"meeting": HUGE},
    {"high_tech": "NaN", "active": LONG},
    {"status": ["a", "b"], "page": ["1", "2"]},
    {"next": "https://evil.example"},
]
GET_PAGES: list[tuple[str, Callable[[World], str]]] = [
    ("anon", lambda w: "/finance/products"),
    ("anon", lambda w: "/finance/events"),
    ("anon", lambda w: f"/finance/events/{w['event'].id}"),
    ("anon", lambda w: f"/finance/products/{w['product_a'].id}"),
    ("anon", lambda w: "/finance/score/formula"),
    ("organiser", lambda w: "/finance/firms"),
    ("organiser", lambda w: "/finance/firms/export.xlsx"),
    ("organiser", lambda w: f"/finance/firms/{w['firm_a'].organisation_id}"),
    ("other_bank", lambda w: f"/finance/firms/{w['firm_c'].organisation_id}/lead"),
    ("organiser", lambda w: "/finance/shortlist"),
    ("organiser", lambda w: "/finance/products/mine"),
    ("organiser", lambda w: "/finance/leads"),
    ("organiser", lambda w: f"/finance/leads/{w['lead_in_contact'].id}"),
    ("organiser", lambda w: "/finance/events/manage"),
    ("organiser", lambda w: f"/finance/events/{w['event'].id}/manage"),
    ("organiser", lambda w: f"/finance/events/{w['event'].id}/my-schedule"),
    ("organiser", lambda w: f"/finance/meetings/{w['meeting'].id}/outcome"),
    ("firm_a", lambda w: "/finance/leads"),
    ("firm_a", lambda w: "/finance/financing-needs"),
    ("firm_a", lambda w: f"/finance/financing-needs/{w['need_a'].id}"),
    ("firm_a", lambda w: "/finance/profile"),
    ("firm_a", lambda w: "/finance/score"),
    ("firm_a", lambda w: "/finance/consent"),
    ("firm_a", lambda w: "/finance/views"),
    ("admin", lambda w: "/finance/leads"),
    ("admin", lambda w: "/finance/stats"),
    ("admin", lambda w: "/finance/score-formula"),
]


@pytest.mark.parametrize(("who", "url"), GET_PAGES)
def test_get_pages_take_any_query_string(client, world, who, url):
    if who != "anon":
        _as(client, world, who)
    target = url(world)
    for query in ODD_QUERIES:
        response = client.get(target, query_string=query)
        assert response.status_code < 500, (target, query)
        assert response.status_code != 403, (target, query)


def test_huge_and_odd_ids_in_paths_are_not_found(app, client, world):
    _as(client, world, "organiser")
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("finance.") or not rule.arguments:
            continue
        for odd, expected in ((HUGE, {404}), (str(2**31), {404}), ("0", {403, 404})):
            url = rule.rule
            for name in rule.arguments:
                url = url.replace(f"<int:{name}>", odd)
            for method in {"GET", "POST"} & (rule.methods or set()):
                response = client.open(url, method=method)
                assert response.status_code in expected, (method, url)


def test_the_form_keeps_what_was_typed_and_explains(client, world):
    """NaN in an amount: the page comes back with the value and a Chinese message."""
    _as(client, world, "firm_a")
    response = client.post("/finance/financing-needs/new", data={**NEED, "amount_wan": "NaN"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'value="NaN"' in html
    assert "请填写数字。" in html


def test_amounts_with_more_decimals_than_stored_are_refused(client, world):
    """12.345 is refused with the reason, not silently rounded to 12.35 (issue 13)."""
    _as(client, world, "firm_a")
    response = client.post("/finance/financing-needs/new", data={**NEED, "amount_wan": "12.345"})
    assert response.status_code == 400
    assert "最多保留两位小数" in response.get_data(as_text=True)
    response = client.post("/finance/financing-needs/new", data={**NEED, "amount_wan": "12.34"})
    assert response.status_code == 302
    need = db.session.scalar(sa.select(FinancingNeed).where(FinancingNeed.title == NEED["title"]))
    assert need.amount_wan == Decimal("12.34")
