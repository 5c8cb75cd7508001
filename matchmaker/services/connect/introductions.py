"""技术经纪人的引荐: a broker introduces a public result or expert to the owner of a need it
follows.

An introduction is an enquiry made on the need owner's behalf (sender = the need's
organisation, source `introduction`, the broker and its note on the row), first `proposed`: only
the need owner's members see it and decide. Consent sends it (`open`: from then on an ordinary
enquiry, its owner sees the broker and the note); a refusal withdraws it with a reason the
broker reads. The broker sees metadata only (who, what, when, in which state): never messages or
files, and never the enquiry page itself (enquiry_states.is_party).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import (
    BrokerAssignment,
    BrokerProfile,
    BrokerStatus,
    Deal,
    Enquiry,
    EnquiryIntent,
    EnquirySource,
    EnquiryStatus,
    FunnelStep,
    Need,
    User,
)
from matchmaker.models.base import CHINA, utcnow
from matchmaker.models.enquiry import OPEN_ENQUIRY_STATES
from matchmaker.services import matching
from matchmaker.services.connect import funnel, targets
from matchmaker.services.connect.blocks import is_blocked
from matchmaker.services.connect.enquiries import check_cap
from matchmaker.services.connect.enquiry_states import (
    ENQUIRY,
    REFUSALS,
    is_member,
    link,
    members,
    require_sender,
    step,
)
from matchmaker.services.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from matchmaker.services.market.publication import public_publication
from matchmaker.services.platform.audit import record_audit
from matchmaker.services.platform.notifications import notify
from matchmaker.services.talent.broker_assignments import live_assignments, need_activity
from matchmaker.services.talent.brokers import (
    acting_broker,
    broker_of,
    follows,
    is_own_organisation,
)

#: Longest broker's note and refusal reason (characters).
MAX_NOTE = 2000
#: Where a broker reads what became of its introductions (services never call url_for).
BROKER_PAGE = "/connect/my/introductions"
TARGET_KINDS = ("result", "expert")


@dataclass(frozen=True)
class IntroductionData:
    """What the broker fills in: the target, the intent and the note to both sides."""

    target_kind: str
    target_id: int | None
    intent: str
    note: str


def _text(value: str | None, name: str, empty: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationFailed({name: empty})
    if len(text) > MAX_NOTE:
        raise ValidationFailed(
            {name: _("不能超过 %(max)d 字（现在 %(n)d 字）。", max=MAX_NOTE, n=len(text))}
        )
    return text


def get_need(*, actor: User, need_id: int) -> tuple[BrokerProfile, Need]:
    """The acting broker and a need it may introduce to: public, followed, not its own."""
    broker = acting_broker(actor)
    need = db.session.get(Need, need_id) if 0 < need_id < 2**31 else None
    if need is None:
        raise NotFound
    if public_publication("need", need.id) is None:
        if need.published_at is None:
            raise NotFound
        raise InvalidTransition(_("这条需求已下架或已过期，不能再引荐。"))
    if is_own_organisation(broker, need.organisation_id):
        raise PermissionDenied(_("不能为本机构的需求引荐：请由机构成员直接发起对接。"))
    if not follows(broker, need):
        raise PermissionDenied(_("你没有跟进这条需求，不能为它引荐。请先认领或请管理员分派。"))
    return broker, need


def can_introduce(user: object, need: Need) -> bool:
    """Whether to offer "引荐成果或专家" on a need's page (the service decides)."""
    broker = broker_of(user)
    return bool(
        broker is not None
        and broker.is_verified
        and not is_own_organisation(broker, need.organisation_id)
        and follows(broker, need)
    )


def _target(broker: BrokerProfile, need: Need, data: IntroductionData) -> targets.Target:
    if data.target_kind not in TARGET_KINDS or data.target_id is None:
        raise ValidationFailed({"target": _("请选择要引荐的成果或专家。")})
    try:
        target = targets.load_target(data.target_kind, data.target_id)
        targets.check_public(target)
    except (NotFound, InvalidTransition):
        raise ValidationFailed(
            {"target": _("没有编号为 %(id)d 的公开成果或专家。", id=data.target_id)}
        ) from None
    if is_own_organisation(broker, target.organisation_id):
        raise PermissionDenied(_("不能引荐本机构的成果或专家。"))
    if target.organisation_id == need.organisation_id:
        raise InvalidTransition(_("需求方和被引荐方是同一机构，不能引荐。"))
    if is_blocked(target.organisation_id, need.organisation_id) or is_blocked(
        need.organisation_id, target.organisation_id
    ):
        raise PermissionDenied(_("两家机构之间已有屏蔽，不能引荐。"))
    return target


