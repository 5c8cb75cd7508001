"""Roles, permissions, the one ROLE_PERMISSIONS table and object-level can_*() checks."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _

if TYPE_CHECKING:
    from matchmaker.models import (
        AdoptionRequest,
        Application,
        Challenge,
        ConversionOffer,
        Deal,
        Event,
        FinancingNeed,
        Lead,
        Listing,
        LoanProduct,
        Organisation,
        User,
    )


class Role(enum.StrEnum):
    """What a user is allowed to do, by the kind of organisation they belong to."""

    ENTERPRISE = "enterprise"
    UNIVERSITY = "university"  # universities and research institutes (TTOs)
    BANK = "bank"
    ADMIN = "admin"  # the science bureau / platform operator
    BROKER = "broker"  # 技术经纪人: acts only once the admin verified the licence
    BUREAU = "bureau"  # 科技局 reader: the bureau's dashboard, reports and events, read-only


class Permission(enum.StrEnum):
    """A coarse capability; object checks (can_*) refine it."""

    DASHBOARD_VIEW = "dashboard:view"
    ACCOUNT_MANAGE = "account:manage"
    ORG_INVITE = "org:invite"
    NEED_CREATE = "need:create"
    RESULT_CREATE = "result:create"
    FIRM_BROWSE = "firm:browse"
    ORG_VERIFY = "org:verify"
    USER_MANAGE = "user:manage"
    AUDIT_READ = "audit:read"
    LISTING_REVIEW = "listing:review"
    TAXONOMY_MANAGE = "taxonomy:manage"
    LISTING_MANAGE = "listing:manage"
    NOTIFICATIONS_READ = "notifications:read"
    CHALLENGE_PUBLISH = "challenge:publish"  # publish a challenge on one's own open need
    CHALLENGE_APPLY = "challenge:apply"  # 揭榜: apply to a challenge of the kinds in APPLY_KINDS
    CHALLENGE_GOVERNMENT = "challenge:government"  # publish a 政府榜
    OFFER_PUBLISH = "offer:publish"  # put one's listed result on the conversion list
    ADOPTION_REQUEST = "adoption:request"  # apply to adopt a result from the conversion list
    # 科技金融
    FIRM_PROFILE = "firm:profile"  # keep one's 企业画像, consent, financing needs; answer leads
    LOAN_PRODUCT = "loan:product"  # publish loan products, shortlist firms, run leads
    SCORE_FORMULA = "score:formula"  # edit the 创新积分 weights
    FINANCE_EVENT_MANAGE = "finance_event:manage"  # create 银企对接 events
    FINANCE_EVENT_JOIN = "finance_event:join"  # register one's organisation for an event
    FINANCE_STATS = "finance:stats"  # see the platform's lending figures
    # 人才 and 技术经纪人
    BROKER_ACT = "broker:act"  # follow needs and introduce (a verified broker only)
    BROKER_VERIFY = "broker:verify"  # verify brokers' licences, assign needs to brokers
    # the bureau's view (科技局)
    STATS_VIEW = "stats:view"  # the bureau's dashboard, drill-downs, downloads, monthly report
    TARGETS_EDIT = "targets:edit"  # edit the city's targets
    EVENT_MANAGE = "event:manage"  # create and run events of every kind (check-in, outcomes)
    EVENT_JOIN = "event:join"  # register one's organisation for an event
    SCENARIO_PUBLISH = "scenario:publish"  # publish a 场景 on behalf of its owner


_MEMBER = {
    Permission.DASHBOARD_VIEW,
    Permission.ACCOUNT_MANAGE,
    Permission.ORG_INVITE,
    Permission.NOTIFICATIONS_READ,
    Permission.EVENT_JOIN,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ENTERPRISE: frozenset(
        _MEMBER
        | {
            Permission.NEED_CREATE,
            Permission.LISTING_MANAGE,
            Permission.CHALLENGE_PUBLISH,
            Permission.CHALLENGE_APPLY,  # 场景 only (APPLY_KINDS)
            Permission.ADOPTION_REQUEST,
            Permission.FIRM_PROFILE,
            Permission.FINANCE_EVENT_JOIN,
        }
    ),
    Role.UNIVERSITY: frozenset(
        _MEMBER
        | {
            Permission.RESULT_CREATE,
            Permission.LISTING_MANAGE,
            Permission.CHALLENGE_APPLY,
            Permission.OFFER_PUBLISH,
        }
    ),
    Role.BANK: frozenset(
        _MEMBER
        | {
            Permission.FIRM_BROWSE,
            Permission.LOAN_PRODUCT,
            Permission.FINANCE_EVENT_MANAGE,
            Permission.FINANCE_EVENT_JOIN,
        }
    ),
    Role.BROKER: frozenset(
        {
            Permission.DASHBOARD_VIEW,
            Permission.ACCOUNT_MANAGE,
            Permission.NOTIFICATIONS_READ,
            Permission.BROKER_ACT,
        }
    ),
    Role.BUREAU: frozenset(
        {
            Permission.DASHBOARD_VIEW,
            Permission.ACCOUNT_MANAGE,
            Permission.NOTIFICATIONS_READ,
            Permission.STATS_VIEW,
        }
    ),
    Role.ADMIN: frozenset(
        {
            Permission.STATS_VIEW,
            Permission.TARGETS_EDIT,
            Permission.EVENT_MANAGE,
            Permission.SCENARIO_PUBLISH,
            Permission.BROKER_VERIFY,
            Permission.DASHBOARD_VIEW,
            Permission.ACCOUNT_MANAGE,
            Permission.ORG_VERIFY,
            Permission.USER_MANAGE,
            Permission.AUDIT_READ,
            Permission.LISTING_REVIEW,
            Permission.TAXONOMY_MANAGE,
            Permission.NOTIFICATIONS_READ,
            Permission.CHALLENGE_GOVERNMENT,
            Permission.SCORE_FORMULA,
            Permission.FINANCE_EVENT_MANAGE,
            Permission.FINANCE_STATS,
        }
    ),
}


def has_permission(user: Any, permission: Permission) -> bool:
    """Whether an (possibly anonymous) user holds a permission through their role."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return permission in ROLE_PERMISSIONS.get(user.role, frozenset())


