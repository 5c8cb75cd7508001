"""The demo expert profiles: researchers of the demo universities and institutes, linked to
their results, created, submitted and approved through the talent services."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Organisation, Result, User
from matchmaker.models.expert import OFFER_KEYS
from matchmaker.services.platform import taxonomy
from matchmaker.services.talent import expert_review, experts


def experts_data() -> dict[str, Any]:
    """The demo expert profiles."""
    text = resources.files("matchmaker.seed").joinpath("experts.json").read_text("utf-8")
    return json.loads(text)


def _keeper(org_name: str) -> User:
    user = db.session.scalar(
        sa.select(User)
        .join(Organisation, User.organisation_id == Organisation.id)
        .where(Organisation.name == org_name)
        .order_by(User.id)
        .limit(1)
    )
    if user is None:
        raise LookupError(f"unknown organisation {org_name!r} in experts.json")
    return user


def _result_ids(organisation_id: int, titles: list[str]) -> list[int]:
    rows = db.session.execute(
        sa.select(Result.title, Result.id).where(
            Result.organisation_id == organisation_id, Result.title.in_(titles)
        )
    )
    found: dict[str, int] = {title: result_id for title, result_id in rows}
    missing = set(titles) - set(found)
    if missing:
        raise LookupError(f"unknown results {sorted(missing)!r} in experts.json")
    return [found[title] for title in titles]


def load_experts(*, admin: User | None, echo: Any = print) -> dict[str, int]:
    """Create, submit and approve the demo expert profiles; returns counts."""
    if admin is None:
        echo("  experts skipped: the demo has no administrator")
        return {"experts": 0}
    entries = experts_data()["experts"]
    for entry in entries:
        keeper = _keeper(entry["org"])
        assert keeper.organisation_id is not None  # noqa: S101  (a member has an organisation)
        field = taxonomy.field_by_code(entry["field"])
        offers = 0
        for key in entry["offers"]:
            offers |= OFFER_KEYS[key]
        expert = experts.create_expert(
            actor=keeper,
            data=experts.ExpertData(
                name=entry["name"],
                title=entry["title"],
                unit=entry["unit"],
                field_id=field.id if field else None,
                directions=entry["directions"],
                keywords=entry["keywords"],
                biography=entry["biography"],
                patents=list(entry["patents"]),
                offers=int(offers),
                availability=entry["availability"],
                contact_phone=entry["contact_phone"],
                contact_email=entry["contact_email"],
                result_ids=_result_ids(keeper.organisation_id, entry["results"]),
            ),
        )
        experts.submit_expert(actor=keeper, expert=expert)
        expert_review.approve_expert(actor=admin, expert=expert)
    echo(f"  experts: {len(entries)} published")
    return {"experts": len(entries)}
