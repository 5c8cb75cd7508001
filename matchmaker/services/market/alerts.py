"""Saved searches and followed listings: subscriptions, their new matches, and the digests.

A digest lists each match once, ever: `AlertDelivery` rows (unique per subscription and
listing) are written in the same transaction as the in-app notification, before the e-mail
goes out; when the mail fails that transaction is rolled back, so the next run sends it again.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from matchmaker.extensions import db
from matchmaker.models import (
    AlertDelivery,
    AlertFrequency,
    Need,
    Publication,
    Result,
    Subscription,
    SubscriptionKind,
    TechField,
    User,
)
from matchmaker.models.base import utcnow
from matchmaker.services import matching
from matchmaker.services.errors import NotFound, ValidationFailed
from matchmaker.services.market import publication
from matchmaker.services.platform import notifications
from matchmaker.services.platform.mail import send_email
from matchmaker.services.platform.regions import region_label

log = logging.getLogger("matchmaker.alerts")

KINDS = ("result", "need")
MODEL_FOR: dict[str, type[Result] | type[Need]] = {"result": Result, "need": Need}
#: The BrowseFilter fields a saved search keeps (kind is the subscription's; sort is irrelevant).
SEARCH_ARGS = ("q", "field", "stage", "mode", "price", "region", "org")
WAIT = {
    AlertFrequency.INSTANT: timedelta(0),
    AlertFrequency.DAILY: timedelta(days=1),
    AlertFrequency.WEEKLY: timedelta(days=7),
}
MAX_PER_DIGEST = 50  # the rest follow in the next digest
FOLLOW_DEPTH = 20  # recommendations considered for a followed listing
FOLLOW_MIN_SCORE = 0.1  # below this a recommendation is not worth an e-mail
MAX_PER_USER = 100


@dataclass(frozen=True)
class AlertLinks:
    """Absolute URLs for the digest; the caller builds them (services never call url_for)."""

    listing: Callable[[str, int], str]
    search: Callable[[str, Mapping[str, Any]], str]
    unsubscribe: Callable[[str], str]
    manage: str


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
def search_filter(kind: str, args: Mapping[str, Any]) -> publication.BrowseFilter:
    """The cleaned BrowseFilter of a list page's query args (unknown values dropped)."""
    if kind not in KINDS:
        raise ValidationFailed({"kind": _("请选择成果或需求。")})
    raw_org = args.get("org")
    try:
        org = int(raw_org) if raw_org not in (None, "") else None
    except (TypeError, ValueError):
        org = None
    return publication.BrowseFilter(
        kind=kind, org=org, **{name: str(args.get(name) or "") for name in SEARCH_ARGS[:-1]}
    ).cleaned()


def _criteria(f: publication.BrowseFilter) -> dict[str, Any]:
    values = asdict(f)
    return {name: values[name] for name in SEARCH_ARGS if values[name] not in ("", None)}


def filter_of(subscription: Subscription) -> publication.BrowseFilter:
    """A saved search as the BrowseFilter it was saved from."""
    return search_filter(subscription.target_kind, subscription.criteria or {})


def _frequency(value: str | AlertFrequency) -> AlertFrequency:
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
    frequency = _frequency(frequency)
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
    frequency = _frequency(frequency)
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
    subscription.frequency = _frequency(frequency)
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


# --- matching -----------------------------------------------------------------------------------
def _delivered(subscription: Subscription) -> set[tuple[str, int]]:
    return {
        (kind, listing_id)
        for kind, listing_id in db.session.execute(
            sa.select(AlertDelivery.kind, AlertDelivery.listing_id).where(
                AlertDelivery.subscription_id == subscription.id
            )
        )
    }


def collect_matches(
    subscription: Subscription, *, now: datetime | None = None
) -> list[Publication]:
    """New public listings never sent for a subscription (at most a digest's worth).

    A search matches publications its filter finds that were approved after it was saved; a
    follow, the followed listing's recommendations above FOLLOW_MIN_SCORE approved after that.
    """
    now = now or utcnow()
    delivered = _delivered(subscription)
    if subscription.kind == SubscriptionKind.SEARCH:
        stmt = publication.browse_query(filter_of(subscription), now=now).where(
            Publication.approved_at > subscription.created_at
        )
        found = [
            p
            for p in db.session.scalars(stmt.limit(MAX_PER_DIGEST + len(delivered)))
            if (p.kind, p.listing_id) not in delivered
        ]
        return found[:MAX_PER_DIGEST]
    listing = db.session.get(MODEL_FOR[subscription.target_kind], subscription.listing_id)
    if listing is None or publication.public_publication(listing.KIND, listing.id, now=now) is None:
        return []  # the followed listing left the public lists: nothing to follow until it returns
    threshold = current_app.config.get("ALERTS_FOLLOW_MIN_SCORE", FOLLOW_MIN_SCORE)
    return [
        rec.publication
        for rec in matching.recommend_for(listing, k=FOLLOW_DEPTH)
        if rec.match.score >= threshold
        and rec.publication.approved_at > subscription.created_at
        and (rec.publication.kind, rec.publication.listing_id) not in delivered
    ][:MAX_PER_DIGEST]


