"""Challenges (榜) on open needs: publish, invite, close the window, withdraw, and the clock.

Approval rule: a challenge is published on a need the platform has already reviewed and opened;
that approval is its review, so it goes public at once, unless it is a 政府榜 (published by a
government admin on an enterprise's need) or its need was edited since its review: those wait
for the platform's review first (challenge_review.py), and one sent back can be edited and
resubmitted. The publisher confirms a preview of exactly what will be public before anything
is stored. Once listed, the terms (IP, payment form, criteria) cannot change (Wazoku), so
applicants know what they accept.
The pages' read side (public lists, showcase, visibility) is in browsing.py, importable here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import (
    Application,
    ApplicationStatus,
    Challenge,
    ChallengeInvitation,
    IpOwnership,
    LicenceKind,
    Need,
    NeedStatus,
    Organisation,
    PaymentForm,
    User,
    Visibility,
)
from matchmaker.models.base import utcnow
from matchmaker.permissions import (
    Permission,
    can_manage_challenge,
    can_manage_listing,
    has_permission,
    publish_refusal,
)
from matchmaker.services import matching
from matchmaker.services.accounts import mail_throttle
from matchmaker.services.challenges.browsing import BOUNTY_BANDS as BOUNTY_BANDS
from matchmaker.services.challenges.browsing import CLOSED_STATES as CLOSED_STATES
from matchmaker.services.challenges.browsing import SHOWCASE_STATES as SHOWCASE_STATES
from matchmaker.services.challenges.browsing import can_see_challenge as can_see_challenge
from matchmaker.services.challenges.browsing import get_visible_challenge as get_visible_challenge
from matchmaker.services.challenges.browsing import (
    invitable_organisations as invitable_organisations,
)
from matchmaker.services.challenges.browsing import listed_results as listed_results
from matchmaker.services.challenges.browsing import (
    organisation_application as organisation_application,
)
from matchmaker.services.challenges.browsing import public_challenges as public_challenges
from matchmaker.services.challenges.browsing import showcase_challenges as showcase_challenges
from matchmaker.services.challenges.challenge_states import CHALLENGE, local_date, members
from matchmaker.services.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from matchmaker.services.market.listing_states import NEED
from matchmaker.services.platform.amounts import check_amount
from matchmaker.services.platform.audit import record_audit
from matchmaker.services.platform.dates import format_date
from matchmaker.services.platform.notifications import notify

IN_RACE = (ApplicationStatus.SUBMITTED, ApplicationStatus.SHORTLISTED, ApplicationStatus.FINALIST)
#: The least a challenge's success criteria and deliverables say (characters, blanks trimmed).
MIN_TERMS_TEXT = 10


@dataclass(frozen=True)
class ChallengeTerms:
    """What the owner fixes when publishing a challenge."""

    deadline_at: datetime
    success_criteria: str
    deliverables: str
    ip_ownership: str
    payment_form: str
    bounty_wan: Decimal = Decimal(0)  # 0 = 面议
    ip_licence: str = LicenceKind.NONE
    visibility: str = Visibility.PUBLIC
    has_panel: bool = False
    is_government: bool = False
    weights: dict[str, int] = field(
        default_factory=lambda: {"feasibility": 30, "maturity": 25, "price": 20, "team": 25}
    )


def link(challenge: Challenge) -> str:
    """The path of a challenge (services never call url_for)."""
    return f"/challenges/{challenge.id}"


def challenge_of(need: Need) -> Challenge | None:
    """The challenge published on a need, if any."""
    return db.session.scalar(sa.select(Challenge).where(Challenge.need_id == need.id))


def challenges_of(needs: list[Need]) -> dict[int, Challenge]:
    """The challenge published on each of the needs that has one, by need id (one query)."""
    if not needs:
        return {}
    found = db.session.scalars(
        sa.select(Challenge).where(Challenge.need_id.in_([need.id for need in needs]))
    )
    return {challenge.need_id: challenge for challenge in found}


def validate_terms(terms: ChallengeTerms, need: Need, now: datetime) -> None:
    """Every reason the terms are refused, at once (ValidationFailed)."""
    errors: dict[str, list[str]] = {}
    if terms.bounty_wan is None:
        errors["bounty_wan"] = [_("请填写金额，面议请填 0。")]
    check_amount(errors, "bounty_wan", terms.bounty_wan, negotiable=True)
    if terms.deadline_at.tzinfo is None or terms.deadline_at <= now:
        errors["deadline_at"] = [_("揭榜截止时间必须晚于现在。")]
    elif need.expires_at is not None and terms.deadline_at > need.expires_at:
        errors["deadline_at"] = [
            _(
                "揭榜截止时间不能晚于需求的有效期（%(date)s）。",
                date=format_date(need.expires_at),
            )
        ]
    if not terms.success_criteria.strip():
        errors["success_criteria"] = [_("请填写成功标准。")]
    elif len(terms.success_criteria.strip()) < MIN_TERMS_TEXT:
        errors["success_criteria"] = [
            _("成功标准至少写 %(min)d 个字，说明可量化的验收指标。", min=MIN_TERMS_TEXT)
        ]
    if not terms.deliverables.strip():
        errors["deliverables"] = [_("请填写预期交付成果。")]
    elif len(terms.deliverables.strip()) < MIN_TERMS_TEXT:
        errors["deliverables"] = [
            _("预期交付成果至少写 %(min)d 个字，说明交付什么。", min=MIN_TERMS_TEXT)
        ]
    for name, enum_cls in (
        ("ip_ownership", IpOwnership),
        ("ip_licence", LicenceKind),
        ("payment_form", PaymentForm),
        ("visibility", Visibility),
    ):
        if getattr(terms, name) not in set(enum_cls):
            errors[name] = [_("请选择有效的选项。")]
    weights = terms.weights
    if set(weights) != {"feasibility", "maturity", "price", "team"} or any(
        not isinstance(v, int) or v < 0 for v in weights.values()
    ):
        errors["weights"] = [_("评分权重必须是非负整数。")]
    elif sum(weights.values()) <= 0:
        errors["weights"] = [_("评分权重之和必须大于 0。")]
    if errors:
        raise ValidationFailed(errors)


def publishable_need(*, actor: User, need_id: int) -> tuple[Need, bool]:
    """The need `actor` may publish a challenge on, and whether the challenge is a 政府榜.

    One rule for the web page and the API: an admin publishes a 政府榜 on any need; a role that
    cannot publish at all (a university, a bank) is refused (PermissionDenied, 403), and
    another organisation's need, or one that does not exist, is not found (404). Whether the
    need is open, and the terms, are checked when it is published (`_check_publish`).
    """
    if has_permission(actor, Permission.CHALLENGE_GOVERNMENT):
        need = db.session.get(Need, need_id)
        if need is None:
            raise NotFound
        return need, True
    if not has_permission(actor, Permission.CHALLENGE_PUBLISH):
        raise PermissionDenied(_("你的账号不能发榜：只有企业可以在自己的需求上发榜。"))
    need = db.session.get(Need, need_id)
    if need is None or not can_manage_listing(actor, need):
        raise NotFound
    return need, False


def _check_publish(actor: User, need: Need, terms: ChallengeTerms, now: datetime) -> None:
    """Everything publishing checks before it stores anything (the preview runs it too)."""
    if terms.is_government:
        if not has_permission(actor, Permission.CHALLENGE_GOVERNMENT):
            raise PermissionDenied
    else:
        if not has_permission(actor, Permission.CHALLENGE_PUBLISH) or not can_manage_listing(
            actor, need
        ):
            raise NotFound
        if why := publish_refusal(actor, _("机构通过平台认证后才能发榜。")):
            raise PermissionDenied(why)
    NEED.check(need, "challenge", _("只有已公开的需求可以发榜。"))
    if challenge_of(need) is not None:
        raise InvalidTransition(_("这条需求已经发过榜。"))
    validate_terms(terms, need, now)


def preview_challenge(
    *, actor: User, need: Need, terms: ChallengeTerms, now: datetime | None = None
) -> bool:
    """Check a challenge as publish_challenge would, storing nothing; True when it will wait
    for the platform's review before it is listed."""
    from matchmaker.services.challenges import challenge_review

    _check_publish(actor, need, terms, now or utcnow())
    return challenge_review.needs_review(need=need, is_government=terms.is_government)


