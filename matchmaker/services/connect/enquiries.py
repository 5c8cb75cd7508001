"""对接请求: sending an enquiry to a listing's owner, and the owner's answer.

Staged disclosure: the two people's contact details are shared only once the owner accepts
(`contacts`). Every status change goes through the ENQUIRY machine (audited); message bodies
never go into the audit log or a notification (admins read both), only ids and codes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import (
    ConversionOffer,
    Enquiry,
    EnquiryDecline,
    EnquiryIntent,
    EnquiryMessage,
    EnquirySource,
    EnquiryStatus,
    FunnelStep,
    User,
)
from matchmaker.models.base import CHINA, utcnow
from matchmaker.services.connect import funnel, targets
from matchmaker.services.connect.attachments import Upload, add_message, attach, store_upload
from matchmaker.services.connect.enquiry_states import (
    ENQUIRY,
    REFUSALS,
    clean_text,
    link,
    members,
    never_sent_clause,
    require_owner,
    require_sender,
    step,
)
from matchmaker.services.connect.inbox import contacts, get_enquiry, inbox, waiting_count
from matchmaker.services.connect.responsiveness import (
    ResponseStats,
    remind_unanswered,
    response_stats,
)
from matchmaker.services.connect.targets import Target
from matchmaker.services.errors import (
    LimitReached,
    PermissionDenied,
    ValidationFailed,
)
from matchmaker.services.platform.audit import record_audit
from matchmaker.services.platform.notifications import notify

__all__ = [
    "EnquiryData",
    "ResponseStats",
    "Upload",
    "accept_enquiry",
    "ask_for_information",
    "contacts",
    "create_enquiry",
    "decline_enquiry",
    "get_enquiry",
    "inbox",
    "provide_information",
    "remind_unanswered",
    "response_stats",
    "waiting_count",
    "withdraw_enquiry",
]


@dataclass(frozen=True)
class EnquiryData:
    """What the sender fills in."""

    intent: str
    message: str
    nda_requested: bool = False
    source: str = "listing"  # listing | recommendation | conversion (introduction: brokers')
    offer_id: int | None = None  # the conversion-list entry it came from


def _check_sender(actor: User) -> None:
    org = actor.organisation
    if not actor.is_active or org is None or not org.is_verified:
        raise PermissionDenied(_("只有已认证机构的成员可以发起对接。"))


def _parse(data: EnquiryData) -> tuple[EnquiryIntent, str, EnquirySource]:
    errors: dict[str, str] = {}
    try:
        intent = EnquiryIntent(data.intent)
    except ValueError:
        errors["intent"] = _("请选择合作意向。")
    try:
        message = clean_text(data.message, "message", empty=_("请填写留言，说明你的需求。"))
    except ValidationFailed as error:
        errors["message"] = error.errors["message"][0]
    if errors:
        raise ValidationFailed(errors)
    # A source the pages did not offer is counted as the listing page, never refused.
    source = EnquirySource(data.source) if data.source in set(EnquirySource) else None
    return intent, message, source or EnquirySource.LISTING


def check_cap(org_id: int, now: datetime) -> None:
    """At most ENQUIRY_DAILY_CAP enquiries sent per China day by one organisation."""
    cap = int(current_app.config.get("ENQUIRY_DAILY_CAP", 20))
    day_start = datetime.combine(now.astimezone(CHINA).date(), time.min, CHINA)
    # A broker's introduction counts once the organisation consented to it (sent), not before.
    sent = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Enquiry)
        .where(
            Enquiry.sender_org_id == org_id,
            Enquiry.created_at >= day_start,
            sa.not_(never_sent_clause()),
        )
    )
    if (sent or 0) >= cap:
        tomorrow = day_start + timedelta(days=1)
        raise LimitReached(
            {"cap": _("你的机构今天已发起 %(n)d 条对接请求，已达每日上限，请明天再试。", n=cap)},
            retry_after=math.ceil((tomorrow - now.astimezone(CHINA)).total_seconds()),
        )


#: The organisation's open enquiry on a target (a name of its own: tests stand in for it).
_open_enquiry = targets.open_enquiry


def _offer_id(listing: Target, offer_id: int | None) -> int | None:
    """The conversion-list entry, only if it really is this result's (else dropped)."""
    if offer_id is None or listing.KIND != "result":
        return None
    offer = db.session.get(ConversionOffer, offer_id) if 0 < offer_id < 2**31 else None
    return offer.id if offer is not None and offer.result_id == listing.id else None


