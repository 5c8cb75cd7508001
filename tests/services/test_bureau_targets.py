"""The city's targets: defaults, the admin's overrides, validation, permission, audit, and the
progress counted on the platform's own records (this year's target first)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    AuditLog,
    CityTarget,
    Lead,
    LeadStatus,
    OrgStatus,
)
from matchmaker.services.bureau import figures, targets
from matchmaker.services.connect.funnel import china_day
from matchmaker.services.errors import PermissionDenied, ValidationFailed
from matchmaker.services.platform import stats
from tests.factories import make_user
from tests.finance_factories import make_profile
from tests.services.bureau_rows import YEAR, at, deal, enquiry, event, org, result

TODAY = date(2026, 6, 1)


def by_code(progress):
    return {m.code: m for m in progress}


def test_defaults_are_the_seeds_figures(db):
    assert targets.targets_for("results_converted") == {
        2025: Decimal(350),
        2027: Decimal(440),
        2030: Decimal(700),
    }
    assert targets.targets_for("high_tech_firms")[2030] == Decimal(500)
    assert targets.targets_for("talent_events")[2027] == Decimal(450)
    assert targets.targets_for("bank_enterprise_events")[2026] == Decimal(50)
    assert targets.targets_for("credit_granted")[2026] == Decimal(1_000_000)
    assert targets.targets_for("contract_turnover")[2028] == Decimal(173_000)
    assert list(targets.METRICS) == [
        "results_converted",
        "high_tech_firms",
        "talent_events",
        "bank_enterprise_events",
        "credit_granted",
        "contract_turnover",
    ]
    with pytest.raises(ValidationFailed):
        targets.targets_for("nothing")


def test_the_admin_overrides_a_year_and_it_is_audited(db):
    admin = make_user("admin")
    row = targets.set_target(actor=admin, metric="results_converted", year=2026, value="400")
    targets.set_target(actor=admin, metric="results_converted", year=2027, value=500)
    db.session.commit()
    assert targets.targets_for("results_converted") == {
        2025: Decimal(350),
        2026: Decimal(400),
        2027: Decimal(500),
        2030: Decimal(700),
    }
    assert row.updated_by_id == admin.id
    entries = db.session.scalars(
        sa.select(AuditLog).where(AuditLog.action == "city_target.update").order_by(AuditLog.id)
    ).all()
    assert [e.after["value"] for e in entries] == ["400", "500"]
    assert entries[0].before is None and entries[1].before["value"] == "440"
    # setting it again updates the same row
    targets.set_target(actor=admin, metric="results_converted", year=2027, value="510.5")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CityTarget)) == 2
    assert targets.targets_for("results_converted")[2027] == Decimal("510.50")
    targets.clear_target(actor=admin, metric="results_converted", year=2027)
    assert targets.targets_for("results_converted")[2027] == Decimal(440)


@pytest.mark.parametrize(
    ("metric", "year", "value", "field"),
    [
        ("nothing", 2026, 1, "metric"),
        ("credit_granted", 1999, 1, "year"),
        ("credit_granted", "twenty", 1, "year"),
        ("credit_granted", 2026, -1, "value"),
        ("credit_granted", 2026, "a lot", "value"),
        ("credit_granted", 2026, "NaN", "value"),
    ],
)
def test_bad_targets_are_refused_and_nothing_is_stored(db, metric, year, value, field):
    admin = make_user("admin")
    with pytest.raises(ValidationFailed) as refused:
        targets.set_target(actor=admin, metric=metric, year=year, value=value)
    assert field in refused.value.errors
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CityTarget)) == 0


@pytest.mark.parametrize("role", ["bureau", "enterprise", "bank"])
def test_only_the_admin_sets_targets(db, role):
    with pytest.raises(PermissionDenied):
        targets.set_target(actor=make_user(role), metric="talent_events", year=2026, value=10)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CityTarget)) == 0


def test_this_years_target_first_then_later_then_past(db):
    progress = by_code(targets.progress(TODAY))
    converted = progress["results_converted"]
    assert [y.year for y in converted.years] == [2027, 2030, 2025]  # no 2026 target: the next
    assert [y.is_past for y in converted.years] == [False, False, True]
    yearly = progress["bank_enterprise_events"]
    assert [y.year for y in yearly.years] == [2026, 2027, 2028, 2029, 2030, 2025]
    assert yearly.years[0].is_current and not yearly.years[1].is_current
    admin = make_user("admin")
    targets.set_target(actor=admin, metric="results_converted", year=2026, value=380)
    first = by_code(targets.progress(TODAY))["results_converted"].years[0]
    assert (first.year, first.target, first.is_current, first.overridden) == (
        2026,
        Decimal(380),
        True,
        True,
    )


def _world(fields):
    """Conversions, high-tech firms, events, credit and deals on both sides of 2025/2026."""
    uni, ent = org("university"), org()
    mat = fields["materials"]
    r1 = result(uni, mat, created=at(2025, 1, 1))
    r2 = result(uni, mat, created=at(2025, 1, 2))
    r3 = result(uni, mat, created=at(2025, 1, 3), status="transferred")
    r3.updated_at = at(2026, 2, 1)
    d1 = deal(
        enquiry(ent, r1, created=at(2025, 5, 1)),
        amount=100,
        created=at(2025, 6, 1),
        signed=date(2025, 6, 1),
    )
    d2 = deal(enquiry(ent, r2, created=at(2026, 1, 1)), amount=60, created=at(2026, 3, 1))
    deal(
        enquiry(org(), r2, created=at(2026, 1, 2)),
        amount=999,
        created=at(2026, 3, 2),
        status="terminated",
    )
    high = make_user("enterprise")
    make_profile(high, high_tech=True)
    low = make_user("enterprise")
    make_profile(low, high_tech=False)
    pending = make_user("enterprise", verified=False)
    make_profile(pending, high_tech=True)
    assert pending.organisation.status == OrgStatus.PENDING
    gov = org()
    t1 = event(gov, kind="talent", starts=at(2025, 9, 1))
    t2 = event(gov, kind="talent", starts=at(2026, 3, 1))
    event(gov, kind="talent", starts=at(2026, 4, 1), status="open")  # not held yet
    b1 = event(gov, kind="bank_enterprise", starts=at(2026, 5, 1))
    bank = org("bank")
    lead = Lead(
        bank_org_id=bank.id,
        firm_org_id=ent.id,
        status=LeadStatus.DISBURSED,
        approved_amount_wan=Decimal(300),
        disbursed_amount_wan=Decimal(300),
        approved_at=at(2026, 4, 1),
    )
    refused = Lead(bank_org_id=bank.id, firm_org_id=uni.id, status=LeadStatus.IN_CONTACT)
    db.session.add_all([lead, refused])
    db.session.commit()
    return {
        "r1": r1,
        "r2": r2,
        "r3": r3,
        "d1": d1,
        "d2": d2,
        "high": high,
        "t1": t1,
        "t2": t2,
        "b1": b1,
        "lead": lead,
    }


def test_progress_is_counted_on_the_platforms_records(db, fields):
    w = _world(fields)
    progress = by_code(targets.progress(TODAY))

    def year(code, y):
        return next(p for p in progress[code].years if p.year == y)

    assert year("results_converted", 2025).done == 1  # r1's deal was signed in 2025
    assert year("results_converted", 2027).done == 3  # then r2 (deal) and r3 (transferred)
    assert stats.deal_statistics()["results_converted"] == 3  # the same rule
    assert year("results_converted", 2027).share == pytest.approx(3 / 440)
    assert year("high_tech_firms", 2025).done == 1 and year("high_tech_firms", 2030).done == 1
    assert year("talent_events", 2025).done == 1 and year("talent_events", 2027).done == 2
    assert year("bank_enterprise_events", 2026).done == 1
    assert year("bank_enterprise_events", 2025).done == 0
    assert year("credit_granted", 2026).done == Decimal(300)
    assert year("contract_turnover", 2025).done == Decimal(100)
    assert year("contract_turnover", 2026).done == Decimal(60)

    def drilled(metric, y):
        return sorted(r.id for r in figures.records("targets", YEAR, {"metric": metric, "year": y}))

    assert drilled("results_converted", "2027") == sorted([w["r1"].id, w["r2"].id, w["r3"].id])
    assert drilled("results_converted", "2025") == [w["r1"].id]
    assert drilled("high_tech_firms", "2030") == [w["high"].organisation_id]
    assert drilled("talent_events", "2027") == sorted([w["t1"].id, w["t2"].id])
    assert drilled("bank_enterprise_events", "2026") == [w["b1"].id]
    assert drilled("credit_granted", "2026") == [w["lead"].id]
    assert drilled("contract_turnover", "2026") == [w["d2"].id]
    assert figures.records("targets", YEAR, {"metric": "nothing", "year": "2026"}) == []


def test_the_targets_figure(db, fields):
    _world(fields)
    table = figures.compute("targets", YEAR)
    assert table.chart == "target" and table.totals() == {}
    credit = [i for i, row in enumerate(table.rows) if row["metric"] == "授信金额"]
    assert table.cell_kinds[credit[0]] == {"done": "money", "target": "money"}
    assert table.kind_of(credit[0], "done") == "money" and table.kind_of(0, "done") == "int"
    first_credit = table.rows[credit[0]]
    this_year = china_day().year
    if this_year in targets.PLAN_YEARS:  # a yearly target: this year's comes first
        assert (first_credit["year"], first_credit["status"]) == (str(this_year), "本年度")
    assert table.rows[credit[-1]]["status"] == "已过去"
    assert table.drill[credit[0]]["done"]["metric"] == "credit_granted"
    units = {row["metric"]: row["unit"] for row in table.rows}
    assert (units["高新技术企业"], units["人才活动"], units["授信金额"]) == ("家", "场", "万元")
    assert len(table.rows) == sum(len(targets.targets_for(code)) for code in targets.METRICS)
