"""The conversation after an enquiry is accepted: messages with attachments, read state,
closing with an outcome, reporting a message, blocking an organisation.

Privacy: message bodies are for the two organisations only (`enquiry_states.is_party`).
Admins see metadata, and the body of a message only once a party has reported it
(`reported_messages`, `can_read_message`). Neither notifications nor the audit log carry a
body: e-mails wait in the job table, which admins can read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.models import (
    ConversationOutcome,
    Enquiry,
    EnquiryMessage,
    EnquiryRead,
    EnquiryStatus,
    User,
)
from matchmaker.models.base import utcnow
from matchmaker.permissions import Permission, Role, has_permission
from matchmaker.services.connect.attachments import (
    Upload,
    add_message,
    downloadable_attachment,
    store_upload,
)
from matchmaker.services.connect.blocks import (
    block_organisation,
    blocked_organisations,
    is_blocked,
    unblock_organisation,
)
from matchmaker.services.connect.enquiry_states import (
    ENQUIRY,
    can_read_message,
    clean_text,
    link,
    members,
    other_org,
    own_org,
    require_party,
    step,
)
from matchmaker.services.connect.targets import subject_title
from matchmaker.services.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from matchmaker.services.platform.audit import record_audit
from matchmaker.services.platform.notifications import notify

__all__ = [
    "block_organisation",
    "blocked_organisations",
    "can_read_message",
    "close_conversation",
    "downloadable_attachment",
    "get_message",
    "is_blocked",
    "last_read_id",
    "mark_read",
    "messages",
    "post_message",
    "report_message",
    "reported_messages",
    "unblock_organisation",
    "unread_count",
    "unread_enquiry_ids",
]


def _check_can_message(actor: User, enquiry: Enquiry) -> None:
    if enquiry.status == EnquiryStatus.CLOSED:
        raise InvalidTransition(_("对话已结束，不能再发送消息。"))
    ENQUIRY.check(enquiry, "message", _("对接请求被接受后才能发送消息。"))
    other = other_org(actor, enquiry)
    if is_blocked(other.id, actor.organisation_id):
        raise PermissionDenied(_("对方机构已屏蔽你的机构，不能发送消息。"))
    if is_blocked(actor.organisation_id, other.id):
        raise PermissionDenied(_("你的机构已屏蔽对方机构，请先解除屏蔽。"))


def post_message(
    *,
    actor: User,
    enquiry: Enquiry,
    body: str,
    upload: Upload | None = None,
    now: datetime | None = None,
) -> EnquiryMessage:
    """A message in an accepted conversation (optionally with a PDF or image).

    The other organisation's members are told by the "connect" e-mail group (without the body).
    """
    require_party(actor, enquiry)
    _check_can_message(actor, enquiry)
    text = clean_text(body, "body", empty=_("请填写消息内容。"))
    staged = store_upload(upload)
    assert actor.organisation_id is not None
    message = add_message(
        enquiry,
        actor=actor,
        author_org_id=actor.organisation_id,
        body=text,
        staged=staged,
        now=now,
    )
    _set_read(actor, enquiry, message.id, now)  # one's own message is read
    notify(
        users=members(other_org(actor, enquiry)),
        kind="enquiry.message",
        params={"title": subject_title(enquiry), "org": own_org(actor, enquiry).name},
        link=link(enquiry),
    )
    return message


def messages(enquiry: Enquiry) -> list[EnquiryMessage]:
    """The thread, oldest first, with attachments and authors (for a party's page)."""
    return list(
        db.session.scalars(
            sa.select(EnquiryMessage)
            .where(EnquiryMessage.enquiry_id == enquiry.id)
            .options(selectinload(EnquiryMessage.attachments), selectinload(EnquiryMessage.author))
            .order_by(EnquiryMessage.id)
        )
    )


def _read_row(user: User, enquiry: Enquiry) -> EnquiryRead | None:
    return db.session.scalar(
        sa.select(EnquiryRead).where(
            EnquiryRead.enquiry_id == enquiry.id, EnquiryRead.user_id == user.id
        )
    )


def _set_read(user: User, enquiry: Enquiry, message_id: int, now: datetime | None) -> None:
    row = _read_row(user, enquiry)
    if row is None:
        row = EnquiryRead(enquiry_id=enquiry.id, user_id=user.id, last_message_id=0)
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except sa.exc.IntegrityError:  # the same user's other tab got there first
            row = _read_row(user, enquiry)
            assert row is not None
    if message_id > row.last_message_id:
        row.last_message_id = message_id
    row.read_at = now or utcnow()
    db.session.flush()


def mark_read(*, actor: User, enquiry: Enquiry, now: datetime | None = None) -> None:
    """The actor has seen the conversation up to its last message."""
    require_party(actor, enquiry)
    last = db.session.scalar(
        sa.select(sa.func.max(EnquiryMessage.id)).where(EnquiryMessage.enquiry_id == enquiry.id)
    )
    _set_read(actor, enquiry, last or 0, now)


def last_read_id(*, user: User, enquiry: Enquiry) -> int:
    """The id of the last message the user has read (0: none), for an "unread" marker."""
    row = _read_row(user, enquiry)
    return row.last_message_id if row is not None else 0


def _unread(user: Any) -> sa.Select | None:
    """Messages from the other side the user has not read (None: the user has no conversations)."""
    org_id = getattr(user, "organisation_id", None)
    if org_id is None or not getattr(user, "is_authenticated", False):
        return None
    read = sa.orm.aliased(EnquiryRead)
    return (
        sa.select(EnquiryMessage.id, EnquiryMessage.enquiry_id)
        .join(Enquiry, Enquiry.id == EnquiryMessage.enquiry_id)
        .outerjoin(read, sa.and_(read.enquiry_id == Enquiry.id, read.user_id == user.id))
        .where(
            sa.or_(Enquiry.sender_org_id == org_id, Enquiry.owner_org_id == org_id),
            EnquiryMessage.author_org_id != org_id,
            EnquiryMessage.id > sa.func.coalesce(read.last_message_id, 0),
        )
    )


def unread_count(user: Any) -> int:
    """Messages from the other side the user has not read yet, over all conversations."""
    stmt = _unread(user)
    if stmt is None:
        return 0
    return db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0


def unread_enquiry_ids(user: Any) -> set[int]:
    """The enquiries with messages the user has not read yet (inbox markers)."""
    stmt = _unread(user)
    if stmt is None:
        return set()
    return set(db.session.scalars(sa.select(stmt.subquery().c.enquiry_id).distinct()))


def close_conversation(
    *, actor: User, enquiry: Enquiry, outcome: str, reason: str = "", now: datetime | None = None
) -> None:
    """Either side ends the conversation: 合同已签, 暂不合作 (with a reason) or 转线下."""
    require_party(actor, enquiry)
    try:
        parsed = ConversationOutcome(outcome)
    except ValueError:
        raise ValidationFailed({"outcome": _("请选择洽谈结果。")}) from None
    text = clean_text(
        reason,
        "reason",
        empty=_("请说明暂不合作的原因。"),
        required=parsed == ConversationOutcome.NO_DEAL,
    )
    step(enquiry, "close", actor=actor, reason=str(parsed))  # the code only: no free text
    enquiry.outcome = parsed
    enquiry.outcome_reason = text or None
    enquiry.closed_by_id = actor.id
    enquiry.closed_at = now or utcnow()
    notify(
        users=members(other_org(actor, enquiry)),
        kind="enquiry.closed",
        params={
            "title": subject_title(enquiry),
            "org": own_org(actor, enquiry).name,
            "outcome_code": str(parsed),  # shown as its label in the reader's language
        },
        link=link(enquiry),
    )


def report_message(
    *, actor: User, message: EnquiryMessage, reason: str, now: datetime | None = None
) -> None:
    """A party reports the other side's message: from now on admins may read its body."""
    enquiry = message.enquiry
    require_party(actor, enquiry)
    if message.author_org_id == actor.organisation_id:
        raise InvalidTransition(_("不能举报本机构发送的消息。"))
    if message.reported_at is not None:
        raise InvalidTransition(_("这条消息已被举报，平台正在处理。"))
    text = clean_text(reason, "reason", empty=_("请说明举报原因。"))
    message.reported_at = now or utcnow()
    message.reported_by_id = actor.id
    message.report_reason = text
    record_audit(
        actor=actor,
        action="enquiry.report",
        object_type="enquiry",
        object_id=enquiry.id,
        after={"message_id": message.id, "author_org_id": message.author_org_id},
    )
    admins = db.session.scalars(
        sa.select(User).where(User.role == Role.ADMIN, User.is_active.is_(True))
    )
    notify(
        users=admins,
        kind="enquiry.reported",
        params={"title": subject_title(enquiry), "org": own_org(actor, enquiry).name},
    )
    db.session.flush()


def get_message(*, actor: Any, message_id: int) -> EnquiryMessage:
    """A message whose body the actor may read (a party; an admin once reported), else NotFound."""
    message = db.session.get(EnquiryMessage, message_id) if 0 < message_id < 2**31 else None
    if message is None or not can_read_message(actor, message):
        raise NotFound
    return message


def reported_messages(*, actor: Any) -> list[EnquiryMessage]:
    """Reported messages, newest report first, for the admins' review (the only bodies they see)."""
    if not has_permission(actor, Permission.LISTING_REVIEW):
        raise PermissionDenied
    return list(
        db.session.scalars(
            sa.select(EnquiryMessage)
            .where(EnquiryMessage.reported_at.is_not(None))
            .options(selectinload(EnquiryMessage.enquiry), selectinload(EnquiryMessage.author))
            .order_by(EnquiryMessage.reported_at.desc(), EnquiryMessage.id.desc())
        )
    )
