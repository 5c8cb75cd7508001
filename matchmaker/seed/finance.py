"""Demo 科技金融 data (finance.json): firm profiles and consent, products, needs, leads, events.

Played through the services in the order people would act: firms fill their profiles and
consent, banks publish products, firms post financing needs, banks request contact and carry
each lead as far as the JSON says, and the bureau's past 银企对接会 is run start to finish
(with back-dated `now=`). Scores are computed last, after the 揭榜挂帅 activity exists.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from importlib import resources
from typing import Any

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    Collateral,
    ConsentScope,
    EventMeeting,
    FinancingNeed,
    LoanProduct,
    MeetingStatus,
    Organisation,
    TechField,
    User,
)
from matchmaker.models.base import utcnow
from matchmaker.seed.evidence import demo_scan
from matchmaker.services.accounts import accounts, email_verification, organisations
from matchmaker.services.finance import (
    consent,
    finance_events,
    financing_needs,
    firm_profiles,
    innovation_score,
    leads,
    loan_products,
)
from matchmaker.services.finance.event_scheduling import generate_schedule, record_outcome

SCOPES = {s.name.lower(): s for s in ConsentScope if s.name}
COLLATERAL = {c.name.lower(): c for c in Collateral if c and c.name}


def finance_data() -> dict[str, Any]:
    """The checked-in demo data of 科技金融."""
    text = resources.files("matchmaker.seed").joinpath("finance.json").read_text("utf-8")
    return json.loads(text)


def _flags(names: list[str], table: dict[str, Any]) -> int:
    value = 0
    for name in names:
        value |= int(table[name])
    return value


def _first_member(org_name: str) -> User:
    org = db.session.scalar(sa.select(Organisation).where(Organisation.name == org_name))
    if org is None or not org.members:
        raise LookupError(f"demo organisation {org_name!r} is missing")
    return sorted(org.members, key=lambda u: u.id)[0]


def _profile_data(entry: dict[str, Any], fields: dict[str, TechField]) -> firm_profiles.ProfileData:
    invention, utility, design, software = entry["patents"]
    today = date.today()
    high_tech = entry["high_tech"]
    specialised = entry["specialised"]
    return firm_profiles.ProfileData(
        field_id=fields[entry["field"]].id,
        size=entry["size"],
        employees=entry["employees"],
        founded_year=entry["founded_year"],
        high_tech=high_tech,
        high_tech_cert_no=f"GR{today.year - 1}22{entry['employees']:06d}" if high_tech else "",
        high_tech_expires_on=today + timedelta(days=400) if high_tech else None,
        specialised=specialised,
        specialised_cert_no=f"JLZJTX-{entry['founded_year']}-{entry['employees']}"
        if specialised != "none"
        else "",
        specialised_expires_on=today + timedelta(days=700) if specialised != "none" else None,
        patents_invention=invention,
        patents_utility=utility,
        patents_design=design,
        software_copyrights=software,
        awards=entry["awards"],
        key_products=entry["key_products"],
        contact_name="财务部",
        contact_phone="0431-8" + f"{entry['employees'] * 7919 % 10_000_000:07d}",
        contact_email="",
        years=[
            firm_profiles.YearData(year=y, revenue_wan=Decimal(r), rd_spend_wan=Decimal(d))
            for y, r, d in entry["years"]
        ],
    )


def _firm(user: User, entry: dict[str, Any], fields: dict[str, TechField]) -> None:
    firm_profiles.save_profile(actor=user, data=_profile_data(entry["profile"], fields))
    if entry.get("consent"):
        consent.grant(
            actor=user,
            scopes=_flags(entry["consent"]["scopes"], SCOPES),
            days=entry["consent"]["days"],
        )


def _register_firm(entry: dict[str, Any], admin: User, password: str) -> User:
    user = accounts.register_organisation(
        organisation=accounts.OrganisationData(
            kind="enterprise",
            name=entry["name"],
            region=entry["region"],
            credit_code=entry["credit_code"],
            description=entry["description"],
        ),
        person=accounts.PersonData(
            name=entry["user"]["name"], email=entry["user"]["email"], password=password
        ),
        document=demo_scan("enterprise"),
    )
    email_verification.mark_email_verified(user)  # demo addresses receive no mail
    assert user.organisation is not None  # register_organisation always creates it
    organisations.verify_organisation(actor=admin, organisation=user.organisation)
    return user


def _products(data: list[dict[str, Any]], fields: dict[str, TechField]) -> dict[str, LoanProduct]:
    made: dict[str, LoanProduct] = {}
    for entry in data:
        bank = _first_member(entry["bank"])
        product = loan_products.create_product(
            actor=bank,
            data=loan_products.ProductData(
                name=entry["name"],
                kind=entry["kind"],
                description=entry["description"],
                amount_min_wan=Decimal(entry["amount"][0]),
                amount_max_wan=Decimal(entry["amount"][1]),
                term_min_months=entry["term"][0],
                term_max_months=entry["term"][1],
                rate_min=Decimal(entry["rate"][0]),
                rate_max=Decimal(entry["rate"][1]),
                field_ids=tuple(fields[code].id for code in entry["fields"]),
                min_score=Decimal(entry["min_score"]) if entry["min_score"] is not None else None,
                requires_high_tech=entry["high_tech"],
                requires_specialised=entry["specialised"],
                collateral=_flags(entry["collateral"], COLLATERAL),
            ),
        )
        if entry["status"] in ("published", "withdrawn"):
            loan_products.publish_product(actor=bank, product=product)
        if entry["status"] == "withdrawn":
            loan_products.withdraw_product(actor=bank, product=product)
        made[f"{entry['bank']}/{entry['name']}"] = product
    return made


def _needs(data: list[dict[str, Any]]) -> dict[str, FinancingNeed]:
    made: dict[str, FinancingNeed] = {}
    for entry in data:
        firm = _first_member(entry["organisation"])
        need = financing_needs.create_financing_need(
            actor=firm,
            data=financing_needs.FinancingNeedData(
                title=entry["title"],
                amount_wan=Decimal(entry["amount"]),
                purpose=entry["purpose"],
                term_months=entry["term"],
                collateral=_flags(entry["collateral"], COLLATERAL),
            ),
        )
        if entry.get("close"):
            financing_needs.close_financing_need(
                actor=firm, need=need, satisfied=entry["close"] == "satisfied"
            )
        made[entry["title"]] = need
    return made


def _leads(
    data: list[dict[str, Any]], products: dict[str, LoanProduct], needs: dict[str, FinancingNeed]
) -> int:
    for entry in data:
        bank = _first_member(entry["bank"])
        firm = _first_member(entry["firm"])
        assert firm.organisation_id is not None  # a member of the firm
        lead = leads.request_contact(
            actor=bank,
            firm_org_id=firm.organisation_id,
            product_id=products[f"{entry['bank']}/{entry['product']}"].id,
            financing_need_id=needs[entry["need"]].id if entry["need"] else None,
            message=entry["message"],
        )
        for step, *args in entry["steps"]:
            if step == "accept":
                leads.answer_lead(actor=firm, lead=lead, accept=True, reply=args[0])
            elif step == "decline":
                leads.answer_lead(actor=firm, lead=lead, accept=False, reply=args[0])
            elif step == "withdraw":
                leads.withdraw_lead(actor=bank, lead=lead)
            elif step == "contact":
                leads.mark_in_contact(actor=bank, lead=lead)
            elif step == "approve":
                product = products[f"{entry['bank']}/{args[1]}"]
                leads.approve_credit(
                    actor=bank, lead=lead, amount_wan=Decimal(args[0]), product_id=product.id
                )
            elif step == "reject":
                leads.reject_credit(actor=bank, lead=lead, reason=args[0], note=args[1])
            elif step == "disburse":
                leads.record_disbursement(
                    actor=bank, lead=lead, amount_wan=Decimal(args[0]), first_loan=args[1]
                )
            else:  # pragma: no cover - a typo in finance.json
                raise ValueError(f"unknown lead step {step!r}")
    return len(data)


def _event(entry: dict[str, Any], admin: User) -> None:
    organiser = admin if entry["organiser"] == "government" else _first_member(entry["organiser"])
    now = utcnow()
    day = (now + timedelta(days=entry["days_from_now"])).replace(
        hour=1, minute=30, second=0, microsecond=0
    )  # 09:30 in China
    past = entry["days_from_now"] < 0
    created = day - timedelta(days=30) if past else now
    event = finance_events.create_event(
        actor=organiser,
        data=finance_events.EventData(
            title=entry["title"],
            description=entry["description"],
            location=entry["location"],
            starts_at=day,
            ends_at=day + timedelta(hours=entry["hours"]),
            registration_closes_at=day - timedelta(days=2),
            slot_minutes=entry["slot"],
        ),
        now=created,
    )
    if entry.get("draft"):
        return
    finance_events.publish_event(actor=organiser, event=event, now=created)
    for name in entry["registrations"]:
        finance_events.register(actor=_first_member(name), event=event, now=created)
    if not past:
        return
    generate_schedule(actor=organiser, event=event, now=created)
    meetings = sorted(
        db.session.scalars(sa.select(EventMeeting).where(EventMeeting.event_id == event.id)),
        key=lambda m: (m.starts_at, m.id),
    )
    outcomes = entry.get("outcomes", [])
    for meeting, outcome in zip(meetings, outcomes, strict=False):
        if meeting.status != MeetingStatus.PROPOSED:
            continue
        bank = _first_member(meeting.bank.name)
        if outcome == "lead" and leads.live_lead(meeting.bank_org_id, meeting.firm_org_id):
            outcome = "follow_up"  # one live lead per bank and firm
        record_outcome(
            actor=bank,
            meeting=meeting,
            outcome=outcome,
            note="" if outcome == "no_show" else "现场洽谈，已交换材料清单。",
            now=day + timedelta(hours=entry["hours"]),
        )
    if entry.get("finish"):
        finance_events.finish_event(
            actor=organiser, event=event, now=day + timedelta(hours=entry["hours"])
        )


def load_finance(*, admin: User | None, echo: Any = print) -> dict[str, int]:
    """Load the demo 科技金融 data; needs the demo organisations and the key industries."""
    if admin is None:
        return {}
    data = finance_data()
    password = json.loads(
        resources.files("matchmaker.seed").joinpath("demo.json").read_text("utf-8")
    )["password"]
    fields = {f.code: f for f in db.session.scalars(sa.select(TechField))}
    for entry in data["demo_profiles"]:
        _firm(_first_member(entry["organisation"]), entry, fields)
    for entry in data["extra_firms"]:
        _firm(_register_firm(entry, admin, password), entry, fields)
    products = _products(data["products"], fields)
    needs = _needs(data["financing_needs"])
    lead_count = _leads(data["leads"], products, needs)
    for entry in data["events"]:
        _event(entry, admin)
    scored = innovation_score.rescore(all_profiles=True)
    counts = {
        "firms_registered": len(data["extra_firms"]),
        "firm_profiles": len(data["demo_profiles"]) + len(data["extra_firms"]),
        "loan_products": len(products),
        "financing_needs": len(needs),
        "leads": lead_count,
        "finance_events": len(data["events"]),
        "scored": scored,
    }
    echo("  科技金融: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return counts
