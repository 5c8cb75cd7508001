"""Deterministic demo data (checked-in JSON), loaded through the services."""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from typing import Any

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Base, Organisation, User
from matchmaker.seed.brokers import load_brokers
from matchmaker.seed.challenges import load_challenges
from matchmaker.seed.connect import load_connect
from matchmaker.seed.events import load_events
from matchmaker.seed.evidence import demo_scan
from matchmaker.seed.experts import load_experts
from matchmaker.seed.finance import load_finance
from matchmaker.seed.listings import load_listings
from matchmaker.seed.scenarios import load_scenarios
from matchmaker.services.accounts import accounts, email_verification, organisations, users
from matchmaker.services.platform import mail


def demo_data() -> dict[str, Any]:
    """The demo organisations and users."""
    return json.loads(resources.files("matchmaker.seed").joinpath("demo.json").read_text("utf-8"))


def is_empty() -> bool:
    """Whether the database holds no organisations and no users yet."""
    return not (
        db.session.scalar(sa.select(sa.func.count()).select_from(Organisation))
        or db.session.scalar(sa.select(sa.func.count()).select_from(User))
    )


def wipe() -> None:
    """Delete every row of every table (demo reset; bypasses the ORM's append-only guard)."""
    for table in reversed(Base.metadata.sorted_tables):
        db.session.execute(sa.delete(table))
    db.session.flush()


def _keep(tokens: list[str]) -> Callable[[str], str]:
    """An invitation link maker that keeps the token, so the seed can accept it at once."""

    def link_for(token: str) -> str:
        tokens.append(token)
        return token

    return link_for


def load_demo(*, echo: Any = print) -> dict[str, int]:
    """Create the demo organisations and their members, and everything they do; returns counts.

    Loaded through the services, but without e-mail: the demo people's addresses are made up,
    and a development machine's job worker would otherwise log hundreds of mails.
    """
    with mail.suppressed():
        return _load_demo(echo=echo)


def _load_demo(*, echo: Any) -> dict[str, int]:
    data = demo_data()
    password = data["password"]
    admin: User | None = None
    created = {"organisations": 0, "users": 0}
    for entry in data["organisations"]:
        people = entry["users"]
        if entry["kind"] == "government":
            org = organisations.create_government_organisation(
                name=entry["name"], region=entry["region"]
            )
            for person in people:
                if person.get("role") == "bureau":  # a 科技局 reader: read-only, no organisation
                    users.create_bureau_user(
                        actor=None, email=person["email"], name=person["name"], password=password
                    )
                else:
                    admin = users.create_admin(
                        email=person["email"],
                        password=password,
                        name=person["name"],
                        organisation=org,
                    )
                created["users"] += 1
            created["organisations"] += 1
            continue
        first, *others = people
        user = accounts.register_organisation(
            organisation=accounts.OrganisationData(
                kind=entry["kind"],
                name=entry["name"],
                region=entry["region"],
                credit_code=entry["credit_code"],
                description=entry["description"],
            ),
            person=_person(first, password),
            document=demo_scan(entry["kind"]),
        )
        email_verification.mark_email_verified(user)  # demo addresses receive no mail
        assert user.organisation is not None  # register_organisation always creates it
        org = user.organisation
        for person in others:
            tokens: list[str] = []
            accounts.invite_member(actor=user, email=person["email"], link_for=_keep(tokens))
            accounts.accept_invitation(token=tokens[0], person=_person(person, password))
        created["organisations"] += 1
        created["users"] += len(people)
        if admin is not None and entry["status"] == "verified":
            organisations.verify_organisation(actor=admin, organisation=org)
        elif admin is not None and entry["status"] == "rejected":
            organisations.reject_organisation(
                actor=admin, organisation=org, reason=entry["review_reason"]
            )
        echo(f"  {entry['name']} ({entry['kind']}, {entry['status']}): {len(people)}")
    created.update(load_listings(admin=admin, echo=echo))
    created.update(load_experts(admin=admin, echo=echo))
    created.update(load_challenges(admin=admin, echo=echo))
    created.update(load_scenarios(admin=admin, echo=echo))
    created.update(load_connect(admin=admin, echo=echo))  # before finance: it scores last
    created.update(load_brokers(admin=admin, password=password, echo=echo))
    created["users"] += created["brokers"]
    finance = load_finance(admin=admin, echo=echo)
    created["organisations"] += finance.get("firms_registered", 0)
    created["users"] += finance.get("firms_registered", 0)
    created.update(finance)
    created.update(load_events(admin=admin, echo=echo))  # after the deals it links
    return created


def _person(person: dict[str, str], password: str) -> accounts.PersonData:
    return accounts.PersonData(
        name=person["name"], email=person["email"], password=password, phone=person.get("phone")
    )
