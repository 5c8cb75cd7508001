"""The public 人才 page: published profiles searched by text, filtered by facets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.models import ExpertProfile, ExpertStatus, Organisation, TechField
from matchmaker.models.base import utcnow
from matchmaker.models.expert import OFFER_KEYS

PER_PAGE = 12


@dataclass
class ExpertQuery:
    """What the visitor asked for (unknown facet values are ignored)."""

    q: str = ""
    field_id: int | None = None
    offer: str = ""
    organisation_id: int | None = None
    page: int = 1


@dataclass
class Facets:
    """Counts of the published profiles matching the text, by field, offer and organisation."""

    fields: list[tuple[TechField, int]] = field(default_factory=list)
    offers: list[tuple[str, int]] = field(default_factory=list)
    organisations: list[tuple[Organisation, int]] = field(default_factory=list)


def _public() -> sa.ColumnElement[bool]:
    return sa.and_(
        ExpertProfile.status == ExpertStatus.PUBLISHED,
        sa.or_(ExpertProfile.expires_at.is_(None), ExpertProfile.expires_at > utcnow()),
    )


def _text(q: str) -> list[sa.ColumnElement[bool]]:
    conditions = []
    for word in q.split()[:8]:
        like = f"%{word.replace('%', '').replace('_', '')}%"
        conditions.append(
            sa.or_(
                ExpertProfile.name.ilike(like),
                ExpertProfile.directions.ilike(like),
                ExpertProfile.keywords.ilike(like),
                ExpertProfile.unit.ilike(like),
            )
        )
    return conditions


def search_experts(query: ExpertQuery) -> tuple[Any, Facets]:
    """A page of published profiles and the facet counts."""
    base = [_public(), *_text(query.q)]
    where = list(base)
    if query.field_id:
        where.append(ExpertProfile.field_id == query.field_id)
    if query.offer in OFFER_KEYS:
        where.append(ExpertProfile.offers.op("&")(int(OFFER_KEYS[query.offer])) != 0)
    if query.organisation_id:
        where.append(ExpertProfile.organisation_id == query.organisation_id)
    statement = (
        sa.select(ExpertProfile)
        .where(*where)
        .options(selectinload(ExpertProfile.organisation), selectinload(ExpertProfile.field))
        .order_by(ExpertProfile.published_at.desc(), ExpertProfile.id.desc())
    )
    page = db.paginate(statement, page=max(query.page, 1), per_page=PER_PAGE, error_out=False)
    return page, _facets(base)


def _facets(base: list[sa.ColumnElement[bool]]) -> Facets:
    facets = Facets()
    rows = db.session.execute(
        sa.select(TechField, sa.func.count(ExpertProfile.id))
        .join(ExpertProfile, ExpertProfile.field_id == TechField.id)
        .where(*base)
        .group_by(TechField.id)
        .order_by(TechField.position, TechField.id)
    )
    facets.fields = [(f, n) for f, n in rows]
    rows = db.session.execute(
        sa.select(Organisation, sa.func.count(ExpertProfile.id))
        .join(ExpertProfile, ExpertProfile.organisation_id == Organisation.id)
        .where(*base)
        .group_by(Organisation.id)
        .order_by(Organisation.name)
    )
    facets.organisations = [(o, n) for o, n in rows]
    for key, bit in OFFER_KEYS.items():
        count = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(ExpertProfile)
            .where(*base, ExpertProfile.offers.op("&")(int(bit)) != 0)
        )
        facets.offers.append((key, count or 0))
    return facets
