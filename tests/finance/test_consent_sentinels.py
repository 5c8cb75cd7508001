"""Consent sentinels: a firm's data, and every value computed from it, reaches only a bank
holding the scope it belongs to (SECURITY.md row 16: v5.0.0-8.2.3, 8.1.2, 15.3.1, 14.2.6).

One firm per consent-scope combination (each scope alone, all, none, revoked) carries
distinctive sentinels: contact and products (BASIC); awards, certificate number, R&D intensity
and score (INNOVATION); revenue and R&D spend, their growth rates and the growth rows'
normalised values (FINANCIALS), in every form the pages, workbooks and API print them. Each
role then crawls every GET page of the 科技金融 area (list filters and sorts included), both
Excel exports (opened with openpyxl) and every API GET operation on firms and finance, and a
sentinel may appear only where the viewer holds its scope. Verdicts and rankings are checked
too: a product match or a meeting's reasons never rest on a scope the bank does not hold, a
filter on a scope never lists a firm without it, a sort never orders those firms by it.
tests/web/test_finance_privacy.py (one firm, contact and figures) and tests/api/test_sentinels.py
(the whole API, one BASIC-only firm) stay as they are; this adds derived values and every scope.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, url_for
from flask.testing import FlaskClient
from openpyxl import load_workbook

from matchmaker.extensions import db
from matchmaker.models import ALL_SCOPES, EventMeeting, FinancingNeed, User
from matchmaker.services.accounts import api_tokens
from matchmaker.services.finance import event_scheduling as meetings
from matchmaker.services.finance import firm_profiles, innovation_score, scope_rules
from matchmaker.services.finance.firm_browser import SCORE_BANDS
from tests.conftest import log_in
from tests.finance.consent_world import (
    ACTIVITY,
    BASIC,
    FINANCIALS,
    INNOVATION,
    SentinelFirm,
    World,
    build_world,
    numbers_in,
    occurs,
    without_geometry,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
VIEWERS = (
    "anonymous",
    "enterprise",
    "university",
    "broker",
    "bank_pending",
    "admin",
    "bureau",
    "bank_a",  # accepted leads, shortlist, the event's organiser
    "bank_b",  # no relationship with any firm
)
BANKS = ("bank_a", "bank_b")
#: Pages outside /finance that show firms or a bank's finance panel.
EXTRA_PAGES = {"main.index", "main.dashboard", "market.organisation"}
#: The API's first path segments that touch firms or finance.
API_AREAS = {"firms", "leads", "loan-products", "events", "organisations", "me", "stats"}
PATH_PARAM = re.compile(r"\{(\w+)\}")


@pytest.fixture
def world(fields: dict[str, Any]) -> World:
    return build_world(fields[sorted(fields)[0]])


# --- what to fetch ------------------------------------------------------------------------------
def _bands(world: World) -> list[str]:
    scores = [firm_profiles.profile_of(f.org_id).score for f in world.firms.values()]
    return [
        band
        for band, (low, high) in SCORE_BANDS.items()
        if any(s is not None and (low <= s < high or s == high == 100) for s in scores)
    ]


def filter_variants(world: World, viewer: str, *, api: bool) -> list[tuple[dict, Any]]:
    """(query, the scope a listed firm must hold or None) for the browser, export and API."""
    yes = "true" if api else "y"
    product = world.products.get(viewer, world.products["bank_a"])
    variants: list[tuple[dict, Any]] = [
        ({}, None),
        ({"sort": "name"}, None),
        ({"sort": "score"}, None),
        ({"sort": "fit", "product": product}, None),
        ({"high_tech": yes}, INNOVATION),
        ({"specialised": yes}, INNOVATION),
        ({"active": yes}, ACTIVITY),
        ({"field_id" if api else "field": world.field_id}, BASIC),
        ({"region": "changchun"}, BASIC),
        ({"need_min": "1", "sort": "score"}, None),
    ]
    variants += [({"band": band}, INNOVATION) for band in _bands(world)]
    if api:
        for query, _scope in variants:
            query["page_size"] = 100
    return variants


def _query(url: str, query: dict) -> str:
    if not query:
        return url
    return url + "?" + "&".join(f"{k}={v}" for k, v in query.items())


def page_urls(app: Flask, world: World, viewer: str) -> Iterator[tuple[str, Any]]:
    """(url, the scope a listed firm must hold) for every GET page of the finance area with
    the world's ids, and every filter and sort of the firm list and its export."""
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            wanted = rule.endpoint.startswith("finance.") or rule.endpoint in EXTRA_PAGES
            if not wanted or "GET" not in (rule.methods or ()):
                continue
            names = sorted(rule.arguments)
            if not set(names) <= set(world.ids):
                continue  # test_the_crawl_reaches_every_finance_page fails on it
            for values in _combinations([world.ids[n] for n in names]):
                url = url_for(rule.endpoint, **dict(zip(names, values, strict=True)))
                yield url, None
                if rule.endpoint in ("finance.list_firms", "finance.export_firms"):
                    for query, scope in filter_variants(world, viewer, api=False)[1:]:
                        yield _query(url, query), scope


