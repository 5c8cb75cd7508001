"""The records behind the bureau's figures, as drill-downs list them: listings, enquiries,
applications, deals, events, leads and firms, loaded by id in a few queries."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.models import (
    AdoptionRequest,
    Application,
    Challenge,
    ConversionOffer,
    Deal,
    Enquiry,
    Event,
    ExpertProfile,
    FirmProfile,
    Lead,
    Need,
    Result,
)
from matchmaker.services.bureau.figures import Record
from matchmaker.services.bureau.figures_common import china_date, deal_day

LISTING_KINDS: dict[str, type[Result] | type[Need] | type[ExpertProfile]] = {
    "result": Result,
    "need": Need,
    "expert": ExpertProfile,
}


def _by_id(rows: Iterable[object]) -> dict[int, object]:
    return {row.id: row for row in rows}  # type: ignore[attr-defined]


def listing_record(kind: str, listing: Result | Need | ExpertProfile, **extra: object) -> Record:
    """A result, need or expert as a drill-down line."""
    if isinstance(listing, ExpertProfile):
        title, path = listing.name, f"/experts/{listing.id}"
    else:
        title, path = listing.title, f"/{kind}s/{listing.id}"
    values: dict[str, object] = {
        "kind": kind,
        "id": listing.id,
        "title": title,
        "path": path,
        "organisation": listing.organisation.name,
        "day": china_date(listing.created_at),
        "state": str(listing.status),
    }
    values.update(extra)
    return Record(**values)  # type: ignore[arg-type]


def listing_records(
    kind: str, ids: Iterable[int], *, counts: Mapping[int, int] | None = None, **extra: object
) -> list[Record]:
    """Listings of one kind by id (in the order given), with their counts when given."""
    model = LISTING_KINDS[kind]
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    rows = _by_id(
        db.session.scalars(
            sa.select(model).where(model.id.in_(wanted)).options(selectinload(model.organisation))
        )
    )
    out = []
    for listing_id in wanted:
        listing = rows.get(listing_id)
        if listing is None:
            continue
        more = dict(extra)
        if counts is not None:
            more["count"] = counts.get(listing_id, 0)
        out.append(listing_record(kind, listing, **more))  # type: ignore[arg-type]
    return out


def enquiry_records(ids: Iterable[int]) -> list[Record]:
    """Enquiries by id (oldest first): the listing's title, the sender, the state."""
    wanted = set(ids)
    if not wanted:
        return []
    rows = db.session.scalars(
        sa.select(Enquiry)
        .where(Enquiry.id.in_(wanted))
        .options(
            selectinload(Enquiry.result),
            selectinload(Enquiry.need),
            selectinload(Enquiry.expert),
            selectinload(Enquiry.sender_org),
        )
        .order_by(Enquiry.created_at, Enquiry.id)
    )
    out = []
    for enquiry in rows:
        listing = enquiry.listing
        title = listing.name if isinstance(listing, ExpertProfile) else listing.title
        out.append(
            Record(
                kind="enquiry",
                id=enquiry.id,
                title=title,
                path=f"/connect/{enquiry.id}",
                organisation=enquiry.sender_org.name,
                day=china_date(enquiry.created_at),
                state=str(enquiry.status),
            )
        )
    return out


def application_records(ids: Iterable[int], *, by_decision: bool = False) -> list[Record]:
    """Challenge applications by id: the need's title, the applicant, the state."""
    wanted = set(ids)
    if not wanted:
        return []
    rows = db.session.scalars(
        sa.select(Application)
        .where(Application.id.in_(wanted))
        .options(
            selectinload(Application.challenge).selectinload(Challenge.need),
            selectinload(Application.organisation),
        )
        .order_by(Application.created_at, Application.id)
    )
    out = []
    for application in rows:
        when = application.decided_at if by_decision else None
        out.append(
            Record(
                kind="application",
                id=application.id,
                title=application.challenge.need.title,
                path=f"/applications/{application.id}",
                organisation=application.organisation.name,
                day=china_date(when or application.created_at),
                state=str(application.status),
                amount_wan=application.price_wan,
            )
        )
    return out


