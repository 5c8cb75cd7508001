"""Registration, authentication, passwords, reset tokens and invitations."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from matchmaker.extensions import db
from matchmaker.models import Invitation, Organisation, OrgKind, User
from matchmaker.models.base import utcnow
from matchmaker.permissions import Role
from matchmaker.services.accounts import mail_throttle
from matchmaker.services.accounts.credit_code import is_valid_credit_code, normalise_credit_code
from matchmaker.services.accounts.email_verification import (
    mark_email_verified,
    send_verification_email,
)
from matchmaker.services.accounts.evidence import DocumentUpload, attach_document, document_problem
from matchmaker.services.accounts.passwords import hash_password, password_problem, verify_password
from matchmaker.services.errors import PermissionDenied, ValidationFailed
from matchmaker.services.platform.audit import record_audit
from matchmaker.services.platform.mail import send_email
from matchmaker.services.platform.regions import REGIONS

security_log = logging.getLogger("matchmaker.security")

ROLE_FOR_KIND = {
    OrgKind.ENTERPRISE: Role.ENTERPRISE,
    OrgKind.UNIVERSITY: Role.UNIVERSITY,
    OrgKind.INSTITUTE: Role.UNIVERSITY,
    OrgKind.BANK: Role.BANK,
}
#: Kinds a person may register by themselves; government accounts are created by admins.
SELF_REGISTER_KINDS = tuple(ROLE_FOR_KIND)


@dataclass(frozen=True)
class PersonData:
    """The person behind a new account."""

    name: str
    email: str
    password: str
    phone: str | None = None
    locale: str | None = None


@dataclass(frozen=True)
class OrganisationData:
    """A new organisation, as typed in by its first member."""

    kind: str
    name: str
    region: str
    credit_code: str | None = None
    website: str | None = None
    description: str | None = None


def normalise_email(email: str) -> str:
    """Lower-cased, trimmed e-mail address used as the login name."""
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    """The account with this e-mail address, if any."""
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def _check_person(person: PersonData, *, org_name: str = "") -> dict[str, list[str]]:
    """The person's problems, the address already having an account among them: only for
    those who already proved they hold the address (an invitation's link)."""
    errors: dict[str, list[str]] = {}
    if person.email and find_user_by_email(person.email) is not None:
        errors["email"] = [_("这个邮箱已经注册过了。")]
    return {**errors, **_person_problems(person, org_name=org_name)}


def _person_problems(person: PersonData, *, org_name: str = "") -> dict[str, list[str]]:
    """The person's problems that say nothing about other accounts (the password)."""
    errors: dict[str, list[str]] = {}
    local_part = normalise_email(person.email or "").split("@")[0]
    problem = password_problem(person.password or "", context=(local_part, org_name or ""))
    if problem:
        errors["password"] = [problem]
    return errors


def _new_user(person: PersonData, *, role: Role, organisation: Organisation) -> User:
    user = User(
        email=normalise_email(person.email),
        name=person.name.strip(),
        phone=(person.phone or "").strip() or None,
        password_hash=hash_password(person.password),
        role=role,
        organisation=organisation,
        locale=person.locale,
        password_changed_at=utcnow(),
    )
    db.session.add(user)
    return user


def _credit_code_problem(raw: str | None) -> str | None:
    code = normalise_credit_code(raw or "")
    if not code:
        return _("请填写统一社会信用代码（18 位，见营业执照或事业单位法人证书）。")
    if not is_valid_credit_code(code):
        return _("统一社会信用代码无效：应为 18 位，且校验位正确。")
    if db.session.scalar(sa.select(Organisation.id).where(Organisation.credit_code == code)):
        return _("这个统一社会信用代码已经登记过，请联系该机构的成员邀请你加入。")
    return None


def registration_problems(
    *, organisation: OrganisationData, person: PersonData, document: DocumentUpload | None
) -> dict[str, list[str]]:
    """Every reason a registration is refused, field by field (nothing is stored).

    Whether the address already has an account is not among them: the sign-up page must not
    tell (`sign_up_organisation`); `register_organisation` checks it itself."""
    errors = _person_problems(person, org_name=organisation.name)
    try:
        kind = OrgKind(organisation.kind)
    except ValueError:
        kind = None
    if kind not in SELF_REGISTER_KINDS:
        errors["kind"] = [_("请选择机构类型。")]
    if organisation.region not in REGIONS:
        errors["region"] = [_("请选择所在地区。")]
    problem = _credit_code_problem(organisation.credit_code)
    if problem:
        errors["credit_code"] = [problem]
    problem = document_problem(document)
    if problem:
        errors["document"] = [problem]
    return errors


def register_organisation(
    *,
    organisation: OrganisationData,
    person: PersonData,
    document: DocumentUpload | None,
    verify_link_for: Callable[[str], str] | None = None,
) -> User:
    """Create an unverified organisation, its first member and its evidence scan.

    The 统一社会信用代码 and the 营业执照 / 法人证书 scan are required for every kind; all
    problems are reported at once. The member's address is unverified until they open the
    link mailed to them (`verify_link_for` builds it; None: no mail, e.g. demo data).
    An address that already has an account is refused on the email field: for the seed and
    the CLI; the public page uses `sign_up_organisation`, which never tells.
    """
    errors = registration_problems(organisation=organisation, person=person, document=document)
    if person.email and find_user_by_email(person.email) is not None:
        errors["email"] = [_("这个邮箱已经注册过了。")]
    if errors:
        raise ValidationFailed(errors)
    return _create_organisation(
        organisation=organisation,
        person=person,
        document=document,
        verify_link_for=verify_link_for,
    )


@dataclass(frozen=True)
class SignUpLinks:
    """The links a sign-up's mail carries, built by the caller (services build no URLs)."""

    verify: Callable[[str], str]  # the e-mail verification link for a token
    login: str  # the login page: mailed to an address that already has an account
    reset: str  # the forgot-password page: likewise


def tell_existing_account(*, person: PersonData, links: SignUpLinks) -> bool:
    """When `person.email` already has an account, mail its owner instead of registering
    (at most SIGNUP_NOTICE_LIMIT_PER_ADDRESS notices, `mail_throttle`) and answer True; else
    answer False and do nothing. The password is hashed either way, as a new account's would
    be, so the answer takes as long as a registration (SECURITY.md row 8)."""
    user = find_user_by_email(person.email or "")
    if user is None:
        return False
    hash_password(person.password or secrets.token_hex(8))  # the work of a new account
    security_log.info("signup.existing_account", extra={"user_id": user.id})
    if not user.is_active or mail_throttle.take(("signup-notice", user.email)) is not None:
        return True
    send_email(
        to=user.email,
        subject=_("有人尝试用你的邮箱注册 matchmaker"),
        body=_(
            "你好，%(name)s：\n\n有人刚刚尝试用这个邮箱（%(email)s）在 matchmaker "
            "吉林科技成果对接平台注册新账号。这个邮箱已经有账号了，所以没有创建新账号。\n\n"
            "如果是你本人，请直接登录：\n%(login)s\n忘记密码可以在这里重设：\n%(reset)s\n\n"
            "如果不是你本人，请忽略这封邮件，你的账号不受影响。",
            name=user.name,
            email=user.email,
            login=links.login,
            reset=links.reset,
        ),
    )
    return True


def sign_up_organisation(
    *,
    organisation: OrganisationData,
    person: PersonData,
    document: DocumentUpload | None,
    links: SignUpLinks,
) -> User | None:
    """The public registration (机构注册): `register_organisation`, except that it never tells
    whether the address already has an account (SECURITY.md row 8, v5.0.0-6.4.x).

    Every other problem is refused as usual (ValidationFailed). Then, for an address with an
    account, nothing is stored, its owner is mailed how to log in or reset the password, and
    None is returned: the caller answers exactly as for the new account it gets otherwise.
    """
    errors = registration_problems(organisation=organisation, person=person, document=document)
    if errors:
        raise ValidationFailed(errors)
    if tell_existing_account(person=person, links=links):
        return None
    return _create_organisation(
        organisation=organisation, person=person, document=document, verify_link_for=links.verify
    )


def _create_organisation(
    *,
    organisation: OrganisationData,
    person: PersonData,
    document: DocumentUpload | None,
    verify_link_for: Callable[[str], str] | None,
) -> User:
    kind = OrgKind(organisation.kind)
    code = normalise_credit_code(organisation.credit_code or "")
    org = Organisation(
        kind=kind,
        name=organisation.name.strip(),
        region=organisation.region,
        credit_code=code,
        website=(organisation.website or "").strip() or None,
        description=(organisation.description or "").strip() or None,
    )
    db.session.add(org)
    user = _new_user(person, role=ROLE_FOR_KIND[kind], organisation=org)
    db.session.flush()
    record_audit(
        actor=user,
        action="organisation.register",
        object_type="organisation",
        object_id=org.id,
        after={"name": org.name, "kind": str(org.kind), "credit_code": code},
    )
    attach_document(actor=user, organisation=org, upload=document)
    if verify_link_for is not None:
        send_verification_email(user=user, link_for=verify_link_for)
    return user


def authenticate(*, email: str, password: str) -> User | None:
    """The active user with these credentials (re-hashing an outdated hash), else None."""
    user = find_user_by_email(email)
    if user is None:
        # Spend the same time as a real check so response times do not reveal accounts.
        verify_password(_dummy_hash(), password)
        return None
    ok, new_hash = verify_password(user.password_hash, password)
    if not ok or not user.is_active:
        return None
    if new_hash:
        user.password_hash = new_hash
    user.last_login_at = utcnow()
    return user


_DUMMY: dict[str, str] = {}


def _dummy_hash() -> str:
    if "h" not in _DUMMY:
        _DUMMY["h"] = hash_password(secrets.token_hex(16))
    return _DUMMY["h"]


def change_password(*, user: User, current: str, new: str) -> None:
    """Change a password after checking the current one; ends every other session."""
    ok, _unused = verify_password(user.password_hash, current)
    if not ok:
        raise ValidationFailed({"current_password": _("当前密码不正确。")})
    problem = password_problem(new, context=(user.email.split("@")[0],))
    if problem:
        raise ValidationFailed({"new_password": problem})
    _set_password(user, new)
    record_audit(actor=user, action="user.password_change", object_type="user", object_id=user.id)


def _set_password(user: User, new: str) -> None:
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    user.end_sessions()


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="pw-reset")