def can_publish(user: User) -> bool:
    """Only members of verified organisations, with a verified e-mail, may submit anything."""
    org = user.organisation
    return bool(
        user.is_active
        and user.email_verified_at is not None
        and org is not None
        and org.is_verified
    )


def publish_refusal(user: User, unverified_organisation: str) -> str | None:
    """Why `user` may not submit anything yet (None when it may): the e-mail first, then the
    organisation's verification (`unverified_organisation` says it for the action at hand)."""
    if can_publish(user):
        return None
    if user.is_active and user.email_verified_at is None:
        return _("请先打开验证邮件里的链接验证邮箱，验证后才能提交。")
    return unverified_organisation


def can_invite_to(user: Any, org: Organisation) -> bool:
    """Members may invite colleagues into their own organisation only."""
    return has_permission(user, Permission.ORG_INVITE) and user.organisation_id == org.id


def can_verify_organisation(user: Any, org: Organisation) -> bool:
    """Admins verify organisations other than government bodies they belong to."""
    return has_permission(user, Permission.ORG_VERIFY) and user.organisation_id != org.id


def can_manage_user(actor: Any, target: User) -> bool:
    """Admins manage other users' accounts, never their own (no self-lockout)."""
    return has_permission(actor, Permission.USER_MANAGE) and actor.id != target.id


#: The permission that lets a role create and manage listings of each kind.
LISTING_PERMISSION = {"result": Permission.RESULT_CREATE, "need": Permission.NEED_CREATE}


def can_manage_listing(user: Any, listing: Listing) -> bool:
    """Members of the owning organisation whose role creates this kind of listing."""
    return (
        has_permission(user, LISTING_PERMISSION[listing.KIND])
        and user.organisation_id == listing.organisation_id
    )


def can_view_listing(user: Any, listing: Listing) -> bool:
    """Who may see a listing's working copy (drafts, pending edits): its owners and reviewers."""
    return can_manage_listing(user, listing) or has_permission(user, Permission.LISTING_REVIEW)


