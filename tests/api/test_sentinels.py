"""The sentinel crawl: no API answer carries a field its caller may not see.

The demo data is loaded, then marked with sentinels in fields that only some callers may see:
a draft's title (its organisation and admins), a 对接 message (the two parties), a firm's
innovation figures under a consent that does not cover them (no bank), listing and expert
contact details (never anonymous visitors), and the stored secrets (password and token hashes:
nobody, ever). Every GET operation of the OpenAPI document is then called by each caller with
the ids of the marked objects (and a few others) in its path parameters, and no answer may
contain a sentinel the caller may not see. A positive control (the owner finds its draft, a
party finds its message) shows the crawl reaches them.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from matchmaker import seed
from matchmaker.extensions import db
from matchmaker.models import (
    ApiToken,
    ConsentGrant,
    ConsentScope,
    Enquiry,
    EnquiryMessage,
    ExpertProfile,
    FirmProfile,
    Need,
    Result,
    User,
)
from matchmaker.models.base import utcnow
from tests.factories import make_broker, make_user

DRAFT = "SNTLDRAFTTITLE"
MESSAGE = "SNTLMESSAGEBODY"
AWARDS = "SNTLAWARDSNOTCONSENTED"
LISTING_PHONE = "13SNTL0000"
EXPERT_PHONE = "15SNTL0000"
PATH_PARAM = re.compile(r"\{(\w+)\}")
SKIP = {"/api/v1/openapi.json", "/api/v1/docs"}


@pytest.fixture
def world(fields):  # noqa: ANN001, ANN201
    seed.load_demo(echo=lambda *_: None)
    draft = db.session.scalar(sa.select(Result).where(Result.status == "draft").limit(1))
    if draft is None:  # the demo has none: take back a result into the draft state
        draft = db.session.scalar(sa.select(Result).order_by(Result.id.desc()).limit(1))
        draft.status = "draft"
    draft.title = DRAFT
    message = db.session.scalar(sa.select(EnquiryMessage).order_by(EnquiryMessage.id).limit(1))
    message.body = MESSAGE
    enquiry = db.session.get(Enquiry, message.enquiry_id)
    grant = db.session.scalar(
        sa.select(ConsentGrant)
        .where(ConsentGrant.revoked_at.is_(None), ConsentGrant.expires_at > utcnow())
        .limit(1)
    )
    grant.scopes = int(ConsentScope.BASIC)  # innovation figures no longer consented
    profile = db.session.scalar(
        sa.select(FirmProfile).where(FirmProfile.organisation_id == grant.organisation_id)
    )
    profile.awards = AWARDS
    for model in (Result, Need):
        db.session.execute(sa.update(model).values(contact_phone=LISTING_PHONE))
    db.session.execute(sa.update(ExpertProfile).values(contact_phone=EXPERT_PHONE))
    owner = db.session.scalar(
        sa.select(User).where(User.organisation_id == draft.organisation_id).limit(1)
    )
    party = db.session.get(User, message.author_id)
    db.session.commit()
    ids = {draft.id, enquiry.id, message.id, grant.organisation_id, profile.id, 1, 2}
    for model in (ExpertProfile, Need):
        first = db.session.scalar(sa.select(model.id).order_by(model.id).limit(1))
        if first:
            ids.add(first)
    return {"owner": owner, "party": party, "enquiry": enquiry, "ids": sorted(ids)}


def _get_paths(client: FlaskClient) -> list[str]:
    document = client.get("/api/v1/openapi.json").get_json()
    return sorted(
        path for path, ops in document["paths"].items() if "get" in ops and path not in SKIP
    )


def _urls(paths: Iterable[str], ids: list[int]) -> Iterable[str]:
    for path in paths:
        names = PATH_PARAM.findall(path)
        for values in itertools.product(ids, repeat=len(names)):
            url = path
            for name, value in zip(names, values, strict=True):
                url = url.replace("{" + name + "}", str(value))
            yield url + ("?page_size=50" if not names else "")


def _crawl(
    client: FlaskClient, headers: dict[str, str], ids: list[int], paths: list[str]
) -> dict[str, str]:
    """url -> answer text, for every GET operation with the given ids."""
    seen = {}
    for url in _urls(paths, ids):
        answer = client.get(url, headers=headers)
        assert answer.status_code < 500, url
        seen[url] = answer.get_data(as_text=True)
    return seen


def _secrets() -> list[str]:
    hashes = list(db.session.scalars(sa.select(User.password_hash)))
    hashes += list(db.session.scalars(sa.select(ApiToken.token_hash)))
    return [h for h in hashes if h]


def _found(seen: dict[str, str], needles: Iterable[str]) -> list[tuple[str, str]]:
    return [(needle, url) for url, text in seen.items() for needle in needles if needle in text]


@pytest.fixture
def crawl(client: FlaskClient, world, token_for) -> Callable[..., dict[str, str]]:  # noqa: ANN001
    paths = _get_paths(client)

    def run(user: User | None) -> dict[str, str]:
        headers = {}
        if user is not None:
            from matchmaker.services.accounts import api_tokens

            scopes = list(api_tokens.allowed_scopes(user))
            headers = {"Authorization": f"Bearer {token_for(user, scopes)}"}
        return _crawl(client, headers, world["ids"], paths)

    return run


def test_no_caller_gets_a_field_it_may_not_see(crawl, world):  # noqa: ANN001
    """One crawl per caller over the same marked data (loading the demo once)."""
    outsiders = {
        "enterprise": make_user("enterprise"),
        "university": make_user("university"),
        "bank": make_user("bank"),
        "broker": make_broker().user,
    }
    admin = make_user("admin")
    db.session.commit()
    secrets = _secrets()
    leaks = {"anon": _found(crawl(None), [DRAFT, MESSAGE, AWARDS, LISTING_PHONE, EXPERT_PHONE])}
    for role, user in outsiders.items():
        leaks[role] = _found(crawl(user), [DRAFT, MESSAGE, AWARDS])
    leaks["admin"] = []
    secrets = _secrets()  # the tokens the crawls made are secrets too
    for role, user in {**outsiders, "admin": admin}.items():
        leaks[role] += _found(crawl(user), secrets)
    assert {role: found for role, found in leaks.items() if found} == {}
    # Positive control: the draft's organisation finds its draft, the message's author finds
    # the message (so the crawl does reach the places the sentinels are kept from).
    assert _found(crawl(world["owner"]), [DRAFT]), "the owner's crawl never met its own draft"
    assert _found(crawl(world["party"]), [MESSAGE]), "the party's crawl never met its message"
