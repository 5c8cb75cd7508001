"""Review panels: members (owner-org reviewers or invited experts), scores and combined results.

Conflict of interest: nobody from an applicant's organisation may sit on the panel of a
challenge it applied to, nor score that organisation's application.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import (
    Application,
    ApplicationStatus,
    Challenge,
    PanelMember,
    Score,
    User,
)
from matchmaker.permissions import (
    can_manage_challenge,
    can_score_application,
    can_view_application,
    is_panel_member,
)
from matchmaker.services.challenges.challenge_states import APPLICATION, CHALLENGE
from matchmaker.services.challenges.challenges import link
from matchmaker.services.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from matchmaker.services.platform.audit import record_audit
from matchmaker.services.platform.notifications import notify

CRITERIA = ("feasibility", "maturity", "price", "team")


def check_panel_open(challenge: Challenge) -> None:
    """Refuse unless the challenge has a panel and its state allows changing it."""
    if not challenge.has_panel:
        raise InvalidTransition(_("这个榜单没有设置评审专家组。"))
    CHALLENGE.check(challenge.need, "review", _("榜单当前状态下不能调整专家组。"))


def _seat(*, actor: User, challenge: Challenge, user: User, added_by: User) -> PanelMember:
    """The panel's rules, then the seat and its audit record (`actor` did it, `added_by` chose
    the reviewer: the same person, or the manager who invited them)."""
    check_panel_open(challenge)
    if not user.is_active:
        raise ValidationFailed({"user": _("该用户已停用。")})
    applicant_orgs = {
        a.organisation_id for a in challenge.applications if a.status != ApplicationStatus.DRAFT
    }
    if user.organisation_id is not None and user.organisation_id in applicant_orgs:
        raise PermissionDenied(_("利益冲突：评审专家不能来自揭榜申请方所在机构。"))
    if is_panel_member(user, challenge):
        raise ValidationFailed({"user": _("该用户已在专家组中。")})
    member = PanelMember(
        challenge=challenge,
        user=user,
        is_expert=user.organisation_id != challenge.organisation_id,
        added_by_id=added_by.id,
    )
    db.session.add(member)
    db.session.flush()
    after: dict[str, object] = {"user_id": user.id, "is_expert": member.is_expert}
    if added_by.id != actor.id:
        after["invited_by_id"] = added_by.id
    record_audit(
        actor=actor,
        action="challenge.panel_add",
        object_type="challenge",
        object_id=challenge.id,
        after=after,
    )
    return member


def add_panel_member(*, actor: User, challenge: Challenge, user: User) -> PanelMember:
    """Put a reviewer on the panel; refused for anyone from an applicant's organisation."""
    if not can_manage_challenge(actor, challenge):
        raise NotFound
    member = _seat(actor=actor, challenge=challenge, user=user, added_by=actor)
    notify(
        users=[user],
        kind="panel.added",
        params={"title": challenge.need.title},
        link=link(challenge),
    )
    return member


def can_still_invite(inviter: User, challenge: Challenge) -> bool:
    """Whether an invitation `inviter` sent to the panel still holds: they are active and
    still manage the challenge."""
    return inviter.is_active and can_manage_challenge(inviter, challenge)


def join_panel(*, actor: User, challenge: Challenge, inviter: User) -> PanelMember:
    """The reviewer a manager of the challenge invited takes their seat, under the same rules
    as add_panel_member; the inviter must still manage the challenge, and is told."""
    if not can_still_invite(inviter, challenge):
        raise NotFound
    member = _seat(actor=actor, challenge=challenge, user=actor, added_by=inviter)
    notify(
        users=[inviter],
        kind="panel.accepted",
        params={"title": challenge.need.title, "name": actor.name},
        link=f"/my/challenges/{challenge.id}/pipeline",
    )
    return member


def score_application(
    *,
    actor: User,
    application: Application,
    feasibility: int,
    maturity: int,
    price: int,
    team: int,
    comment: str = "",
) -> Score:
    """A panel member scores a finalist 0–10 on each criterion (again to revise)."""
    if not can_view_application(actor, application) or not is_panel_member(
        actor, application.challenge
    ):
        raise NotFound
    if not can_score_application(actor, application):
        raise PermissionDenied(_("利益冲突：不能评审本机构的揭榜申请。"))
    APPLICATION.check(application, "score", _("只有进入终审的申请可以评分。"))
    CHALLENGE.check(application.challenge.need, "review", _("榜单当前状态下不能评分。"))
    values = {"feasibility": feasibility, "maturity": maturity, "price": price, "team": team}
    errors = {
        k: [_("评分应为 0 到 10 的整数。")]
        for k, v in values.items()
        if not isinstance(v, int) or not 0 <= v <= 10
    }
    if errors:
        raise ValidationFailed(errors)
    member = next(m for m in application.challenge.panel_members if m.user_id == actor.id)
    score = next((s for s in application.scores if s.panel_member_id == member.id), None)
    before = {k: getattr(score, k) for k in CRITERIA} if score else {}
    if score is None:
        score = Score(panel_member=member, application=application)
        db.session.add(score)
    for k, v in values.items():
        setattr(score, k, v)
    score.comment = (comment or "").strip()
    db.session.flush()
    record_audit(
        actor=actor,
        action="application.score",
        object_type="application",
        object_id=application.id,
        before=before,
        after=values,
    )
    return score


@dataclass(frozen=True)
class ScoreRow:
    """One application's scores side by side, with averages and the weighted total (0–10)."""

    application: Application
    by_member: dict[int, dict[str, int]]  # panel member id -> criterion -> score
    averages: dict[str, float]
    total: float | None  # None until someone scored it


def combined_scores(*, actor: User, challenge: Challenge) -> list[ScoreRow]:
    """The finalists' scores combined with the challenge's weights, best first."""
    if not (can_manage_challenge(actor, challenge) or is_panel_member(actor, challenge)):
        raise NotFound
    weights = challenge.weights
    weight_sum = sum(weights.values())
    rows = []
    for application in challenge.applications:
        if application.status not in (ApplicationStatus.FINALIST, ApplicationStatus.SELECTED):
            continue
        by_member = {
            s.panel_member_id: {k: getattr(s, k) for k in CRITERIA} for s in application.scores
        }
        if by_member:
            averages = {k: sum(m[k] for m in by_member.values()) / len(by_member) for k in CRITERIA}
            total = round(sum(weights[k] * averages[k] for k in CRITERIA) / weight_sum, 2)
        else:
            averages, total = {}, None
        rows.append(ScoreRow(application, by_member, averages, total))
    return sorted(rows, key=lambda r: (r.total is None, -(r.total or 0), r.application.id))
