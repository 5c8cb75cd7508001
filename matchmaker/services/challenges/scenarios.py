"""场景清单: application scenarios, a kind of challenge (`ChallengeKind.SCENARIO`).

A scenario is a real site (a hospital ward, a factory line, a city's streets) that its owner
(场景方, e.g. 长春市中心医院) offers to try a technology on. A government admin publishes it on
the owner's behalf; universities and firms apply to it (揭榜) like to any challenge, and the
admin screens, shortlists, selects and records the deal with the existing challenge services.

How a scenario fits the challenge machinery, with every special case kept here:

- A challenge hangs on a need, and a need belongs to an organisation. A scenario's need
  belongs to the bureau: the publishing admin's own government organisation (the demo admin is
  a member of 长春市科学技术局), else the platform's oldest verified government organisation.
  The scenario's owner is usually not on the platform, so it is named on the challenge
  (`scenario_owner`, `scenario_site`), not linked. With the bureau as the need's organisation,
  every existing rule applies unchanged: `can_manage_challenge` lets government admins manage
  a 政府榜, applicants are every verified organisation other than the bureau, and the deal of
  the selected application has the bureau as its client (a bureau member accepts milestones).
- The need is created here already open, without a public version (`Publication`): it is the
  scenario's text, not a 技术需求 of the bureau, so it is not on the need lists or in search;
  the scenario is on 场景清单 (`public_scenarios`) and its page is the challenge's page.
- Every scenario is a 政府榜 (`is_government=True`), so it follows the 政府榜 rule of
  challenge_review.py: it waits in the one review queue and is listed only once an admin with
  LISTING_REVIEW approves it (any admin, the publisher included: today's rule asks no second
  person). Scenarios are always public (no invite-only scenario).
- Publishing is checked as a whole before anything is stored (`preview_scenario`), and
  `publish_scenario` checks again (the confirmation page posts the values anew).
- A scenario the reviewer sent back is edited whole, the scenario and its terms, and goes back
  into the review (`check_scenario_resubmission`, then `resubmit_scenario`, which hands the
  terms to challenge_review.resubmit_challenge): it stays a public 政府榜 on the same need.
- Firms apply to scenarios as universities and institutes do (permissions.APPLY_KINDS, the one
  rule for who may 揭榜 what); their application has no source result.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import (
    Challenge,
    ChallengeKind,
    Need,
    NeedStatus,
    Organisation,
    OrgKind,
    OrgStatus,
    TechField,
    User,
    Visibility,
)
from matchmaker.models.base import utcnow
from matchmaker.permissions import Permission, can_manage_challenge, has_permission
from matchmaker.services.challenges import challenge_review, challenges
from matchmaker.services.challenges.browsing import (
    CARD_LOADING,
    CLOSED_STATES,
    SHOWCASE_STATES,
)
from matchmaker.services.challenges.challenge_states import CHALLENGE
from matchmaker.services.challenges.challenges import ChallengeTerms, validate_terms
from matchmaker.services.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from matchmaker.services.platform.audit import record_audit
from matchmaker.services.platform.regions import REGIONS

#: The least a scenario's description says (characters, blanks trimmed).
MIN_DESCRIPTION = 20
#: Scenarios per page of 场景清单.
PER_PAGE = 20


@dataclass(frozen=True)
class ScenarioData:
    """What the admin fills in: the scenario itself, then the terms of any challenge."""

    title: str
    description: str  # the scenario and what its site offers
    field_id: int | None
    region: str
    scenario_owner: str  # 场景方
    scenario_site: str  # where the site is
    terms: ChallengeTerms
    keywords: str = ""


def _check_actor(actor: User) -> None:
    if not has_permission(actor, Permission.SCENARIO_PUBLISH):
        raise PermissionDenied(_("只有平台管理员可以发布应用场景。"))


def bureau_organisation(actor: User) -> Organisation:
    """The government organisation a scenario's need belongs to: the admin's own, else the
    platform's oldest verified government organisation (InvalidTransition when there is none)."""
    own = actor.organisation
    if own is not None and own.kind == OrgKind.GOVERNMENT:
        return own
    org = db.session.scalar(
        sa.select(Organisation)
        .where(Organisation.kind == OrgKind.GOVERNMENT, Organisation.status == OrgStatus.VERIFIED)
        .order_by(Organisation.id)
        .limit(1)
    )
    if org is None:
        raise InvalidTransition(_("平台还没有政府机构（科技局），不能发布应用场景。"))
    return org


