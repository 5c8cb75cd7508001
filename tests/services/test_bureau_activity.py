"""Review and response times, broker and expert activity: numbers and drill-downs."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from matchmaker.models import EnquiryStatus
from matchmaker.services.bureau import figures
from matchmaker.services.bureau.figures import Filters
from matchmaker.services.connect.funnel import china_day
from tests.factories import make_broker, make_user
from tests.services.bureau_rows import (
    YEAR,
    at,
    drill_of,
    enquiry,
    expert,
    need,
    org,
    result,
    row_of,
)
from tests.talent.broker_helpers import introduce, record_deal


def ids(records):
    return sorted(r.id for r in records)


def test_review_times_per_month(db, fields):
    uni, ent = org("university"), org("enterprise", region="jilin")
    mat = fields["materials"]
    fast = result(uni, mat, created=at(2026, 3, 1))
    fast.submitted_at, fast.reviewed_at = at(2026, 3, 1), at(2026, 3, 2)  # 1 day
    slow = result(uni, mat, created=at(2026, 3, 1))
    slow.submitted_at, slow.reviewed_at = at(2026, 3, 1), at(2026, 3, 5)  # 4 days
    slower = need(ent, mat, created=at(2026, 3, 1), region="jilin")
    slower.submitted_at, slower.reviewed_at = at(2026, 3, 1), at(2026, 3, 11)  # 10 days
    waiting = need(ent, mat, created=at(2026, 3, 1), status="pending_review")
    waiting.submitted_at = at(2026, 3, 1)  # not reviewed yet
    db.session.commit()

    table = figures.compute("review_times", YEAR)
    march = row_of(table, "month", "2026-03")
    assert (march["reviewed"], march["median_days"], march["average_days"]) == (3, 4.0, 5.0)
    assert row_of(table, "month", "2026-04")["median_days"] is None
    records = figures.records("review_times", YEAR, drill_of(table, "month", "2026-03", "reviewed"))
    assert sorted((r.kind, r.id) for r in records) == sorted(
        [("result", fast.id), ("result", slow.id), ("need", slower.id)]
    )
    changchun = Filters(YEAR.start, YEAR.end, region="changchun")
    march = row_of(figures.compute("review_times", changchun), "month", "2026-03")
    assert (march["reviewed"], march["median_days"]) == (2, 2.5)


def test_response_times_per_month(db, fields):
    uni, ent, other = org("university"), org(), org()
    r1 = result(uni, fields["materials"], created=at(2026, 1, 1))
    n1 = need(ent, fields["energy"], created=at(2026, 1, 1))
    e1 = enquiry(ent, r1, created=at(2026, 5, 1), status="accepted", answered=at(2026, 5, 1, 2))
    e2 = enquiry(other, r1, created=at(2026, 5, 2), status="declined", answered=at(2026, 5, 2, 6))
    e3 = enquiry(other, n1, created=at(2026, 5, 3), answered=at(2026, 5, 3, 10))
    e4 = enquiry(uni, n1, created=at(2026, 5, 4))  # not answered
    proposed = enquiry(ent, r1, created=at(2026, 5, 5), status="proposed")  # never sent
    db.session.commit()

    table = figures.compute("response_times", YEAR)
    may = row_of(table, "month", "2026-05")
    assert (may["enquiries"], may["answered"], may["median_hours"]) == (4, 3, 6.0)
    cell = drill_of(table, "month", "2026-05", "enquiries")
    assert ids(figures.records("response_times", YEAR, cell)) == sorted(
        [e1.id, e2.id, e3.id, e4.id]
    )
    assert proposed.id not in ids(figures.records("response_times", YEAR, cell))
    cell = drill_of(table, "month", "2026-05", "answered")
    assert ids(figures.records("response_times", YEAR, cell)) == sorted([e1.id, e2.id, e3.id])
    materials = Filters(YEAR.start, YEAR.end, field_id=fields["materials"].id)
    may = row_of(figures.compute("response_times", materials), "month", "2026-05")
    assert (may["enquiries"], may["answered"], may["median_hours"]) == (2, 2, 4.0)
    universities = Filters(YEAR.start, YEAR.end, org_kind="university")  # the owner's kind
    assert (
        row_of(figures.compute("response_times", universities), "month", "2026-05")["enquiries"]
        == 2
    )


def test_broker_activity(db, fields):
    admin = make_user("admin")
    uni = make_user("university")
    ent = make_user("enterprise")
    db.session.commit()
    broker = make_broker()
    make_broker(verified=False)  # not on the figure
    from tests.factories import publish_need

    target = publish_need(ent, admin, fields, "电池隔膜涂覆", "需要提升隔膜涂覆一致性" * 3)
    accepted = introduce(
        broker, target, owner=uni, admin=admin, fields=fields, status=EnquiryStatus.ACCEPTED
    )
    declined = introduce(
        broker, target, owner=uni, admin=admin, fields=fields, status=EnquiryStatus.DECLINED
    )
    closed = introduce(
        broker, target, owner=uni, admin=admin, fields=fields, status=EnquiryStatus.CLOSED
    )
    won = record_deal(closed, amount=120, fee=6)
    record_deal(accepted, amount=80, fee=4, status="terminated")
    db.session.commit()

    today = china_day()
    window = Filters(today - timedelta(days=30), today)
    table = figures.compute("broker_activity", window)
    assert len(table.rows) == 1
    row = table.rows[0]
    assert row["broker"] == broker.user.name
    assert (row["introductions"], row["accepted"], row["deals"]) == (3, 2, 1)
    assert row["acceptance_rate"] == 2 / 3 and row["amount_wan"] == Decimal(120)

    def drilled(column):
        return ids(figures.records("broker_activity", window, table.drill[0][column]))

    assert drilled("introductions") == sorted([accepted.id, declined.id, closed.id])
    assert drilled("accepted") == sorted([accepted.id, closed.id])
    assert drilled("deals") == [won.id]
    energy = Filters(window.start, window.end, field_id=fields["energy"].id)
    assert figures.compute("broker_activity", energy).rows[0]["introductions"] == 0
    before = Filters(today - timedelta(days=400), today - timedelta(days=31))
    assert figures.compute("broker_activity", before).rows[0]["deals"] == 0
    assert figures.records("broker_activity", before, table.drill[0]["deals"]) == []


def test_expert_activity(db, fields):
    uni, ent = org("university"), org()
    x1 = expert(uni, fields["materials"], published=at(2026, 2, 1))
    x2 = expert(uni, fields["energy"], published=at(2026, 2, 15))
    expert(uni, fields["energy"], published=None, status="draft")
    e1 = enquiry(ent, x1, created=at(2026, 3, 1))
    e2 = enquiry(ent, x2, created=at(2026, 3, 2))
    db.session.commit()

    table = figures.compute("expert_activity", YEAR)
    assert row_of(table, "month", "2026-02")["listed"] == 2
    assert row_of(table, "month", "2026-03")["enquiries"] == 2
    cell = drill_of(table, "month", "2026-02", "listed")
    records = figures.records("expert_activity", YEAR, cell)
    assert ids(records) == sorted([x1.id, x2.id]) and {r.kind for r in records} == {"expert"}
    cell = drill_of(table, "month", "2026-03", "enquiries")
    assert ids(figures.records("expert_activity", YEAR, cell)) == sorted([e1.id, e2.id])
    materials = Filters(YEAR.start, YEAR.end, field_id=fields["materials"].id)
    narrowed = figures.compute("expert_activity", materials)
    assert row_of(narrowed, "month", "2026-03")["enquiries"] == 1
    assert ids(figures.records("expert_activity", materials, cell)) == [e1.id]
