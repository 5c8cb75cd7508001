"""The sentinel world of tests/finance/test_consent_sentinels.py: one firm per consent-scope
combination, each with distinctive figures, and every way a bank meets a firm (list, page,
shortlist, export, lead, product match, 银企对接 meeting).

Each firm's sentinels are grouped by the scope whose data they are or are computed from, in
every form the pages, workbooks and API answers print them (SECURITY.md row 16).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from matchmaker.extensions import db
from matchmaker.models import ConsentScope, Organisation, SpecialisedLevel, TechField, User
from matchmaker.services.finance import consent, firm_shortlist, innovation_score, leads
from matchmaker.services.finance import event_scheduling as meetings
from matchmaker.services.finance import finance_events as events
from tests.factories import make_broker, make_user
from tests.finance.test_events import event_data
from tests.finance_factories import make_financing_need, make_firm, make_product

BASIC, INNOVATION = ConsentScope.BASIC, ConsentScope.INNOVATION
FINANCIALS, ACTIVITY = ConsentScope.FINANCIALS, ConsentScope.ACTIVITY
ALL = BASIC | INNOVATION | FINANCIALS | ACTIVITY
CENT = Decimal("0.01")

#: key -> (letter of its name, scopes granted (None: never), revoked afterwards,
#: revenue 2023, revenue 2024, R&D 2023, R&D 2024 in 万元, invention patents).
#: Names sort A..G; the firms without INNOVATION get more patents (a higher score) the later
#: their name sorts, so a sort by score that read their scores would reverse their order.
FIRMS: dict[str, tuple[str, ConsentScope | None, bool, str, str, str, str, int]] = {
    "basic": ("A", BASIC, False, "52718.39", "61423.87", "3157.21", "3692.58", 1),
    "innovation": ("B", INNOVATION, False, "47362.91", "58219.64", "2871.46", "3408.17", 12),
    "financials": ("C", FINANCIALS, False, "63914.27", "71856.43", "4216.83", "5093.71", 6),
    "activity": ("D", ACTIVITY, False, "39571.62", "48132.95", "2394.18", "2983.46", 15),
    "all": ("E", ALL, False, "71293.58", "83746.19", "5327.64", "6281.93", 9),
    "none": ("F", None, False, "44829.73", "53961.28", "3618.94", "4137.52", 4),
    "revoked": ("G", ALL, True, "58436.17", "67285.34", "3946.27", "4718.39", 7),
}


def _r(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money_forms(value: Decimal) -> list[str]:
    """An amount in 万元 as printed: plain (API, Excel), with thousands separators (|money),
    in yuan (English pages)."""
    return [f"{value:f}", f"{value:,.2f}", f"{value * 10000:,.0f}"]


def percent_forms(value: Decimal) -> list[str]:
    """A percentage as printed with 2, 1 and (for two-digit values) 0 decimals; the 2-decimal
    form also bare (JSON, Excel)."""
    forms = [f"{value:.2f}", f"{value:.2f}%", f"{value:.1f}%"]
    if value >= 10:
        forms.append(f"{value:.0f}%")
    return forms


@dataclass
class SentinelFirm:
    """One seeded firm: its user, its scopes now, and its sentinels by the scope they need."""

    key: str
    name: str
    user: User
    scopes: ConsentScope  # live now (0: none)
    sentinels: dict[ConsentScope, list[str]] = field(default_factory=dict)

    @property
    def org_id(self) -> int:
        """The firm's organisation id."""
        return self.user.organisation_id


def _seed_firm(key: str, field_id: int) -> SentinelFirm:
    """The firm with its profile, score and consent (revoked later by build_world)."""
    from matchmaker.services.finance import firm_profiles

    letter, scopes, _revoked, r1, r2, d1, d2, patents = FIRMS[key]
    n = "ABCDEFG".index(letter) + 1
    user = make_firm(
        scopes=int(scopes) if scopes else None,
        years=[(2023, Decimal(r1), Decimal(d1)), (2024, Decimal(r2), Decimal(d2))],
        field_id=field_id,
        patents_invention=patents,
        specialised=SpecialisedLevel.SME,  # so that the 专精特新 filter has firms to list
        specialised_cert_no=f"ZJTX{n:04d}",
        specialised_expires_on=date.today() + timedelta(days=400),
        awards=f"哨兵奖项{letter}\n省级科技进步奖",
        high_tech_cert_no=f"GRSNTL{n:04d}",
        key_products=f"哨兵产品{letter}",
        contact_name=f"哨兵联系人{letter}",
        contact_phone=f"1397531864{n}",
        contact_email=f"sentinel-{letter.lower()}@firm.example.com",
    )
    org = db.session.get(Organisation, user.organisation_id)
    org.name = f"哨兵{letter}科技有限公司"
    profile = firm_profiles.profile_of(user.organisation_id)
    score = innovation_score.compute_score(profile)
    rev_g = _r((Decimal(r2) / Decimal(r1) - 1) * 100)
    rd_g = _r((Decimal(d2) / Decimal(d1) - 1) * 100)
    intensity = _r(Decimal(d2) / Decimal(r2) * 100)
    firm = SentinelFirm(key=key, name=org.name, user=user, scopes=scopes or ConsentScope(0))
    firm.sentinels[BASIC] = [f"哨兵产品{letter}", f"1397531864{n}", f"sentinel-{letter.lower()}@"]
    firm.sentinels[INNOVATION] = [
        f"哨兵奖项{letter}",
        f"GRSNTL{n:04d}",
        *percent_forms(intensity),
        f"{score:.2f}",
        f"{score:.1f}",
    ]
    figures = [form for v in (r1, r2, d1, d2) for form in money_forms(Decimal(v))]
    normalised = [f"{_r(g * 100 / 30):.2f}" for g in (rev_g, rd_g)]
    firm.sentinels[FINANCIALS] = [
        *figures,
        *percent_forms(rev_g),
        *percent_forms(rd_g),
        *normalised,
    ]
    return firm


