"""What the public sees of an expert profile: its approved version and its staged contact.

A published profile is public as it stands. When its substance is edited it goes back to
review and, exactly like a listing's Publication row (services/market/publication.py), the
approved version is kept, here in `ExpertProfile.public_snapshot`: the public page, the 人才
search and its facets show the snapshot until the edit is approved (the snapshot is cleared and
the new text goes public). A rejected or retracted edit returns to its keepers as a draft while
the snapshot stays public; withdrawal and expiry remove it. The contact is never part of the
public version: `visible_contact` hands it out only to whom `can_see_expert_contact` allows.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import BrokerStatus, ExpertProfile, ExpertStatus, Result, TechField
from matchmaker.models.base import utcnow
from matchmaker.models.expert import OFFER_KEYS, ExpertOffer
from matchmaker.permissions import Permission, can_see_contact, has_permission
from matchmaker.services.talent.brokers import broker_of

#: The fields of the approved version kept while an edit waits for review.
SNAPSHOT_FIELDS = (
    "name",
    "title",
    "unit",
    "field_id",
    "directions",
    "keywords",
    "biography",
    "patents",
    "offers",
    "availability",
)


def take_snapshot(expert: ExpertProfile) -> dict[str, Any]:
    """The profile's current public fields (and linked result ids) as JSON."""
    data: dict[str, Any] = {name: getattr(expert, name) for name in SNAPSHOT_FIELDS}
    data["patents"] = list(expert.patents or [])
    data["result_ids"] = sorted(r.id for r in expert.results)
    return data


def has_snapshot() -> sa.ColumnElement[bool]:
    """SQL: the profile keeps an approved version (robust to SQL NULL and JSON null alike)."""
    return ExpertProfile.public_snapshot["name"].as_string().is_not(None)


def public_condition(now: datetime | None = None) -> sa.ColumnElement[bool]:
    """SQL: the profile is on the public pages (published, or its approved version kept)."""
    now = now or utcnow()
    return sa.and_(
        sa.or_(ExpertProfile.status == ExpertStatus.PUBLISHED, has_snapshot()),
        sa.or_(ExpertProfile.expires_at.is_(None), ExpertProfile.expires_at > now),
    )


def shown_text(name: str) -> sa.ColumnElement[Any]:
    """SQL: a text field as the public sees it (the snapshot's while one is kept)."""
    live = getattr(ExpertProfile, name)
    return sa.case((has_snapshot(), ExpertProfile.public_snapshot[name].as_string()), else_=live)


def shown_int(name: str) -> sa.ColumnElement[Any]:
    """SQL: an integer field as the public sees it (the snapshot's while one is kept)."""
    live = getattr(ExpertProfile, name)
    return sa.case((has_snapshot(), ExpertProfile.public_snapshot[name].as_integer()), else_=live)


def is_public(expert: ExpertProfile, *, now: datetime | None = None) -> bool:
    """Whether the profile is on the public 人才 pages now."""
    now = now or utcnow()
    shown = expert.status == ExpertStatus.PUBLISHED or expert.public_snapshot is not None
    return shown and (expert.expires_at is None or expert.expires_at > now)


@dataclass
class PublicExpert:
    """The public version of a profile: no contact, the approved text."""

    id: int
    organisation_id: int
    organisation: Any
    name: str
    title: str
    unit: str
    field_id: int | None
    field: TechField | None
    directions: str
    keywords: str
    biography: str
    patents: list[str]
    offers: int
    availability: str
    results: list[Result] = dataclasses.field(default_factory=list)
    published_at: datetime | None = None
    expires_at: datetime | None = None
    under_review: bool = False  # an edit waits for review (this is the approved version)

    @property
    def keyword_list(self) -> list[str]:
        """Keywords as a list."""
        return [k for k in (self.keywords or "").split(",") if k]

    @property
    def offer_flags(self) -> ExpertOffer:
        """The offers as flags."""
        return ExpertOffer(self.offers or 0)

    @property
    def offer_codes(self) -> list[str]:
        """The facet keys of the offers."""
        return [key for key, bit in OFFER_KEYS.items() if self.offer_flags & bit]

    @property
    def result_ids(self) -> list[int]:
        """The ids of the linked results."""
        return [r.id for r in self.results]


def public_view(expert: ExpertProfile) -> PublicExpert:
    """The version of a profile the public sees: the kept snapshot, else the profile itself.

    Contact fields are never part of it (see `visible_contact`).
    """
    snap = expert.public_snapshot
    if snap is None:
        values: dict[str, Any] = {name: getattr(expert, name) for name in SNAPSHOT_FIELDS}
        values["patents"] = list(expert.patents or [])
        tech_field, results = expert.field, list(expert.results)
    else:
        values = {name: snap.get(name) for name in SNAPSHOT_FIELDS}
        for name in ("title", "unit", "directions", "keywords", "biography", "availability"):
            values[name] = values[name] or ""
        values["name"] = values["name"] or expert.name
        values["patents"] = list(values["patents"] or [])
        values["offers"] = int(values["offers"] or 0)
        ids = [int(i) for i in snap.get("result_ids") or []]
        tech_field = db.session.get(TechField, values["field_id"]) if values["field_id"] else None
        results = (
            list(
                db.session.scalars(sa.select(Result).where(Result.id.in_(ids)).order_by(Result.id))
            )
            if ids
            else []
        )
    return PublicExpert(
        id=expert.id,
        organisation_id=expert.organisation_id,
        organisation=expert.organisation,
        field=tech_field,
        results=results,
        published_at=expert.published_at,
        expires_at=expert.expires_at,
        under_review=snap is not None,
        **values,
    )


def can_see_expert_contact(user: Any, expert: ExpertProfile) -> bool:
    """The staged disclosure of a profile's contact, in one place.

    Visitors never; admins, the profile's own organisation, members of verified organisations
    and verified 技术经纪人 always; any other signed-in active user only when the keepers made
    the contact public (`contact_public`).
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if has_permission(user, Permission.LISTING_REVIEW) or can_see_contact(user):
        return True
    if user.organisation_id is not None and user.organisation_id == expert.organisation_id:
        return True
    if expert.contact_public:
        return True
    broker = broker_of(user)
    return broker is not None and broker.status == BrokerStatus.VERIFIED


def visible_contact(user: Any, expert: ExpertProfile) -> dict[str, str] | None:
    """The profile's contact for `user`, or None when they may not see it."""
    if not can_see_expert_contact(user, expert):
        return None
    return {"phone": expert.contact_phone, "email": expert.contact_email}
