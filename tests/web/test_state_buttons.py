"""The buttons a page offers come from the state machine: for an object in every state, the
actions rendered (forms and action links) are exactly the legal ones the page is about.

Each page is rendered through the test client; the forms and links found are mapped back to
machine actions and compared with `machine.allowed(obj)`.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from flask import Flask, url_for

from matchmaker.extensions import db
from matchmaker.models import (
    ApplicationStatus,
    CreditRejection,
    DeclineReason,
    Lead,
    LeadStatus,
    NeedStatus,
)
from matchmaker.services.challenges import applications
from matchmaker.services.challenges.challenge_states import APPLICATION, CHALLENGE
from matchmaker.services.finance import leads
from matchmaker.services.finance.finance_states import LEAD
from matchmaker.services.market.listing_states import MACHINES as LISTING_MACHINES
from tests.conftest import log_in
from tests.factories import make_user
from tests.finance_factories import make_financing_need, make_firm, make_product
from tests.services.challenge_helpers import PROPOSAL, apply, challenge_world
from tests.services.test_listings import STATES, bring_to

FORM_ACTION = re.compile(r'<form\b[^>]*\baction="([^"]+)"[^>]*>(.*?)</form>', re.S)
HREF = re.compile(r'<a\b[^>]*\bhref="([^"]+)"')
HIDDEN_ACTION = re.compile(r'name="action" value="(\w+)"')


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _forms(html: str) -> list[tuple[str, str]]:
    """(action URL, body) of every form on the page (URLs unescaped)."""
    return [(url.replace("&amp;", "&"), body) for url, body in FORM_ACTION.findall(html)]


def _links(html: str) -> set[str]:
    return {href.replace("&amp;", "&") for href in HREF.findall(html)}


def _urls(app: Flask, **endpoints: tuple[str, dict]) -> dict[str, str]:
    with app.test_request_context():
        return {name: url_for(endpoint, **args) for name, (endpoint, args) in endpoints.items()}


# --- results and needs -------------------------------------------------------------------------
OWNER_BUTTONS = {"submit", "retract", "confirm", "transfer", "withdraw", "edit"}
REVIEW_BUTTONS = {"approve", "reject"}


def _owner_actions(app: Flask, html: str, kind: str, listing_id: int) -> set[str]:
    args = {"kinds": f"{kind}s", "listing_id": listing_id}
    urls = _urls(
        app,
        act=("listings.act", args),
        edit=("listings.edit", args),
        upload=("listings.upload", args),
    )
    found = set()
    for url, body in _forms(html):
        if url == urls["act"]:
            found.update(HIDDEN_ACTION.findall(body))
        elif url == urls["upload"]:
            found.add("edit")  # attachments change only while the listing may be edited
    if urls["edit"] in _links(html):
        found.add("edit")
    return found


@pytest.mark.parametrize(
    ("kind", "state"), [(k, s) for k in ("result", "need") for s in STATES[k]], ids=str
)
def test_owner_page_offers_exactly_the_legal_steps(app, client, fields, kind, state):
    owner = make_user("university" if kind == "result" else "enterprise")
    listing = bring_to(kind, state, fields, owner, make_user("admin"))
    db.session.commit()
    log_in(client, owner)

    html = _page(
        client,
        _urls(app, show=("listings.show", {"kinds": f"{kind}s", "listing_id": listing.id}))["show"],
    )

    allowed = set(LISTING_MACHINES[kind].allowed(listing))
    rendered = _owner_actions(app, html, kind, listing.id)
    assert rendered <= allowed
    assert rendered == allowed & OWNER_BUTTONS


@pytest.mark.parametrize(
    ("kind", "state"), [(k, s) for k in ("result", "need") for s in STATES[k]], ids=str
)
def test_review_page_offers_approval_only_when_the_machine_allows_it(
    app, client, fields, kind, state
):
    admin = make_user("admin")
    owner = make_user("university" if kind == "result" else "enterprise")
    listing = bring_to(kind, state, fields, owner, admin)
    db.session.commit()
    log_in(client, admin)
    args = {"kinds": f"{kind}s", "listing_id": listing.id}
    urls = _urls(
        app,
        show=("review.show", args),
        approve=("review.approve", args),
        reject=("review.reject", args),
    )

    html = _page(client, urls["show"])

    rendered = {name for name in REVIEW_BUTTONS if urls[name] in dict(_forms(html))}
    allowed = set(LISTING_MACHINES[kind].allowed(listing))
    assert rendered == allowed & REVIEW_BUTTONS


# --- challenges and applications ---------------------------------------------------------------
APP_STATES = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.SHORTLISTED,
    ApplicationStatus.FINALIST,
    ApplicationStatus.SELECTED,
    ApplicationStatus.DECLINED,
    ApplicationStatus.WITHDRAWN,
)
CHALLENGE_STATES = (
    NeedStatus.OPEN,
    NeedStatus.EVALUATING,
    NeedStatus.AWARDED,
    NeedStatus.CONTRACTED,
    NeedStatus.IN_PROGRESS,
    NeedStatus.ACCEPTED,
    NeedStatus.UNAWARDED,
    NeedStatus.WITHDRAWN,
    NeedStatus.TERMINATED,
    NeedStatus.CHALLENGE_REVIEW,  # waiting for the platform's review (challenge_review.py)
    NeedStatus.CHALLENGE_RETURNED,
)


@pytest.fixture
def race(fields):
    """A challenge with one application in each pipeline state (and a draft)."""
    world = challenge_world(fields)
    challenge = world["challenge"]
    apps = {}
    for state in (*APP_STATES, ApplicationStatus.DRAFT):
        user = make_user("university")
        if state == ApplicationStatus.DRAFT:
            application = applications.save_application_draft(
                actor=user, challenge=challenge, data=PROPOSAL
            )
        else:
            application = apply(user, challenge)
            application.status = state
        if state == ApplicationStatus.DECLINED:
            application.decline_reason_code = DeclineReason.OTHER
            application.decline_reason = "方案与需求不符。"
        apps[state] = (user, application)
    db.session.commit()
    return {**world, "apps": apps}


def _expected_card(application, need) -> set[str]:
    """The steps the owner's board should offer on one application card."""
    legal = set(APPLICATION.allowed(application))
    expected = set()
    if CHALLENGE.can(need, "review"):
        expected |= legal & {"shortlist", "finalist", "decline"}
    if CHALLENGE.can(need, "award") and "select" in legal:
        expected.add("select")
    if CHALLENGE.can(need, "contract") and "contract" in legal:
        expected.add("contract")
    return expected


