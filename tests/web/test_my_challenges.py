"""我的榜单 (/my/challenges): the enterprise's published challenges, and the menu that opens it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from matchmaker.extensions import db
from matchmaker.models.base import utcnow
from matchmaker.services.challenges import challenges
from tests.conftest import log_in
from tests.factories import make_user, publish_need
from tests.services.challenge_helpers import apply, challenge_world, terms


@pytest.fixture
def world(fields):
    return challenge_world(fields)


def _row(page: str, challenge_id: int) -> str:
    start = page.index(f'id="challenge-{challenge_id}"')
    return page[start : page.index("</tr>", start)]


def test_lists_state_deadline_applications_and_new_since_last_visit(client, fields, world):
    second_need = publish_need(
        world["owner"], world["admin"], fields, "低成本储氢材料", "需要一种低成本的固态储氢材料" * 2
    )
    second = challenges.publish_challenge(actor=world["owner"], need=second_need, terms=terms())
    apply(world["uni_a"], world["challenge"])
    db.session.commit()
    log_in(client, world["owner"])

    page = client.get("/my/challenges").get_data(as_text=True)
    first = _row(page, world["challenge"].id)
    assert world["need"].title in first and "征集中" in first
    assert f'href="/my/challenges/{world["challenge"].id}"' in first
    assert "还剩 9 天" in first  # the deadline, ten days ahead, with its countdown
    assert '<td class="text-end applications">1</td>' in first
    assert 'text-bg-warning">1</span>' in first  # never looked before: it is new
    assert '<td class="text-end applications">0</td>' in _row(page, second.id)

    page = client.get("/my/challenges").get_data(as_text=True)
    assert '<td class="text-end new-applications">0</td>' in _row(page, world["challenge"].id)

    apply(world["uni_b"], world["challenge"], now=utcnow() + timedelta(seconds=1))
    db.session.commit()
    page = client.get("/my/challenges").get_data(as_text=True)
    first = _row(page, world["challenge"].id)
    assert '<td class="text-end applications">2</td>' in first
    assert 'text-bg-warning">1</span>' in first  # only the one submitted since


def test_only_the_own_organisations_challenges(client, world):
    other = make_user("enterprise")
    db.session.commit()
    log_in(client, other)
    page = client.get("/my/challenges").get_data(as_text=True)
    assert world["need"].title not in page and "还没有发布榜单" in page


def test_drafts_are_not_counted(client, world):
    from matchmaker.services.challenges import applications
    from tests.services.challenge_helpers import PROPOSAL

    applications.save_application_draft(
        actor=world["uni_a"], challenge=world["challenge"], data=PROPOSAL
    )
    db.session.commit()
    log_in(client, world["owner"])
    row = _row(client.get("/my/challenges").get_data(as_text=True), world["challenge"].id)
    assert '<td class="text-end applications">0</td>' in row


def test_menu_items_are_named_after_what_they_open(client, world):
    log_in(client, world["owner"])
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/my/challenges">我的榜单</a>' in page
    assert 'href="/my/adoptions">我的采用申请</a>' in page
    assert 'href="/my/adoptions">我的揭榜</a>' not in page
    log_in(client, world["uni_a"])
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/my/applications">我的揭榜</a>' in page
    assert 'href="/my/challenges">' not in page
