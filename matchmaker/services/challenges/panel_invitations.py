"""Invitations by e-mail to a challenge's review panel (评审专家组), alike for every address.

The owner types an address; whether it has an account is never shown to them (SECURITY.md
row 8, v5.0.0-6.4.x): the same audit record and one mail are written either way, and the
mail itself tells an address without an account to register first. The link carries a signed,
expiring token (itsdangerous, its own salt) naming the challenge, the inviter and a hash of the
address, so nothing about the invitation is stored until it is accepted, and the address is
not readable in the link. Accepting puts the invitee on the panel under every rule of
`panels.add_panel_member`, checked at that moment (conflict of interest, state, ...).
Invitation mails are counted per sender and per sender and address (`mail_throttle`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from matchmaker.extensions import db
from matchmaker.models import Challenge, PanelMember, User
from matchmaker.permissions import can_manage_challenge
from matchmaker.services.accounts import mail_throttle
from matchmaker.services.accounts.accounts import find_user_by_email, normalise_email
from matchmaker.services.challenges import panels
from matchmaker.services.errors import NotFound, PermissionDenied
from matchmaker.services.platform.audit import record_audit
from matchmaker.services.platform.mail import send_email

#: itsdangerous salt of the panel invitation link (its own: no other token is accepted).
SALT = "panel-invite"
DEFAULT_MAX_AGE_DAYS = 7


@dataclass(frozen=True)
class PanelInvitation:
    """A valid invitation opened by the account it was sent to."""

    challenge: Challenge
    inviter: User


def max_age_days() -> int:
    """Days an invitation link stays valid (PANEL_INVITATION_MAX_AGE_DAYS, default 7)."""
    return int(current_app.config.get("PANEL_INVITATION_MAX_AGE_DAYS", DEFAULT_MAX_AGE_DAYS))


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _address_hash(address: str) -> str:
    return hashlib.sha256(normalise_email(address).encode()).hexdigest()[:32]


def _check_quota(actor: User, address: str) -> None:
    sender = f"org:{actor.organisation_id}" if actor.organisation_id else f"user:{actor.id}"
    mail_throttle.spend(
        ("panel-invite-sender", sender),
        ("panel-invite-address", f"{sender}:{address}"),
        messages={
            "panel-invite-sender": lambda wait: _(
                "近期发出的评审邀请已达上限，请 %(wait)s后再试。", wait=wait
            ),
            "panel-invite-address": lambda wait: _(
                "近期已多次邀请这个邮箱，请 %(wait)s后再试。", wait=wait
            ),
        },
    )


def invite_panel_member(
    *,
    actor: User,
    challenge: Challenge,
    email: str,
    link_for: Callable[[str], str],
    register_url: str,
) -> None:
    """Mail `email` a link to join the challenge's panel; the same for every address.

    Refused as add_panel_member refuses for the challenge (not managed, no panel, its state),
    and past the quotas (LimitReached on the email field). The rules about the reviewer
    (conflict of interest, already a member, ...) are checked when the link is accepted.
    """
    if not can_manage_challenge(actor, challenge):
        raise NotFound
    panels.check_panel_open(challenge)
    address = normalise_email(email)
    _check_quota(actor, address)
    token = _serializer().dumps({"c": challenge.id, "by": actor.id, "e": _address_hash(address)})
    record_audit(
        actor=actor,
        action="challenge.panel_invite",
        object_type="challenge",
        object_id=challenge.id,
        after={"email": address},
    )
    params = {
        "inviter": actor.name,
        "org": challenge.need.organisation.name,
        "title": challenge.need.title,
        "days": max_age_days(),
        "link": link_for(token),
    }
    if find_user_by_email(address) is not None:
        body = _(
            "%(inviter)s（%(org)s）邀请你加入揭榜挂帅榜单“%(title)s”的评审专家组，"
            "为进入终审的揭榜申请评分。\n"
            "请登录 matchmaker，在 %(days)d 天内打开下面的链接确认接受邀请：\n%(link)s\n\n"
            "如果你不想参加评审，忽略这封邮件即可。",
            **params,
        )
    else:
        body = _(
            "%(inviter)s（%(org)s）邀请你加入揭榜挂帅榜单“%(title)s”的评审专家组，"
            "为进入终审的揭榜申请评分。\n"
            "这个邮箱还没有 matchmaker 账号。请先用这个邮箱地址注册：\n%(register)s\n"
            "注册并登录后，在 %(days)d 天内打开下面的链接确认接受邀请：\n%(link)s\n\n"
            "如果你不想参加评审，忽略这封邮件即可。",
            register=register_url,
            **params,
        )
    send_email(
        to=address,
        subject=_("评审邀请：%(title)s", title=challenge.need.title),
        body=body,
    )


def open_panel_invitation(*, actor: User, token: str) -> PanelInvitation | None:
    """The invitation a link carries, for the account it was sent to.

    None when the link is tampered with, expired, or its challenge or inviter is gone or no
    longer manages the challenge; PermissionDenied when it was sent to another address than
    the actor's (compared without case).
    """
    try:
        data = _serializer().loads(token, max_age=max_age_days() * 24 * 3600)
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict):
        return None
    challenge_id, inviter_id, address_hash = data.get("c"), data.get("by"), data.get("e")
    if not (
        isinstance(challenge_id, int)
        and isinstance(inviter_id, int)
        and isinstance(address_hash, str)
    ):
        return None
    challenge = db.session.get(Challenge, challenge_id)
    inviter = db.session.get(User, inviter_id)
    if challenge is None or inviter is None:
        return None
    if not panels.can_still_invite(inviter, challenge):
        return None
    if _address_hash(actor.email) != address_hash:
        raise PermissionDenied(
            _(
                "这份评审邀请是发给另一个邮箱地址的。"
                "请退出后，用收到邀请的邮箱对应的账号登录，再打开邀请链接。"
            )
        )
    return PanelInvitation(challenge=challenge, inviter=inviter)


def accept_panel_invitation(*, actor: User, invitation: PanelInvitation) -> PanelMember:
    """Join the panel an opened invitation (`open_panel_invitation`) invites the actor to,
    under add_panel_member's rules, checked now."""
    return panels.join_panel(
        actor=actor, challenge=invitation.challenge, inviter=invitation.inviter
    )


def invalid_link_message() -> str:
    """What a tampered or expired invitation link is answered with."""
    return _("评审邀请链接无效或已过期，请联系发榜方重新邀请。")