def _combinations(pools: list[list[int]]) -> Iterator[tuple[int, ...]]:
    if not pools:
        yield ()
        return
    for first in pools[0]:
        for rest in _combinations(pools[1:]):
            yield (first, *rest)


def api_urls(client: FlaskClient, world: World, viewer: str) -> Iterator[tuple[str, Any]]:
    """Every API GET operation on firms and finance, with the world's ids and the firm
    list's filters and sorts."""
    document = client.get("/api/v1/openapi.json").get_json()
    for path, operations in sorted(document["paths"].items()):
        area = path.split("/")[3] if path.count("/") >= 3 else ""
        if "get" not in operations or area not in API_AREAS:
            continue
        names = PATH_PARAM.findall(path)
        if any(name not in world.ids for name in names):
            continue  # a figure's name: no firm data
        for values in _combinations([world.ids[n] for n in names]):
            url = path
            for name, value in zip(names, values, strict=True):
                url = url.replace("{" + name + "}", str(value))
            if path == "/api/v1/firms":
                for query, scope in filter_variants(world, viewer, api=True):
                    yield _query(url, query), scope
            else:
                yield url + ("" if names else "?page_size=100"), None


def text_of(response: Any) -> str:
    """The page, the answer (JSON with its characters unescaped), or every cell of a workbook."""
    if response.is_json:
        return json.dumps(response.get_json(), ensure_ascii=False)
    if response.mimetype == XLSX:
        book = load_workbook(io.BytesIO(response.get_data()))
        return "\n".join(
            str(cell)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if cell is not None
        )
    return response.get_data(as_text=True)


def bearer(user: User | None) -> dict[str, str]:
    """A token with every scope the user's role may hold (none for an anonymous caller)."""
    if user is None:
        return {}
    made = api_tokens.create_token(
        user=user, name="sentinel crawl", scopes=list(api_tokens.allowed_scopes(user))
    )
    db.session.commit()
    return {"Authorization": f"Bearer {made.secret}"}


def crawl(app: Flask, world: World, viewer: str) -> dict[str, tuple[str, Any]]:
    """url -> (text, the scope each listed firm must hold) for everything the viewer fetches."""
    client = app.test_client()
    user = world.viewers[viewer]
    if user is not None:
        log_in(client, user)
    seen: dict[str, tuple[str, Any]] = {}
    for url, scope in page_urls(app, world, viewer):
        response = client.get(url)
        assert response.status_code < 500, url
        seen[url] = (text_of(response), scope)
    headers = bearer(user)
    for url, scope in api_urls(client, world, viewer):
        response = client.get(url, headers=headers)
        assert response.status_code < 500, url
        seen[url] = (text_of(response), scope)
    return seen


# --- what may be found ----------------------------------------------------------------------------
def leaks(world: World, viewer: str, seen: dict[str, tuple[str, Any]]) -> list[str]:
    """Every sentinel found where the viewer lacks its scope."""
    found = []
    for url, (text, _scope) in seen.items():
        plain = without_geometry(text)
        numbers = numbers_in(plain)
        for firm in world.firms.values():
            for scope, forms in firm.sentinels.items():
                if world.allowed(viewer, firm, scope):
                    continue
                for form in forms:
                    if occurs(form, plain, numbers):
                        found.append(f"{firm.key} {scope.name} {form!r} at {url}")
    return found


