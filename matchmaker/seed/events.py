"""Demo events of several kinds (after the demo deals and 银企对接 events are loaded): a finished
roadshow with featured results, registrations from both sides, check-ins and outcomes (one linked
to a demo deal), a finished talent event, and upcoming events open for registration.

Everything goes through the services (services/events/), with times moved into the past where
an event has already been held.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    Deal,
    Event,
    EventKind,
    Organisation,
    OrgKind,
    OrgStatus,
    Publication,
    User,
)
from matchmaker.models.base import utcnow
from matchmaker.services.events import activity, events
from matchmaker.services.events.activity import OutcomeData


def _member(org: Organisation) -> User | None:
    people = sorted((u for u in org.members if u.is_active), key=lambda u: u.id)
    return people[0] if people else None


def _verified(kind: OrgKind, *, limit: int) -> list[Organisation]:
    stmt = (
        sa.select(Organisation)
        .where(Organisation.kind == kind, Organisation.status == OrgStatus.VERIFIED)
        .order_by(Organisation.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def _day(days_from_now: int) -> datetime:
    """09:30 in China, so many days from now."""
    return (utcnow() + timedelta(days=days_from_now)).replace(
        hour=1, minute=30, second=0, microsecond=0
    )


def _create(
    admin: User,
    *,
    kind: EventKind,
    title: str,
    description: str,
    days_from_now: int,
    hours: int = 3,
    location: str = "",
    online_url: str = "",
    capacity: int | None = None,
) -> tuple[Event, datetime]:
    day = _day(days_from_now)
    created = day - timedelta(days=30) if days_from_now < 0 else utcnow()
    event = events.create_event(
        actor=admin,
        data=events.EventData(
            kind=kind,
            title=title,
            description=description,
            location=location,
            online_url=online_url,
            capacity=capacity,
            starts_at=day,
            ends_at=day + timedelta(hours=hours),
            registration_closes_at=day - timedelta(days=1),
        ),
        now=created,
    )
    events.publish_event(actor=admin, event=event, now=created)
    return event, created


def _register(event: Event, orgs: list[Organisation], now: datetime) -> list[int]:
    ids = []
    for org in orgs:
        person = _member(org)
        if person is None or events.registration_of(event, org.id) is not None:
            continue
        events.register(actor=person, event=event, now=now)
        ids.append(org.id)
    return ids


def _check_in(admin: User, event: Event, org_ids: list[int], when: datetime) -> None:
    for registration in list(event.registrations):
        if registration.organisation_id in org_ids:
            activity.check_in(actor=admin, event=event, registration_id=registration.id, now=when)


def _finish(admin: User, event: Event) -> None:
    events.finish_event(actor=admin, event=event, now=event.ends_at)


def load_events(*, admin: User | None, echo: Any = print) -> dict[str, int]:
    """Load the demo events; needs the demo organisations, listings and deals."""
    if admin is None or admin.organisation is None:
        return {}
    firms = _verified(OrgKind.ENTERPRISE, limit=6)
    universities = _verified(OrgKind.UNIVERSITY, limit=3)
    deal = next(
        (
            d
            for d in db.session.scalars(sa.select(Deal).order_by(Deal.id).limit(200))
            if all(o.is_verified and _member(o) for o in (d.provider, d.client))
        ),
        None,
    )
    count = 0

    # 1. A finished roadshow: featured results with their matched needs, both sides attending,
    #    a contact, an intention and a deal that followed (linked to the deal record).
    roadshow, created = _create(
        admin,
        kind=EventKind.ROADSHOW,
        title="高校院所科技成果路演（新材料与先进制造专场）",
        description="长春地区高校院所的成熟成果集中路演，企业现场对接，平台推荐匹配需求。",
        days_from_now=-21,
        location="长春科技大市场路演厅",
        capacity=60,
    )
    count += 1
    pubs = list(
        db.session.scalars(
            sa.select(Publication)
            .where(Publication.kind == "result")
            .order_by(
                (Publication.organisation_id == (deal.provider_org_id if deal else 0)).desc(),
                Publication.id,
            )
            .limit(3)
        )
    )
    for pub in pubs:
        activity.feature_listing(
            actor=admin, event=roadshow, kind="result", listing_id=pub.result_id
        )
    parties: list[Organisation] = []
    if deal is not None:
        parties = [deal.provider, deal.client]
    attendees = parties + [o for o in universities + firms[:3] if o not in parties]
    registered = _register(roadshow, attendees, created)
    _check_in(admin, roadshow, registered[:-1] or registered, roadshow.starts_at)
    if deal is not None and {deal.provider_org_id, deal.client_org_id} <= set(registered):
        activity.record_outcome(
            actor=admin,
            event=roadshow,
            data=OutcomeData(
                kind="deal",
                first_org_id=deal.provider_org_id,
                second_org_id=deal.client_org_id,
                deal_id=deal.id,
                note="路演后双方继续洽谈并签订技术合同。",
            ),
        )
    others = [i for i in registered if deal is None or i not in deal.party_org_ids]
    if len(registered) >= 2:
        first, second = others[:2] if len(others) >= 2 else registered[:2]
        activity.record_outcome(
            actor=admin,
            event=roadshow,
            data=OutcomeData(kind="contact", first_org_id=first, second_org_id=second),
        )
        activity.record_outcome(
            actor=admin,
            event=roadshow,
            data=OutcomeData(
                kind="intention",
                first_org_id=registered[0],
                second_org_id=registered[-1],
                intention_wan="300",
                note="现场签订合作意向书。",
            ),
        )
    activity.save_summary(
        actor=admin,
        event=roadshow,
        summary="路演项目 3 项，现场签订合作意向，会后促成技术合同。",
    )
    _finish(admin, roadshow)

    # 2. A finished talent event (counted against the city's talent-event target).
    talent, created = _create(
        admin,
        kind=EventKind.TALENT,
        title="长春新区青年科技人才与企业对接会",
        description="青年科技人才、博士后与企业技术负责人面对面，交流岗位与合作需求。",
        days_from_now=-45,
        location="长春新区人才服务中心",
    )
    count += 1
    registered = _register(talent, universities[:2] + firms[3:5], created)
    _check_in(admin, talent, registered, talent.starts_at)
    if len(registered) >= 2:
        activity.record_outcome(
            actor=admin,
            event=talent,
            data=OutcomeData(
                kind="contact", first_org_id=registered[0], second_org_id=registered[-1]
            ),
        )
    _finish(admin, talent)

    # 3. Upcoming events open for registration.
    matchmaking, created = _create(
        admin,
        kind=EventKind.MATCHMAKING,
        title="汽车零部件产业技术需求对接会",
        description="发布整车与零部件企业的技术需求，高校院所现场报名对接。",
        days_from_now=18,
        location="长春国际汽车城会议中心",
        capacity=80,
    )
    _register(matchmaking, firms[:2] + universities[:1], created)
    _create(
        admin,
        kind=EventKind.SALON,
        title="科学家企业家沙龙：光电子技术的产业化",
        description="光电子领域科学家与企业家围绕中试、放大和市场验证交流。",
        days_from_now=9,
        hours=2,
        online_url="https://meeting.example.cn/salon-optics",
        capacity=40,
    )
    count += 2
    echo(f"  活动：{count} 场（路演、人才活动、对接会、沙龙）")
    return {"events": count}
