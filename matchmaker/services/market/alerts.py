"""Saved searches and followed listings: subscribing, managing, and the unsubscribe token.

The digests of their new matches are sent by services/market/alert_digests.py.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import (
    AlertFrequency,
    Subscription,
    SubscriptionKind,
    TechField,
    User,
)
from matchmaker.services.errors import NotFound, ValidationFailed
from matchmaker.services.market import publication
from matchmaker.services.market.browsing import BrowseFilter
from matchmaker.services.platform.regions import region_label

log = logging.getLogger("matchmaker.alerts")

KINDS = ("result", "need")
#: The BrowseFilter fields a saved search keeps (kind is the subscription's; sort is irrelevant).
SEARCH_ARGS = ("q", "field", "stage", "mode", "price", "region", "org")
MAX_PER_USER = 100


# --- tokens -------------------------------------------------------------------------------------
def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def unsubscribe_token(subscription: Subscription) -> str:
    """The subscription's one-click unsubscribe token.

    Derived from a random nonce with the secret key, so every digest can carry the same link
    while the database holds only the nonce and the token's hash (neither is a usable token).
    """
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"alerts.unsubscribe:{subscription.token_nonce}".encode(), "sha256")
    token = digest.hexdigest()[:48]
    if subscription.token_hash != _hash(token):  # the secret key changed: re-issue
        subscription.token_hash = _hash(token)
    return token


def _issue_token(subscription: Subscription) -> None:
    subscription.token_nonce = secrets.token_urlsafe(32)
    unsubscribe_token(subscription)


def subscription_for_token(token: str) -> Subscription:
    """The subscription an unsubscribe token belongs to, or NotFound."""
    if not token or len(token) > 128:
        raise NotFound
    subscription = db.session.scalar(
        sa.select(Subscription).where(Subscription.token_hash == _hash(token))
    )
    if subscription is None:
        raise NotFound
    return subscription


def unsubscribe(*, token: str) -> Subscription:
    """Stop a subscription's alerts; the token is the authorisation (idempotent)."""
    subscription = subscription_for_token(token)
    subscription.is_active = False
    db.session.flush()
    log.info("alerts.unsubscribed", extra={"subscription_id": subscription.id})
    return subscription


# --- managing subscriptions ---------------------------------------------------------------------
def search_filter(kind: str, args: Mapping[str, Any]) -> BrowseFilter:
    """The cleaned BrowseFilter of a list page's query args (unknown values dropped)."""
    if kind not in KINDS:
        raise ValidationFailed({"kind": _("请选择成果或需求。")})
    raw_org = args.get("org")
    try:
        org = int(raw_org) if raw_org not in (None, "") else None
    except (TypeError, ValueError):
        org = None
    return BrowseFilter(
        kind=kind, org=org, **{name: str(args.get(name) or "") for name in SEARCH_ARGS[:-1]}
    ).cleaned()


def _criteria(f: BrowseFilter) -> dict[str, Any]:
    values = asdict(f)
    return {name: values[name] for name in SEARCH_ARGS if values[name] not in ("", None)}


def filter_of(subscription: Subscription) -> BrowseFilter:
    """A saved search as the BrowseFilter it was saved from."""
    return search_filter(subscription.target_kind, subscription.criteria or {})


def as_frequency(value: str | AlertFrequency) -> AlertFrequency:
    """A frequency from a form or the command line (ValidationFailed when unknown)."""
    try:
        return AlertFrequency(value)
    except ValueError:
        raise ValidationFailed({"frequency": _("请选择提醒频率。")}) from None


def _check_room(actor: User) -> None:
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(Subscription).where(Subscription.user_id == actor.id)
    )
    if (count or 0) >= MAX_PER_USER:
        raise ValidationFailed({"kind": _("订阅数量已达上限，请先删除不需要的订阅。")})


