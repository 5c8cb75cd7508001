"""Rows for the bureau's figure tests, written directly with known dates (noon in China)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count

from matchmaker.extensions import db
from matchmaker.models import (
    Application,
    ApplicationStatus,
    Challenge,
    Deal,
    DealMode,
    Enquiry,
    EnquiryIntent,
    EnquiryStatus,
    Event,
    EventKind,
    EventStatus,
    ExpertProfile,
    ExpertStatus,
    IpOwnership,
    Need,
    NeedStatus,
    Organisation,
    PaymentForm,
    Result,
    ResultStatus,
)
from matchmaker.services.bureau.figures import Filters, Table
from tests.factories import OrganisationFactory

_N = count(1)
YEAR = Filters(date(2026, 1, 1), date(2026, 12, 31))


def at(year: int, month: int, day: int, hours: float = 0) -> datetime:
    """Noon in China on a day (04:00 UTC), plus some hours."""
    return datetime(year, month, day, 4, tzinfo=UTC) + timedelta(hours=hours)


def org(kind: str = "enterprise", region: str = "changchun") -> Organisation:
    traits = {"university": {"university": True}, "bank": {"bank": True}}.get(kind, {})
    return OrganisationFactory(region=region, **traits)


def result(
    owner: Organisation,
    field,
    *,
    created: datetime,
    status: str = "listed",
    published: datetime | None = None,
    region: str = "changchun",
) -> Result:
    """A result; published when created unless told otherwise (None for drafts)."""
    n = next(_N)
    row = Result(
        title=f"成果{n}",
        summary="一项用于统计测试的科技成果简介。",
        region=region,
        organisation_id=owner.id,
        field_id=field.id if field is not None else None,
        status=ResultStatus(status),
        created_at=created,
        published_at=published
        if published is not None
        else (None if status in ("draft", "pending_review") else created),
    )
    db.session.add(row)
    db.session.flush()
    return row


def need(
    owner: Organisation,
    field,
    *,
    created: datetime,
    status: str = "open",
    published: datetime | None = None,
    region: str = "changchun",
) -> Need:
    n = next(_N)
    row = Need(
        title=f"需求{n}",
        description="一项用于统计测试的技术需求描述。",
        region=region,
        organisation_id=owner.id,
        field_id=field.id if field is not None else None,
        status=NeedStatus(status),
        created_at=created,
        published_at=published
        if published is not None
        else (None if status in ("draft", "pending_review") else created),
    )
    db.session.add(row)
    db.session.flush()
    return row


def enquiry(
    sender: Organisation,
    listing: Result | Need | ExpertProfile,
    *,
    created: datetime,
    status: str = "open",
    answered: datetime | None = None,
) -> Enquiry:
    kind = {Result: "result_id", Need: "need_id", ExpertProfile: "expert_id"}[type(listing)]
    row = Enquiry(
        **{kind: listing.id},
        sender_org_id=sender.id,
        owner_org_id=listing.organisation_id,
        intent=EnquiryIntent.LICENSE,
        message="希望就该技术开展合作。",
        status=EnquiryStatus(status),
        created_at=created,
        answered_at=answered,
        decline_code="not_a_fit" if status == "declined" else None,
        outcome="contract" if status == "closed" else None,
    )
    db.session.add(row)
    db.session.flush()
    return row


def deal(
    source: Enquiry,
    *,
    amount: int,
    created: datetime,
    signed: date | None = None,
    status: str = "active",
) -> Deal:
    """A deal from a 对接 (the provider is the listing's owner)."""
    row = Deal(
        provider_org_id=source.owner_org_id,
        client_org_id=source.sender_org_id,
        enquiry_id=source.id,
        mode=DealMode.LICENSE_NON_EXCLUSIVE,
        amount_wan=Decimal(amount),
        payment_form=PaymentForm.LUMP_SUM,
        status=status,
        signed_on=signed,
        created_at=created,
        termination_reason="双方协商终止" if status == "terminated" else None,
    )
    db.session.add(row)
    db.session.flush()
    return row


def challenge(on: Need, *, published: datetime) -> Challenge:
    row = Challenge(
        need_id=on.id,
        deadline_at=published + timedelta(days=30),
        success_criteria="达到约定指标。",
        deliverables="技术方案与样品。",
        ip_ownership=IpOwnership.SHARED,
        payment_form=PaymentForm.LUMP_SUM,
        published_at=published,
    )
    db.session.add(row)
    db.session.flush()
    return row


def application(
    to: Challenge,
    applicant: Organisation,
    *,
    created: datetime,
    status: str = "submitted",
    decided: datetime | None = None,
) -> Application:
    row = Application(
        challenge_id=to.id,
        organisation_id=applicant.id,
        status=ApplicationStatus(status),
        created_at=created,
        submitted_at=created,
        decided_at=decided,
        decline_reason_code="immature" if status == "declined" else None,
    )
    db.session.add(row)
    db.session.flush()
    return row


def event(
    organiser: Organisation, *, kind: str, starts: datetime, status: str = "finished"
) -> Event:
    row = Event(
        organiser_org_id=organiser.id,
        kind=EventKind(kind),
        title=f"活动{next(_N)}",
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        registration_closes_at=starts - timedelta(days=1),
        status=EventStatus(status),
    )
    db.session.add(row)
    db.session.flush()
    return row


def expert(
    owner: Organisation, field, *, published: datetime | None, status: str = "published"
) -> ExpertProfile:
    row = ExpertProfile(
        organisation_id=owner.id,
        name=f"专家{next(_N)}",
        field_id=field.id if field is not None else None,
        status=ExpertStatus(status),
        published_at=published,
        created_at=published or at(2026, 1, 1),
    )
    db.session.add(row)
    db.session.flush()
    return row


def row_of(table: Table, column: str, value: str) -> dict:
    """The row whose `column` reads `value`."""
    matches = [row for row in table.rows if str(row[column]) == value]
    assert len(matches) == 1, (value, table.rows)
    return matches[0]


def drill_of(table: Table, column: str, value: str, key: str) -> dict[str, str]:
    """The drill-down parameters of one cell."""
    index = next(i for i, row in enumerate(table.rows) if str(row[column]) == value)
    return table.drill[index][key]
