"""The digests of saved searches and followed listings: new matches, each sent once, ever.

A digest lists each match once: `AlertDelivery` rows (unique per subscription and listing) are
written in the same transaction as the in-app notification and the queued e-mail (the job
table is the outbox), so a digest whose deliveries cannot be stored sends nothing and its
matches wait for the next run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

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
    User,
    listing_model,
)
from matchmaker.models.base import utcnow
from matchmaker.services import matching
from matchmaker.services.market import publication
from matchmaker.services.market.alerts import (
    as_frequency,
    describe,
    filter_of,
    unsubscribe_token,
)
from matchmaker.services.market.browsing import browse_query
from matchmaker.services.platform import notifications
from matchmaker.services.platform.mail import send_email

log = logging.getLogger("matchmaker.alerts")

WAIT = {
    AlertFrequency.INSTANT: timedelta(0),
    AlertFrequency.DAILY: timedelta(days=1),
    AlertFrequency.WEEKLY: timedelta(days=7),
}
MAX_PER_DIGEST = 50  # the rest follow in the next digest
FOLLOW_DEPTH = 20  # recommendations considered for a followed listing
FOLLOW_MIN_SCORE = 0.1  # below this a recommendation is not worth an e-mail


@dataclass(frozen=True)
class AlertLinks:
    """Absolute URLs for the digest; the caller builds them (services never call url_for)."""

    listing: Callable[[str, int], str]
    search: Callable[[str, Mapping[str, Any]], str]
    unsubscribe: Callable[[str], str]
    manage: str


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
        stmt = browse_query(filter_of(subscription), now=now).where(
            Publication.approved_at > subscription.created_at
        )
        found = [
            p
            for p in db.session.scalars(stmt.limit(MAX_PER_DIGEST + len(delivered)))
            if (p.kind, p.listing_id) not in delivered
        ]
        return found[:MAX_PER_DIGEST]
    model = listing_model(subscription.target_kind)
    listing = cast(Result | Need | None, db.session.get(model, subscription.listing_id))
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
    frequencies = list(AlertFrequency) if frequency == "all" else [as_frequency(frequency)]
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