@dataclass
class World:
    """Everything the crawl needs: the firms, the viewers, and the ids to put in URLs."""

    firms: dict[str, SentinelFirm]
    viewers: dict[str, User | None]
    products: dict[str, int]  # bank key -> its published product
    field_id: int
    ids: dict[str, list[int]]

    def allowed(self, viewer: str, firm: SentinelFirm, scope: ConsentScope) -> bool:
        """Whether this viewer may see this scope of this firm: a verified bank, under the
        firm's live consent; nobody else in this crawl (the firm itself is not a viewer)."""
        return viewer in ("bank_a", "bank_b") and bool(firm.scopes & scope)


def build_world(field: TechField) -> World:
    """Seed the firms (revoking one after its lead, shortlist entry and meeting exist), two
    verified banks (the first with accepted leads, a shortlist and an event), an unverified
    bank, and every other role."""
    bank_a, bank_b = make_user("bank"), make_user("bank")
    firms = {}
    for key in FIRMS:
        firms[key] = _seed_firm(key, field.id)
    # a product whose firm rules every firm meets on its stored data (industry, score, 高新)
    rules: dict[str, Any] = {
        "field_ids": [field.id],
        "min_score": Decimal(1),
        "requires_high_tech": True,
        "amount_max_wan": Decimal(5000),
    }
    product_a = make_product(bank_a, name="哨兵科创贷", **rules)
    product_b = make_product(bank_b, name="哨兵知识产权贷", **rules)
    needs = {
        key: make_financing_need(f.user, title="哨兵研发设备融资", amount_wan=Decimal(800))
        for key, f in firms.items()
    }
    event = events.create_event(actor=bank_a, data=event_data())
    events.publish_event(actor=bank_a, event=event)
    for user in (bank_a, bank_b, *(f.user for f in firms.values())):
        events.register(actor=user, event=event)
    lead_ids = []
    for key in ("innovation", "all", "revoked", "financials"):
        firm = firms[key]
        lead = leads.request_contact(
            actor=bank_a,
            firm_org_id=firm.org_id,
            product_id=product_a.id,
            financing_need_id=needs[key].id,
        )
        leads.answer_lead(actor=firm.user, lead=lead, accept=True)
        lead_ids.append(lead.id)
    for firm in firms.values():
        if firm.scopes:
            firm_shortlist.add_to_shortlist(actor=bank_a, firm_org_id=firm.org_id, note="关注")
    meetings.generate_schedule(actor=bank_a, event=event)
    for key, firm in firms.items():
        if FIRMS[key][2]:
            consent.revoke(actor=firm.user)
            firm.scopes = ConsentScope(0)
    viewers: dict[str, User | None] = {
        "anonymous": None,
        "enterprise": make_user("enterprise"),
        "university": make_user("university"),
        "broker": make_broker().user,
        "bank_pending": make_user("bank", verified=False),
        "admin": make_user("admin"),
        "bureau": make_user("bureau"),
        "bank_a": bank_a,
        "bank_b": bank_b,
    }
    db.session.commit()
    return World(
        firms=firms,
        viewers=viewers,
        products={"bank_a": product_a.id, "bank_b": product_b.id},
        field_id=field.id,
        ids={
            "firm_id": [f.org_id for f in firms.values()],
            "org_id": [f.org_id for f in firms.values()],
            "product_id": [product_a.id, product_b.id],
            "financing_need_id": [n.id for n in needs.values()],
            "lead_id": lead_ids,
            "event_id": [event.id],
            "meeting_id": sorted(m.id for m in event.meetings),
        },
    )


# --- finding sentinels --------------------------------------------------------------------------
#: Chart geometry: numbers in these SVG attributes are coordinates, not figures.
_GEOMETRY = re.compile(
    r'\s(?:x|y|x1|x2|y1|y2|cx|cy|r|lx|ly|width|height|points|viewBox|transform)="[^"]*"'
)


def without_geometry(text: str) -> str:
    """The text with chart coordinates removed (the <title> of a bar, with its figure, stays)."""
    return _GEOMETRY.sub(" ", text)


#: A number, then a % sign unless it starts a URL escape ("12%2F" is no percentage).
_NUMBER = re.compile(r"(\d[\d.,]*\d|\d)(%(?![0-9A-Fa-f]{2})|)")


def numbers_in(text: str) -> frozenset[str]:
    """Every number the text prints, as printed (with its % sign, and without it)."""
    found = set()
    for number, percent in _NUMBER.findall(text):
        found.add(number)
        if percent:
            found.add(number + percent)
    return frozenset(found)


def occurs(form: str, text: str, numbers: frozenset[str] | None = None) -> bool:
    """Whether a sentinel form occurs as itself (a number not inside a longer number);
    `numbers` is numbers_in(text) when the caller checks many forms against one text."""
    if not form[:1].isdigit():
        return form in text
    return form in (numbers if numbers is not None else numbers_in(text))