def _validate(data: ScenarioData, now: datetime) -> dict[str, list[str]]:
    """Every reason the scenario is refused, with the terms' own, at once."""
    errors: dict[str, list[str]] = {}
    title = data.title.strip()
    if not title:
        errors["title"] = [_("请填写场景名称。")]
    elif len(title) > 200:
        errors["title"] = [_("场景名称不能超过 200 个字。")]
    description = data.description.strip()
    if len(description) < MIN_DESCRIPTION:
        errors["description"] = [
            _("场景介绍至少写 %(min)d 个字，说明场景和现场能提供什么。", min=MIN_DESCRIPTION)
        ]
    if data.field_id is None or db.session.get(TechField, data.field_id) is None:
        errors["field_id"] = [_("请选择技术领域。")]
    if data.region not in REGIONS:
        errors["region"] = [_("请选择所在地区。")]
    if not data.scenario_owner.strip():
        errors["scenario_owner"] = [_("请填写场景方。")]
    elif len(data.scenario_owner.strip()) > 200:
        errors["scenario_owner"] = [_("场景方不能超过 200 个字。")]
    if not data.scenario_site.strip():
        errors["scenario_site"] = [_("请填写场景地点。")]
    elif len(data.scenario_site.strip()) > 200:
        errors["scenario_site"] = [_("场景地点不能超过 200 个字。")]
    try:
        validate_terms(_terms(data), Need(expires_at=None), now)
    except ValidationFailed as failed:
        for name, messages in failed.errors.items():
            errors.setdefault(name, []).extend(messages)
    return errors


def _terms(data: ScenarioData) -> ChallengeTerms:
    """The terms as every scenario publishes them: a public 政府榜."""
    return replace(data.terms, is_government=True, visibility=Visibility.PUBLIC)


def _check(actor: User, data: ScenarioData, now: datetime) -> Organisation:
    _check_actor(actor)
    errors = _validate(data, now)
    if errors:
        raise ValidationFailed(errors)
    return bureau_organisation(actor)


def _need(actor: User, data: ScenarioData, bureau: Organisation) -> Need:
    """The scenario's need (not added to the session)."""
    return Need(
        organisation=bureau,
        organisation_id=bureau.id,  # read by the preview before any flush
        created_by=actor,
        title=data.title.strip(),
        description=data.description.strip(),
        keywords=data.keywords.strip(),
        region=data.region,
        field=db.session.get(TechField, data.field_id) if data.field_id is not None else None,
        expires_at=None,
    )


def preview_scenario(
    *, actor: User, data: ScenarioData, now: datetime | None = None
) -> tuple[Need, ChallengeTerms]:
    """Check a scenario as publish_scenario would, storing nothing; the need and terms to show
    on the confirmation page (the need is transient: never added to the session)."""
    bureau = _check(actor, data, now or utcnow())
    with db.session.no_autoflush:
        need = _need(actor, data, bureau)
    if need in db.session:
        db.session.expunge(need)
    return need, _terms(data)


def publish_scenario(*, actor: User, data: ScenarioData, now: datetime | None = None) -> Challenge:
    """Publish a scenario: its need (the bureau's, open, not on the need lists) and a 政府榜 of
    kind 场景 on it, which waits for the platform's review before it is listed."""
    now = now or utcnow()
    bureau = _check(actor, data, now)
    need = _need(actor, data, bureau)
    need.status = NeedStatus.OPEN  # its review is the challenge's (a 政府榜 is always reviewed)
    need.published_at = now
    db.session.add(need)
    db.session.flush()
    record_audit(
        actor=actor,
        action="need.create",  # labelled 技术需求 · 创建 in the audit log; `scenario` says why
        object_type="need",
        object_id=need.id,
        after={
            "title": need.title,
            "organisation_id": bureau.id,
            "status": str(need.status),
            "scenario": True,
        },
    )
    challenge = challenges.publish_challenge(actor=actor, need=need, terms=_terms(data), now=now)
    challenge.kind = ChallengeKind.SCENARIO
    challenge.scenario_owner = data.scenario_owner.strip()
    challenge.scenario_site = data.scenario_site.strip()
    db.session.flush()
    return challenge


def is_scenario(challenge: Challenge) -> bool:
    """Whether a challenge is a 场景."""
    return challenge.kind == ChallengeKind.SCENARIO


# --- a scenario sent back by the reviewer: edited whole and resubmitted ------------------------
def returned_scenario(*, actor: User, challenge: Challenge) -> Challenge:
    """The scenario to edit and resubmit: NotFound unless the actor manages this scenario,
    InvalidTransition unless the reviewer sent it back."""
    _check_actor(actor)
    if not is_scenario(challenge) or not can_manage_challenge(actor, challenge):
        raise NotFound
    CHALLENGE.check(challenge.need, "edit", _("只有被退回的场景可以修改后重新提交。"))
    return challenge