@pytest.mark.parametrize("challenge_state", CHALLENGE_STATES, ids=str)
def test_pipeline_board_offers_exactly_the_legal_steps(app, client, race, challenge_state):
    need, challenge = race["need"], race["challenge"]
    need.status = challenge_state
    db.session.commit()
    log_in(client, race["owner"])

    html = _page(
        client, _urls(app, board=("pipeline.show", {"challenge_id": challenge.id}))["board"]
    )
    forms = {url for url, _body in _forms(html)}
    links = _links(html)

    for state, (_user, application) in race["apps"].items():
        if state == ApplicationStatus.DRAFT:
            continue  # drafts are not on the owner's board
        args = {"application_id": application.id}
        urls = _urls(
            app,
            shortlist=("pipeline.shortlist_application", args),
            finalist=("pipeline.promote_application", args),
            decline=("pipeline.decline_application", args),
            select=("pipeline.select_application", args),
            contract=("pipeline.new_deal", {"application": application.id}),
        )
        rendered = {a for a, url in urls.items() if url in forms or url in links}
        assert rendered <= set(APPLICATION.allowed(application)), (state, rendered)
        assert rendered == _expected_card(application, need), (state, challenge_state)


@pytest.mark.parametrize("challenge_state", CHALLENGE_STATES, ids=str)
def test_manage_page_offers_exactly_the_legal_challenge_steps(app, client, race, challenge_state):
    need, challenge = race["need"], race["challenge"]
    need.status = challenge_state
    db.session.commit()
    log_in(client, race["owner"])
    args = {"challenge_id": challenge.id}
    urls = _urls(
        app,
        manage=("challenges.manage_challenge", args),
        invite=("challenges.invite_organisations", args),
        close=("challenges.close_challenge", args),
        withdraw=("challenges.withdraw_challenge", args),
    )

    forms = {url for url, _body in _forms(_page(client, urls["manage"]))}

    rendered = {a for a in ("invite", "close", "withdraw") if urls[a] in forms}
    assert rendered == set(CHALLENGE.allowed(need)) & {"invite", "close", "withdraw"}