def _hash_fragment(user: User) -> str:
    # Binding the token to the current hash makes it single-use: using it changes the hash.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make_reset_token(user: User) -> str:
    """A signed, expiring, single-use password reset token."""
    return _reset_serializer().dumps({"uid": user.id, "h": _hash_fragment(user)})


def request_password_reset(*, email: str, link_for: Callable[[str], str]) -> None:
    """E-mail a reset link if the account exists; behaves the same either way.

    At most PASSWORD_RESET_LIMIT_PER_ADDRESS links go to one address (`mail_throttle`),
    counted whether or not it has an account; past it nothing is sent, and the caller
    answers the same (SECURITY.md row 8)."""
    if mail_throttle.take(("reset-address", normalise_email(email))) is not None:
        security_log.info("password_reset.throttled")
        return
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        security_log.info("password_reset.unknown_account")
        return
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    body = _(
        "你好，%(name)s：\n\n请在 %(minutes)d 分钟内打开下面的链接重设密码：\n%(link)s\n\n"
        "如果不是你本人操作，请忽略这封邮件，你的密码不会改变。",
        name=user.name,
        minutes=minutes,
        link=link_for(make_reset_token(user)),
    )
    send_email(to=user.email, subject=_("重设你的 matchmaker 密码"), body=body)