def create_enquiry(
    *,
    actor: User,
    kind: str,
    listing_id: int,
    data: EnquiryData,
    upload: Upload | None = None,
    now: datetime | None = None,
) -> Enquiry:
    """Send an enquiry to the owner of a public result, need or expert profile (kind "result",
    "need" or "expert").

    One open enquiry per (organisation, target), also under concurrent requests (a partial
    unique index backs it); at most ENQUIRY_DAILY_CAP a China day per organisation.
    """
    now = now or utcnow()
    _check_sender(actor)
    listing = targets.load_target(kind, listing_id)
    targets.check_target(actor.organisation_id, listing, now)
    intent, message, source = _parse(data)
    if source == EnquirySource.INTRODUCTION:  # only a broker's proposal has that source
        source = EnquirySource.LISTING
    org_id = actor.organisation_id
    assert org_id is not None
    if _open_enquiry(org_id, listing) is not None:
        raise targets.duplicate(listing)
    check_cap(org_id, now)
    stored = store_upload(upload)
    enquiry = Enquiry(
        sender_org_id=org_id,
        sender_user_id=actor.id,
        owner_org_id=listing.organisation_id,
        intent=intent,
        message=message,
        nda_requested=bool(data.nda_requested),
        source=source,
        offer_id=_offer_id(listing, data.offer_id),
        status=EnquiryStatus.OPEN,
        created_at=now,
    )
    targets.set_target(enquiry, listing)
    try:
        with db.session.begin_nested():
            db.session.add(enquiry)
    except sa.exc.IntegrityError:  # a concurrent request sent the same enquiry first
        raise targets.duplicate(listing) from None
    if stored is not None:
        attach(enquiry, stored, actor=actor)
    record_audit(
        actor=actor,
        action="enquiry.create",
        object_type="enquiry",
        object_id=enquiry.id,
        after={
            "status": str(enquiry.status),
            "listing": f"{listing.KIND}:{listing.id}",
            "intent": str(intent),
            "source": str(source),
        },
    )
    funnel.record(
        FunnelStep.ENQUIRY, listing, key=f"enquiry:{enquiry.id}", actor_org_id=org_id, now=now
    )
    notify(
        users=targets.keepers(listing),
        kind="enquiry.received",
        params={"title": targets.title_of(listing), "org": enquiry.sender_org.name},
        link=link(enquiry),
    )
    return enquiry


def _answered(actor: User, enquiry: Enquiry, now: datetime) -> None:
    """The owner's first answer counts for its response rate and time."""
    if enquiry.answered_at is None:
        enquiry.answered_at = now
        enquiry.answered_by_id = actor.id


def _tell(enquiry: Enquiry, *, sender_side: bool, kind: str, **params: Any) -> None:
    users = members(enquiry.sender_org) if sender_side else targets.keepers(enquiry.listing)
    notify(
        users=users,
        kind=kind,
        params={"title": targets.subject_title(enquiry), **params},
        link=link(enquiry),
    )


def accept_enquiry(*, actor: User, enquiry: Enquiry, now: datetime | None = None) -> None:
    """The owner accepts: the conversation opens and both people's contacts are disclosed."""
    require_owner(actor, enquiry)
    now = now or utcnow()
    step(enquiry, "accept", actor=actor)
    _answered(actor, enquiry, now)
    enquiry.answered_by_id = actor.id  # the person whose contacts the sender now sees
    funnel.record(
        FunnelStep.ACCEPTED,
        enquiry.listing,
        key=f"enquiry:{enquiry.id}",
        actor_org_id=enquiry.sender_org_id,
        now=now,
    )
    _tell(enquiry, sender_side=True, kind="enquiry.accepted", org=enquiry.owner_org.name)


def decline_enquiry(
    *, actor: User, enquiry: Enquiry, code: str, reason: str, now: datetime | None = None
) -> None:
    """The owner declines with a reason code and a text the sender sees."""
    require_owner(actor, enquiry)
    try:
        parsed = EnquiryDecline(code)
    except ValueError:
        raise ValidationFailed({"code": _("请选择婉拒原因。")}) from None
    text = clean_text(reason, "reason", empty=_("请填写具体说明，对方会看到。"))
    step(enquiry, "decline", actor=actor, reason=str(parsed))  # the code only: no free text
    enquiry.decline_code = parsed
    enquiry.decline_reason = text
    _answered(actor, enquiry, now or utcnow())
    _tell(
        enquiry,
        sender_side=True,
        kind="enquiry.declined",
        org=enquiry.owner_org.name,
        reason_code=str(parsed),  # shown as its label in the reader's language
    )


def ask_for_information(
    *, actor: User, enquiry: Enquiry, question: str, now: datetime | None = None
) -> None:
    """The owner asks the sender for more information before deciding."""
    require_owner(actor, enquiry)
    text = clean_text(question, "question", empty=_("请填写需要对方补充的内容。"))
    step(enquiry, "ask_info", actor=actor)
    enquiry.info_request = text
    _answered(actor, enquiry, now or utcnow())
    _tell(enquiry, sender_side=True, kind="enquiry.info_requested", org=enquiry.owner_org.name)


def provide_information(
    *,
    actor: User,
    enquiry: Enquiry,
    text: str,
    upload: Upload | None = None,
    now: datetime | None = None,
) -> EnquiryMessage:
    """The sender answers the owner's question (kept as a message of the thread)."""
    require_sender(actor, enquiry)
    body = clean_text(text, "text", empty=_("请填写补充的信息。"))
    ENQUIRY.check(enquiry, "provide_info", REFUSALS["provide_info"])
    stored = store_upload(upload)
    step(enquiry, "provide_info", actor=actor)
    message = add_message(
        enquiry,
        actor=actor,
        author_org_id=enquiry.sender_org_id,
        body=body,
        staged=stored,
        now=now,
    )
    _tell(enquiry, sender_side=False, kind="enquiry.info_provided", org=enquiry.sender_org.name)
    return message


def withdraw_enquiry(*, actor: User, enquiry: Enquiry) -> None:
    """The sender withdraws an enquiry not yet accepted or declined."""
    require_sender(actor, enquiry)
    step(enquiry, "withdraw", actor=actor)
    _tell(enquiry, sender_side=False, kind="enquiry.withdrawn", org=enquiry.sender_org.name)