def _check_broker_cap(broker: BrokerProfile, now: datetime) -> None:
    cap = int(current_app.config.get("ENQUIRY_DAILY_CAP", 20))
    day_start = datetime.combine(now.astimezone(CHINA).date(), time.min, CHINA)
    made = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Enquiry)
        .where(Enquiry.broker_id == broker.id, Enquiry.created_at >= day_start)
    )
    if (made or 0) >= cap:
        raise ValidationFailed(
            {"cap": _("你今天已引荐 %(n)d 次，已达每日上限，请明天再试。", n=cap)}
        )


def _pending(org_id: int, target: targets.Target) -> Enquiry | None:
    return db.session.scalar(
        sa.select(Enquiry).where(
            Enquiry.sender_org_id == org_id,
            targets.target_column(target.KIND) == target.id,
            Enquiry.status == EnquiryStatus.PROPOSED,
        )
    )


def propose_introduction(
    *, actor: User, need: Need, data: IntroductionData, now: datetime | None = None
) -> Enquiry:
    """A broker introduces a public result or expert to the owner of a need it follows.

    Nothing is sent to the target's owner until the need owner consents.
    """
    now = now or utcnow()
    broker, need = get_need(actor=actor, need_id=need.id)
    target = _target(broker, need, data)
    try:
        intent = EnquiryIntent(data.intent)
    except ValueError:
        raise ValidationFailed({"intent": _("请选择合作意向。")}) from None
    note = _text(data.note, "note", _("请填写引荐说明，双方都会看到。"))
    if not need.organisation.is_verified:
        raise InvalidTransition(_("需求方机构未通过认证，暂时不能为它引荐。"))
    targets.check_target(need.organisation_id, target, now)
    if targets.open_enquiry(need.organisation_id, target) is not None:
        raise InvalidTransition(_("需求方已就此与对方对接，无需再引荐。"))
    if _pending(need.organisation_id, target) is not None:
        raise InvalidTransition(_("这项引荐已在等待需求方确认，请勿重复引荐。"))
    _check_broker_cap(broker, now)
    enquiry = Enquiry(
        sender_org_id=need.organisation_id,
        owner_org_id=target.organisation_id,
        intent=intent,
        message=note,
        broker_id=broker.id,
        for_need_id=need.id,
        broker_note=note,
        source=EnquirySource.INTRODUCTION,
        status=EnquiryStatus.PROPOSED,
        created_at=now,
    )
    targets.set_target(enquiry, target)
    db.session.add(enquiry)
    db.session.flush()
    record_audit(
        actor=actor,
        action="enquiry.introduce",
        object_type="enquiry",
        object_id=enquiry.id,
        after={
            "status": str(enquiry.status),
            "listing": f"{target.KIND}:{target.id}",
            "need_id": need.id,
            "broker_id": broker.id,
            "intent": str(intent),
        },
    )
    notify(
        users=members(need.organisation),
        kind="enquiry.introduced",
        params={"title": targets.title_of(target), "need": need.title, "broker": actor.name},
        link=link(enquiry),
    )
    return enquiry


def _tell_broker(enquiry: Enquiry, kind: str) -> None:
    broker = enquiry.broker
    if broker is None or not broker.user.is_active:
        return
    notify(
        users=[broker.user],
        kind=kind,
        params={
            "title": targets.subject_title(enquiry),
            "need": enquiry.for_need.title if enquiry.for_need is not None else "",
            "org": enquiry.sender_org.name,
        },
        link=BROKER_PAGE,
    )


