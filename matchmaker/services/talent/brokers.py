"""技术经纪人: registration, the admin's licence review, and who may act as a broker.

The rules every broker action goes through: only a verified broker acts; a broker acts on the
needs it follows (assigned by the admin or claimed, `broker_assignments.py`) and never for or
towards its own organisation. A broker is a member of no organisation: the organisation it
works for is recorded on its profile only, so it never sees an organisation's private data.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.models import (
    BrokerAssignment,
    BrokerProfile,
    BrokerStatus,
    Need,
    Organisation,
    OrgStatus,
    User,
)
from matchmaker.models.base import utcnow
from matchmaker.permissions import Permission, Role, has_permission
from matchmaker.services.accounts.accounts import (
    PersonData,
    SignUpLinks,
    find_user_by_email,
    normalise_email,
    tell_existing_account,
)
from matchmaker.services.accounts.credit_code import normalise_credit_code
from matchmaker.services.accounts.email_verification import send_verification_email
from matchmaker.services.accounts.passwords import hash_password, password_problem
from matchmaker.services.errors import PermissionDenied, ValidationFailed
from matchmaker.services.platform.audit import record_audit
from matchmaker.services.platform.notifications import notify
from matchmaker.services.platform.states import StateMachine

S = BrokerStatus
BROKER = StateMachine(
    "broker",
    {
        "verify": ([S.PENDING, S.REJECTED], S.VERIFIED),
        "reject": ([S.PENDING], S.REJECTED),
        "suspend": ([S.VERIFIED], S.SUSPENDED),
        "reinstate": ([S.SUSPENDED], S.VERIFIED),
    },
    refusal=_l("技术经纪人当前状态下不能进行此操作。"),
)

#: 证书编号: letters, digits and hyphens, 5 to 40 characters, starting with a letter or digit.
LICENCE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9-]{4,39}$")
MAX_FIELDS = 500
MAX_BIO = 2000


def broker_of(user: Any) -> BrokerProfile | None:
    """The broker profile of `user` (None for anyone who is not a broker)."""
    if not has_permission(user, Permission.BROKER_ACT):
        return None
    return db.session.scalar(sa.select(BrokerProfile).where(BrokerProfile.user_id == user.id))


def acting_broker(user: Any) -> BrokerProfile:
    """The broker profile of `user`, refused unless the admin verified its licence."""
    broker = broker_of(user)
    if broker is None:
        raise PermissionDenied(_("只有技术经纪人可以这样做。"))
    if not user.is_active or broker.status != BrokerStatus.VERIFIED:
        raise PermissionDenied(_("管理员核验您的技术经纪人证书后才能跟进需求和引荐。"))
    return broker


def follows(broker: BrokerProfile, need: Need) -> bool:
    """Whether `broker` follows `need` now (a live assignment or claim)."""
    return (
        db.session.scalar(
            sa.select(BrokerAssignment.id).where(
                BrokerAssignment.broker_id == broker.id,
                BrokerAssignment.need_id == need.id,
                BrokerAssignment.ended_at.is_(None),
            )
        )
        is not None
    )


def is_own_organisation(broker: BrokerProfile, organisation_id: int | None) -> bool:
    """Whether `organisation_id` is the broker's own organisation (it may not broker for it)."""
    return broker.organisation_id is not None and broker.organisation_id == organisation_id


# --- registration ---------------------------------------------------------------------------
@dataclass(frozen=True)
class BrokerData:
    """A broker's licence and profile, as typed in at registration."""

    licence_number: str
    issuing_body: str
    organisation: str = (
        ""  # the name or 统一社会信用代码 of a verified organisation; "" = independent
    )
    fields_text: str = ""
    biography: str = ""


def normalise_licence(raw: str) -> str:
    """Full-width characters folded, spaces dropped, upper case (Ａｂ-１２ → AB-12)."""
    text = unicodedata.normalize("NFKC", raw or "")
    return "".join(text.split()).replace("—", "-").replace("－", "-").upper()


def find_organisation(text: str) -> Organisation | None:
    """The verified organisation with this exact name or 统一社会信用代码, if any."""
    text = (text or "").strip()
    if not text:
        return None
    code = normalise_credit_code(text)
    return db.session.scalar(
        sa.select(Organisation)
        .where(
            Organisation.status == OrgStatus.VERIFIED,
            sa.or_(Organisation.name == text, Organisation.credit_code == code),
        )
        .order_by(Organisation.id)
        .limit(1)
    )