def publish_challenge(
    *, actor: User, need: Need, terms: ChallengeTerms, now: datetime | None = None
) -> Challenge:
    """Publish a challenge on an open need of the actor's verified organisation (or a 政府榜);
    one that needs the platform's review waits for it (challenge_review.py)."""
    from matchmaker.services.challenges import challenge_review

    now = now or utcnow()
    _check_publish(actor, need, terms, now)
    reviewed = challenge_review.needs_review(need=need, is_government=terms.is_government)
    challenge = Challenge(
        need=need,
        published_by=actor,
        bounty_wan=terms.bounty_wan,
        deadline_at=terms.deadline_at,
        success_criteria=terms.success_criteria.strip(),
        deliverables=terms.deliverables.strip(),
        ip_ownership=terms.ip_ownership,
        ip_licence=terms.ip_licence,
        payment_form=terms.payment_form,
        visibility=terms.visibility,
        has_panel=terms.has_panel,
        is_government=terms.is_government,
        weight_feasibility=terms.weights["feasibility"],
        weight_maturity=terms.weights["maturity"],
        weight_price=terms.weights["price"],
        weight_team=terms.weights["team"],
        published_at=now,
    )
    db.session.add(challenge)
    db.session.flush()
    record_audit(
        actor=actor,
        action="challenge.publish",
        object_type="challenge",
        object_id=challenge.id,
        after={
            "need_id": need.id,
            # the state it is published into: a challenge to be reviewed is never open first
            "status": str(NeedStatus.CHALLENGE_REVIEW if reviewed else need.status),
            "deadline_at": terms.deadline_at.isoformat(),
            "visibility": str(terms.visibility),
            "is_government": terms.is_government,
        },
    )
    if reviewed:
        challenge_review.send_for_review(actor=actor, challenge=challenge, now=now)
        return challenge
    notify(
        users=members(need.organisation),
        kind="challenge.published",
        params={"title": need.title, "deadline": local_date(challenge.deadline_at)},
        link=link(challenge),
        email=terms.is_government,
    )
    return challenge