def user_for_reset_token(token: str) -> User | None:
    """The user a still-valid reset token belongs to, else None (expired, used or tampered)."""
    try:
        data = _reset_serializer().loads(
            token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"]
        )
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict):
        return None
    user = db.session.get(User, data.get("uid")) if isinstance(data.get("uid"), int) else None
    if user is None or not user.is_active or data.get("h") != _hash_fragment(user):
        return None
    return user


def reset_password(*, token: str, new: str) -> User:
    """Set a new password with a reset token; the token cannot be used again."""
    user = user_for_reset_token(token)
    if user is None:
        raise ValidationFailed({"token": _("重设链接无效或已过期，请重新申请。")})
    problem = password_problem(new, context=(user.email.split("@")[0],))
    if problem:
        raise ValidationFailed({"password": problem})
    _set_password(user, new)
    record_audit(actor=user, action="user.password_reset", object_type="user", object_id=user.id)
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_invitation_quota(org: Organisation, address: str) -> None:
    mail_throttle.spend(
        ("invite-org", org.id),
        ("invite-address", f"{org.id}:{address}"),
        messages={
            "invite-org": lambda wait: _(
                "你的机构近期发出的邀请已达上限，请 %(wait)s后再试。", wait=wait
            ),
            "invite-address": lambda wait: _(
                "近期已多次邀请这个邮箱，请 %(wait)s后再试。", wait=wait
            ),
        },
    )