def can_see_contact(user: Any) -> bool:
    """Staged disclosure: contact details only for logged-in members of verified organisations."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if has_permission(user, Permission.LISTING_REVIEW):
        return True
    if has_permission(user, Permission.BROKER_ACT):
        return is_verified_broker(user)  # a verified broker sees what a verified member sees
    org = user.organisation
    return bool(org is not None and org.is_verified)


def is_verified_broker(user: Any) -> bool:
    """Whether `user` is an active 技术经纪人 whose licence the admin verified."""
    if not has_permission(user, Permission.BROKER_ACT) or not user.is_active:
        return False
    import sqlalchemy as sa  # here: models import this module

    from matchmaker.extensions import db
    from matchmaker.models import BrokerProfile, BrokerStatus

    return (
        db.session.scalar(
            sa.select(BrokerProfile.id).where(
                BrokerProfile.user_id == user.id, BrokerProfile.status == BrokerStatus.VERIFIED
            )
        )
        is not None
    )


# --- 揭榜挂帅 ----------------------------------------------------------------------------------
def _member_of(user: Any, organisation_id: int | None) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and organisation_id is not None
        and user.organisation_id == organisation_id
    )


def can_manage_challenge(user: Any, challenge: Challenge) -> bool:
    """The owner organisation's members; for a 政府榜 also the government admins."""
    if challenge.is_government and has_permission(user, Permission.CHALLENGE_GOVERNMENT):
        return True
    return has_permission(user, Permission.CHALLENGE_PUBLISH) and _member_of(
        user, challenge.organisation_id
    )


def is_panel_member(user: Any, challenge: Challenge) -> bool:
    """Whether the user sits on the challenge's review panel."""
    uid = getattr(user, "id", None)
    return uid is not None and any(m.user_id == uid for m in challenge.panel_members)


#: The kinds of challenge (ChallengeKind values) each role holding CHALLENGE_APPLY may 揭榜:
#: universities and institutes every 榜 and 场景; firms the 场景 (application scenarios) only,
#: since on the 企业技术需求榜 the solvers are the universities and institutes (a firm's side of
#: 揭榜 is adopting a result from the conversion list). Opening the 榜 to firms is one entry here.
APPLY_KINDS: dict[Role, frozenset[str]] = {
    Role.UNIVERSITY: frozenset({"challenge", "scenario"}),
    Role.ENTERPRISE: frozenset({"scenario"}),
}


def can_apply_to_challenge(user: Any, challenge: Challenge) -> bool:
    """The one rule of who may 揭榜 a challenge: members of verified organisations whose role
    applies to its kind (APPLY_KINDS), never the owner organisation; invited ones only when
    the challenge is invite-only."""
    if not has_permission(user, Permission.CHALLENGE_APPLY) or not can_publish(user):
        return False
    if challenge.kind not in APPLY_KINDS.get(user.role, frozenset()):
        return False
    if user.organisation_id == challenge.organisation_id:
        return False
    if challenge.visibility == "invite_only":
        return any(i.organisation_id == user.organisation_id for i in challenge.invitations)
    return True


def can_manage_application(user: Any, application: Application) -> bool:
    """Members of the applicant organisation who may 揭榜 (edit, submit, withdraw)."""
    return has_permission(user, Permission.CHALLENGE_APPLY) and _member_of(
        user, application.organisation_id
    )


def can_view_application(user: Any, application: Application) -> bool:
    """The applicant org; once submitted, also the owner org, the panel and admins."""
    if _member_of(user, application.organisation_id):
        return True
    if application.status == "draft":
        return False
    challenge = application.challenge
    return (
        can_manage_challenge(user, challenge)
        or is_panel_member(user, challenge)
        or has_permission(user, Permission.LISTING_REVIEW)
    )


def can_score_application(user: Any, application: Application) -> bool:
    """Panel members who are not from the applicant's organisation (conflict of interest)."""
    return is_panel_member(user, application.challenge) and not _member_of(
        user, application.organisation_id
    )


def can_manage_offer(user: Any, offer: ConversionOffer) -> bool:
    """Members of the organisation that owns the result on the conversion list."""
    return has_permission(user, Permission.OFFER_PUBLISH) and _member_of(
        user, offer.organisation_id
    )


