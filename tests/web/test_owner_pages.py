"""The owner's pages of results and needs: the listing's own text, only the legal actions, and
one life cycle per chip (a need published as a challenge shows the challenge's state apart)."""

from __future__ import annotations

import html
import re

import pytest

from matchmaker.extensions import db
from matchmaker.services.market import listings
from matchmaker.services.market.listing_states import MACHINES
from tests.conftest import log_in
from tests.factories import make_user
from tests.services.challenge_helpers import challenge_world
from tests.services.test_listings import (
    PUBLIC,
    SENTINEL_EMAIL,
    SENTINEL_PHONE,
    bring_to,
    data_for,
)

HIDDEN_ACTION = re.compile(r'name="action" value="(\w+)"')


def owner_role(kind: str) -> str:
    return "university" if kind == "result" else "enterprise"


def page_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return html.unescape(response.get_data(as_text=True))


def chips(page: str, lifecycle: str) -> list[str]:
    """The text of every element marked with data-lifecycle="<lifecycle>"."""
    found = re.findall(rf'data-lifecycle="{lifecycle}"[^>]*>(.*?)</(?:span|a)>', page, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", text).split()) for text in found]


@pytest.mark.parametrize("kind", ["result", "need"])
def test_owner_page_shows_every_field(client, fields, kind):
    owner, admin = make_user(owner_role(kind)), make_user("admin")
    listing = bring_to(kind, "draft", fields, owner, admin)
    db.session.commit()
    log_in(client, owner)
    page = page_of(client, f"/my/{kind}s/{listing.id}")
    content = page.split('id="listing-content"', 1)[1]
    if kind == "result":
        expected = [
            listing.summary,
            listing.description,
            listing.team,
            "#碳纤维",
            "TRL 6",
            "300",
        ]
    else:
        expected = [listing.description, listing.targets, listing.existing_base, "#轻量化", "80"]
    expected += [listing.contact_name, SENTINEL_PHONE, SENTINEL_EMAIL]
    for text in expected:
        assert text in content, text


@pytest.mark.parametrize("kind", ["result", "need"])
def test_a_draft_offers_no_withdraw(client, fields, kind):
    owner, admin = make_user(owner_role(kind)), make_user("admin")
    draft = bring_to(kind, "draft", fields, owner, admin)
    pending = bring_to(kind, "pending_review", fields, owner, admin)
    public = bring_to(kind, PUBLIC[kind], fields, owner, admin)
    db.session.commit()
    log_in(client, owner)
    for listing, legal in ((draft, False), (pending, False), (public, True)):
        page = page_of(client, f"/my/{kind}s/{listing.id}")
        actions = set(HIDDEN_ACTION.findall(page.split('id="listing-actions"', 1)[1]))
        assert ("withdraw" in actions) is legal, listing.status
        assert MACHINES[kind].can(listing, "withdraw") is legal
    # and the URL agrees with the page: withdrawing a draft is refused
    response = client.post(f"/my/{kind}s/{draft.id}/action", data={"action": "withdraw"})
    assert response.status_code == 409
    db.session.refresh(draft)
    assert draft.status == "draft"


def test_a_rejected_revision_can_still_be_withdrawn(client, fields):
    """A draft whose approved version is still public has something to take down."""
    owner, admin = make_user("university"), make_user("admin")
    listing = bring_to("result", "listed", fields, owner, admin)
    listings.update_listing(
        actor=owner, listing=listing, data=data_for("result", fields, title="修改后的标题：碳纤维")
    )
    assert listing.status == "pending_review"
    listings.reject_listing(actor=admin, listing=listing, code="unclear", reason="请说明技术指标")
    db.session.commit()
    assert listing.status == "draft" and listing.has_public_version
    log_in(client, owner)
    page = page_of(client, f"/my/results/{listing.id}")
    assert "withdraw" in HIDDEN_ACTION.findall(page)


def test_a_challenge_need_shows_two_life_cycles(client, fields):
    world = challenge_world(fields)
    owner, need, challenge = world["owner"], world["need"], world["challenge"]
    plain = bring_to("need", "pending_review", fields, owner, world["admin"])
    db.session.commit()
    log_in(client, owner)

    mine = page_of(client, "/my/listings")
    row = next(r for r in mine.split("<tr>") if f'/my/needs/{need.id}"' in r)
    assert chips(row, "listing") == ["已发布为榜单"]
    assert chips(row, "challenge") == ["榜单：征集中"]
    assert f'href="/challenges/{challenge.id}"' in row
    other = next(r for r in mine.split("<tr>") if f'/my/needs/{plain.id}"' in r)
    assert chips(other, "listing") == ["待审核"] and chips(other, "challenge") == []

    page = page_of(client, f"/my/needs/{need.id}")
    assert chips(page, "listing") == ["已发布为榜单"]
    assert chips(page, "challenge") == ["榜单：征集中"]
    # the listing's steps are refused for a challenge's need: none of them is offered
    actions = page.split('id="listing-actions"', 1)[1].split("</div>", 1)[0]
    assert HIDDEN_ACTION.findall(actions) == []
    assert f"/my/needs/{need.id}/edit" not in page
    assert f'href="/challenges/{challenge.id}"' in actions