def _check_manager(actor: User, challenge: Challenge) -> None:
    if not can_manage_challenge(actor, challenge):
        raise NotFound


def invite_organisations(
    *, actor: User, challenge: Challenge, organisations: list[Organisation]
) -> list[ChallengeInvitation]:
    """Invite organisations to apply (works for public and invite-only challenges alike).

    Each organisation is invited once per challenge; the organisations the inviter's
    organisation invites are counted against CHALLENGE_INVITE_LIMIT_PER_ORGANISATION
    (`mail_throttle`, SECURITY.md row 5 and 8): past it LimitReached, nothing invited."""
    _check_manager(actor, challenge)
    CHALLENGE.check(challenge.need, "invite", _("榜单已截止，不能再邀请。"))
    invited = {i.organisation_id for i in challenge.invitations}
    chosen: list[Organisation] = []
    for org in organisations:
        if org.id in invited or org.id == challenge.organisation_id or not org.is_verified:
            continue
        invited.add(org.id)
        chosen.append(org)
    mail_throttle.spend(
        ("challenge-invite-org", actor.organisation_id or f"user:{actor.id}"),
        messages={
            "challenge-invite-org": lambda wait: _(
                "你的机构近期邀请的机构已达上限，请 %(wait)s后再试。", wait=wait
            )
        },
        field="organisation_ids",
        cost=len(chosen),
    )
    created = []
    for org in chosen:
        invitation = ChallengeInvitation(
            challenge=challenge, organisation=org, invited_by_id=actor.id
        )
        db.session.add(invitation)
        created.append(invitation)
        notify(
            users=members(org),
            kind="challenge.invited",
            params={
                "title": challenge.need.title,
                "org": challenge.need.organisation.name,
                "deadline": local_date(challenge.deadline_at),
            },
            link=link(challenge),
        )
    db.session.flush()
    if created:
        record_audit(
            actor=actor,
            action="challenge.invite",
            object_type="challenge",
            object_id=challenge.id,
            after={"organisation_ids": [i.organisation_id for i in created]},
        )
    return created


#: Who is suggested for a challenge invitation: the research side.
INVITEE_KINDS = ("university", "institute")


