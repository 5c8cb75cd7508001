"""The enquiry state machine and the helpers every 对接 service uses (parties, sides, links).

    open ⇄ info_requested → accepted (the conversation) → closed (with an outcome)
         ↘ declined | withdrawn
    proposed (a broker's introduction) → open (the need owner consents) | withdrawn (refuses)

The privacy rule lives here too: an enquiry, its messages and its attachments exist only for
the members of its two organisations (`is_party`); everyone else, a bank, a broker or an admin
included, gets NotFound; an introduction waiting for consent exists for the sender's side
only. Admins see a message's body only once a party has reported it (`can_read_message`).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from matchmaker.models import (
    Enquiry,
    EnquiryMessage,
    EnquirySource,
    EnquiryStatus,
    Organisation,
    User,
)
from matchmaker.permissions import Permission, has_permission
from matchmaker.services.errors import NotFound, PermissionDenied, ValidationFailed
from matchmaker.services.platform.states import StateMachine

S = EnquiryStatus
ENQUIRY = StateMachine(
    "enquiry",
    {
        "ask_info": ([S.OPEN], S.INFO_REQUESTED),
        "provide_info": ([S.INFO_REQUESTED], S.OPEN),
        "accept": ([S.OPEN, S.INFO_REQUESTED], S.ACCEPTED),
        "decline": ([S.OPEN, S.INFO_REQUESTED], S.DECLINED),
        "withdraw": ([S.OPEN, S.INFO_REQUESTED], S.WITHDRAWN),
        "close": ([S.ACCEPTED], S.CLOSED),
        # a broker's introduction: the need owner consents (it is sent) or refuses
        "consent": ([S.PROPOSED], S.OPEN),
        "refuse": ([S.PROPOSED], S.WITHDRAWN),
        # keep the state:
        "message": ([S.ACCEPTED], None),
        "record_deal": ([S.ACCEPTED], None),
    },
    refusal=_l("对接请求当前状态下不能进行此操作。"),
)

#: The refusal of each action, when the generic one would say too little.
REFUSALS = {
    "ask_info": _l("只有待答复的对接请求可以要求补充信息。"),
    "provide_info": _l("对方没有要求补充信息。"),
    "accept": _l("这条对接请求已经处理过了。"),
    "decline": _l("这条对接请求已经处理过了。"),
    "withdraw": _l("对接请求已被处理，不能再撤回。"),
    "close": _l("只有洽谈中的对接可以结束。"),
    "record_deal": _l("只有洽谈中的对接可以登记合同。"),
    "consent": _l("这条引荐已经处理过了。"),
    "refuse": _l("这条引荐已经处理过了。"),
}

#: Longest message, question, answer or reason (characters).
MAX_TEXT = 5000


def step(enquiry: Enquiry, action: str, *, actor: User | None, reason: str | None = None) -> str:
    """Move an enquiry along `action` (InvalidTransition if illegal) and audit it."""
    return ENQUIRY.step(enquiry, action, actor=actor, reason=reason, message=REFUSALS.get(action))


def is_member(user: Any, organisation_id: int | None) -> bool:
    """Whether the user is an active, logged-in member of the organisation."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and organisation_id is not None
        and user.organisation_id == organisation_id
    )


def never_sent(enquiry: Enquiry) -> bool:
    """A broker's introduction the need owner has not (yet) consented to: waiting, or refused.
    The other side never received it."""
    return enquiry.status == EnquiryStatus.PROPOSED or (
        enquiry.source == EnquirySource.INTRODUCTION
        and enquiry.status == EnquiryStatus.WITHDRAWN
        and enquiry.decline_reason is not None
    )


def never_sent_clause() -> sa.ColumnElement[bool]:
    """`never_sent` as a query condition."""
    return sa.or_(
        Enquiry.status == EnquiryStatus.PROPOSED,
        sa.and_(
            Enquiry.source == EnquirySource.INTRODUCTION,
            Enquiry.status == EnquiryStatus.WITHDRAWN,
            Enquiry.decline_reason.is_not(None),
        ),
    )


def is_party(user: Any, enquiry: Enquiry) -> bool:
    """Privacy rule: only members of the two organisations see an enquiry and its thread (an
    introduction never sent: the sender's side only)."""
    if never_sent(enquiry):
        return is_member(user, enquiry.sender_org_id)
    return any(is_member(user, org_id) for org_id in enquiry.party_org_ids)


def can_read_message(user: Any, message: EnquiryMessage) -> bool:
    """A message body: the two organisations always; admins only once a party reported it."""
    if is_party(user, message.enquiry):
        return True
    return message.reported_at is not None and has_permission(user, Permission.LISTING_REVIEW)


def require_party(user: Any, enquiry: Enquiry) -> None:
    """NotFound unless the user belongs to one of the two organisations."""
    if not is_party(user, enquiry):
        raise NotFound


def require_owner(user: Any, enquiry: Enquiry) -> None:
    """The owner's side answers (accept, decline, ask): others NotFound or PermissionDenied."""
    require_party(user, enquiry)
    if not is_member(user, enquiry.owner_org_id):
        raise PermissionDenied(_("只有被联系的机构可以答复对接请求。"))


def require_sender(user: Any, enquiry: Enquiry) -> None:
    """The sender's side (provide information, withdraw)."""
    require_party(user, enquiry)
    if not is_member(user, enquiry.sender_org_id):
        raise PermissionDenied(_("只有发起对接的机构可以进行此操作。"))


def other_org(user: User, enquiry: Enquiry) -> Organisation:
    """The organisation on the other side from the user's."""
    return (
        enquiry.owner_org if user.organisation_id == enquiry.sender_org_id else enquiry.sender_org
    )


def own_org(user: User, enquiry: Enquiry) -> Organisation:
    """The user's side of the enquiry (the user must be a party)."""
    return (
        enquiry.sender_org if user.organisation_id == enquiry.sender_org_id else enquiry.owner_org
    )


def members(*orgs: Organisation | None) -> list[User]:
    """The active members of some organisations (the people a notification goes to)."""
    return [m for org in orgs if org is not None for m in org.members if m.is_active]


def link(enquiry: Enquiry) -> str:
    """The enquiry's page, as a path (services never call url_for)."""
    return f"/connect/{enquiry.id}"


def clean_text(text: str | None, field: str, *, empty: Any, required: bool = True) -> str:
    """Stripped text of at most MAX_TEXT characters, else ValidationFailed on `field`."""
    value = (text or "").strip()
    if required and not value:
        raise ValidationFailed({field: str(empty)})
    if len(value) > MAX_TEXT:
        raise ValidationFailed(
            {field: _("不能超过 %(max)d 字（现在 %(n)d 字）。", max=MAX_TEXT, n=len(value))}
        )
    return value