def listed(text: str, world: World) -> list[SentinelFirm]:
    """The world's firms a list (page, workbook or JSON) shows, in its order."""
    if text.lstrip().startswith("{"):
        items = json.loads(text).get("items") or []
        names = [item.get("name") for item in items]
        return [f for name in names for f in world.firms.values() if f.name == name]
    positions = [(text.find(f.name), f) for f in world.firms.values() if f.name in text]
    return [f for _at, f in sorted(positions, key=lambda p: p[0])]


def misorderings(world: World, seen: dict[str, tuple[str, Any]]) -> list[str]:
    """Filters that list a firm without the scope they read, and sorts that order firms by a
    scope they do not hold (those firms must follow the others, by name)."""
    problems = []
    for url, (text, scope) in seen.items():
        is_list = "/firms" in url and not re.search(r"/firms/\d", url)
        if not is_list:
            continue
        firms = listed(text, world)
        if scope is not None:
            problems += [f"{url} lists {f.key}" for f in firms if not f.scopes & scope]
        if "sort=name" in url:
            continue
        unscored = [f for f in firms if not f.scopes & INNOVATION]
        if [f.name for f in unscored] != sorted(f.name for f in unscored):
            problems.append(f"{url} orders {[f.key for f in unscored]} by a score it may not see")
        if unscored and firms[: len(firms) - len(unscored)] != [
            f for f in firms if f.scopes & INNOVATION
        ]:
            problems.append(f"{url} puts an unscored firm before a scored one")
    return problems


@pytest.mark.parametrize("viewer", VIEWERS)
def test_a_sentinel_reaches_only_a_bank_holding_its_scope(app, world, viewer):
    """SECURITY.md row 16: every finance page, export and API answer, as each role."""
    seen = crawl(app, world, viewer)
    assert len(seen) > 60
    assert leaks(world, viewer, seen) == []
    assert misorderings(world, seen) == []
    if viewer not in BANKS:
        return
    # Positive controls: the crawl meets every scope the firms did consent to, the growth rate
    # included, in pages, in the workbook and in the API (so the checks above can fail).
    texts = {url: without_geometry(text) for url, (text, _scope) in seen.items()}
    numbers = {url: numbers_in(text) for url, text in texts.items()}

    def met(form: str, where: str = "") -> bool:
        return any(occurs(form, t, numbers[u]) for u, t in texts.items() if where in u)

    for firm in world.firms.values():
        for scope in (BASIC, INNOVATION, FINANCIALS):
            if firm.scopes & scope:
                form = firm.sentinels[scope][0 if scope != FINANCIALS else 4]
                assert met(form), (firm.key, form)
    full = world.firms["all"]
    growth = next(f for f in full.sentinels[FINANCIALS] if f.endswith("%"))
    assert met(growth), growth
    revenue = world.firms["financials"].sentinels[FINANCIALS][3]  # 2024, plain
    assert met(revenue, ".xlsx"), "no workbook met a consented figure"
    assert met(revenue, "/api/"), "no API answer met a consented figure"


def test_the_crawl_reaches_every_finance_page(app, world):
    """A new GET route of the finance area whose arguments the crawl cannot fill fails here."""
    finance_gets = [
        r
        for r in app.url_map.iter_rules()
        if r.endpoint.startswith("finance.") and "GET" in (r.methods or ())
    ]
    assert finance_gets
    assert all(set(r.arguments) <= set(world.ids) for r in finance_gets)


def test_the_innovation_scope_alone_shows_the_score_but_not_the_growth_behind_it(
    app, client, world
):
    """SECURITY.md row 16: the reported leak. With 创新指标 only, the bank sees the score and
    R&D intensity (named on the consent page) but not the revenue and R&D growth rows of the
    breakdown, computed from 财务数据 the firm did not share; with every scope it sees them."""
    log_in(client, world.viewers["bank_a"])
    firm = world.firms["innovation"]
    html = client.get(f"/finance/firms/{firm.org_id}").get_data(as_text=True)
    assert firm.sentinels[INNOVATION][0] in html  # the awards
    assert 'id="score-withheld"' in html
    assert html.count('<tr data-unconsented="1">') == 4  # two growth rows, two activity rows
    for form in firm.sentinels[FINANCIALS]:
        assert not occurs(form, without_geometry(html)), form
    full = world.firms["all"]
    html = client.get(f"/finance/firms/{full.org_id}").get_data(as_text=True)
    assert 'id="score-withheld"' not in html
    assert any(occurs(form, html) for form in full.sentinels[FINANCIALS][12:])