def recommended_invitees(
    *, actor: User, challenge: Challenge, k: int = 10
) -> list[matching.OrgMatch]:
    """推荐邀请: universities and institutes ranked by the engine over their public results
    against the challenge's need, each with its best result and shared terms; only those with
    a result above the relevance floor (none rather than every university)."""
    _check_manager(actor, challenge)
    return matching.rank_organisations(
        challenge.need, kinds=INVITEE_KINDS, exclude=(challenge.organisation_id,), k=k
    )


def close_applications(*, actor: User | None, challenge: Challenge, now: datetime | None = None):
    """End the application window (the owner early, or the clock at the deadline).

    With no submitted application the challenge ends unawarded; otherwise it is evaluated.
    """
    if actor is not None:
        _check_manager(actor, challenge)
    now = now or utcnow()
    need = challenge.need
    in_race = [a for a in challenge.applications if a.status in IN_RACE]
    if not in_race:
        reason = _("截止时没有收到揭榜申请。")
        CHALLENGE.step(need, "unaward", **_audit_args(actor, challenge), reason=reason)
        challenge.status_reason = reason
        kind = "challenge.unawarded"
    else:
        CHALLENGE.step(need, "close", **_audit_args(actor, challenge))
        kind = "challenge.closed"
    challenge.closed_at = now
    notify(
        users=members(need.organisation),
        kind=kind,
        params={"title": need.title, "n": len(in_race)},
        link=link(challenge),
    )
    return need.status


def end_unawarded(*, actor: User, challenge: Challenge, reason: str) -> None:
    """The owner ends a challenge without choosing anyone; applicants are told why."""
    _check_manager(actor, challenge)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": _("请填写原因。")})
    need = challenge.need
    CHALLENGE.step(need, "unaward", **_audit_args(actor, challenge), reason=reason)
    challenge.status_reason = reason
    challenge.closed_at = challenge.closed_at or utcnow()
    _tell_applicants(challenge, "challenge.unawarded", reason)


def withdraw_challenge(*, actor: User, challenge: Challenge, reason: str) -> None:
    """Take an open challenge down (the need goes with it); applicants are told why."""
    _check_manager(actor, challenge)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": _("请填写原因。")})
    from matchmaker.services.market import publication

    need = challenge.need
    CHALLENGE.step(need, "withdraw", **_audit_args(actor, challenge), reason=reason)
    challenge.status_reason = reason
    publication.unpublish(need)
    _tell_applicants(challenge, "challenge.withdrawn", reason)


def _tell_applicants(challenge: Challenge, kind: str, reason: str) -> None:
    orgs = [a.organisation for a in challenge.applications if a.status in IN_RACE]
    notify(
        users=members(*orgs),
        kind=kind,
        params={"title": challenge.need.title, "n": len(orgs), "reason": reason},
        link=link(challenge),
    )


def _audit_args(actor: User | None, challenge: Challenge) -> dict[str, Any]:
    return {"actor": actor, "object_type": "challenge", "audit_id": challenge.id}


def get_managed_challenge(*, actor: User, challenge_id: int) -> Challenge:
    """A challenge the actor manages, or NotFound."""
    challenge = db.session.get(Challenge, challenge_id)
    if challenge is None or not can_manage_challenge(actor, challenge):
        raise NotFound
    return challenge


def organisation_applications(*, organisation_id: int) -> list[Application]:
    """Every application of an organisation (the applicant's pipeline), newest first."""
    return list(
        db.session.scalars(
            sa.select(Application)
            .where(Application.organisation_id == organisation_id)
            .order_by(Application.updated_at.desc(), Application.id.desc())
        )
    )


def close_due_challenges(*, now: datetime | None = None) -> int:
    """Close every open challenge whose deadline has passed; safe to run repeatedly."""
    now = now or utcnow()
    due = db.session.scalars(
        sa.select(Challenge)
        .join(Need, Challenge.need_id == Need.id)
        .where(Need.status == NeedStatus.OPEN, Challenge.deadline_at <= now)
        .order_by(Challenge.id)
    ).all()
    for challenge in due:
        close_applications(actor=None, challenge=challenge, now=now)
    db.session.flush()
    return len(due)


def tick(*, now: datetime | None = None) -> dict[str, int]:
    """The cron entry point: close due application windows, remind and flag trials."""
    from matchmaker.services.challenges.trials import process_trials

    now = now or utcnow()
    closed = close_due_challenges(now=now)
    trials = process_trials(now=now)
    return {"closed": closed, **trials}