def registration_problems(*, person: PersonData, broker: BrokerData) -> dict[str, list[str]]:
    """Every reason a broker registration is refused, field by field (nothing is stored).

    Whether the address already has an account is not among them (SECURITY.md row 8):
    `sign_up_broker` never tells; `register_broker` checks it itself."""
    errors: dict[str, list[str]] = {}
    if not (person.name or "").strip():
        errors["name"] = [_("请填写姓名。")]
    local_part = normalise_email(person.email or "").split("@")[0]
    problem = password_problem(person.password or "", context=(local_part,))
    if problem:
        errors["password"] = [problem]
    licence = normalise_licence(broker.licence_number)
    if not licence:
        errors["licence_number"] = [_("请填写技术经纪人证书编号。")]
    elif not LICENCE_PATTERN.match(licence):
        errors["licence_number"] = [
            _("证书编号格式不正确：应为 5 到 40 位字母、数字或连字符，以字母或数字开头。")
        ]
    elif db.session.scalar(
        sa.select(BrokerProfile.id).where(BrokerProfile.licence_number == licence)
    ):
        errors["licence_number"] = [_("这个证书编号已经登记过。如有疑问，请联系平台管理员。")]
    if not (broker.issuing_body or "").strip():
        errors["issuing_body"] = [_("请填写发证机构。")]
    elif len(broker.issuing_body.strip()) > 200:
        errors["issuing_body"] = [_("发证机构不能超过 200 个字符。")]
    if broker.organisation.strip() and find_organisation(broker.organisation) is None:
        errors["organisation"] = [
            _("没有找到这个已认证的机构：请填写机构全称或统一社会信用代码，独立经纪人请留空。")
        ]
    if len(broker.fields_text or "") > MAX_FIELDS:
        errors["fields_text"] = [_("服务领域不能超过 %(max)d 个字符。", max=MAX_FIELDS)]
    if len(broker.biography or "") > MAX_BIO:
        errors["biography"] = [_("个人简介不能超过 %(max)d 个字符。", max=MAX_BIO)]
    return errors


def register_broker(
    *,
    person: PersonData,
    broker: BrokerData,
    verify_link_for: Callable[[str], str] | None = None,
) -> User:
    """Create a broker's account and its licence profile, pending the admin's verification.

    All problems are reported at once; the address is unverified until the link mailed to it
    is opened (`verify_link_for` builds it; None: no mail). An address that already has an
    account is refused on the email field: for the seed; the public page uses
    `sign_up_broker`, which never tells."""
    errors = registration_problems(person=person, broker=broker)
    if person.email and find_user_by_email(person.email) is not None:
        errors["email"] = [_("这个邮箱已经注册过了。")]
    if errors:
        raise ValidationFailed(errors)
    return _create_broker(person=person, broker=broker, verify_link_for=verify_link_for)


def sign_up_broker(*, person: PersonData, broker: BrokerData, links: SignUpLinks) -> User | None:
    """The public broker registration: `register_broker`, except that it never tells whether
    the address already has an account (SECURITY.md row 8). For one that has, nothing is
    stored, its owner is mailed how to log in (`tell_existing_account`) and None is returned:
    the caller answers as for a new account."""
    errors = registration_problems(person=person, broker=broker)
    if errors:
        raise ValidationFailed(errors)
    if tell_existing_account(person=person, links=links):
        return None
    return _create_broker(person=person, broker=broker, verify_link_for=links.verify)


def _create_broker(
    *, person: PersonData, broker: BrokerData, verify_link_for: Callable[[str], str] | None
) -> User:
    user = User(
        email=normalise_email(person.email),
        name=person.name.strip(),
        phone=(person.phone or "").strip() or None,
        password_hash=hash_password(person.password),
        role=Role.BROKER,
        organisation=None,
        locale=person.locale,
        password_changed_at=utcnow(),
    )
    db.session.add(user)
    profile = BrokerProfile(
        user=user,
        organisation=find_organisation(broker.organisation),
        licence_number=normalise_licence(broker.licence_number),
        issuing_body=broker.issuing_body.strip(),
        fields_text=(broker.fields_text or "").strip(),
        biography=(broker.biography or "").strip(),
        status=BrokerStatus.PENDING,
    )
    db.session.add(profile)
    db.session.flush()
    record_audit(
        actor=user,
        action="broker.register",
        object_type="broker",
        object_id=profile.id,
        after={
            "name": user.name,
            "licence_number": profile.licence_number,
            "issuing_body": profile.issuing_body,
            "organisation_id": profile.organisation_id,
        },
    )
    if verify_link_for is not None:
        send_verification_email(user=user, link_for=verify_link_for)
    return user


