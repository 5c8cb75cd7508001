"""The demo 对接 data: enquiries and conversations in every state, a deal, and the funnel."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Deal, Enquiry, ExpertProfile, FunnelEvent, Need, Result
from matchmaker.seed.connect import ENQUIRY_STATES, connect_data


def _seed(runner, *args: str) -> str:
    result = runner.invoke(args=["seed", "demo", "--verbose", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _all(model):  # noqa: ANN001, ANN202
    return db.session.scalars(sa.select(model).order_by(model.id)).all()


def _connect_enquiries() -> list[Enquiry]:
    """The enquiries connect.json plays (brokers.json adds introductions and ones to experts)."""
    return db.session.scalars(
        sa.select(Enquiry)
        .where(Enquiry.broker_id.is_(None), Enquiry.expert_id.is_(None))
        .order_by(Enquiry.id)
    ).all()


def _snapshot() -> list[tuple]:
    rows: list[tuple] = []
    for e in _connect_enquiries():
        rows.append(
            (
                e.listing.title,
                e.sender_org.name,
                e.owner_org.name,
                e.status,
                e.intent,
                e.source,
                e.decline_code,
                e.outcome,
            )
        )
        rows += [(m.author_org_id == e.sender_org_id, m.body) for m in e.messages]
    # By title: ids differ after --reset on PostgreSQL (its sequences go on counting).
    titles = {("result", r.id): r.title for r in _all(Result)}
    titles.update({("need", n.id): n.title for n in _all(Need)})
    titles.update({("expert", x.id): x.name for x in _all(ExpertProfile)})
    counts = db.session.execute(
        sa.select(
            FunnelEvent.step, FunnelEvent.listing_kind, FunnelEvent.listing_id, sa.func.count()
        ).group_by(FunnelEvent.step, FunnelEvent.listing_kind, FunnelEvent.listing_id)
    )
    rows += sorted(
        (str(step), titles[(kind, listing_id)], n) for step, kind, listing_id, n in counts
    )
    return rows


def test_demo_conversations_cover_every_state(runner):
    output = _seed(runner)
    data = connect_data()["enquiries"]
    enquiries = _connect_enquiries()
    assert len(enquiries) == len(data)
    by_state = Counter(str(e.status) for e in enquiries)
    assert by_state == Counter(entry["state"] for entry in data)
    assert set(by_state) == set(ENQUIRY_STATES)
    assert f"对接: {len(data)} enquiries (open 4, info_requested 1, accepted 3" in output

    assert {e.listing_kind for e in enquiries} == {"result", "need"}
    assert {str(e.source) for e in enquiries} == {"listing", "recommendation"}
    asked = [e for e in enquiries if e.info_request]
    assert {str(e.status) for e in asked} == {"info_requested", "open"}  # one answered
    declined = [e for e in enquiries if e.status == "declined"]
    assert declined and all(e.decline_code and e.decline_reason for e in declined)
    closed = [e for e in enquiries if e.status == "closed"]
    assert {str(e.outcome) for e in closed} == {"contract", "no_deal", "offline"}
    assert all(e.outcome_reason for e in closed if e.outcome == "no_deal")
    talking = [e for e in enquiries if e.status == "accepted"]
    assert all(len(e.messages) >= 1 for e in talking)
    assert all(e.answered_at is not None for e in talking + declined)
    assert sum(len(e.messages) for e in enquiries) == sum(
        len(entry.get("messages", [])) + ("answer" in entry) for entry in data
    )

    # One conversation ended in a contract recorded from it: the result's owner provides.
    ids = [e.id for e in enquiries]
    [deal] = db.session.scalars(sa.select(Deal).where(Deal.enquiry_id.in_(ids))).all()
    source = db.session.get(Enquiry, deal.enquiry_id)
    assert source is not None and source.outcome == "contract"
    assert (deal.provider_org_id, deal.client_org_id) == (source.owner_org_id, source.sender_org_id)

    others = [f"enquiry:{e.id}" for e in _all(Enquiry) if e.id not in ids]
    others += [f"deal:{d.id}" for d in _all(Deal) if d.enquiry_id and d.enquiry_id not in ids]
    steps = Counter(
        str(step)
        for step in db.session.scalars(
            sa.select(FunnelEvent.step).where(FunnelEvent.visitor.not_in(others))
        )
    )
    assert steps["enquiry"] == len(data)
    assert steps["accepted"] == sum("accept_days_ago" in entry for entry in data)
    assert steps["deal"] >= 1 and steps["view"] > steps["enquiry"]
    assert steps["impression"] > steps["click"] > 0


def test_demo_conversations_are_deterministic(runner):
    _seed(runner)
    first = _snapshot()
    _seed(runner, "--reset")
    assert _snapshot() == first
    assert len(first) > 40
