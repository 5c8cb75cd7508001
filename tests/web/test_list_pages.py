"""The public lists (/results, /needs): a page past the end, exports only with results, the active
filters with a way to clear them, and the search terms marked in the results, safely."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from matchmaker.extensions import db
from matchmaker.models.base import utcnow
from matchmaker.web.market.highlight import highlight_terms
from tests.factories import make_user
from tests.services.test_listings import listed

PATH = {"result": "/results", "need": "/needs"}


def text_of(response) -> str:
    assert response.status_code == 200
    return response.get_data(as_text=True)


def many(fields, kind: str, n: int, **overrides) -> None:
    admin = make_user("admin")
    owner = make_user("university" if kind == "result" else "enterprise")
    for i in range(n):
        listed(
            kind,
            fields,
            owner,
            admin,
            now=utcnow() - timedelta(hours=i),
            **{"title": f"第{i:02d}号碳纤维{kind}", **overrides},
        )
    db.session.commit()


@pytest.mark.parametrize("kind", ["result", "need"])
def test_a_page_past_the_end_redirects_to_the_last(client, fields, kind):
    many(fields, kind, 23)
    response = client.get(PATH[kind], query_string={"page": 999, "q": "碳纤维"})
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert target.path == PATH[kind]
    assert parse_qs(target.query) == {"page": ["2"], "q": ["碳纤维"]}
    last = text_of(client.get(response.headers["Location"]))
    assert "共 23 条" in last and "没有找到符合条件的内容" not in last
    # no results at all: the empty state, never a redirect loop
    empty = text_of(client.get(PATH[kind], query_string={"page": 5, "q": "不存在的词"}))
    assert "共 0 条" in empty and "没有找到符合条件的内容" in empty


@pytest.mark.parametrize("kind", ["result", "need"])
def test_exports_only_with_results(client, fields, kind):
    many(fields, kind, 2)
    assert "导出 Excel" in text_of(client.get(PATH[kind]))
    empty = text_of(client.get(PATH[kind], query_string={"q": "不存在的词"}))
    assert "导出 Excel" not in empty and "导出 CSV" not in empty


def summary_links(page: str) -> dict[str, str]:
    """The active-filter summary: label text -> link."""
    block = page.split('id="active-filters"', 1)[1].split("</div>", 1)[0]
    links = re.findall(r'<a\b[^>]*href="([^"]+)"[^>]*>(.*?)</a>', block, re.S)
    return {
        " ".join(re.sub(r"<[^>]+>", " ", html.unescape(text)).split()): html.unescape(href)
        for href, text in links
    }


@pytest.mark.parametrize("kind", ["result", "need"])
def test_active_filters_are_summarised_and_removable(client, fields, kind):
    many(fields, kind, 2)
    assert 'id="active-filters"' not in text_of(client.get(PATH[kind]))
    page = text_of(
        client.get(
            PATH[kind],
            query_string={"q": "碳纤维", "region": "changchun", "price": "negotiable", "page": 1},
        )
    )
    links = summary_links(page)
    remove_q = next(href for label, href in links.items() if label.startswith("关键词：碳纤维"))
    assert parse_qs(urlsplit(remove_q).query) == {
        "region": ["changchun"],
        "price": ["negotiable"],
    }
    region = next(label for label in links if label.startswith("地区："))
    assert "changchun" not in region  # the region's name, not its code
    assert any(label.startswith(("价格：面议", "意向金额：面议")) for label in links)
    clear = links["清除筛选"]
    assert urlsplit(clear).path == PATH[kind] and urlsplit(clear).query == ""


@pytest.mark.parametrize("kind", ["result", "need"])
def test_search_terms_are_marked_in_titles_and_summaries(client, fields, kind):
    many(fields, kind, 1)
    page = text_of(client.get(PATH[kind], query_string={"q": "碳纤维"}))
    assert "<mark>碳纤维</mark>" in page.split('aria-live="polite"', 1)[1]
    plain = text_of(client.get(PATH[kind]))
    assert "<mark>" not in plain


def test_marked_titles_stay_escaped(client, fields):
    """SECURITY.md row 23 (v5.0.0-1.2.1)."""
    many(fields, "result", 1, title="<b>碳纤维</b> & <script>alert(1)</script>")
    page = text_of(client.get("/results", query_string={"q": "碳纤维 script"}))
    results = page.split('aria-live="polite"', 1)[1]
    assert "<script>" not in results and "<b>" not in results
    assert "&lt;<mark>script</mark>&gt;" in results
    assert "&lt;b&gt;<mark>碳纤维</mark>&lt;/b&gt; &amp;" in results


def test_highlight_terms():
    assert str(highlight_terms("LiFePO4 电池 lifepo4", ["lifepo4"])) == (
        "<mark>LiFePO4</mark> 电池 <mark>lifepo4</mark>"
    )
    # a term that is part of an entity never breaks the escaping
    assert str(highlight_terms("a & b", ["amp"])) == "a &amp; b"
    assert (
        str(highlight_terms("<i>x</i>", ["i"])) == "&lt;<mark>i</mark>&gt;x&lt;/<mark>i</mark>&gt;"
    )
    assert str(highlight_terms("碳纤维", [])) == "碳纤维"
