"""The public 人才 page: public profiles searched by text, filtered by facets.

A profile whose edit waits for review is public in its approved version (`public_snapshot`):
the text, field and offers matched and counted here are that version's (expert_public.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.models import ExpertProfile, Organisation, TechField
from matchmaker.models.expert import OFFER_KEYS
from matchmaker.services.talent.expert_public import (
    PublicExpert,
    public_condition,
    public_view,
    shown_int,
    shown_text,
)

PER_PAGE = 12


@dataclass
class ExpertQuery:
    """What the visitor asked for (unknown facet values are ignored)."""

    q: str = ""
    field_id: int | None = None
    offer: str = ""
    organisation_id: int | None = None
    page: int = 1
    per_page: int = PER_PAGE  # the API asks for its own page size (capped there)


@dataclass
class Facets:
    """Counts of the public profiles matching the text, by field, offer and organisation."""

    fields: list[tuple[TechField, int]] = field(default_factory=list)
    offers: list[tuple[str, int]] = field(default_factory=list)
    organisations: list[tuple[Organisation, int]] = field(default_factory=list)


def _text(q: str) -> list[sa.ColumnElement[bool]]:
    conditions = []
    for word in q.split()[:8]:
        like = f"%{word.replace('%', '').replace('_', '')}%"
        conditions.append(
            sa.or_(*(shown_text(name).ilike(like) for name in _SEARCHED)),
        )
    return conditions


_SEARCHED = ("name", "directions", "keywords", "unit")


#: What a card shows, loaded with the page (one query per relation, not per card).
CARD_LOADING = (
    selectinload(ExpertProfile.organisation),
    selectinload(ExpertProfile.field),
    selectinload(ExpertProfile.results),
)


def search_experts(query: ExpertQuery) -> tuple[Any, Facets]:
    """A page of public profiles (their public versions, `public_view`) and the facet counts."""
    base = [public_condition(), *_text(query.q)]
    where = list(base)
    if query.field_id:
        where.append(shown_int("field_id") == query.field_id)
    if query.offer in OFFER_KEYS:
        where.append(shown_int("offers").op("&")(int(OFFER_KEYS[query.offer])) != 0)
    if query.organisation_id:
        where.append(ExpertProfile.organisation_id == query.organisation_id)
    statement = (
        sa.select(ExpertProfile)
        .where(*where)
        .options(*CARD_LOADING)
        .order_by(ExpertProfile.published_at.desc(), ExpertProfile.id.desc())
    )
    page = db.paginate(
        statement, page=max(query.page, 1), per_page=max(query.per_page, 1), error_out=False
    )
    page.items = [public_view(expert) for expert in page.items]
    return page, _facets(base)


def matching_experts(q: str, *, limit: int) -> list[PublicExpert]:
    """Public profiles (their public versions) matching the text as on the 人才 page, newest
    first, at most `limit` (the API's site search)."""
    statement = (
        sa.select(ExpertProfile)
        .where(public_condition(), *_text(q))
        .options(*CARD_LOADING)
        .order_by(ExpertProfile.published_at.desc(), ExpertProfile.id.desc())
        .limit(limit)
    )
    return [public_view(expert) for expert in db.session.scalars(statement)]


def _facets(base: list[sa.ColumnElement[bool]]) -> Facets:
    facets = Facets()
    rows = db.session.execute(
        sa.select(TechField, sa.func.count(ExpertProfile.id))
        .join(ExpertProfile, shown_int("field_id") == TechField.id)
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
            .where(*base, shown_int("offers").op("&")(int(bit)) != 0)
        )
        facets.offers.append((key, count or 0))
    return facets