def test_a_product_match_counts_a_firm_rule_only_under_its_scope(app, client, world):
    """SECURITY.md row 16: the product page's verdicts (and their ranking) use only what each
    firm consents to: every firm meets the industry, score and 高新 rules on its stored data,
    but only the firm that shares 基本信息 and 创新指标 may show as eligible."""
    log_in(client, world.viewers["bank_a"])
    html = client.get(f"/finance/products/{world.products['bank_a']}").get_data(as_text=True)
    rows = dict(re.findall(r'<tr id="match-(\d+)">(.*?)</tr>', html, flags=re.S))
    needs = dict(
        db.session.execute(sa.select(FinancingNeed.id, FinancingNeed.organisation_id)).all()
    )
    eligible = {
        key
        for key, firm in world.firms.items()
        for need_id, row in rows.items()
        if needs[int(need_id)] == firm.org_id and "符合条件" in row
    }
    assert rows and eligible == {"all"}


def test_a_meeting_is_explained_only_by_what_the_firm_consents_to(app, client, world):
    """SECURITY.md row 16: a 银企对接 meeting's reasons and the schedule's fit never read a
    score or a certificate of a firm that did not consent to 创新指标 (registering for the
    event is not consenting)."""
    by_org = {f.org_id: f for f in world.firms.values()}
    held = list(db.session.scalars(sa.select(EventMeeting)))
    assert held
    for meeting in held:
        firm = by_org[meeting.firm_org_id]
        verdict = meetings.meeting_reasons(meeting)
        shares = bool(firm.scopes & BASIC) and bool(firm.scopes & INNOVATION)
        assert verdict is not None and verdict.eligible == shares, firm.key
    log_in(client, world.viewers["bank_a"])
    event_id = world.ids["event_id"][0]
    html = client.get(f"/finance/events/{event_id}/my-schedule").get_data(as_text=True)
    assert html.count("符合全部条件") <= 1


@pytest.mark.parametrize(
    ("scopes", "withheld"),
    [
        (INNOVATION, {"rd_growth", "revenue_growth", "platform_activity", "responsiveness"}),
        (INNOVATION | FINANCIALS, {"platform_activity", "responsiveness"}),
        (INNOVATION | ACTIVITY, {"rd_growth", "revenue_growth"}),
        (INNOVATION | FINANCIALS | ACTIVITY | BASIC, set()),
    ],
)
def test_each_breakdown_row_needs_the_scopes_it_is_computed_from(scopes, withheld):
    """SECURITY.md row 16: the one rule (scope_rules.INDICATOR_SCOPES) covers every indicator
    of the formula, and a withheld row keeps no value computed from the firm's data."""
    assert set(scope_rules.INDICATOR_SCOPES) == set(innovation_score.KEYS)
    raw = dict.fromkeys(innovation_score.KEYS, Decimal("17.47"))
    _total, breakdown = innovation_score.breakdown(raw, innovation_score.DEFAULT_WEIGHTS, 1)
    seen = scope_rules.consented_breakdown(breakdown, scopes)
    assert {r["key"] for r in seen["indicators"] if r["withheld"]} == withheld
    for row in seen["indicators"]:
        hidden = [row[name] for name in ("raw", "normalised", "points")]
        assert (hidden == [None, None, None]) == (row["key"] in withheld)
        assert row["weight"] == innovation_score.DEFAULT_WEIGHTS[row["key"]]
    assert seen["withheld"] == bool(withheld)
    assert (
        scope_rules.consented_breakdown({"indicators": [{"key": "new"}]}, ALL_SCOPES)["indicators"][
            0
        ]["withheld"]
        is False
    )
    assert (
        scope_rules.consented_breakdown({"indicators": [{"key": "new"}]}, INNOVATION)["indicators"][
            0
        ]["withheld"]
        is True
    )  # an indicator the rule does not know needs every scope