def save_search(
    *,
    actor: User,
    kind: str,
    args: Mapping[str, Any],
    frequency: str | AlertFrequency = AlertFrequency.DAILY,
) -> Subscription:
    """Save a list page's filter; the same filter saved twice is one subscription (re-activated)."""
    frequency = as_frequency(frequency)
    criteria = _criteria(search_filter(kind, args))
    for existing in db.session.scalars(
        sa.select(Subscription).where(
            Subscription.user_id == actor.id,
            Subscription.kind == SubscriptionKind.SEARCH,
            Subscription.target_kind == kind,
        )
    ):
        if (existing.criteria or {}) == criteria:
            existing.frequency, existing.is_active = frequency, True
            db.session.flush()
            return existing
    _check_room(actor)
    subscription = Subscription(
        user_id=actor.id,
        kind=SubscriptionKind.SEARCH,
        target_kind=kind,
        criteria=criteria,
        frequency=frequency,
    )
    _issue_token(subscription)
    db.session.add(subscription)
    db.session.flush()
    return subscription


def follow_listing(
    *,
    actor: User,
    kind: str,
    listing_id: int,
    frequency: str | AlertFrequency = AlertFrequency.DAILY,
) -> Subscription:
    """Follow a public listing's matches (its recommendations of the other side)."""
    frequency = as_frequency(frequency)
    if kind not in KINDS or publication.public_publication(kind, listing_id) is None:
        raise NotFound
    existing = db.session.scalar(
        sa.select(Subscription).where(
            Subscription.user_id == actor.id,
            Subscription.target_kind == kind,
            Subscription.listing_id == listing_id,
        )
    )
    if existing is not None:
        existing.frequency, existing.is_active = frequency, True
        db.session.flush()
        return existing
    _check_room(actor)
    subscription = Subscription(
        user_id=actor.id,
        kind=SubscriptionKind.FOLLOW,
        target_kind=kind,
        listing_id=listing_id,
        criteria={},
        frequency=frequency,
    )
    _issue_token(subscription)
    db.session.add(subscription)
    db.session.flush()
    return subscription


def get_own(*, actor: User, subscription_id: int) -> Subscription:
    """One of the actor's subscriptions, or NotFound (another user's does not exist)."""
    subscription = db.session.get(Subscription, subscription_id)
    if subscription is None or subscription.user_id != actor.id:
        raise NotFound
    return subscription


def update_subscription(
    *,
    actor: User,
    subscription: Subscription,
    frequency: str | AlertFrequency,
    is_active: bool = True,
) -> None:
    """Change how often a subscription sends, and pause or resume it."""
    if subscription.user_id != actor.id:
        raise NotFound
    subscription.frequency = as_frequency(frequency)
    subscription.is_active = is_active
    db.session.flush()


def delete_subscription(*, actor: User, subscription: Subscription) -> None:
    """Delete a subscription and its delivery history."""
    if subscription.user_id != actor.id:
        raise NotFound
    db.session.delete(subscription)
    db.session.flush()


def subscriptions_of(user: User) -> list[Subscription]:
    """The user's subscriptions, newest first."""
    return list(
        db.session.scalars(
            sa.select(Subscription)
            .where(Subscription.user_id == user.id)
            .order_by(Subscription.created_at.desc(), Subscription.id.desc())
        )
    )


def followed_ids(user: User, kind: str) -> set[int]:
    """Ids of the listings of a kind the user follows (active or paused)."""
    return set(
        db.session.scalars(
            sa.select(Subscription.listing_id).where(
                Subscription.user_id == user.id,
                Subscription.kind == SubscriptionKind.FOLLOW,
                Subscription.target_kind == kind,
            )
        )
    )


def describe(subscription: Subscription) -> str:
    """A short, language-neutral name: the search words and filters, or the followed title."""
    if subscription.kind == SubscriptionKind.FOLLOW:
        # The public title only: the working copy may hold text that is not approved yet.
        pub = publication.public_publication(subscription.target_kind, subscription.listing_id or 0)
        return pub.title if pub is not None else f"#{subscription.listing_id}"
    f = filter_of(subscription)
    parts = [f.q]
    if f.field:
        field = db.session.scalar(sa.select(TechField).where(TechField.code == f.field))
        parts.append(field.name if field is not None else f.field)
    if f.region:
        parts.append(region_label(f.region))
    name = " · ".join(p for p in parts if p)
    return name or f"#{subscription.id}"