def consent_introduction(*, actor: User, enquiry: Enquiry, now: datetime | None = None) -> None:
    """The need owner consents: the introduction is sent to the target's owner as its enquiry."""
    require_sender(actor, enquiry)
    ENQUIRY.check(enquiry, "consent", REFUSALS["consent"])
    org = actor.organisation
    if org is None or not org.is_verified:
        raise PermissionDenied(_("只有已认证机构的成员可以发起对接。"))
    now = now or utcnow()
    target = enquiry.listing
    targets.check_target(enquiry.sender_org_id, target, now)
    if targets.open_enquiry(enquiry.sender_org_id, target) is not None:
        raise targets.duplicate(target)
    check_cap(enquiry.sender_org_id, now)
    step(enquiry, "consent", actor=actor)
    enquiry.sender_user_id = actor.id  # the person whose contacts the owner sees on acceptance
    enquiry.created_at = now  # sent now: reminders and response times count from here
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:  # a concurrent request sent the same enquiry first
        raise targets.duplicate(target) from None
    funnel.record(
        FunnelStep.ENQUIRY,
        target,
        key=f"enquiry:{enquiry.id}",
        actor_org_id=enquiry.sender_org_id,
        now=now,
    )
    broker = enquiry.broker
    notify(
        users=targets.keepers(target),
        kind="enquiry.introduction_received",
        params={
            "title": targets.title_of(target),
            "org": enquiry.sender_org.name,
            "broker": broker.user.name if broker is not None else "",
        },
        link=link(enquiry),
    )
    _tell_broker(enquiry, "enquiry.introduction_consented")


def refuse_introduction(*, actor: User, enquiry: Enquiry, reason: str) -> None:
    """The need owner declines the introduction, with a reason the broker reads."""
    require_sender(actor, enquiry)
    text = _text(reason, "reason", _("请填写不接受引荐的原因，经纪人会看到。"))
    step(enquiry, "refuse", actor=actor)
    enquiry.decline_reason = text
    _tell_broker(enquiry, "enquiry.introduction_refused")


# --- what the broker sees: metadata only --------------------------------------------------------
@dataclass(frozen=True)
class IntroductionRow:
    """One introduction as its broker sees it (no message, no file)."""

    id: int
    status: str
    created_at: datetime
    need_id: int | None
    need_title: str
    sender_org: str
    target_kind: str
    target_id: int
    target_title: str
    owner_org: str
    intent: str
    outcome: str | None
    refusal: str | None
    deal_status: str | None
    deal_fee_wan: object | None


def _row(enquiry: Enquiry, deal: Deal | None) -> IntroductionRow:
    return IntroductionRow(
        id=enquiry.id,
        status=str(enquiry.status),
        created_at=enquiry.created_at,
        need_id=enquiry.for_need_id,
        need_title=enquiry.for_need.title if enquiry.for_need is not None else "",
        sender_org=enquiry.sender_org.name,
        target_kind=enquiry.listing_kind,
        target_id=enquiry.listing.id,
        target_title=targets.subject_title(enquiry),
        owner_org=enquiry.owner_org.name,
        intent=str(enquiry.intent),
        outcome=str(enquiry.outcome) if enquiry.outcome is not None else None,
        refusal=enquiry.decline_reason if enquiry.status == EnquiryStatus.WITHDRAWN else None,
        deal_status=str(deal.status) if deal is not None else None,
        deal_fee_wan=deal.broker_fee_wan if deal is not None else None,
    )


def broker_introductions(*, actor: User) -> list[IntroductionRow]:
    """The acting broker's introductions, newest first (metadata only)."""
    broker = acting_broker(actor)
    rows = db.session.execute(
        sa.select(Enquiry, Deal)
        .outerjoin(Deal, Deal.enquiry_id == Enquiry.id)
        .where(Enquiry.broker_id == broker.id)
        .order_by(Enquiry.created_at.desc(), Enquiry.id.desc())
    ).all()
    return [_row(enquiry, deal) for enquiry, deal in rows]