def scenario_data_of(challenge: Challenge) -> ScenarioData:
    """A scenario as stored, in the shape the admin edits (to prefill the form)."""
    need = challenge.need
    return ScenarioData(
        title=need.title,
        description=need.description,
        field_id=need.field_id,
        region=need.region,
        scenario_owner=challenge.scenario_owner,
        scenario_site=challenge.scenario_site,
        terms=ChallengeTerms(
            deadline_at=challenge.deadline_at,
            success_criteria=challenge.success_criteria,
            deliverables=challenge.deliverables,
            ip_ownership=str(challenge.ip_ownership),
            ip_licence=str(challenge.ip_licence),
            payment_form=str(challenge.payment_form),
            bounty_wan=challenge.bounty_wan,
            visibility=Visibility.PUBLIC,
            has_panel=challenge.has_panel,
            is_government=True,
            weights={
                "feasibility": challenge.weight_feasibility,
                "maturity": challenge.weight_maturity,
                "price": challenge.weight_price,
                "team": challenge.weight_team,
            },
        ),
        keywords=need.keywords,
    )


def check_scenario_resubmission(
    *, actor: User, challenge: Challenge, data: ScenarioData, now: datetime | None = None
) -> tuple[Need, ChallengeTerms]:
    """Check a sent-back scenario's new text and terms as resubmit_scenario would, storing
    nothing; the need and terms to show on the confirmation page (the need is transient)."""
    returned_scenario(actor=actor, challenge=challenge)
    errors = _validate(data, now or utcnow())
    if errors:
        raise ValidationFailed(errors)
    bureau = challenge.need.organisation
    with db.session.no_autoflush:
        need = _need(actor, data, bureau)
    if need in db.session:
        db.session.expunge(need)
    return need, _terms(data)


#: What resubmit_scenario may change besides the terms: the need's text and the scenario's own.
_NEED_FIELDS = ("title", "description", "region", "field_id")
_SCENARIO_FIELDS = ("scenario_owner", "scenario_site")


def resubmit_scenario(
    *, actor: User, challenge: Challenge, data: ScenarioData, now: datetime | None = None
) -> list[str]:
    """Edit a scenario the reviewer sent back, its text, owner, site and terms, and send it for
    review again (still a public 政府榜). Returns the names of what changed."""
    now = now or utcnow()
    check_scenario_resubmission(actor=actor, challenge=challenge, data=data, now=now)
    need = challenge.need
    values: dict[str, object] = {
        "title": data.title.strip(),
        "description": data.description.strip(),
        "region": data.region,
        "field_id": data.field_id,
        "scenario_owner": data.scenario_owner.strip(),
        "scenario_site": data.scenario_site.strip(),
    }
    changed = []
    for name in _NEED_FIELDS + _SCENARIO_FIELDS:
        target = need if name in _NEED_FIELDS else challenge
        if getattr(target, name) != values[name]:
            changed.append(name)
            setattr(target, name, values[name])
    if "field_id" in changed:
        need.field = db.session.get(TechField, data.field_id)
    if changed:
        record_audit(
            actor=actor,
            action="challenge.update",
            object_type="challenge",
            object_id=challenge.id,
            before={"status": str(need.status)},
            after={"status": str(need.status), "fields": changed, "scenario": True},
        )
    terms_changed = challenge_review.resubmit_challenge(
        actor=actor, challenge=challenge, terms=_terms(data), now=now
    )
    return changed + terms_changed


@dataclass(frozen=True)
class ScenarioPage:
    """One page of 场景清单."""

    items: list[Challenge]
    total: int
    page: int
    pages: int


def public_scenarios(
    *,
    field_id: int | None = None,
    region: str = "",
    status: str = "open",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> ScenarioPage:
    """Listed scenarios: open ones (soonest deadline first), closed ones, or done ones (已揭榜 /
    已解决, newest first). Never those under review or sent back."""
    states = {
        "closed": CLOSED_STATES,
        "done": SHOWCASE_STATES,
    }.get(status, (NeedStatus.OPEN,))
    stmt = (
        sa.select(Challenge)
        .join(Need, Challenge.need_id == Need.id)
        .where(
            Challenge.kind == ChallengeKind.SCENARIO,
            Challenge.visibility == Visibility.PUBLIC,
            Need.status.in_(states),
        )
    )
    if field_id:
        stmt = stmt.where(Need.field_id == field_id)
    if region:
        stmt = stmt.where(Need.region == region)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    order = Challenge.deadline_at.asc() if status == "open" else Challenge.deadline_at.desc()
    items = db.session.scalars(
        stmt.order_by(order, Challenge.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .options(*CARD_LOADING)
    )
    return ScenarioPage(items=list(items), total=total, page=page, pages=pages)