# --- the admin's review ---------------------------------------------------------------------
def _check_reviewer(actor: User) -> None:
    if not has_permission(actor, Permission.BROKER_VERIFY):
        raise PermissionDenied(_("只有平台管理员可以核验技术经纪人。"))


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed({"reason": _("请填写原因。")})
    return text[:2000]


def _tell(broker: BrokerProfile, kind: str, reason: str = "") -> None:
    notify(users=[broker.user], kind=kind, params={"reason": reason})


def verify_broker(*, actor: User, broker: BrokerProfile) -> None:
    """The licence was checked: the broker may act."""
    _check_reviewer(actor)
    BROKER.step(broker, "verify", actor=actor)
    broker.verified_by = actor
    broker.verified_at = utcnow()
    broker.review_reason = None
    _tell(broker, "broker.verified")


def reject_broker(*, actor: User, broker: BrokerProfile, reason: str | None) -> None:
    """The licence could not be confirmed; the broker is told why."""
    _check_reviewer(actor)
    text = _reason(reason)
    BROKER.step(broker, "reject", actor=actor, reason=text)
    broker.verified_by = actor
    broker.verified_at = None
    broker.review_reason = text
    _tell(broker, "broker.rejected", text)


def suspend_broker(*, actor: User, broker: BrokerProfile, reason: str | None) -> None:
    """Stop a verified broker from acting (its assignments stay, idle, until reinstated)."""
    _check_reviewer(actor)
    text = _reason(reason)
    BROKER.step(broker, "suspend", actor=actor, reason=text)
    broker.review_reason = text
    _tell(broker, "broker.suspended", text)


def reinstate_broker(*, actor: User, broker: BrokerProfile) -> None:
    """Let a suspended broker act again."""
    _check_reviewer(actor)
    BROKER.step(broker, "reinstate", actor=actor)
    broker.verified_by = actor
    broker.verified_at = utcnow()
    broker.review_reason = None
    _tell(broker, "broker.reinstated")


def brokers_query(*, status: str | None = None, q: str | None = None) -> sa.Select:
    """Brokers for the admin's queue: pending first, then newest."""
    stmt = sa.select(BrokerProfile).options(
        selectinload(BrokerProfile.user), selectinload(BrokerProfile.organisation)
    )
    if status in {s.value for s in BrokerStatus}:
        stmt = stmt.where(BrokerProfile.status == status)
    if q and q.strip():
        like = f"%{q.strip()[:100]}%"
        stmt = stmt.join(User, User.id == BrokerProfile.user_id).where(
            sa.or_(User.name.ilike(like), BrokerProfile.licence_number.ilike(like))
        )
    pending_first = sa.case((BrokerProfile.status == BrokerStatus.PENDING, 0), else_=1)
    return stmt.order_by(pending_first, BrokerProfile.created_at.desc(), BrokerProfile.id.desc())


def public_broker(broker_id: int) -> BrokerProfile | None:
    """A broker the public may see: verified, with an active account (else None)."""
    broker = db.session.get(BrokerProfile, broker_id)
    if broker is None or not broker.is_verified or not broker.user.is_active:
        return None
    return broker


def public_brokers_query() -> sa.Select:
    """Verified brokers with active accounts, by name."""
    return (
        sa.select(BrokerProfile)
        .join(User, User.id == BrokerProfile.user_id)
        .where(BrokerProfile.status == BrokerStatus.VERIFIED, User.is_active.is_(True))
        .options(selectinload(BrokerProfile.user), selectinload(BrokerProfile.organisation))
        .order_by(User.name, BrokerProfile.id)
    )


def pending_count() -> int:
    """How many brokers wait for the admin to check their licence."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(BrokerProfile)
            .where(BrokerProfile.status == BrokerStatus.PENDING)
        )
        or 0
    )
