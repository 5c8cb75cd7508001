"""The monthly report's printable page and .xlsx download (admin and the 科技局 reader)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from matchmaker.services.bureau import reports
from tests.factories import make_user, publish_result

TITLE = "长春市科技成果转化月度报告"
AREAS = ("概览", "成果与需求", "对接漏斗", "合同与转化", "科技金融", "活动", "人才与经纪人")


@pytest.fixture
def two_results(db, fields):
    """Two results posted in October 2026 (China time)."""
    admin = make_user("admin")
    uni = make_user("university")
    db.session.commit()
    for number, day in enumerate((3, 20)):
        result = publish_result(uni, admin, fields, f"报告成果{number}", "碳纤维复合材料的工艺。")
        result.created_at = datetime(2026, 10, day, 4, tzinfo=UTC)
    db.session.commit()


@pytest.mark.parametrize("role", ["admin", "bureau"])
def test_page_shows_title_areas_and_totals(client, login_as, two_results, role):
    login_as(role)
    response = client.get("/bureau/reports/monthly?month=2026-10")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<h1 id="report-title" class="report-title">{TITLE}</h1>' in html
    assert "2026年10月" in html
    for area in (
        "概览",
        "成果与需求",
        "对接漏斗",
        "合同与转化",
        "科技金融",
        "活动",
        "人才与经纪人",
    ):
        assert f">{area}</h2>" in html
    table = html.split('id="figure-listings_by_month"', 1)[1].split("</table>", 1)[0]
    assert '<th scope="row">合计</th>' in table
    assert '<td class="text-end">2</td>' in table.split("<tfoot>", 1)[1]
    assert "css/report-print.css" in html
    assert "/bureau/reports/monthly.xlsx?month=2026-10" in html
    assert "<script>" not in html and "style=" not in html


@pytest.mark.parametrize("role", ["enterprise", "university", "bank", "broker"])
def test_other_roles_are_refused(client, login_as, role):
    login_as(role)
    assert client.get("/bureau/reports/monthly?month=2026-10").status_code == 403
    assert client.get("/bureau/reports/monthly.xlsx?month=2026-10").status_code == 403


def test_default_is_last_month(client, login_as):
    login_as("bureau")
    html = client.get("/bureau/reports/monthly").get_data(as_text=True)
    with client.application.test_request_context():
        month = reports.last_month()
    assert f'value="{month}"' in html


@pytest.mark.parametrize("bad", ["2026-13", "abc", "1999-01", "2999-01"])
def test_bad_month_is_a_message_not_an_error(client, login_as, bad):
    login_as("admin")
    for path in ("/bureau/reports/monthly", "/bureau/reports/monthly.xlsx"):
        response = client.get(path, query_string={"month": bad})
        assert response.status_code == 302
        assert response.headers["Location"] == "/bureau/reports/monthly"
        page = client.get(response.headers["Location"])
        assert page.status_code == 200
        assert "月份" in page.get_data(as_text=True).split('role="alert"', 1)[1][:300]


def test_xlsx_download(client, login_as, two_results):
    login_as("bureau")
    response = client.get("/bureau/reports/monthly.xlsx?month=2026-10")
    assert response.status_code == 200
    assert response.mimetype == reports.XLSX_CONTENT_TYPE
    assert "2026-10.xlsx" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames[0] == "概览"
    rows = list(workbook["成果与需求"].iter_rows(values_only=True))
    assert ("合计", 2, 0) in [tuple(r[:3]) for r in rows]
