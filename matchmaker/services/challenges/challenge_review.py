"""The platform's review of a challenge before it is listed: which ones, approve, send back,
edit and resubmit, and the queue.

A 政府榜 is always reviewed: the government publishes on an enterprise's need, and the terms
bind both once anyone applies. An enterprise's challenge is reviewed when its need was edited
since the need's own review, so what applicants would read is not what a reviewer approved.
Any other challenge goes public at once: the need's approval was its review. A challenge
under review waits in `challenge_review` (not listed, not open for applications); sent back
it waits in `challenge_returned` with the listings' coded reason (ReviewReason) and the
reviewer's text, until its owner edits the terms and resubmits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.models import AuditLog, Challenge, Need, NeedStatus, User
from matchmaker.models.base import utcnow
from matchmaker.permissions import Permission, can_manage_challenge, has_permission
from matchmaker.services.challenges.challenge_states import CHALLENGE, local_date, members
from matchmaker.services.challenges.challenges import ChallengeTerms, validate_terms
from matchmaker.services.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
)
from matchmaker.services.platform.audit import record_audit
from matchmaker.services.platform.notifications import notify
from matchmaker.services.platform.reviews import parse_rejection

#: Audited edits of a need that do not send it back to its own review (its contacts).
NEED_EDITS = ("need.update", "need.attachment_add", "need.attachment_remove")
#: Why a challenge is reviewed (codes of `review_grounds`), as the reviewer reads them.
GROUND_LABELS: dict[str, Any] = {
    "government": _l("政府榜：发布前都要经平台审核"),
    "need_edited": _l("企业榜：需求在审核通过后修改过"),
    "resubmitted": _l("曾被退回，发榜方修改后重新提交"),
}


def _owner_link(challenge: Challenge) -> str:
    """The owner's page of a challenge, where the state and the reviewer's reason show."""
    return f"/my/challenges/{challenge.id}"


def _audit_args(actor: User | None, challenge: Challenge) -> dict[str, Any]:
    return {"actor": actor, "object_type": "challenge", "audit_id": challenge.id}


def _people(challenge: Challenge) -> list[User]:
    """Who hears of the review: the need's organisation and the publisher (a 政府榜's admin)."""
    people = members(challenge.need.organisation)
    publisher = challenge.published_by
    if publisher is not None and publisher.is_active and publisher not in people:
        people.append(publisher)
    return people


def need_edited_since_review(need: Need) -> bool:
    """Whether the need differs from what its reviewer approved, or was edited after that."""
    from matchmaker.services.market import publication

    if need.reviewed_at is None or need.publication is None:
        return True
    if publication.changes_since_approval(need):
        return True
    edited = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditLog)
        .where(
            AuditLog.object_type == "need",
            AuditLog.object_id == str(need.id),
            AuditLog.action.in_(NEED_EDITS),
            AuditLog.created_at > need.reviewed_at,
        )
    )
    return bool(edited)


def needs_review(*, need: Need, is_government: bool) -> bool:
    """Whether a challenge on this need waits for the platform's review before it is listed."""
    return is_government or need_edited_since_review(need)


def review_grounds(challenge: Challenge) -> list[str]:
    """Why the challenge is (or was) reviewed: codes of GROUND_LABELS."""
    grounds = []
    if challenge.is_government:
        grounds.append("government")
    if need_edited_since_review(challenge.need):
        grounds.append("need_edited")
    if challenge.review_reason_code is not None:  # kept until approval: the last reason
        grounds.append("resubmitted")
    return grounds


def send_for_review(*, actor: User, challenge: Challenge, now: datetime) -> None:
    """A challenge just published (or edited after being sent back) waits for the reviewer."""
    action = "resubmit" if CHALLENGE.can(challenge.need, "resubmit") else "submit"
    CHALLENGE.step(challenge.need, action, **_audit_args(actor, challenge))
    challenge.submitted_at = now
    notify(
        users=_people(challenge),
        kind="challenge.submitted",
        params={"title": challenge.need.title},
        link=_owner_link(challenge),
    )


def approve_challenge(*, actor: User, challenge: Challenge, now: datetime | None = None) -> None:
    """The reviewer lists the challenge: it is public and open for applications."""
    if not has_permission(actor, Permission.LISTING_REVIEW):
        raise PermissionDenied
    need = challenge.need
    CHALLENGE.check(need, "approve", _("只有待审核的榜单可以通过。"))
    now = now or utcnow()
    if challenge.deadline_at <= now:
        raise InvalidTransition(_("揭榜截止时间已过：请退回，由发榜方修改截止时间。"))
    CHALLENGE.step(need, "approve", **_audit_args(actor, challenge))
    challenge.reviewed_at = now
    challenge.review_reason_code = None
    challenge.review_reason = None
    challenge.published_at = now  # it goes public now
    notify(
        users=_people(challenge),
        kind="challenge.approved",
        params={"title": need.title, "deadline": local_date(challenge.deadline_at)},
        link=f"/challenges/{challenge.id}",
    )