def _tell_invited_account(*, actor: User, org: Organisation, user: User, login_url: str) -> None:
    """An invitation to an address that has an account: its owner learns so by mail, and
    how to go on; the inviter's screen says nothing of it."""
    record_audit(
        actor=actor,
        action="invitation.existing_account",
        object_type="organisation",
        object_id=org.id,
        after={"user_id": user.id},
    )
    if user.organisation_id == org.id:
        body = _(
            "%(inviter)s 邀请你以 %(org)s 成员的身份加入 matchmaker 吉林科技成果对接平台。\n"
            "你已经是 %(org)s 的成员了，直接登录即可：\n%(link)s",
            inviter=actor.name,
            org=org.name,
            link=login_url,
        )
    else:
        body = _(
            "%(inviter)s 邀请你以 %(org)s 成员的身份加入 matchmaker 吉林科技成果对接平台。\n"
            "这个邮箱已经有 matchmaker 账号了，一个账号只能属于一个机构，所以不能用它接受这份"
            "邀请。如果你想以 %(org)s 成员的身份使用平台，请告诉邀请人另一个邮箱地址，"
            "请对方重新邀请。\n登录已有账号：\n%(link)s",
            inviter=actor.name,
            org=org.name,
            link=login_url,
        )
    send_email(to=user.email, subject=_("%(name)s 邀请你加入 matchmaker", name=org.name), body=body)


def invite_member(
    *, actor: User, email: str, link_for: Callable[[str], str], login_url: str = ""
) -> Invitation | None:
    """Invite a person by e-mail to join the actor's organisation.

    The inviter cannot learn whether the address has an account (SECURITY.md row 8): for an
    address that has one nothing is stored, its owner is mailed that they were invited and
    how to go on (`login_url`), and None is returned; the caller answers as for a new
    invitation. Quotas per organisation and per address (`mail_throttle`) are counted either
    way; past them LimitReached names the email field.
    """
    org = actor.organisation
    if org is None or actor.role == Role.ADMIN:
        raise PermissionDenied
    address = normalise_email(email)
    _check_invitation_quota(org, address)
    existing = find_user_by_email(address)
    if existing is not None:
        _tell_invited_account(actor=actor, org=org, user=existing, login_url=login_url)
        return None
    token = secrets.token_urlsafe(32)
    days = current_app.config["INVITATION_MAX_AGE_DAYS"]
    invitation = Invitation(
        organisation=org,
        email=address,
        token_hash=_token_hash(token),
        invited_by=actor,
        expires_at=utcnow() + timedelta(days=days),
    )
    db.session.add(invitation)
    db.session.flush()
    record_audit(
        actor=actor,
        action="invitation.create",
        object_type="organisation",
        object_id=org.id,
        after={"email": address},
    )
    send_email(
        to=address,
        subject=_("%(name)s 邀请你加入 matchmaker", name=org.name),
        body=_(
            "%(inviter)s 邀请你以 %(org)s 成员的身份加入 matchmaker 吉林科技成果对接平台。\n"
            "请在 %(days)d 天内打开下面的链接完成注册：\n%(link)s",
            inviter=actor.name,
            org=org.name,
            days=days,
            link=link_for(token),
        ),
    )
    return invitation


def find_invitation(token: str) -> Invitation | None:
    """The open, unexpired invitation for a token, else None."""
    invitation = db.session.scalar(
        sa.select(Invitation).where(Invitation.token_hash == _token_hash(token))
    )
    if invitation is None or invitation.accepted_at is not None:
        return None
    if invitation.expires_at < utcnow():
        return None
    return invitation


def accept_invitation(*, token: str, person: PersonData) -> User:
    """Create the invited person's account in the inviting organisation."""
    invitation = find_invitation(token)
    if invitation is None:
        raise ValidationFailed({"token": _("邀请链接无效、已使用或已过期。")})
    org = invitation.organisation
    person = PersonData(**{**person.__dict__, "email": invitation.email})
    errors = _check_person(person, org_name=org.name)
    if errors:
        raise ValidationFailed(errors)
    role = ROLE_FOR_KIND.get(org.kind)
    if role is None:
        raise PermissionDenied
    user = _new_user(person, role=role, organisation=org)
    mark_email_verified(user)  # the invitation link reached this address
    invitation.accepted_at = utcnow()
    db.session.flush()
    record_audit(
        actor=user,
        action="invitation.accept",
        object_type="organisation",
        object_id=org.id,
        after={"user_id": user.id},
    )
    return user


def set_locale(*, user: User, locale: str) -> None:
    """Remember a user's language choice."""
    user.locale = locale


def set_large_text(*, user: User, on: bool) -> None:
    """Remember a user's 大字模式 (larger text) choice."""
    user.large_text = on