def test_applicants_list_offers_exactly_the_legal_steps(app, client, race):
    challenge = race["challenge"]
    for state, (user, application) in race["apps"].items():
        log_in(client, user)
        urls = _urls(
            app,
            mine=("challenges.list_applications", {}),
            withdraw=("challenges.withdraw_application", {"application_id": application.id}),
            apply=("challenges.apply_challenge", {"challenge_id": challenge.id}),
        )
        html = _page(client, urls["mine"])
        legal = set(APPLICATION.allowed(application))

        assert (urls["withdraw"] in {u for u, _b in _forms(html)}) == ("withdraw" in legal), state
        assert (urls["apply"] in _links(html)) == bool(legal & {"edit", "redraft"}), state


# --- leads -------------------------------------------------------------------------------------
LEAD_ENDPOINTS = {
    "accept": "finance.answer_lead",  # one form answers: accept or decline
    "withdraw": "finance.withdraw_lead",
    "contact": "finance.contact_lead",
    "approve": "finance.approve_lead",
    "reject": "finance.reject_lead",
    "disburse": "finance.disburse_lead",
}


@pytest.fixture
def lead_pair(db):
    bank, firm = make_user("bank"), make_firm()
    product = make_product(bank)
    need = make_financing_need(firm)
    lead = leads.request_contact(
        actor=bank,
        firm_org_id=firm.organisation_id,
        product_id=product.id,
        financing_need_id=need.id,
        message="贵企业的研发设备需求与我行科创贷匹配。",
    )
    db.session.commit()
    return {"bank": bank, "firm": firm, "lead": lead}


@pytest.mark.parametrize("state", list(LeadStatus), ids=str)
@pytest.mark.parametrize("side", ["bank", "firm"])
def test_lead_page_offers_exactly_the_legal_steps_of_each_side(app, client, lead_pair, side, state):
    lead: Lead = lead_pair["lead"]
    lead.status = state
    if state in (LeadStatus.APPROVED, LeadStatus.DISBURSED):
        lead.approved_amount_wan = Decimal(100)
    if state == LeadStatus.DISBURSED:
        lead.disbursed_amount_wan = Decimal(50)
    if state == LeadStatus.REJECTED:
        lead.rejection_reason = CreditRejection.COLLATERAL
    db.session.commit()
    log_in(client, lead_pair[side])
    urls = _urls(
        app,
        page=("finance.lead", {"lead_id": lead.id}),
        **{a: (endpoint, {"lead_id": lead.id}) for a, endpoint in LEAD_ENDPOINTS.items()},
    )

    forms = {url for url, _body in _forms(_page(client, urls["page"]))}

    rendered = {a for a in LEAD_ENDPOINTS if urls[a] in forms}
    if "accept" in rendered:
        rendered.add("decline")  # the answer form offers both
    own = leads.FIRM_ACTIONS if side == "firm" else leads.BANK_ACTIONS
    allowed = set(LEAD.allowed(lead))
    assert rendered <= allowed
    assert rendered == allowed & own