def can_view_adoption(user: Any, request: AdoptionRequest) -> bool:
    """The requesting organisation, the offering organisation and admins."""
    return (
        _member_of(user, request.organisation_id)
        or can_manage_offer(user, request.offer)
        or has_permission(user, Permission.LISTING_REVIEW)
    )


def can_view_deal(user: Any, deal: Deal) -> bool:
    """Members of either party, and admins (statistics, disputes)."""
    return (
        _member_of(user, deal.provider_org_id)
        or _member_of(user, deal.client_org_id)
        or has_permission(user, Permission.LISTING_REVIEW)
    )


def can_deliver_deal(user: Any, deal: Deal) -> bool:
    """The provider (solver / result owner) submits milestone evidence."""
    return _member_of(user, deal.provider_org_id)


def can_accept_deal(user: Any, deal: Deal) -> bool:
    """The client (challenge owner / adopter) adds milestones, accepts, terminates."""
    return _member_of(user, deal.client_org_id)


# --- 科技金融 ----------------------------------------------------------------------------------
def can_manage_firm_profile(user: Any, organisation_id: int | None) -> bool:
    """Members of the enterprise keep its profile, consent and financing needs."""
    return has_permission(user, Permission.FIRM_PROFILE) and _member_of(user, organisation_id)


def can_manage_financing_need(user: Any, need: FinancingNeed) -> bool:
    """Members of the enterprise that posted the financing need."""
    return can_manage_firm_profile(user, need.organisation_id)


def can_manage_product(user: Any, product: LoanProduct) -> bool:
    """Members of the bank that owns the loan product."""
    return has_permission(user, Permission.LOAN_PRODUCT) and _member_of(user, product.bank_org_id)


def can_work_lead(user: Any, lead: Lead) -> bool:
    """The bank's side of a lead (withdraw, contact, approve, reject, disburse)."""
    return has_permission(user, Permission.LOAN_PRODUCT) and _member_of(user, lead.bank_org_id)


def can_answer_lead(user: Any, lead: Lead) -> bool:
    """The firm's side of a lead (accept or decline the contact request)."""
    return can_manage_firm_profile(user, lead.firm_org_id)


def can_view_lead(user: Any, lead: Lead) -> bool:
    """The bank, the firm and the bureau (which counts the figures)."""
    return (
        can_work_lead(user, lead)
        or can_answer_lead(user, lead)
        or has_permission(user, Permission.FINANCE_STATS)
    )


def can_manage_event(user: Any, event: Event) -> bool:
    """The organising bank's members, and every government admin."""
    if has_permission(user, Permission.FINANCE_EVENT_MANAGE) and has_permission(
        user, Permission.FINANCE_STATS
    ):
        return True
    return has_permission(user, Permission.FINANCE_EVENT_MANAGE) and _member_of(
        user, event.organiser_org_id
    )


#: Exposed to templates by a context processor, so a hidden button and a refused URL agree.
TEMPLATE_CHECKS = {
    "has_permission": has_permission,
    "can_publish": can_publish,
    "can_invite_to": can_invite_to,
    "can_verify_organisation": can_verify_organisation,
    "can_manage_user": can_manage_user,
    "can_manage_listing": can_manage_listing,
    "can_view_listing": can_view_listing,
    "can_see_contact": can_see_contact,
    "is_verified_broker": is_verified_broker,
    "can_manage_challenge": can_manage_challenge,
    "is_panel_member": is_panel_member,
    "can_apply_to_challenge": can_apply_to_challenge,
    "can_manage_application": can_manage_application,
    "can_view_application": can_view_application,
    "can_score_application": can_score_application,
    "can_manage_offer": can_manage_offer,
    "can_view_adoption": can_view_adoption,
    "can_view_deal": can_view_deal,
    "can_deliver_deal": can_deliver_deal,
    "can_accept_deal": can_accept_deal,
    "can_manage_firm_profile": can_manage_firm_profile,
    "can_manage_financing_need": can_manage_financing_need,
    "can_manage_product": can_manage_product,
    "can_work_lead": can_work_lead,
    "can_answer_lead": can_answer_lead,
    "can_view_lead": can_view_lead,
    "can_manage_event": can_manage_event,
    "Permission": Permission,
}
