"""What an enquiry can be about: a public result, a public need or a public expert profile.

One place for the rules every enquiry (an organisation's own, or a broker's introduction) goes
through about its target: it exists and is public, it belongs to another organisation, that
organisation can receive enquiries and neither side blocks the other; one open enquiry per
(organisation, target).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import (
    OPEN_ENQUIRY_STATES,
    Enquiry,
    ExpertProfile,
    Need,
    Result,
    User,
)
from matchmaker.models.base import utcnow
from matchmaker.services.connect.blocks import is_blocked
from matchmaker.services.connect.enquiry_states import members
from matchmaker.services.errors import InvalidTransition, NotFound, PermissionDenied
from matchmaker.services.market.publication import public_publication
from matchmaker.services.talent import expert_public

#: Anything an enquiry is about.
Target = Result | Need | ExpertProfile
KINDS = ("result", "need", "expert")
_MAX_ID = 2**31


def kind_label(kind: str) -> str:
    """成果 / 需求 / 专家, in the reader's language."""
    return {"result": _("成果"), "need": _("需求")}.get(kind, _("专家"))


def expert_is_public(expert: ExpertProfile) -> bool:
    """Published, or shown through its approved snapshot while an edit waits for review."""
    return expert_public.is_public(expert)


def public_expert(expert_id: int) -> ExpertProfile | None:
    """The expert profile if the public sees it now, else None."""
    if not 0 < expert_id < _MAX_ID:
        return None
    expert = db.session.get(ExpertProfile, expert_id)
    return expert if expert is not None and expert_is_public(expert) else None


def expert_name(expert: ExpertProfile) -> str:
    """The name the public sees (the approved snapshot's while an edit waits for review)."""
    snapshot = expert.public_snapshot
    name = snapshot.get("name") if isinstance(snapshot, dict) else None
    return str(name or expert.name)


def title_of(target: Target) -> str:
    """What people call the target: a listing's title, an expert's name."""
    if isinstance(target, ExpertProfile):
        return expert_name(target)
    return target.title


def subject_title(enquiry: Enquiry) -> str:
    """The title of what an enquiry is about (an expert's name for an enquiry to an expert)."""
    return title_of(enquiry.listing)


def subject_path(kind: str, target_id: int) -> str:
    """The public page of a target, as a path (services never call url_for)."""
    return f"/experts/{target_id}" if kind == "expert" else f"/{kind}s/{target_id}"


def load_target(kind: str, target_id: int | None) -> Target:
    """The result, need or expert of that id (NotFound for anything malformed or missing)."""
    if kind not in KINDS or target_id is None or not 0 < target_id < _MAX_ID:
        raise NotFound
    target: Target | None
    if kind == "result":
        target = db.session.get(Result, target_id)
    elif kind == "need":
        target = db.session.get(Need, target_id)
    else:
        target = db.session.get(ExpertProfile, target_id)
    if target is None:
        raise NotFound
    return target


def check_public(target: Target, now: datetime | None = None) -> None:
    """NotFound for a target never public (nobody may know it); 409 once it left the lists."""
    now = now or utcnow()
    kind = kind_label(target.KIND)
    if isinstance(target, ExpertProfile):
        if expert_is_public(target):
            return
        if target.published_at is None:
            raise NotFound
        raise InvalidTransition(_("这位专家的档案已撤下或已过期，不能再发起对接。"))
    if public_publication(target.KIND, target.id, now=now) is None:
        if target.published_at is None:
            raise NotFound
        raise InvalidTransition(_("这条%(kind)s已下架或已过期，不能再发起对接。", kind=kind))


def check_target(sender_org_id: int | None, target: Target, now: datetime | None = None) -> None:
    """`sender_org_id` may send an enquiry on the target: another organisation's, public, its
    owner able to receive enquiries, neither side blocking the other."""
    if target.organisation_id == sender_org_id:
        if isinstance(target, ExpertProfile):
            raise InvalidTransition(_("不能向本机构的专家发起对接。"))
        raise InvalidTransition(
            _("不能向本机构发布的%(kind)s发起对接。", kind=kind_label(target.KIND))
        )
    check_public(target, now)
    owner = target.organisation
    if not owner.is_verified or not members(owner):
        raise InvalidTransition(_("对方机构未通过认证或已停用，暂时不能接收对接请求。"))
    if sender_org_id is None:
        return
    if is_blocked(owner.id, sender_org_id):
        raise PermissionDenied(_("对方机构暂不接受你的机构发起的对接。"))
    if is_blocked(sender_org_id, owner.id):
        raise PermissionDenied(_("你的机构已屏蔽对方机构，请先解除屏蔽。"))


def target_column(kind: str) -> sa.orm.InstrumentedAttribute[int | None]:
    """The enquiry column naming a target of this kind."""
    return {"result": Enquiry.result_id, "need": Enquiry.need_id}.get(kind, Enquiry.expert_id)


def set_target(enquiry: Enquiry, target: Target) -> None:
    """Point the enquiry at the target (exactly one of result, need, expert)."""
    if isinstance(target, Result):
        enquiry.result_id = target.id
    elif isinstance(target, Need):
        enquiry.need_id = target.id
    else:
        enquiry.expert_id = target.id


def open_enquiry(org_id: int, target: Target) -> Enquiry | None:
    """The organisation's enquiry on this target that is still going, if any."""
    return db.session.scalar(
        sa.select(Enquiry).where(
            Enquiry.sender_org_id == org_id,
            target_column(target.KIND) == target.id,
            Enquiry.status.in_(OPEN_ENQUIRY_STATES),
        )
    )


def duplicate(target: Target) -> InvalidTransition:
    """The refusal of a second open enquiry by one organisation on one target."""
    if isinstance(target, ExpertProfile):
        return InvalidTransition(_("你的机构已向这位专家发起过对接，请在对接记录中继续。"))
    return InvalidTransition(
        _(
            "你的机构已就这条%(kind)s发起过对接，请在对接记录中继续。",
            kind=kind_label(target.KIND),
        )
    )


def keepers(target: Target) -> list[User]:
    """Who hears of an enquiry on the target: its organisation's members (and the expert's own
    account, for an expert profile)."""
    people = members(target.organisation)
    own = target.user if isinstance(target, ExpertProfile) else None
    if own is not None and own.is_active and all(person.id != own.id for person in people):
        people.append(own)
    return people