def reject_challenge(*, actor: User, challenge: Challenge, code: str, reason: str) -> None:
    """Send the challenge back with a coded reason and a text its owner sees."""
    if not has_permission(actor, Permission.LISTING_REVIEW):
        raise PermissionDenied
    need = challenge.need
    CHALLENGE.check(need, "reject", _("只有待审核的榜单可以退回。"))
    parsed, reason = parse_rejection(code, reason)
    CHALLENGE.step(need, "reject", **_audit_args(actor, challenge), reason=f"{parsed}: {reason}")
    challenge.reviewed_at = utcnow()
    challenge.review_reason_code = str(parsed)
    challenge.review_reason = reason
    notify(
        users=_people(challenge),
        kind="challenge.rejected",
        params={
            "title": need.title,
            "reason_code": str(parsed),  # shown as its label in the reader's language
            "reason": reason,
        },
        link=_owner_link(challenge),
    )


def get_returned_challenge(*, actor: User, need: Need) -> Challenge | None:
    """The actor's challenge on the need when it was sent back (to edit), else None."""
    challenge = db.session.scalar(sa.select(Challenge).where(Challenge.need_id == need.id))
    if challenge is None or not CHALLENGE.can(need, "edit"):
        return None
    if not can_manage_challenge(actor, challenge):
        raise NotFound
    return challenge


def pending_challenges() -> list[Challenge]:
    """Every challenge waiting for review, oldest submission first."""
    return list(
        db.session.scalars(
            sa.select(Challenge)
            .join(Need, Challenge.need_id == Need.id)
            .where(Need.status == NeedStatus.CHALLENGE_REVIEW)
            .options(selectinload(Challenge.need).selectinload(Need.organisation))
            .order_by(Challenge.submitted_at, Challenge.id)
        )
    )


def pending_count() -> int:
    """How many challenges wait for review."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Challenge)
            .join(Need, Challenge.need_id == Need.id)
            .where(Need.status == NeedStatus.CHALLENGE_REVIEW)
        )
        or 0
    )


def record_terms_edit(*, actor: User, challenge: Challenge, fields: list[str]) -> None:
    """Audit an edit of a sent-back challenge's terms (the step audits the state)."""
    record_audit(
        actor=actor,
        action="challenge.update",
        object_type="challenge",
        object_id=challenge.id,
        before={"status": str(challenge.need.status)},
        after={"status": str(challenge.need.status), "fields": fields},
    )


#: The terms a sent-back challenge's owner may change before resubmitting.
_TERMS = (
    "bounty_wan",
    "deadline_at",
    "success_criteria",
    "deliverables",
    "ip_ownership",
    "ip_licence",
    "payment_form",
    "visibility",
    "has_panel",
)


def check_resubmission(
    *, actor: User, challenge: Challenge, terms: ChallengeTerms, now: datetime | None = None
) -> None:
    """Check new terms for a sent-back challenge as resubmit_challenge would, storing nothing."""
    if not can_manage_challenge(actor, challenge):
        raise NotFound
    CHALLENGE.check(challenge.need, "edit", _("只有被退回的榜单可以修改后重新提交。"))
    validate_terms(terms, challenge.need, now or utcnow())


def resubmit_challenge(
    *, actor: User, challenge: Challenge, terms: ChallengeTerms, now: datetime | None = None
) -> list[str]:
    """Edit the terms of a challenge the reviewer sent back and send it for review again.

    Whether it is a 政府榜 does not change. Returns the names of the terms that changed.
    """
    now = now or utcnow()
    check_resubmission(actor=actor, challenge=challenge, terms=terms, now=now)
    values = {
        name: value.strip() if isinstance(value, str) else value
        for name, value in ((n, getattr(terms, n)) for n in _TERMS)
    }
    changed = [name for name, value in values.items() if getattr(challenge, name) != value]
    for name, value in values.items():
        setattr(challenge, name, value)
    for name, value in terms.weights.items():
        setattr(challenge, f"weight_{name}", value)
    record_terms_edit(actor=actor, challenge=challenge, fields=changed)
    send_for_review(actor=actor, challenge=challenge, now=now)
    return changed