# --- sending ------------------------------------------------------------------------------------
def due_subscriptions(*, now: datetime, frequency: str = "all") -> list[int]:
    """Ids of active subscriptions whose digest is due (instant: always; daily/weekly: waited)."""
    frequencies = list(AlertFrequency) if frequency == "all" else [_frequency(frequency)]
    conds = []
    for freq in frequencies:
        wait = WAIT[freq]
        cond = Subscription.frequency == freq
        if wait:
            cond = sa.and_(
                cond,
                sa.or_(
                    Subscription.last_sent_at.is_(None), Subscription.last_sent_at <= now - wait
                ),
            )
        conds.append(cond)
    return list(
        db.session.scalars(
            sa.select(Subscription.id)
            .join(User, User.id == Subscription.user_id)
            .where(Subscription.is_active.is_(True), User.is_active.is_(True), sa.or_(*conds))
            .order_by(Subscription.id)
        )
    )


def _digest(
    subscription: Subscription, matches: list[Publication], links: AlertLinks, unsubscribe_url: str
) -> tuple[str, dict[str, Any], str, str, str]:
    kind = f"alerts.{subscription.kind}"
    params = {"name": describe(subscription), "n": len(matches)}
    if subscription.kind == SubscriptionKind.SEARCH:
        link = links.search(subscription.target_kind, subscription.criteria or {})
    else:
        link = links.listing(subscription.target_kind, subscription.listing_id or 0)
    user = subscription.user
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject, intro = notifications.render(kind, params)
        lines = [intro, ""]
        for pub in matches:
            lines += [f"- {pub.title}", f"  {links.listing(pub.kind, pub.listing_id)}"]
        lines += [
            "",
            "--",
            _("管理我的订阅：%(url)s", url=links.manage),
            _("一键退订此提醒：%(url)s", url=unsubscribe_url),
        ]
    return kind, params, link, subject, "\n".join(lines)


def send_digest(
    subscription: Subscription, *, links: AlertLinks, now: datetime | None = None
) -> int:
    """Notify and e-mail one subscription's new matches and record them; returns how many.

    The e-mail is skipped when the user opted out of the "alerts" e-mail group.

    Deliveries are flushed before the e-mail goes out (the unique constraint refuses a
    concurrent run's duplicates); the caller commits on success and rolls back if this raises.
    """
    now = now or utcnow()
    matches = collect_matches(subscription, now=now)
    if not matches:
        return 0
    unsubscribe_url = links.unsubscribe(unsubscribe_token(subscription))
    kind, params, link, subject, body = _digest(subscription, matches, links, unsubscribe_url)
    for pub in matches:
        db.session.add(
            AlertDelivery(
                subscription_id=subscription.id,
                kind=pub.kind,
                listing_id=pub.listing_id,
                delivered_at=now,
            )
        )
    subscription.last_sent_at = now
    notifications.notify(
        users=[subscription.user], kind=kind, params=params, link=link, email=False
    )
    db.session.flush()
    if not notifications.wants_email(subscription.user, kind):
        return len(matches)  # opted out of alert e-mails: in-app notification and deliveries only
    send_email(
        to=subscription.user.email,
        subject=subject,
        body=body,
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    return len(matches)


def send_due(
    *, links: AlertLinks, now: datetime | None = None, frequency: str = "all"
) -> dict[str, int]:
    """Queue every due digest; safe to run from cron as often as you like.

    Each subscription runs in its own savepoint: one whose digest cannot be recorded (another
    run recorded these matches first, or anything else goes wrong) is rolled back alone and
    its matches wait for the next run. The caller's unit of work commits the rest; the mails
    are in the outbox, so none goes out unless its deliveries are stored.
    """
    now = now or utcnow()
    counts = {"subscriptions": 0, "matches": 0, "failed": 0}
    for subscription_id in due_subscriptions(now=now, frequency=frequency):
        subscription = db.session.get(Subscription, subscription_id)
        if subscription is None:
            continue
        savepoint = db.session.begin_nested()
        try:
            sent = send_digest(subscription, links=links, now=now)
            savepoint.commit()
        except IntegrityError:
            savepoint.rollback()  # another run recorded these matches first
            continue
        except Exception:  # keep the matches for next time, send the others
            savepoint.rollback()
            counts["failed"] += 1
            log.exception("alerts.digest_failed", extra={"subscription_id": subscription_id})
            continue
        if sent:
            counts["subscriptions"] += 1
            counts["matches"] += sent
    return counts
