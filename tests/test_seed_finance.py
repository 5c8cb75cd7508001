"""The demo 科技金融 data: profiles with scores and consent, products, needs, leads, events."""

from __future__ import annotations

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    ConsentScope,
    Event,
    EventMeeting,
    FinancingNeed,
    FirmProfile,
    Lead,
    LoanProduct,
    ProfileView,
)
from matchmaker.seed.finance import finance_data
from matchmaker.services.finance import consent


def _all(model):  # noqa: ANN001, ANN202
    return db.session.scalars(sa.select(model).order_by(model.id)).all()


def test_demo_finance_data_covers_the_bank_side(runner):
    result = runner.invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    data = finance_data()

    profiles = _all(FirmProfile)
    assert len(profiles) == len(data["demo_profiles"]) + len(data["extra_firms"])
    assert all(p.score is not None and p.score_version == 1 for p in profiles)
    assert not any(p.score_stale for p in profiles)
    assert len({p.score for p in profiles}) == len(profiles)  # a spread, not one value

    scopes = [consent.visible_scopes(p.organisation_id) for p in profiles]
    assert ConsentScope(0) in scopes  # some firms have not consented
    for scope in ConsentScope:
        assert any(s & scope for s in scopes)
        assert any(s and not s & scope for s in scopes)  # and some consented without it

    assert {p.status for p in _all(LoanProduct)} == {"draft", "published", "withdrawn"}
    assert {n.status for n in _all(FinancingNeed)} == {"open", "satisfied"}
    leads = _all(Lead)
    assert {lead.status for lead in leads} >= {
        "requested",
        "declined",
        "withdrawn",
        "in_contact",
        "approved",
        "rejected",
        "disbursed",
    }
    assert any(lead.first_loan for lead in leads)
    assert any(lead.meeting_id for lead in leads)  # one came out of the past 银企对接会
    # the firms see each bank's contact request in their view log, and nothing else
    assert {v.action for v in _all(ProfileView)} == {"lead"}

    bank_events = [e for e in _all(Event) if e.kind == "bank_enterprise"]  # 银企对接 only
    events = {e.status: e for e in bank_events}
    assert set(events) == {"draft", "open", "finished"}
    meetings = _all(EventMeeting)
    assert meetings and all(m.event_id == events["finished"].id for m in meetings)
    assert {m.outcome for m in meetings if m.outcome} >= {"credit_intent", "lead", "no_show"}
    slots = [(m.bank_org_id, m.starts_at) for m in meetings] + [
        (m.firm_org_id, m.starts_at) for m in meetings
    ]
    assert len(slots) == len(set(slots))  # nobody is in two meetings at once
