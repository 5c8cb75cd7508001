"""The bureau's figures: each number, and the drill-down listing exactly the records behind it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db as _db
from matchmaker.models import FunnelStep
from matchmaker.services.bureau import figures, figures_funnel
from matchmaker.services.bureau.figures import Filters
from matchmaker.services.connect import funnel
from matchmaker.services.errors import NotFound, ValidationFailed
from tests.services.bureau_rows import (
    YEAR,
    application,
    at,
    challenge,
    deal,
    drill_of,
    enquiry,
    need,
    org,
    result,
    row_of,
)


def ids(records, kind=None):
    return sorted(r.id for r in records if kind is None or r.kind == kind)


def test_every_figure_in_the_dashboards_order(db, fields):
    assert figures.names() == list(figures.ORDER)
    tables = figures.dashboard(YEAR)
    assert [t.name for t in tables] == list(figures.ORDER)
    for table in tables:
        assert table.title and table.columns
        keys = {c.key for c in table.columns}
        assert table.x in keys and set(table.series) <= keys
        assert len(table.drill) in (0, len(table.rows))
    with pytest.raises(NotFound):
        figures.compute("nothing", YEAR)
    with pytest.raises(NotFound):
        figures.records("nothing", YEAR, {})


def test_parse_filters_checks_every_parameter():
    today = date(2026, 12, 6)
    parsed = figures.parse_filters({"field": "3", "region": "jilin"}, today=today)
    assert parsed == Filters(date(2026, 1, 1), today, 3, "jilin", None)
    with pytest.raises(ValidationFailed) as refused:
        figures.parse_filters(
            {"start": "2026-13-01", "field": "x", "region": "mars", "org_kind": "club"},
            today=today,
        )
    assert set(refused.value.errors) == {"start", "field", "region", "org_kind"}
    with pytest.raises(ValidationFailed) as backwards:
        figures.parse_filters({"start": "2026-05-01", "end": "2026-04-01"}, today=today)
    assert set(backwards.value.errors) == {"end"}


def test_listings_by_state_per_field_and_state(db, fields):
    uni, ent = org("university"), org()
    mat, energy = fields["materials"], fields["energy"]
    r1 = result(uni, mat, created=at(2026, 3, 5))
    r2 = result(uni, mat, created=at(2026, 4, 5), status="transferred")
    r3 = result(ent, energy, created=at(2026, 4, 6))
    result(uni, mat, created=at(2026, 4, 7), status="draft")  # never public
    result(uni, mat, created=at(2025, 4, 7))  # before the range
    n1 = need(ent, mat, created=at(2026, 5, 1))
    n2 = need(ent, energy, created=at(2026, 5, 2), status="accepted")
    need(ent, energy, created=at(2026, 5, 3), status="withdrawn")  # withdrawn unpublished
    db.session.commit()

    table = figures.compute("listings_by_state", YEAR)
    assert [row["field"] for row in table.rows] == [mat.name, energy.name]
    materials = row_of(table, "field", mat.name)
    assert (materials["result_listed"], materials["result_transferred"]) == (1, 1)
    assert materials["need_open"] == 1 and materials["need_withdrawn"] == 0
    energy_row = row_of(table, "field", energy.name)
    assert (energy_row["result_listed"], energy_row["need_accepted"]) == (1, 1)
    assert table.chart == "stacked_bar" and table.x == "field"
    assert {c.stack for c in table.columns[1:]} == {"result", "need"}

    cell = drill_of(table, "field", mat.name, "result_listed")
    assert ids(figures.records("listings_by_state", YEAR, cell)) == [r1.id]
    cell = drill_of(table, "field", mat.name, "result_transferred")
    assert ids(figures.records("listings_by_state", YEAR, cell)) == [r2.id]
    cell = drill_of(table, "field", energy.name, "need_accepted")
    assert ids(figures.records("listings_by_state", YEAR, cell)) == [n2.id]
    cell = drill_of(table, "field", mat.name, "need_open")
    assert ids(figures.records("listings_by_state", YEAR, cell)) == [n1.id]

    only_energy = Filters(YEAR.start, YEAR.end, field_id=energy.id)
    assert [r["field"] for r in figures.compute("listings_by_state", only_energy).rows] == [
        energy.name
    ]
    universities = Filters(YEAR.start, YEAR.end, org_kind="university")
    by_uni = figures.compute("listings_by_state", universities)
    assert [r["field"] for r in by_uni.rows] == [mat.name]
    assert row_of(by_uni, "field", mat.name)["need_open"] == 0
    assert figures.records("listings_by_state", YEAR, {"kind": "result", "state": "x"}) == []
    assert r3.id not in ids(figures.records("listings_by_state", universities, cell))


def test_supply_demand_and_the_gap(db, fields):
    uni, ent = org("university"), org()
    mat, energy = fields["materials"], fields["energy"]
    live_old = result(uni, mat, created=at(2025, 3, 1))  # listed since 2025: still live
    result(uni, mat, created=at(2025, 3, 2), status="withdrawn")  # gone before the range
    expired = result(uni, mat, created=at(2026, 2, 1), status="expired")  # published in range
    n_mat = need(ent, mat, created=at(2026, 3, 1))
    n_energy = need(ent, energy, created=at(2026, 3, 2))
    need(ent, energy, created=at(2025, 1, 2), status="awarded")  # published before the range
    db.session.commit()

    table = figures.compute("supply_demand", YEAR)
    materials = row_of(table, "field", mat.name)
    assert (materials["result"], materials["need"], materials["gap"]) == (2, 1, 0)
    energy_row = row_of(table, "field", energy.name)
    assert (energy_row["result"], energy_row["need"], energy_row["gap"]) == (0, 1, 1)
    assert energy_row["shortfall"] == 1 and materials["shortfall"] == 0

    records = figures.records("supply_demand", YEAR, drill_of(table, "field", mat.name, "result"))
    assert ids(records) == sorted([live_old.id, expired.id])
    records = figures.records("supply_demand", YEAR, drill_of(table, "field", energy.name, "gap"))
    assert ids(records) == [n_energy.id]
    assert figures.records("supply_demand", YEAR, drill_of(table, "field", mat.name, "gap")) == []
    records = figures.records("supply_demand", YEAR, drill_of(table, "field", mat.name, "need"))
    assert ids(records) == [n_mat.id]

    jilin = Filters(YEAR.start, YEAR.end, region="jilin")
    assert figures.compute("supply_demand", jilin).rows == []


@pytest.fixture
def funnel_world(db, fields):
    """Views, impressions, enquiries, applications and a deal, in March and April 2026."""
    uni, ent, other = org("university"), org(), org()
    mat = fields["materials"]
    r1 = result(uni, mat, created=at(2026, 1, 5))
    n1 = need(ent, mat, created=at(2026, 1, 6))
    far = result(uni, mat, created=at(2026, 1, 7), region="jilin")
    for visitor in ("a", "b"):
        funnel.record(FunnelStep.VIEW, r1, key=visitor, now=at(2026, 3, 2))
    funnel.record(FunnelStep.VIEW, n1, key="a", now=at(2026, 4, 2))
    funnel.record(FunnelStep.VIEW, far, key="a", now=at(2026, 4, 2))
    funnel.record(FunnelStep.VIEW, r1, key="a", now=at(2025, 12, 2))  # before the range
    funnel.record(FunnelStep.IMPRESSION, r1, key="a", now=at(2026, 3, 2))
    e1 = enquiry(ent, r1, created=at(2026, 3, 3), status="accepted")
    e2 = enquiry(other, r1, created=at(2026, 4, 3))
    funnel.record(FunnelStep.ENQUIRY, r1, key=f"enquiry:{e1.id}", now=at(2026, 3, 3))
    funnel.record(FunnelStep.ACCEPTED, r1, key=f"enquiry:{e1.id}", now=at(2026, 3, 4))
    funnel.record(FunnelStep.ENQUIRY, r1, key=f"enquiry:{e2.id}", now=at(2026, 4, 3))
    d1 = deal(e1, amount=80, created=at(2026, 4, 10), signed=date(2026, 4, 9))
    funnel.record(FunnelStep.DEAL, r1, key=f"deal:{d1.id}", now=at(2026, 4, 10))
    ch = challenge(n1, published=at(2026, 1, 10))
    a1 = application(ch, uni, created=at(2026, 3, 20), status="selected", decided=at(2026, 4, 20))
    a2 = application(ch, other, created=at(2026, 4, 1), status="declined")
    db.session.commit()
    return {"r1": r1, "n1": n1, "far": far, "e1": e1, "e2": e2, "d1": d1, "a1": a1, "a2": a2}


def test_the_whole_funnel(funnel_world):
    w = funnel_world
    table = figures.compute("funnel", YEAR)
    counts = [row["count"] for row in table.rows]
    # view, impression, enquiry, accepted, application, selected, deal, deal_accepted
    assert counts == [4, 1, 2, 1, 2, 1, 1, 0]
    assert table.rows[1]["rate"] == 0.25 and table.rows[0]["rate"] is None
    assert table.chart == "funnel" and table.totals() == {}

    def drilled(stage: str):
        return figures.records("funnel", YEAR, table.drill[stages.index(stage)]["count"])

    stages = [d["count"]["stage"] for d in table.drill]
    views = drilled("view")
    assert [(r.kind, r.id, r.count) for r in views][0] == ("result", w["r1"].id, 2)
    assert sorted((r.kind, r.id) for r in views) == sorted(
        [("result", w["r1"].id), ("need", w["n1"].id), ("result", w["far"].id)]
    )
    assert sum(r.count for r in views) == 4
    assert ids(drilled("enquiry")) == sorted([w["e1"].id, w["e2"].id])
    assert ids(drilled("accepted")) == [w["e1"].id]
    assert ids(drilled("application")) == sorted([w["a1"].id, w["a2"].id])
    assert ids(drilled("selected")) == [w["a1"].id]
    assert ids(drilled("deal")) == [w["d1"].id]
    assert drilled("deal_accepted") == []


def test_the_funnel_by_month_and_filters(funnel_world):
    w = funnel_world
    table = figures.compute("funnel_by_month", YEAR)
    assert len(table.rows) == 12 and table.chart == "line"
    march, april = row_of(table, "month", "2026-03"), row_of(table, "month", "2026-04")
    assert (march["view"], march["enquiry"], march["accepted"], march["application"]) == (
        2,
        1,
        1,
        1,
    )
    assert (april["view"], april["enquiry"], april["deal"], april["selected"]) == (2, 1, 1, 1)
    cell = drill_of(table, "month", "2026-04", "enquiry")
    assert ids(figures.records("funnel_by_month", YEAR, cell)) == [w["e2"].id]
    cell = drill_of(table, "month", "2026-03", "application")
    assert ids(figures.records("funnel_by_month", YEAR, cell)) == [w["a1"].id]

    changchun = Filters(YEAR.start, YEAR.end, region="changchun")
    assert figures.compute("funnel", changchun).rows[0]["count"] == 3  # not the Jilin result
    banks = Filters(YEAR.start, YEAR.end, org_kind="bank")
    assert [r["count"] for r in figures.compute("funnel", banks).rows] == [0] * 8
    universities = Filters(YEAR.start, YEAR.end, org_kind="university")
    # the result's owner is a university; the challenge's need belongs to an enterprise
    assert [r["count"] for r in figures.compute("funnel", universities).rows] == [
        3,
        1,
        2,
        1,
        0,
        0,
        1,
        0,
    ]
    assert figures.records("funnel", YEAR, {"stage": "nothing"}) == []
    assert figures.records("funnel", YEAR, {"stage": "view", "month": "2026-x"}) == []


def test_contract_turnover_by_month(db, fields):
    uni, ent = org("university"), org()
    mat, energy = fields["materials"], fields["energy"]
    r1, n1 = result(uni, mat, created=at(2026, 1, 1)), need(ent, energy, created=at(2026, 1, 1))
    d1 = deal(
        enquiry(ent, r1, created=at(2026, 2, 1)),
        amount=100,
        created=at(2026, 3, 20),
        signed=date(2026, 3, 10),
    )
    d2 = deal(
        enquiry(uni, n1, created=at(2026, 2, 2)),
        amount=50,
        created=at(2026, 3, 25),
        status="completed",
    )
    deal(
        enquiry(org(), r1, created=at(2026, 2, 3)),
        amount=70,
        created=at(2026, 3, 5),
        status="terminated",
    )
    deal(
        enquiry(org(), r1, created=at(2026, 2, 4)),
        amount=30,
        created=at(2026, 1, 5),
        signed=date(2025, 12, 30),
    )
    db.session.commit()

    table = figures.compute("contract_turnover", YEAR)
    march = row_of(table, "month", "2026-03")
    assert (march["deals"], march["amount_wan"]) == (2, Decimal(150))
    assert row_of(table, "month", "2026-01")["deals"] == 0
    assert table.line == ["amount_wan"] and table.totals()["amount_wan"] == Decimal(150)
    cell = drill_of(table, "month", "2026-03", "deals")
    records = figures.records("contract_turnover", YEAR, cell)
    assert ids(records) == sorted([d1.id, d2.id])
    assert {r.amount_wan for r in records} == {Decimal(100), Decimal(50)}

    materials = Filters(YEAR.start, YEAR.end, field_id=mat.id)
    assert row_of(figures.compute("contract_turnover", materials), "month", "2026-03")["deals"] == 1
    assert ids(figures.records("contract_turnover", materials, cell)) == [d1.id]
    jilin = Filters(YEAR.start, YEAR.end, region="jilin")
    assert figures.compute("contract_turnover", jilin).totals()["deals"] == 0


def test_listings_by_month_and_its_drill_down(db, fields):
    uni, ent = org("university"), org()
    r1 = result(uni, fields["materials"], created=at(2026, 2, 3))
    result(uni, fields["materials"], created=at(2026, 3, 3))
    n1 = need(ent, fields["energy"], created=at(2026, 2, 4), status="draft")
    db.session.commit()
    table = figures.compute("listings_by_month", YEAR)
    february = row_of(table, "month", "2026-02")
    assert (february["result"], february["need"]) == (1, 1)
    cell = drill_of(table, "month", "2026-02", "result")
    records = figures.records("listings_by_month", YEAR, cell)
    assert ids(records) == [r1.id] and records[0].organisation == uni.name
    cell = drill_of(table, "month", "2026-02", "need")
    assert ids(figures.records("listings_by_month", YEAR, cell)) == [n1.id]


def _statements(callable_):
    """How many SQL statements a call issues."""
    seen: list[str] = []

    def count(conn, cursor, statement, *args):  # noqa: ANN001
        seen.append(statement)

    engine = _db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        callable_()
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def _some_of_everything(fields, n: int) -> None:
    for i in range(n):
        uni, ent = org("university"), org()
        field = fields["materials"] if i % 2 else fields["energy"]
        r = result(uni, field, created=at(2026, 3, 1 + i))
        nd = need(ent, field, created=at(2026, 4, 1 + i))
        r.submitted_at, r.reviewed_at = at(2026, 3, 1), at(2026, 3, 2 + i)
        e = enquiry(ent, r, created=at(2026, 5, 1 + i), answered=at(2026, 5, 2 + i))
        funnel.record(FunnelStep.VIEW, r, key=f"v{i}", now=at(2026, 5, 1))
        funnel.record(FunnelStep.ENQUIRY, r, key=f"enquiry:{e.id}", now=at(2026, 5, 1))
        d = deal(e, amount=10 + i, created=at(2026, 6, 1 + i))
        funnel.record(FunnelStep.DEAL, r, key=f"deal:{d.id}", now=at(2026, 6, 1))
        application(challenge(nd, published=at(2026, 4, 2)), uni, created=at(2026, 4, 3 + i))
    _db.session.commit()


def test_the_dashboard_reads_a_fixed_number_of_queries(db, fields):
    """No query per record: twice the records, the same statements (figures and drill-downs)."""
    _some_of_everything(fields, 2)
    drill = {"stage": "deal"}
    small = _statements(lambda: figures.dashboard(YEAR))
    small_drill = _statements(lambda: figures.records("funnel", YEAR, drill))
    _some_of_everything(fields, 4)
    assert _statements(lambda: figures.dashboard(YEAR)) == small
    assert _statements(lambda: figures.records("funnel", YEAR, drill)) == small_drill
    assert len(figures.records("funnel", YEAR, drill)) == 6


def test_the_funnel_by_field(funnel_world, fields):
    w = funnel_world
    energy = fields["energy"]
    e_result = result(org("university"), energy, created=at(2026, 2, 1))
    funnel.record(FunnelStep.VIEW, e_result, key="z", now=at(2026, 5, 1))
    unclassified = result(org("university"), None, created=at(2026, 2, 1))
    funnel.record(FunnelStep.VIEW, unclassified, key="z", now=at(2026, 5, 1))
    _db.session.commit()
    table = figures.compute("funnel_by_field", YEAR)
    mat = fields["materials"].name
    assert [row["field"] for row in table.rows] == [mat, energy.name, "未分类"]
    materials = row_of(table, "field", mat)
    assert [materials[s] for s in figures_funnel.STAGES] == [4, 1, 2, 1, 2, 1, 1, 0]
    assert row_of(table, "field", energy.name)["view"] == 1
    cell = drill_of(table, "field", energy.name, "view")
    assert [(r.id, r.count) for r in figures.records("funnel_by_field", YEAR, cell)] == [
        (e_result.id, 1)
    ]
    cell = drill_of(table, "field", "未分类", "view")
    assert ids(figures.records("funnel_by_field", YEAR, cell)) == [unclassified.id]
    cell = drill_of(table, "field", mat, "selected")
    assert ids(figures.records("funnel_by_field", YEAR, cell)) == [w["a1"].id]
    only_energy = Filters(YEAR.start, YEAR.end, field_id=energy.id)
    assert [row["field"] for row in figures.compute("funnel_by_field", only_energy).rows] == [
        energy.name
    ]
    assert figures.records("funnel_by_field", only_energy, {"stage": "view", "field_id": "0"}) == []
