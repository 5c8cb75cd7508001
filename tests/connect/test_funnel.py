"""The 对接 funnel: dedup per visitor and China day, bots left out, impressions and clicks from
recommendation cards, deals, the owner's panel and the admin's per-month table."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Publication
from matchmaker.models.enquiry import FunnelEvent, FunnelStep
from matchmaker.services.challenges import deals
from matchmaker.services.connect import funnel
from matchmaker.services.market import listings
from matchmaker.web.tracking import SESSION_KEY
from tests.conftest import log_in
from tests.factories import make_user, publish_need, publish_result
from tests.services.test_deals import TERMS, _evidence, awarded  # noqa: F401 - the fixture
from tests.services.test_listings import result_data

BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)
PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1 MicroMessenger/8.0.49"
)
BOTS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
    "Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "curl/8.5.0",
    "python-requests/2.32.3",
    "",
)
CARBON = "碳纤维复合材料热压成型工艺，拉伸强度3.5GPa，成本降低30%，适用于汽车轻量化部件。"


def events(step: FunnelStep | None = None, **where: object) -> list[FunnelEvent]:
    stmt = sa.select(FunnelEvent).order_by(FunnelEvent.id)
    if step is not None:
        stmt = stmt.where(FunnelEvent.step == step)
    for name, value in where.items():
        stmt = stmt.where(getattr(FunnelEvent, name) == value)
    return list(db.session.scalars(stmt))


@pytest.fixture
def world(db, fields):
    """A university's listed result and an enterprise's open need that match each other."""
    admin = make_user("admin")
    uni = make_user("university")
    firm = make_user("enterprise")
    result = publish_result(uni, admin, fields, "碳纤维热压成型工艺", CARBON)
    need = publish_need(
        firm, admin, fields, "碳纤维复合材料成型", "需要碳纤维复合材料热压成型工艺" + CARBON
    )
    db.session.commit()
    return {"admin": admin, "uni": uni, "firm": firm, "result": result, "need": need}


# --- the service ---------------------------------------------------------------------------------
@pytest.mark.parametrize("agent", BOTS)
def test_crawlers_and_scripts_are_bots(agent):
    assert funnel.is_bot(agent)


@pytest.mark.parametrize("agent", [BROWSER, PHONE, "Mozilla/5.0 (X11; Linux) Firefox/127.0"])
def test_browsers_are_not_bots(agent):
    assert not funnel.is_bot(agent)


def test_visitor_key_is_a_keyed_hash(app):
    key = funnel.visitor_key("user:7")
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert key == funnel.visitor_key("user:7") != funnel.visitor_key("user:8")
    secret = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "another-secret"
    try:
        assert funnel.visitor_key("user:7") != key  # not a plain hash anyone can recompute
    finally:
        app.config["SECRET_KEY"] = secret


def test_a_step_counts_once_per_key_and_china_day(world):
    result = world["result"]
    morning = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in China
    assert funnel.record(FunnelStep.VIEW, result, key="a", now=morning)
    assert not funnel.record(FunnelStep.VIEW, result, key="a", now=morning + timedelta(hours=14))
    assert funnel.record(FunnelStep.VIEW, result, key="b", now=morning)
    # 16:30 UTC is already the next day in China
    assert funnel.record(FunnelStep.VIEW, result, key="a", now=morning + timedelta(hours=15.5))
    assert funnel.record(FunnelStep.CLICK, result, key="a", now=morning)
    db.session.commit()
    views = events(FunnelStep.VIEW)
    assert [(e.visitor, e.day) for e in views] == [
        ("a", date(2026, 3, 2)),
        ("b", date(2026, 3, 2)),
        ("a", date(2026, 3, 3)),
    ]
    assert {e.field_id for e in views} == {result.field_id}
    assert {e.owner_org_id for e in views} == {result.organisation_id}
    assert funnel.listing_funnel(result) == {
        "view": 3,
        "impression": 0,
        "click": 1,
        "enquiry": 0,
        "accepted": 0,
        "deal": 0,
        "deal_accepted": 0,
    }


def test_a_publication_records_on_its_listing(world):
    pub = db.session.scalar(
        sa.select(Publication).where(Publication.result_id == world["result"].id)
    )
    assert funnel.record(FunnelStep.IMPRESSION, pub, key="v")
    assert not funnel.record(FunnelStep.IMPRESSION, world["result"], key="v")
    (event,) = events(FunnelStep.IMPRESSION)
    assert (event.listing_kind, event.listing_id) == ("result", world["result"].id)


def test_a_duplicate_does_not_spoil_the_transaction(world):
    funnel.record(FunnelStep.ENQUIRY, world["result"], key="enquiry:1")
    funnel.record(FunnelStep.ENQUIRY, world["result"], key="enquiry:1")
    world["result"].title = "仍然可以保存"
    db.session.commit()
    assert len(events(FunnelStep.ENQUIRY)) == 1


def test_deals_record_deal_and_accepted_deal_once(awarded):  # noqa: F811
    w = awarded
    deal = deals.record_deal(actor=w["owner"], application=w["application"], terms=TERMS)
    db.session.commit()
    (recorded,) = events(FunnelStep.DEAL)
    assert (recorded.listing_kind, recorded.listing_id) == ("need", w["need"].id)
    assert recorded.visitor == f"deal:{deal.id}"
    assert recorded.actor_org_id == w["owner"].organisation_id
    milestone = deals.add_milestone(
        actor=w["owner"], deal=deal, title="交付", due_on=date(2027, 1, 1)
    )
    _evidence(w["uni_a"], milestone)
    assert events(FunnelStep.DEAL_ACCEPTED) == []
    deals.accept_milestone(actor=w["owner"], milestone=milestone)
    db.session.commit()
    assert deal.status == "completed"
    (accepted,) = events(FunnelStep.DEAL_ACCEPTED)
    assert (accepted.listing_kind, accepted.listing_id) == ("need", w["need"].id)
    assert funnel.listing_funnel(w["need"])["deal"] == 1
    assert funnel.listing_funnel(w["need"])["deal_accepted"] == 1


def _spread(world, fields) -> None:
    """Events over three months and two fields (plus one unclassified), some duplicates."""
    other = publish_result(
        world["uni"],
        world["admin"],
        fields,
        "稀土发光材料",
        "稀土掺杂高效发光材料",
        field="electronics",
    )
    bare = publish_result(world["uni"], world["admin"], fields, "无领域成果", "一项尚未分类的成果")
    bare.field_id = None
    moments = [
        datetime(2026, 1, 31, 16, 30, tzinfo=UTC),  # 00:30 on 1 February in China
        datetime(2026, 1, 10, 3, 0, tzinfo=UTC),
        datetime(2026, 2, 14, 3, 0, tzinfo=UTC),
        datetime(2026, 3, 5, 3, 0, tzinfo=UTC),
        datetime(2026, 4, 1, 3, 0, tzinfo=UTC),  # outside the range asked for
    ]
    for n, now in enumerate(moments):
        for listing in (world["result"], other, bare, world["need"]):
            for visitor in ("v1", "v2", f"v{n + 3}", "v1"):
                funnel.record(FunnelStep.VIEW, listing, key=visitor, now=now)
            funnel.record(FunnelStep.IMPRESSION, listing, key="v1", now=now)
            if n % 2 == 0:
                funnel.record(FunnelStep.CLICK, listing, key="v1", now=now)
                funnel.record(FunnelStep.ENQUIRY, listing, key=f"enquiry:{n}", now=now)
        funnel.record(FunnelStep.DEAL, world["need"], key=f"deal:{n}", now=now)
    db.session.commit()


def _expected(start: date, end: date, field_id: int | None = None) -> Counter:
    """(month, field, step) -> count, straight from the rows."""
    counts: Counter = Counter()
    for event in events():
        if start <= event.day <= end and (field_id is None or event.field_id == field_id):
            counts[(event.day.strftime("%Y-%m"), event.field_id, str(event.step))] += 1
    return counts


def test_platform_funnel_equals_counts_from_the_rows(world, fields):
    _spread(world, fields)
    start, end = date(2026, 1, 1), date(2026, 3, 31)
    rows = funnel.platform_funnel(start=start, end=end)
    got = Counter(
        {(r.month, r.field_id, step): n for r in rows for step, n in r.counts.items() if n}
    )
    assert got == _expected(start, end)
    assert [r.month for r in rows] == sorted(r.month for r in rows)
    assert {r.month for r in rows} == {"2026-01", "2026-02", "2026-03"}
    february = {r.field_id: r for r in rows if r.month == "2026-02"}
    materials = fields["materials"].id
    # 31 January 16:30 UTC and 14 February: two China days, three visitors each, per listing
    assert february[None].counts["view"] == 6
    assert february[materials].field_name == fields["materials"].name
    only = funnel.platform_funnel(start=start, end=end, field_id=materials)
    assert {r.field_id for r in only} == {materials}
    assert Counter(
        {(r.month, r.field_id, step): n for r in only for step, n in r.counts.items() if n}
    ) == _expected(start, end, materials)


# --- views and the visitor -----------------------------------------------------------------------
def test_views_are_deduplicated_per_visitor_per_day(client, world):
    url = f"/results/{world['result'].id}"
    for _ in range(3):
        assert client.get(url, headers={"User-Agent": BROWSER}).status_code == 200
    second = client.application.test_client()
    assert second.get(url, headers={"User-Agent": PHONE}).status_code == 200
    views = events(FunnelStep.VIEW)
    assert len(views) == 2
    assert len({e.visitor for e in views}) == 2
    # No session is started for a visitor (the page stays cacheable): the key is a keyed hash
    # of the address and the browser, and only the hash is stored.
    with client.session_transaction() as session:
        assert SESSION_KEY not in session
    assert funnel.visitor_key(f"anonymous:127.0.0.1:{BROWSER}") in {e.visitor for e in views}
    assert all("127.0.0.1" not in e.visitor for e in views)
    assert all(e.actor_org_id is None for e in views)


def test_a_logged_in_user_is_one_visitor_across_sessions(client, world):
    firm = world["firm"]
    for _ in range(2):
        fresh = client.application.test_client()
        log_in(fresh, firm)
        fresh.get(f"/results/{world['result'].id}", headers={"User-Agent": BROWSER})
    (view,) = events(FunnelStep.VIEW)
    assert view.visitor == funnel.visitor_key(f"user:{firm.id}")
    assert view.actor_org_id == firm.organisation_id


@pytest.mark.parametrize("agent", BOTS[:3] + BOTS[-1:])
def test_bots_are_not_counted_and_get_no_session(client, world, agent):
    response = client.get(f"/needs/{world['need'].id}", headers={"User-Agent": agent})
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert events() == []


def test_the_owner_and_previews_are_not_counted(client, world):
    log_in(client, world["uni"])
    result = world["result"]
    client.get(f"/results/{result.id}", headers={"User-Agent": BROWSER})
    client.get(f"/results/{result.id}?preview=1", headers={"User-Agent": BROWSER})
    assert events(FunnelStep.VIEW) == []


def test_a_listing_no_longer_public_is_not_counted(client, world):
    listings.withdraw_listing(actor=world["uni"], listing=world["result"])
    db.session.commit()
    response = client.get(f"/results/{world['result'].id}", headers={"User-Agent": BROWSER})
    assert response.status_code == 404
    assert events() == []


# --- recommendation impressions and clicks -------------------------------------------------------
def test_detail_page_records_impressions_and_links_cards_through_the_redirect(client, world):
    need, result = world["need"], world["result"]
    for _ in range(2):
        page = client.get(f"/needs/{need.id}", headers={"User-Agent": BROWSER}).get_data(True)
    assert f'href="/r/result/{result.id}"' in page
    assert f'href="/results/{result.id}"' not in page
    (impression,) = events(FunnelStep.IMPRESSION)
    assert (impression.listing_kind, impression.listing_id) == ("result", result.id)


def test_dashboard_for_you_records_impressions(client, world):
    log_in(client, world["firm"])
    page = client.get("/dashboard", headers={"User-Agent": BROWSER}).get_data(True)
    assert f'href="/r/result/{world["result"].id}"' in page
    (impression,) = events(FunnelStep.IMPRESSION)
    assert impression.listing_id == world["result"].id
    assert impression.actor_org_id == world["firm"].organisation_id


def test_owner_page_records_impressions(client, world):
    log_in(client, world["firm"])
    page = client.get(f"/my/needs/{world['need'].id}", headers={"User-Agent": BROWSER})
    assert page.status_code == 200
    assert [e.listing_id for e in events(FunnelStep.IMPRESSION)] == [world["result"].id]


def test_a_click_is_recorded_once_a_day_and_redirects_to_the_listing(client, world):
    result = world["result"]
    for _ in range(2):
        response = client.get(
            f"/r/result/{result.id}?next=https://evil.example/&from=need:1",
            headers={"User-Agent": BROWSER},
        )
        assert response.status_code == 302
        assert response.headers["Location"] == f"/results/{result.id}"
    (click,) = events(FunnelStep.CLICK)
    assert (click.listing_kind, click.listing_id) == ("result", result.id)


def test_a_bot_click_redirects_without_counting(client, world):
    response = client.get(f"/r/need/{world['need'].id}", headers={"User-Agent": BOTS[0]})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/needs/{world['need'].id}"
    assert events() == []


def test_the_click_redirect_only_opens_public_listings(client, world, fields):
    draft = listings.create_listing(actor=world["uni"], data=result_data(fields))
    listings.withdraw_listing(actor=world["firm"], listing=world["need"])
    db.session.commit()
    for url in (
        f"/r/result/{draft.id}",
        f"/r/need/{world['need'].id}",  # withdrawn
        f"/r/need/{world['result'].id}",  # a result's id as a need
        "/r/result/999999",
        f"/r/org/{world['uni'].organisation_id}",
        "/r/result/-1",
    ):
        assert client.get(url, headers={"User-Agent": BROWSER}).status_code == 404, url
    assert events() == []


# --- the panels ----------------------------------------------------------------------------------
def _cells(page: str, container: str) -> dict[str, int]:
    block = page.split(f'id="{container}"', 1)[1]
    return {step: int(n) for step, n in re.findall(r'data-step="(\w+)">(\d+)<', block)}


def test_owner_panel_shows_its_listing_funnel(client, world):
    result = world["result"]
    for visitor in ("a", "b", "c"):
        funnel.record(FunnelStep.VIEW, result, key=visitor)
    funnel.record(FunnelStep.IMPRESSION, result, key="a")
    funnel.record(FunnelStep.CLICK, result, key="a")
    funnel.record(FunnelStep.ENQUIRY, result, key="enquiry:1")
    funnel.record(FunnelStep.ENQUIRY, result, key="enquiry:2")
    funnel.record(FunnelStep.ACCEPTED, result, key="enquiry:1")
    funnel.record(FunnelStep.VIEW, world["need"], key="a")  # another listing
    db.session.commit()
    log_in(client, world["uni"])
    page = client.get(f"/my/results/{result.id}").get_data(as_text=True)
    assert _cells(page, "listing-funnel") == {
        "view": 3,
        "impression": 1,
        "click": 1,
        "enquiry": 2,
        "accepted": 1,
        "deal": 0,
        "deal_accepted": 0,
    }


def test_no_funnel_panel_for_others(client, world):
    log_in(client, make_user("university"))
    db.session.commit()
    assert client.get(f"/my/results/{world['result'].id}").status_code == 404
    page = client.get(f"/results/{world['result'].id}").get_data(as_text=True)
    assert "listing-funnel" not in page


def _table(page: str) -> Counter:
    table = page.split('id="platform-funnel-table"', 1)[1].split("</tbody>", 1)[0]
    counts: Counter = Counter()
    for month, field, body in re.findall(
        r'<tr data-month="([\d-]+)" data-field="(\d*)">(.*?)</tr>', table, re.S
    ):
        for step, n in re.findall(r'data-step="(\w+)">(\d+)<', body):
            if int(n):
                counts[(month, int(field) if field else None, step)] += int(n)
    return counts


def test_admin_dashboard_funnel_equals_counts_from_the_rows(client, world, fields):
    _spread(world, fields)
    log_in(client, world["admin"])
    page = client.get("/dashboard?funnel_from=2026-01&funnel_to=2026-03").get_data(as_text=True)
    expected = _expected(date(2026, 1, 1), date(2026, 3, 31))
    assert _table(page) == expected
    total = _cells(page, "platform-funnel-total")
    for step in funnel.STEPS:
        assert total[step.value] == sum(n for (_m, _f, s), n in expected.items() if s == step)
    assert f'data-step="deal" data-count="{total["deal"]}"' in page  # the chart
    assert "<script" not in page.split('id="platform-funnel"', 1)[1].split("</section>", 1)[0]


def test_admin_funnel_filters_by_field_and_swaps_a_reversed_range(client, world, fields):
    _spread(world, fields)
    log_in(client, world["admin"])
    materials = fields["materials"].id
    page = client.get(
        f"/dashboard?funnel_from=2026-02&funnel_to=2026-01&funnel_field={materials}"
    ).get_data(as_text=True)
    assert _table(page) == _expected(date(2026, 1, 1), date(2026, 2, 28), materials)
    assert 'value="2026-01"' in page and 'value="2026-02"' in page


@pytest.mark.parametrize(
    "query", ["funnel_from=2026-13&funnel_to=x", "funnel_from=1999-01", "funnel_field=abc"]
)
def test_admin_funnel_ignores_bad_filters(client, world, query):
    log_in(client, world["admin"])
    response = client.get(f"/dashboard?{query}")
    assert response.status_code == 200
    assert 'id="platform-funnel-table"' in response.get_data(as_text=True)
