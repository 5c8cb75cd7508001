"""The public statistics page (开放数据): its figures equal counts made here from the database,
the small-count rule and the turnover rule hold, the CSV files are what they say, anonymous
answers are cacheable, and no private value of any firm or person appears anywhere on it.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from matchmaker import seed
from matchmaker.extensions import db
from matchmaker.models import (
    Challenge,
    Deal,
    Enquiry,
    EnquiryMessage,
    Event,
    EventOutcome,
    ExpertProfile,
    FinancingNeed,
    FirmFinancialYear,
    FirmProfile,
    FunnelEvent,
    FunnelStep,
    Lead,
    Need,
    Organisation,
    OrgStatus,
    OutcomeKind,
    Publication,
    Result,
    User,
)
from matchmaker.models.base import CHINA, utcnow
from matchmaker.services.bureau import open_data
from tests.conftest import log_in
from tests.factories import make_user, publish_need, publish_result

NAMES = open_data.dataset_names()


def china_today() -> date:
    return utcnow().astimezone(CHINA).date()


def months_ago(n: int) -> date:
    """The 15th of the month n months before this one (China calendar)."""
    day = china_today().replace(day=1)
    for _ in range(n):
        day = (day - timedelta(days=1)).replace(day=1)
    return day.replace(day=15)


def at_noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=CHINA).astimezone(UTC)


def month_key(day: date) -> str:
    return day.strftime("%Y-%m")


def read_csv(response: Any) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, so Excel reads the Chinese"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def row_of(client: FlaskClient, name: str, first: str) -> dict[str, str]:
    """The CSV row of a dataset whose first column is `first`, keyed by the header."""
    header, *rows = read_csv(client.get(f"/open-data/{name}.csv"))
    found = [dict(zip(header, row, strict=True)) for row in rows if row[0] == first]
    assert len(found) == 1, (name, first, rows)
    return found[0]


def funnel(step: FunnelStep, day: date, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        db.session.add(
            FunnelEvent(
                step=step, listing_kind="need", listing_id=1, visitor=f"enquiry:{i}", day=day
            )
        )


# --- the page and the files ---------------------------------------------------------------------
def test_page_shows_every_dataset_with_its_table_licence_and_link(client, fields):
    page = client.get("/open-data/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for data in open_data.datasets():
        assert f'id="{data.name}"' in html
        assert str(data.title) in html
        assert f"/open-data/{data.name}.csv" in html
    assert html.count("<table") == len(NAMES) and html.count("<caption>") == len(NAMES)
    assert html.count('class="open-data-chart') == len(NAMES)
    assert "CC BY 4.0" in html and "creativecommons.org/licenses/by/4.0" in html
    assert "/static/js/open-data.js" in html and "vendor/echarts/echarts.min.js" in html
    assert "<script>" not in html  # the CSP allows no inline script
    assert 'href="/open-data/"' in client.get("/").get_data(as_text=True)  # the footer link


@pytest.mark.parametrize("name", NAMES)
def test_each_csv_has_its_documented_header(client, fields, name):
    answer = client.get(f"/open-data/{name}.csv")
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv" and "charset=utf-8" in answer.content_type
    assert "attachment" in answer.headers["Content-Disposition"]
    header, *rows = read_csv(answer)
    data = open_data.dataset(name)
    assert header == [c.key for c in data.columns]
    assert len(rows) == len(data.rows)


def test_all_csv_is_one_long_table_of_every_cell(client, fields):
    header, *rows = read_csv(client.get("/open-data/all.csv"))
    assert header == list(open_data.ALL_COLUMNS)
    assert {row[0] for row in rows} == set(NAMES)
    expected = sum(
        len(d.rows) * len([c for c in d.columns if c.kind not in ("text", "month")])
        for d in open_data.datasets()
    )
    assert len(rows) == expected


def test_an_unknown_dataset_is_404(client, db):
    assert client.get("/open-data/nothing.csv").status_code == 404
    assert client.get("/open-data/..%2Fsecrets.csv").status_code == 404


def test_anonymous_answers_are_cacheable_without_a_cookie(app: Flask, client, login_as):
    fresh = app.test_client()
    answer = fresh.get("/open-data/deals_by_month.csv")
    assert answer.headers.get("Set-Cookie") is None
    assert set(answer.headers["Cache-Control"].split(", ")) == {"public", "max-age=300"}
    page = app.test_client().get("/open-data/")
    # A visitor's page renders no CSRF token (web/hooks.py): no cookie, so a shared cache may
    # keep it.
    assert page.headers.get("Set-Cookie") is None
    assert set(page.headers["Cache-Control"].split(", ")) == {"public", "max-age=300"}
    login_as("enterprise")
    control = set(client.get("/open-data/all.csv").headers["Cache-Control"].split(", "))
    assert {"private", "no-store"} == control


# --- the figures --------------------------------------------------------------------------------
def test_public_counts_equal_the_database(client, fields):
    university, enterprise, admin = (
        make_user("university"),
        make_user("enterprise"),
        make_user("admin"),
    )
    db.session.commit()
    for i in range(3):
        publish_result(university, admin, fields, f"成果{i}", "一种新材料的制备方法")
    publish_result(university, admin, fields, "电子成果", "一种电子器件", field="electronics")
    publish_need(
        enterprise,
        admin,
        fields,
        "需求一",
        "需要一种新材料的量产工艺和设备方案，年产能一千吨，配套检测手段。",
    )
    materials = fields["materials"].name
    assert row_of(client, "listings_by_field", materials) == {
        "field": materials,
        "code": "materials",
        "results": "3",
        "needs": "1",
    }
    changchun = row_of(client, "listings_by_region", "长春市")
    assert (changchun["results"], changchun["needs"]) == ("4", "1")
    this_month = row_of(client, "listings_by_month", month_key(china_today()))
    assert (this_month["results"], this_month["needs"]) == ("4", "1")
    verified = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Organisation)
        .where(Organisation.status == OrgStatus.VERIFIED, Organisation.kind == "university")
    )
    assert row_of(client, "organisations_by_kind", "高校")["verified"] == str(verified)


def test_private_counts_follow_the_small_count_rule_and_skip_this_month(client, db):
    last, before = months_ago(1), months_ago(2)
    funnel(FunnelStep.ENQUIRY, last, 4)
    funnel(FunnelStep.ACCEPTED, last, 2)
    funnel(FunnelStep.ENQUIRY, before, 1, start=10)
    funnel(FunnelStep.ENQUIRY, china_today(), 7, start=20)  # this month: not published yet
    db.session.commit()
    assert row_of(client, "enquiries_by_month", month_key(last)) == {
        "month": month_key(last),
        "enquiries": "4",
        "accepted": "<3",
    }
    assert row_of(client, "enquiries_by_month", month_key(before))["enquiries"] == "<3"
    header, *rows = read_csv(client.get("/open-data/enquiries_by_month.csv"))
    assert month_key(china_today()) not in [row[0] for row in rows]
    assert rows[-1][0] == month_key(last)
    page = client.get("/open-data/").get_data(as_text=True)
    assert "&lt;3" in page


@pytest.fixture
def demo(fields) -> None:  # noqa: ANN001
    seed.load_demo(echo=lambda *_: None)
    db.session.commit()


def test_turnover_only_over_five_deals_in_a_month(client, demo):
    deals = list(db.session.scalars(sa.select(Deal).order_by(Deal.id)))
    assert len(deals) >= 7, "the demo has enough deals for this test"
    five, two = deals[:5], deals[5:7]
    for deal in five:
        deal.created_at = at_noon(months_ago(1))
    for deal in two:
        deal.created_at = at_noon(months_ago(2))
    for deal in deals[7:]:
        deal.created_at = at_noon(months_ago(30))  # outside the 24 months
    db.session.commit()
    total = sum((d.amount_wan for d in five), Decimal(0))
    assert row_of(client, "deals_by_month", month_key(months_ago(1))) == {
        "month": month_key(months_ago(1)),
        "deals": "5",
        "turnover_wan": f"{total:.2f}",
    }
    assert row_of(client, "deals_by_month", month_key(months_ago(2))) == {
        "month": month_key(months_ago(2)),
        "deals": "<3",
        "turnover_wan": "",  # suppressed: fewer than five deals
    }
    api = client.get("/api/v1/open-data").get_json()
    (deals_data,) = [d for d in api["datasets"] if d["name"] == "deals_by_month"]
    by_month = {row["month"]: row for row in deals_data["rows"]}
    assert by_month[month_key(months_ago(1))]["turnover_wan"] == f"{total:.2f}"
    assert by_month[month_key(months_ago(2))] == {
        "month": month_key(months_ago(2)),
        "deals": "<3",
        "turnover_wan": None,
    }


def test_events_and_challenges_counted_by_month(client, demo):
    now = utcnow()
    by_month: dict[tuple[str, str], int] = {}
    for event in db.session.scalars(sa.select(Event)):
        starts = event.starts_at.replace(tzinfo=event.starts_at.tzinfo or UTC)
        if event.status in ("draft", "cancelled") or starts >= now:
            continue  # not held (yet)
        key = (month_key(starts.astimezone(CHINA).date()), str(event.kind))
        by_month[key] = by_month.get(key, 0) + 1
    assert by_month, "the demo has held events"
    for (month, kind), count in by_month.items():
        assert row_of(client, "events_by_month", month)[kind] == str(count)
    header, *rows = read_csv(client.get("/open-data/events_by_month.csv"))
    assert sum(int(v) for row in rows for v in row[1:]) == sum(by_month.values())
    public = db.session.scalars(
        sa.select(Challenge)
        .join(Need, Challenge.need_id == Need.id)
        .where(
            Challenge.visibility == "public",
            Need.status.not_in(
                ("draft", "pending_review", "challenge_review", "challenge_returned")
            ),
            Challenge.kind == "challenge",
        )
    ).all()
    this_month = month_key(china_today())
    expected = sum(
        1 for c in public if month_key(c.published_at.astimezone(CHINA).date()) == this_month
    )
    assert expected > 0
    assert row_of(client, "challenges_by_month", this_month)["challenges"] == str(expected)


# --- the sentinel sweep -------------------------------------------------------------------------
TEXT = "SNTL"  # every text sentinel carries it
#: Financial sentinels as a page or a file could print them (raw, or with a thousands comma).
NUMBERS = {
    "revenue": Decimal("97531.24"),
    "rd_spend": Decimal("86420.13"),
    "loan_approved": Decimal("75319.57"),
    "loan_disbursed": Decimal("64208.31"),
    "financing_need": Decimal("53197.11"),
    "deal": Decimal("42086.79"),
    "intention": Decimal("31975.46"),
    "score": Decimal("91.37"),
}


def _printed(value: Decimal) -> list[str]:
    whole = int(value)
    return [f"{value}", *([str(whole), f"{whole:,}"] if whole > 1000 else [])]


CSRF = re.compile(r'(name="csrf-token" content|name="csrf_token" value)="[^"]*"')


def mark_everything_private() -> None:
    """Put a sentinel in every private field a firm or a person has."""
    for org in db.session.scalars(sa.select(Organisation)):
        org.name = f"SNTLORG{org.id}"
        org.description = f"SNTLORGDESC{org.id}"
        if org.credit_code:
            org.credit_code = f"91SNTL{org.id:012d}"
    for user in db.session.scalars(sa.select(User)):
        user.name = f"SNTLUSER{user.id}"
        user.email = f"sntl{user.id}@SNTL.example.com"
        user.phone = f"139SNTL{user.id:04d}"
    for model in (Result, Need):
        db.session.execute(
            sa.update(model).values(
                contact_name="SNTLCONTACT",
                contact_phone="13SNTL00000",
                contact_email="contact@SNTL.example.com",
            )
        )
    db.session.execute(
        sa.update(ExpertProfile).values(
            name="SNTLEXPERT", contact_phone="15SNTL0000", contact_email="x@SNTL.example.com"
        )
    )
    db.session.execute(
        sa.update(FirmProfile).values(
            awards="SNTLAWARDS",
            key_products="SNTLPRODUCTS",
            contact_name="SNTLFIRMCONTACT",
            contact_phone="13SNTL11111",
            contact_email="cfo@SNTL.example.com",
            score=NUMBERS["score"],
        )
    )
    db.session.execute(
        sa.update(FirmFinancialYear).values(
            revenue_wan=NUMBERS["revenue"], rd_spend_wan=NUMBERS["rd_spend"]
        )
    )
    db.session.execute(
        sa.update(Lead).values(
            approved_amount_wan=NUMBERS["loan_approved"],
            disbursed_amount_wan=NUMBERS["loan_disbursed"],
            message="SNTLLEADMESSAGE",
            firm_reply="SNTLFIRMREPLY",
        )
    )
    db.session.execute(
        sa.update(FinancingNeed).values(
            amount_wan=NUMBERS["financing_need"], title="SNTLFINANCINGTITLE"
        )
    )
    db.session.execute(
        sa.update(Enquiry).values(message="SNTLENQUIRYMESSAGE", decline_reason="SNTLDECLINE")
    )
    db.session.execute(sa.update(EnquiryMessage).values(body="SNTLMESSAGEBODY"))
    # one deal with a distinctive amount, alone in its month (below five: never summed);
    # the others together in last month (at least five: their total is published)
    deals = list(db.session.scalars(sa.select(Deal).order_by(Deal.id)))
    deals[0].amount_wan = NUMBERS["deal"]
    deals[0].created_at = at_noon(months_ago(2))
    for deal in deals[1:]:
        deal.created_at = at_noon(months_ago(1))
    event = db.session.scalar(sa.select(Event).order_by(Event.id).limit(1))
    first, second = db.session.scalars(sa.select(Organisation.id).limit(2)).all()
    db.session.add(
        EventOutcome(
            event_id=event.id,
            kind=OutcomeKind.INTENTION,
            first_org_id=first,
            second_org_id=second,
            intention_wan=NUMBERS["intention"],
            note="SNTLOUTCOMENOTE",
        )
    )
    db.session.commit()


def test_no_private_value_appears_on_the_page_or_in_any_file(app, client, demo):
    mark_everything_private()
    deals = list(db.session.scalars(sa.select(Deal).order_by(Deal.id)))
    assert len(deals) >= 6, "the others make a published month"
    answers = {
        "page": client.get("/open-data/"),
        "all.csv": client.get("/open-data/all.csv"),
        "api": client.get("/api/v1/open-data"),
        **{f"{name}.csv": client.get(f"/open-data/{name}.csv") for name in NAMES},
    }
    admin = make_user("admin")
    db.session.commit()
    log_in(client, admin)  # a signed-in reader sees the same page
    answers["page (admin)"] = client.get("/open-data/")
    texts = {}
    for where, answer in answers.items():
        assert answer.status_code == 200, where
        # the CSRF token is random hex: it could hold a run of digits by chance
        texts[where] = CSRF.sub("", answer.get_data().decode("utf-8-sig"))
    needles = [TEXT, TEXT.lower()] + [p for v in NUMBERS.values() for p in _printed(v)]
    leaks = [
        (needle, where) for where, text in texts.items() for needle in needles if needle in text
    ]
    assert leaks == []
    # Positive control: the aggregates are there and right (so the sweep looked at real data).
    total = sum((d.amount_wan for d in deals[1:]), Decimal(0))
    last = row_of(client, "deals_by_month", month_key(months_ago(1)))
    assert last["deals"] == str(len(deals) - 1) and last["turnover_wan"] == f"{total:.2f}"
    assert row_of(client, "deals_by_month", month_key(months_ago(2)))["turnover_wan"] == ""
    listed = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Publication)
        .where(
            Publication.kind == "result",
            sa.or_(Publication.expires_at.is_(None), Publication.expires_at > utcnow()),
        )
    )
    header, *rows = read_csv(client.get("/open-data/listings_by_field.csv"))
    assert sum(int(row[header.index("results")]) for row in rows) == listed > 0
