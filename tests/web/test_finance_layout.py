"""Phone layout of the 科技金融 pages: every table scrolls inside a .table-responsive wrapper,
and nothing outside a chart has a fixed width.

Every GET page of the blueprint is rendered as each role (the pages a role may not see answer
403/404 and are skipped), on a world where each table has rows to show.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, template_rendered, url_for

from matchmaker.models import ConsentScope
from matchmaker.services.finance import consent, innovation_score
from matchmaker.services.finance.firm_profiles import profile_of
from tests.conftest import log_in
from tests.web.test_finance_bad_input import finance_world  # noqa: F401  (a fixture, by name)

TEMPLATES = Path(__file__).parents[2] / "templates" / "finance"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
ROLES = ("anon", "organiser", "other_bank", "firm_a", "firm_c", "admin")


class LayoutCheck(HTMLParser):
    """Collects tables outside a .table-responsive wrapper and fixed widths outside <svg>."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[tuple[str, bool]] = []  # (tag, is a .table-responsive wrapper)
        self.tables = 0
        self.bare_tables: list[str] = []
        self.fixed_widths: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        in_svg = any(t == "svg" for t, _ in self.open)
        if tag == "table":
            self.tables += 1
            if not any(wrapper for _, wrapper in self.open):
                self.bare_tables.append(attr.get("id") or attr.get("class") or "table")
        sized = "width" in attr or "width" in attr.get("style", "")
        if sized and not in_svg and tag != "svg":
            self.fixed_widths.append(self.get_starttag_text() or tag)
        if tag not in VOID:
            self.open.append((tag, "table-responsive" in attr.get("class", "").split()))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i][0] == tag:
                del self.open[i:]
                return


@pytest.fixture
def world(db) -> dict[str, Any]:
    w = finance_world()
    everything = sum(int(s) for s in ConsentScope)
    consent.grant(actor=w["firm_a"], scopes=everything, days=90)  # the years table too
    innovation_score.compute_score(profile_of(w["firm_a"].organisation_id))  # the score table
    db.session.commit()
    return w


def _pages(app: Flask, w: dict[str, Any]) -> list[str]:
    ids = {
        "firm_id": w["firm_a"].organisation_id,
        "product_id": w["product_a"].id,
        "event_id": w["event"].id,
        "financing_need_id": w["need_a"].id,
        "lead_id": w["lead_in_contact"].id,
        "meeting_id": w["meeting"].id,
    }
    with app.test_request_context():
        return [
            url_for(rule.endpoint, **{name: ids[name] for name in rule.arguments})
            for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith("finance.")
            and "GET" in (rule.methods or ())
            and not rule.rule.endswith(".xlsx")
        ]


def test_every_table_scrolls_on_a_phone(app, client, world):
    rendered: set[str] = set()

    def record(sender: Flask, template: Any, context: dict[str, Any], **extra: Any) -> None:
        rendered.add(template.name)

    problems: list[tuple[str, str, str]] = []
    tables_seen: set[str] = set()
    with template_rendered.connected_to(record, app):
        for who in ROLES:
            if who != "anon":
                log_in(client, world[who])
            for url in [*_pages(app, world), "/finance/firms?need_min=abc"]:
                rendered.clear()
                response = client.get(url)
                assert response.status_code < 500, url
                if response.status_code not in (200, 400):
                    continue
                check = LayoutCheck()
                check.feed(response.get_data(as_text=True))
                problems += [(who, url, f"bare table {t}") for t in check.bare_tables]
                problems += [(who, url, f"fixed width {t}") for t in check.fixed_widths]
                if check.tables:
                    tables_seen |= rendered
    assert problems == []
    # every finance template with a table was rendered with its table at least once
    with_tables = {
        f"finance/{p.name}"
        for p in TEMPLATES.glob("*.html")
        if "<table" in p.read_text() and not p.name.startswith("_")
    }
    assert with_tables - tables_seen == set()


def test_the_check_finds_a_bare_table():
    check = LayoutCheck()
    check.feed(
        '<div class="table-responsive"><table id="ok"><tr><td>1</td></tr></table></div>'
        '<div><table id="bare"><tr><td>2</td></table></div>'
        '<p>x<div style="width: 600px"></div><svg width="300"><rect width="20"/></svg>'
    )
    assert check.tables == 2
    assert check.bare_tables == ["bare"]
    assert check.fixed_widths == ['<div style="width: 600px">']
