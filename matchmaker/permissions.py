"""Roles, permissions, the one ROLE_PERMISSIONS table and object-level can_*() checks."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matchmaker.models import Listing, Organisation, User


class Role(enum.StrEnum):
    """What a user is allowed to do, by the kind of organisation they belong to."""

    ENTERPRISE = "enterprise"
    UNIVERSITY = "university"  # universities and research institutes (TTOs)
    BANK = "bank"
    ADMIN = "admin"  # the science bureau / platform operator


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


_MEMBER = {
    Permission.DASHBOARD_VIEW,
    Permission.ACCOUNT_MANAGE,
    Permission.ORG_INVITE,
    Permission.NOTIFICATIONS_READ,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ENTERPRISE: frozenset(_MEMBER | {Permission.NEED_CREATE, Permission.LISTING_MANAGE}),
    Role.UNIVERSITY: frozenset(_MEMBER | {Permission.RESULT_CREATE, Permission.LISTING_MANAGE}),
    Role.BANK: frozenset(_MEMBER | {Permission.FIRM_BROWSE}),
    Role.ADMIN: frozenset(
        {
            Permission.DASHBOARD_VIEW,
            Permission.ACCOUNT_MANAGE,
            Permission.ORG_VERIFY,
            Permission.USER_MANAGE,
            Permission.AUDIT_READ,
            Permission.LISTING_REVIEW,
            Permission.TAXONOMY_MANAGE,
            Permission.NOTIFICATIONS_READ,
        }
    ),
}


def has_permission(user: Any, permission: Permission) -> bool:
    """Whether an (possibly anonymous) user holds a permission through their role."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return permission in ROLE_PERMISSIONS.get(user.role, frozenset())


def can_publish(user: User) -> bool:
    """Only members of verified organisations may submit anything for publication."""
    org = user.organisation
    return bool(user.is_active and org is not None and org.is_verified)


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
    org = user.organisation
    return bool(org is not None and org.is_verified)


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
    "Permission": Permission,
}
