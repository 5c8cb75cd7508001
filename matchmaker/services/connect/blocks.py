"""Blocks between organisations: a blocked organisation can send no enquiry or message."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import Organisation, OrganisationBlock, User
from matchmaker.services.connect.enquiry_states import clean_text, is_member
from matchmaker.services.errors import InvalidTransition, NotFound, PermissionDenied
from matchmaker.services.platform.audit import record_audit


def is_blocked(blocker_org_id: int | None, other_org_id: int | None) -> bool:
    """Whether `blocker_org_id` blocked `other_org_id`."""
    if blocker_org_id is None or other_org_id is None:
        return False
    found = db.session.scalar(
        sa.select(OrganisationBlock.id).where(
            OrganisationBlock.blocker_org_id == blocker_org_id,
            OrganisationBlock.blocked_org_id == other_org_id,
        )
    )
    return found is not None


def _own_org(actor: Any) -> int:
    org_id = getattr(actor, "organisation_id", None)
    if org_id is None or not is_member(actor, org_id):
        raise PermissionDenied(_("只有机构成员可以屏蔽其他机构。"))
    return int(org_id)


def _block_row(blocker_org_id: int, organisation_id: int) -> OrganisationBlock | None:
    return db.session.scalar(
        sa.select(OrganisationBlock).where(
            OrganisationBlock.blocker_org_id == blocker_org_id,
            OrganisationBlock.blocked_org_id == organisation_id,
        )
    )


def block_organisation(*, actor: User, organisation_id: int, reason: str = "") -> OrganisationBlock:
    """The actor's organisation stops accepting enquiries and messages from another one."""
    own = _own_org(actor)
    other = db.session.get(Organisation, organisation_id) if 0 < organisation_id < 2**31 else None
    if other is None:
        raise NotFound
    if other.id == own:
        raise InvalidTransition(_("不能屏蔽本机构。"))
    text = clean_text(reason, "reason", empty="", required=False)
    block = OrganisationBlock(
        blocker_org_id=own, blocked_org_id=other.id, created_by_id=actor.id, reason=text or None
    )
    try:
        with db.session.begin_nested():
            db.session.add(block)
    except sa.exc.IntegrityError:  # already blocked (perhaps by a colleague just now)
        raise InvalidTransition(_("你的机构已经屏蔽了该机构。")) from None
    record_audit(
        actor=actor,
        action="organisation.block",
        object_type="organisation",
        object_id=other.id,
        after={"blocked_by_org_id": own},
    )
    return block


def unblock_organisation(*, actor: User, organisation_id: int) -> None:
    """Lift a block of the actor's organisation."""
    own = _own_org(actor)
    block = _block_row(own, organisation_id) if 0 < organisation_id < 2**31 else None
    if block is None:
        raise InvalidTransition(_("你的机构没有屏蔽该机构。"))
    record_audit(
        actor=actor,
        action="organisation.unblock",
        object_type="organisation",
        object_id=organisation_id,
        before={"blocked_by_org_id": own},
    )
    db.session.delete(block)
    db.session.flush()


def blocked_organisations(*, actor: User) -> list[Organisation]:
    """The organisations the actor's organisation blocked, by name."""
    org_id = getattr(actor, "organisation_id", None)
    if org_id is None:
        return []
    return list(
        db.session.scalars(
            sa.select(Organisation)
            .join(OrganisationBlock, OrganisationBlock.blocked_org_id == Organisation.id)
            .where(OrganisationBlock.blocker_org_id == org_id)
            .order_by(Organisation.name)
        )
    )
