"""Deals feed the statistics: contract amounts, results converted against the city's targets."""

from __future__ import annotations

from decimal import Decimal

from matchmaker.extensions import db
from matchmaker.services.challenges import deals
from matchmaker.services.platform import stats
from tests.conftest import log_in
from tests.factories import make_user
from tests.services.test_deals import TERMS, awarded  # noqa: F401 - the fixture


def test_no_deals_no_conversions(db, fields):
    figures = stats.deal_statistics()
    assert figures["deals"] == 0 and figures["amount_wan"] == 0
    assert figures["results_converted"] == 0
    # Current and coming targets first (this is 2026 or later), past ones last and marked.
    years = [t["year"] for t in figures["targets"]]
    assert sorted(years) == [2025, 2027, 2030]
    assert [t["is_past"] for t in figures["targets"]] == sorted(
        t["is_past"] for t in figures["targets"]
    )


def test_a_deal_on_an_application_prefilled_from_a_result_converts_it(awarded):  # noqa: F811
    w = awarded
    application = w["application"]
    application.source_result_id = w["result"].id  # the application came from this result
    deal = deals.record_deal(actor=w["owner"], application=application, terms=TERMS)
    db.session.commit()
    figures = stats.deal_statistics()
    assert figures["deals"] == 1
    assert Decimal(figures["amount_wan"]) == Decimal(90)
    assert figures["results_converted"] == 1
    by_year = {t["year"]: t for t in figures["targets"]}
    assert by_year[2025]["share"] == 1 / 350 and by_year[2025]["done"] == 1
    deals.terminate_deal(actor=w["owner"], deal=deal, reason="对方无法履约")
    db.session.commit()
    assert stats.deal_statistics()["results_converted"] == 0  # a terminated deal converts nothing


def test_admin_dashboard_shows_the_figures(client, awarded):  # noqa: F811
    w = awarded
    deals.record_deal(actor=w["owner"], application=w["application"], terms=TERMS)
    db.session.commit()
    admin = make_user("admin")
    db.session.commit()
    log_in(client, admin)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "技术合同" in page and "90 万元" in page and "350" in page


def test_the_admin_dashboards_goal_bars_follow_the_targets_the_admin_set(db):
    from datetime import date

    from matchmaker.services.bureau import targets

    targets.set_target(actor=make_user("admin"), metric="results_converted", year=2027, value=500)
    db.session.commit()
    rows = stats.conversion_targets(5, today=date(2026, 6, 1))
    assert {r["year"]: r["target"] for r in rows}[2027] == 500  # not the seed's 440
    assert rows[0]["year"] == 2027 and rows[0]["share"] == 5 / 500