def deal_title(deal: Deal) -> str:
    """What a deal is about: the challenge's need, the adopted result, or the 对接's listing."""
    if deal.application is not None:
        return deal.application.challenge.need.title
    if deal.adoption_request is not None:
        return deal.adoption_request.offer.result.title
    if deal.enquiry is not None:
        listing = deal.enquiry.listing
        return listing.name if isinstance(listing, ExpertProfile) else listing.title
    return deal.contract_number or ""


def deal_records(ids: Iterable[int]) -> list[Record]:
    """Deals by id (by the day they count on): subject, the two parties, amount, state."""
    wanted = set(ids)
    if not wanted:
        return []
    rows = list(
        db.session.scalars(
            sa.select(Deal)
            .where(Deal.id.in_(wanted))
            .options(
                selectinload(Deal.provider),
                selectinload(Deal.client),
                selectinload(Deal.application)
                .selectinload(Application.challenge)
                .selectinload(Challenge.need),
                selectinload(Deal.adoption_request)
                .selectinload(AdoptionRequest.offer)
                .selectinload(ConversionOffer.result),
                selectinload(Deal.enquiry).selectinload(Enquiry.result),
                selectinload(Deal.enquiry).selectinload(Enquiry.need),
                selectinload(Deal.enquiry).selectinload(Enquiry.expert),
            )
        )
    )
    rows.sort(key=lambda d: (deal_day(d.signed_on, d.created_at), d.id))
    return [
        Record(
            kind="deal",
            id=deal.id,
            title=deal_title(deal),
            path=f"/my/deals/{deal.id}",
            organisation=f"{deal.provider.name} → {deal.client.name}",
            day=deal_day(deal.signed_on, deal.created_at),
            state=str(deal.status),
            amount_wan=deal.amount_wan,
        )
        for deal in rows
    ]


def event_records(ids: Iterable[int]) -> list[Record]:
    """Events by id, by their start."""
    wanted = set(ids)
    if not wanted:
        return []
    rows = db.session.scalars(
        sa.select(Event)
        .where(Event.id.in_(wanted))
        .options(selectinload(Event.organiser))
        .order_by(Event.starts_at, Event.id)
    )
    return [
        Record(
            kind="event",
            id=event.id,
            title=event.title,
            path=f"/events/{event.id}",
            organisation=event.organiser.name,
            day=china_date(event.starts_at),
            state=str(event.status),
        )
        for event in rows
    ]


def lead_records(ids: Iterable[int]) -> list[Record]:
    """Credit leads by id, by the day credit was approved: the firm, the bank, the amount."""
    wanted = set(ids)
    if not wanted:
        return []
    rows = db.session.scalars(
        sa.select(Lead)
        .where(Lead.id.in_(wanted))
        .options(selectinload(Lead.firm), selectinload(Lead.bank))
        .order_by(Lead.approved_at, Lead.id)
    )
    return [
        Record(
            kind="lead",
            id=lead.id,
            title=lead.firm.name,
            path=f"/finance/leads/{lead.id}",
            organisation=lead.bank.name,
            day=china_date(lead.approved_at) if lead.approved_at else None,
            state=str(lead.status),
            amount_wan=lead.approved_amount_wan,
        )
        for lead in rows
    ]


def firm_records(profile_ids: Iterable[int]) -> list[Record]:
    """Firms (their profiles) by profile id, by name."""
    wanted = set(profile_ids)
    if not wanted:
        return []
    rows = list(
        db.session.scalars(
            sa.select(FirmProfile)
            .where(FirmProfile.id.in_(wanted))
            .options(selectinload(FirmProfile.organisation))
        )
    )
    rows.sort(key=lambda p: (p.organisation.name, p.id))
    return [
        Record(
            kind="firm",
            id=profile.organisation_id,
            title=profile.organisation.name,
            path=f"/orgs/{profile.organisation_id}",
            organisation=profile.organisation.name,
            state=str(profile.organisation.status),
        )
        for profile in rows
    ]
