"""Pieces of the bureau's browser journey (issue 16): a live server of its own on the demo data,
logging in as a demo person, and the counts the test computes from the database itself.

The counts here are plain SQLAlchemy queries over the models, written from what each figure's
note on the dashboard says it counts; they do not call matchmaker/services/bureau (the figures
service), so a figure that counts the wrong rows disagrees with them.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Deal, Enquiry, Need, Result, User
from tests.e2e.conftest import LiveServer, serve
from tests.e2e.journey import navbar
from tests.e2e.second_factor import pass_second_step
from tests.e2e.support import sync_api

if TYPE_CHECKING:
    from playwright.sync_api import Page

expect = sync_api().expect

CHINA = ZoneInfo("Asia/Shanghai")
#: The demo people's one password (matchmaker/seed/demo.json).
DEMO_PASSWORD = "demo-password-2026"
DEMO_ADMIN = "admin@example.com"  # 王静, a member of 长春市科学技术局
DEMO_UNIVERSITY = "university@example.com"  # 李明, 吉林大学
#: Deals the dashboard counts (its note: 执行中和已完成的技术合同).
LIVE_DEALS = ("active", "completed")


# --- a live server on the demo data ---------------------------------------------------------------


def serve_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app on its own SQLite database with the demo data loaded (`matchmaker seed demo`),
    served like tests/e2e/conftest.py's `live_server`: errors and HTML pages recorded.

    Its own server, not the session's: the demo's hundreds of listings, deals and events would
    change what the other journeys of the session see."""
    from matchmaker import seed

    yield from serve(
        tmp_path_factory.mktemp("e2e-demo"), "demo", lambda: seed.load_demo(echo=lambda *_: None)
    )


# --- people ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    email: str
    name: str
    organisation: str  # "" for none


def person(email: str) -> Person:
    """A demo user (inside the live server's app context)."""
    user = db.session.scalar(sa.select(User).where(User.email == email))
    assert user is not None, f"the demo data has no user {email}"
    org = user.organisation.name if user.organisation is not None else ""
    return Person(email=email, name=user.name or email, organisation=org)


def sign_in(page: Page, who: Person) -> None:
    """From the home page: 登录, the e-mail and password, Enter in the password field."""
    page.goto("/")
    navbar(page).get_by_role("link", name="登录").click()
    form = page.locator("main form")
    form.get_by_label("邮箱").fill(who.email)
    password = form.get_by_label("密码")
    password.fill(DEMO_PASSWORD)
    password.press("Enter")
    pass_second_step(page, who.email)
    expect(navbar(page).get_by_role("button", name=who.name)).to_be_visible()


# --- the counts, from the database ------------------------------------------------------------


def china_today() -> date:
    return datetime.now(CHINA).date()


def this_year() -> tuple[date, date]:
    """The dashboard's default period: 1 January to today, China days."""
    today = china_today()
    return date(today.year, 1, 1), today


def china_month(value: datetime) -> str:
    if value.tzinfo is None:  # SQLite may hand back naive UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(CHINA).strftime("%Y-%m")


def _utc_range(start: date, end: date) -> tuple[datetime, datetime]:
    low = datetime.combine(start, time.min, tzinfo=CHINA).astimezone(UTC)
    high = datetime.combine(end + timedelta(days=1), time.min, tzinfo=CHINA).astimezone(UTC)
    return low, high


def listings_by_month(
    model: type[Result] | type[Need], start: date, end: date
) -> dict[str, list[int]]:
    """month → ids of the results (or needs) created in it (China time), within the days."""
    low, high = _utc_range(start, end)
    rows = db.session.execute(
        sa.select(model.id, model.created_at).where(
            model.created_at >= low, model.created_at < high
        )
    )
    out: dict[str, list[int]] = defaultdict(list)
    for listing_id, created in rows:
        out[china_month(created)].append(listing_id)
    return dict(out)


@dataclass(frozen=True)
class DealMonth:
    ids: list[int]
    amount_wan: Decimal


def deals_by_month(start: date, end: date) -> dict[str, DealMonth]:
    """month → the live deals signed in it (recorded, when no signing date), and their amount."""
    ids: dict[str, list[int]] = defaultdict(list)
    amounts: Counter[str] = Counter()
    rows = db.session.execute(
        sa.select(Deal.id, Deal.signed_on, Deal.created_at, Deal.amount_wan).where(
            Deal.status.in_(LIVE_DEALS)
        )
    )
    for deal_id, signed_on, created_at, amount in rows:
        if signed_on is None:
            stamp = created_at if created_at.tzinfo else created_at.replace(tzinfo=UTC)
            signed_on = stamp.astimezone(CHINA).date()
        if start <= signed_on <= end:
            month = signed_on.strftime("%Y-%m")
            ids[month].append(deal_id)
            amounts[month] += Decimal(amount or 0)  # type: ignore[assignment]
    return {m: DealMonth(sorted(ids[m]), Decimal(amounts[m])) for m in ids}


def enquiries_by_month(start: date, end: date) -> dict[str, int]:
    """month → enquiries the owners received (a broker's introduction that never reached the
    owner, still proposed or withdrawn with a reason, was never received)."""
    low, high = _utc_range(start, end)
    rows = db.session.execute(
        sa.select(Enquiry.created_at, Enquiry.status, Enquiry.source, Enquiry.decline_reason).where(
            Enquiry.created_at >= low, Enquiry.created_at < high
        )
    )
    out: Counter[str] = Counter()
    for created, status, source, reason in rows:
        never_sent = str(status) == "proposed" or (
            str(source) == "introduction" and str(status) == "withdrawn" and reason is not None
        )
        if not never_sent:
            out[china_month(created)] += 1
    return dict(out)


def months_of(start: date, end: date) -> list[str]:
    out, (year, month) = [], (start.year, start.month)
    while (year, month) <= (end.year, end.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def flat(text: str) -> str:
    """Text without any white space (pypdf puts spaces and breaks between CJK glyphs)."""
    return re.sub(r"\s+", "", text)
