"""No N+1 on the list and detail pages: the number of SQL statements a page runs must not grow
with the number of items it shows. Each case renders a page with N items (each from its own
organisation, so a per-card organisation load would show), adds 2N more, renders it again and
compares the statement counts."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Mode
from matchmaker.services.challenges import challenge_review, challenges, conversion, scenarios
from matchmaker.services.events import events
from matchmaker.services.market import listings
from matchmaker.services.platform import notifications
from matchmaker.services.talent import expert_review, experts
from tests.conftest import log_in
from tests.connect.helpers import send
from tests.factories import (
    OrganisationFactory,
    make_broker,
    make_user,
    publish_need,
    publish_result,
)
from tests.services.challenge_helpers import terms
from tests.services.test_events import event_data
from tests.services.test_listings import data_for
from tests.services.test_scenarios import scenario_data

N = 2
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"
LASER = "需要大功率光纤激光熔覆头，用于轴类零件表面激光熔覆修复，熔覆层无裂纹。"
LASER_RESULT = "光纤激光熔覆修复技术，熔覆层无裂纹，适用于轴类零件表面修复与再制造。"


@contextmanager
def counting() -> Iterator[list[str]]:
    """The SQL statements run inside the block."""
    seen: list[str] = []

    def count(conn, cursor, statement, *args):  # noqa: ANN001
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def statements(client, url: str) -> tuple[int, str]:
    """How many statements the page ran, and its text (tags such as search marks removed)."""
    db.session.commit()
    db.session.expire_all()
    with counting() as seen:
        response = client.get(url, headers={"User-Agent": BROWSER})
    assert response.status_code == 200, url
    return len(seen), re.sub(r"<[^>]+>", "", response.get_data(as_text=True))


# --- the worlds: each returns (url, the user to log in as or None, add(i) -> a shown title) ---
World = tuple[str, Any, Callable[[int], str]]


def _results(fields) -> World:
    admin = make_user("admin")

    def add(i: int) -> str:
        title = f"碳纤维连续碳化技术{i:02d}"
        publish_result(make_user("university"), admin, fields, title, "连续碳化工艺，能耗降低")
        return title

    return "/results", None, add


def _search(fields) -> World:
    url, _user, add = _results(fields)
    return "/results?q=碳纤维", None, add


def _needs(fields) -> World:
    admin = make_user("admin")

    def add(i: int) -> str:
        title = f"锂电池隔膜涂覆工艺{i:02d}"
        publish_need(make_user("enterprise"), admin, fields, title, "需要提升隔膜涂覆一致性" * 3)
        return title

    return "/needs", None, add


def _detail(kind: str) -> Callable[[Any], World]:
    def world(fields) -> World:
        admin = make_user("admin")
        if kind == "need":
            source = publish_need(make_user("enterprise"), admin, fields, "激光熔覆头", LASER)
        else:
            source = publish_result(
                make_user("university"), admin, fields, "光纤激光熔覆修复", LASER_RESULT
            )

        def add(i: int) -> str:
            title = f"激光熔覆头需求{i:02d}" if kind == "result" else f"光纤激光熔覆修复{i:02d}"
            if kind == "result":
                publish_need(make_user("enterprise"), admin, fields, title, LASER)
            else:
                publish_result(make_user("university"), admin, fields, title, LASER_RESULT)
            return title

        return f"/{kind}s/{source.id}", None, add

    return world


def _challenges(fields) -> World:
    admin = make_user("admin")

    def add(i: int) -> str:
        owner = make_user("enterprise")
        title = f"高强度碳纤维原丝工艺{i:02d}"
        need = publish_need(owner, admin, fields, title, "需要提升碳纤维原丝的强度与一致性" * 2)
        challenge = challenges.publish_challenge(actor=owner, need=need, terms=terms())
        if challenge.need.status == "challenge_review":
            challenge_review.approve_challenge(actor=admin, challenge=challenge)
        return title

    return "/challenges", None, add


def _scenarios(fields) -> World:
    def add(i: int) -> str:
        admin = make_user("admin", organisation=OrganisationFactory(government=True))
        title = f"智慧病房护理场景{i:02d}"
        challenge = scenarios.publish_scenario(actor=admin, data=scenario_data(fields, title=title))
        challenge_review.approve_challenge(actor=admin, challenge=challenge)
        return title

    return "/scenarios", None, add


def _events(fields) -> World:
    def add(i: int) -> str:
        admin = make_user("admin", organisation=OrganisationFactory(government=True))
        title = f"青年科学家与企业家交流会{i:02d}"
        event = events.create_event(actor=admin, data=event_data(title=title))
        events.publish_event(actor=admin, event=event)
        return title

    return "/events", None, add


def _experts(fields) -> World:
    admin = make_user("admin")

    def add(i: int) -> str:
        owner = make_user("university")
        result = publish_result(owner, admin, fields, f"功能高分子{i:02d}", "功能高分子材料合成")
        name = f"李敏{i:02d}"
        data = experts.ExpertData(
            name=name,
            unit="化学学院",
            field_id=fields["materials"].id,
            directions="功能高分子材料",
            keywords="高分子",
            offers=1,
            contact_phone="0431-85166888",
            result_ids=[result.id],
        )
        expert = experts.create_expert(actor=owner, data=data)
        experts.submit_expert(actor=owner, expert=expert)
        expert_review.approve_expert(actor=admin, expert=expert)
        return name

    return "/experts", None, add


def _brokers(fields) -> World:
    def add(i: int) -> str:
        name = f"经纪人{i:02d}"
        make_broker(name=name, broker_organisation=OrganisationFactory())
        return name

    return "/brokers", None, add


def _conversion(fields) -> World:
    admin = make_user("admin")

    def add(i: int) -> str:
        uni = make_user("university")
        title = f"人参皂苷提取新工艺{i:02d}"
        result = publish_result(uni, admin, fields, title, "超临界萃取，收率提高三成")
        conversion.publish_conversion_offer(
            actor=uni,
            result=result,
            terms=conversion.OfferTerms(modes=Mode.LICENSE_NON_EXCLUSIVE, price_wan=Decimal(30)),
        )
        return title

    return "/conversion", None, add


def _my_listings(fields) -> World:
    owner = make_user("enterprise")
    admin = make_user("admin")

    def add(i: int) -> str:
        title = f"我的需求{i:02d}"
        need = publish_need(owner, admin, fields, title, "需要提升隔膜涂覆一致性" * 3)
        challenges.publish_challenge(actor=owner, need=need, terms=terms())
        return title

    return "/my/listings", owner, add


def _inbox(fields) -> World:
    admin = make_user("admin")
    uni = make_user("university")
    result = publish_result(uni, admin, fields, "碳纤维连续碳化技术", "连续碳化工艺，能耗降低两成")

    def add(i: int) -> str:
        firm = make_user("enterprise")
        send(firm, result)
        return firm.organisation.name

    return "/connect/inbox", uni, add


def _notifications(fields) -> World:
    user = make_user("university")

    def add(i: int) -> str:
        title = f"通知的成果{i:02d}"
        notifications.notify(
            users=[user],
            kind="listing.approved",
            params={"title": title, "expires": "2027-01-01"},
            link="/my/listings",
            email=False,
        )
        return title

    return "/notifications/", user, add


def _review_queue(fields) -> World:
    admin = make_user("admin")

    def add(i: int) -> str:
        owner = make_user("university")
        title = f"待审核成果{i:02d}"
        listing = listings.create_listing(actor=owner, data=data_for("result", fields, title=title))
        listings.submit_listing(actor=owner, listing=listing)
        return title

    return "/admin/review/", admin, add


PAGES: dict[str, Callable[[Any], World]] = {
    "results": _results,
    "search": _search,
    "needs": _needs,
    "result_detail": _detail("result"),
    "need_detail": _detail("need"),
    "challenges": _challenges,
    "scenarios": _scenarios,
    "events": _events,
    "experts": _experts,
    "brokers": _brokers,
    "conversion": _conversion,
    "my_listings": _my_listings,
    "inbox": _inbox,
    "notifications": _notifications,
    "review_queue": _review_queue,
}


@pytest.mark.parametrize("page", list(PAGES))
def test_statements_do_not_grow_with_the_list(client, fields, page):
    url, user, add = PAGES[page](fields)
    if user is not None:
        log_in(client, user)
    shown = [add(i) for i in range(N)]
    small, html = statements(client, url)
    if page.endswith("_detail"):
        assert "光纤激光熔覆修复" in html or "激光熔覆头需求" in html, "no recommendation shown"
    else:
        assert all(title in html for title in shown), (page, shown)
    shown += [add(i) for i in range(N, 3 * N)]
    large, html = statements(client, url)
    if not page.endswith("_detail"):
        assert all(title in html for title in shown), (page, shown)
    # (a search may run one statement fewer once the engine's index caught up with the changes)
    assert large <= small, f"{url}: {small} statements with {N} items, {large} with {3 * N}"


def test_detail_pages_show_more_cards_with_more_matches(client, fields):
    """The detail cases above compare pages with more cards, not the same page twice."""
    url, _user, add = _detail("need")(fields)
    for i in range(N):
        add(i)
    db.session.commit()
    few = client.get(url, headers={"User-Agent": BROWSER}).get_data(as_text=True)
    for i in range(N, 3 * N):
        add(i)
    db.session.commit()
    more = client.get(url, headers={"User-Agent": BROWSER}).get_data(as_text=True)
    card = 'class="card mb-2 recommendation"'
    assert more.count(card) > few.count(card) >= 1


def test_counting_sees_statements(client, fields):
    """The counter itself works (a page that runs no statement would pass every case)."""
    n, _html = statements(client, "/results")
    assert n >= 2
    # and it would see an N+1: one statement per loaded row
    with counting() as seen:
        for user_id in (1, 2, 3):
            db.session.execute(sa.text("SELECT :i"), {"i": user_id})
    assert len(seen) == 3