@dataclass
class FollowedNeed:
    """A need the broker follows, with its enquiries in numbers (no message, no sender)."""

    need_id: int
    title: str
    since: datetime
    counts: dict[str, int] = field(default_factory=dict)
    last_activity: datetime | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def followed_needs(*, actor: User) -> list[FollowedNeed]:
    """The needs the acting broker follows and their enquiries by state: the same figures as
    the broker's dashboard (broker_assignments.need_activity, the one rule)."""
    broker = acting_broker(actor)
    assignments = live_assignments(broker)
    activity = need_activity([a.need_id for a in assignments])
    return [
        FollowedNeed(
            a.need_id,
            a.need.title,
            a.created_at,
            dict(activity[a.need_id].by_status),
            activity[a.need_id].last_activity,
        )
        for a in assignments
    ]


# --- what the need owner sees ------------------------------------------------------------------
def awaiting_consent(*, actor: User) -> list[Enquiry]:
    """Brokers' introductions waiting for the actor's organisation to consent, newest first."""
    org_id = getattr(actor, "organisation_id", None)
    if org_id is None or not is_member(actor, org_id):
        return []
    return list(
        db.session.scalars(
            sa.select(Enquiry)
            .where(Enquiry.sender_org_id == org_id, Enquiry.status == EnquiryStatus.PROPOSED)
            .order_by(Enquiry.created_at.desc(), Enquiry.id.desc())
        )
    )


def pending_for_need(*, actor: User, need: Need) -> list[Enquiry]:
    """The introductions made for one of the actor's organisation's needs still waiting for
    its consent (for the owner's need page)."""
    return [e for e in awaiting_consent(actor=actor) if e.for_need_id == need.id]


def need_brokers(need: Need) -> list[BrokerProfile]:
    """The verified brokers following a need now (what its owner may know: who, not more)."""
    return list(
        db.session.scalars(
            sa.select(BrokerProfile)
            .join(BrokerAssignment, BrokerAssignment.broker_id == BrokerProfile.id)
            .where(
                BrokerAssignment.need_id == need.id,
                BrokerAssignment.ended_at.is_(None),
                BrokerProfile.status == BrokerStatus.VERIFIED,
            )
            .order_by(BrokerAssignment.created_at, BrokerProfile.id)
        )
    )


@dataclass(frozen=True)
class Candidate:
    """A public result or expert the broker may introduce to a need."""

    kind: str
    id: int
    title: str
    organisation: str
    percent: int | None = None

    @property
    def value(self) -> str:
        """The form value ("result:12")."""
        return f"{self.kind}:{self.id}"


def _taken(need: Need) -> set[tuple[str, int]]:
    """(kind, id) of targets already introduced for the need, or in an open enquiry from the
    need's organisation: not offered again."""
    rows = db.session.execute(
        sa.select(Enquiry.result_id, Enquiry.need_id, Enquiry.expert_id).where(
            sa.or_(
                Enquiry.for_need_id == need.id,
                sa.and_(
                    Enquiry.sender_org_id == need.organisation_id,
                    Enquiry.status.in_((*OPEN_ENQUIRY_STATES, EnquiryStatus.PROPOSED)),
                ),
            )
        )
    ).all()
    taken = set()
    for result_id, need_id, expert_id in rows:
        for kind, target_id in (("result", result_id), ("need", need_id), ("expert", expert_id)):
            if target_id is not None:
                taken.add((kind, target_id))
    return taken


def candidates(*, broker: BrokerProfile, need: Need, k: int = 8) -> list[Candidate]:
    """The engine's recommendations for the need (the results of matching.recommend_for, the
    experts of matching.recommend_experts_for, as on the need's page), less those of the
    need's and the broker's organisations and those already introduced or enquired about."""
    excluded = {need.organisation_id, broker.organisation_id}
    taken = _taken(need)
    out = [
        Candidate(
            "result",
            rec.publication.listing_id,
            rec.publication.title,
            rec.publication.organisation.name,
            rec.percent,
        )
        for rec in matching.recommend_for(need, k=k)
        if rec.publication.kind == "result"
        and rec.publication.organisation_id not in excluded
        and ("result", rec.publication.listing_id) not in taken
    ]
    for expert_rec in matching.recommend_experts_for(need, k=k):
        profile = expert_rec.profile
        if profile.organisation_id in excluded or ("expert", profile.id) in taken:
            continue
        out.append(
            Candidate(
                "expert",
                profile.id,
                targets.expert_name(profile),
                expert_rec.view.organisation.name,
                expert_rec.percent,
            )
        )
    return out
