"""`matchmaker reports monthly`: the .xlsx on disk, its path printed, a bad month refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from matchmaker.extensions import db
from tests.factories import make_user, publish_result


def test_monthly_writes_the_workbook(runner, fields, tmp_path, monkeypatch):
    admin = make_user("admin")
    uni = make_user("university")
    db.session.commit()
    result = publish_result(uni, admin, fields, "命令行报告成果", "碳纤维复合材料的工艺。")
    result.created_at = datetime(2026, 10, 9, 2, tzinfo=UTC)
    db.session.commit()

    out = tmp_path / "october.xlsx"
    outcome = runner.invoke(args=["reports", "monthly", "--month", "2026-10", "--out", str(out)])
    assert outcome.exit_code == 0, outcome.output
    assert outcome.output.strip() == str(out)
    workbook = load_workbook(out)
    assert workbook.sheetnames[:2] == ["概览", "成果与需求"]
    rows = [tuple(r[:3]) for r in workbook["成果与需求"].iter_rows(values_only=True)]
    assert ("合计", 1, 0) in rows

    monkeypatch.chdir(tmp_path)  # the default name, in the working directory
    outcome = runner.invoke(args=["reports", "monthly", "--month", "2026-10"])
    assert outcome.exit_code == 0, outcome.output
    assert (tmp_path / "matchmaker-report-2026-10.xlsx").is_file()


@pytest.mark.parametrize(
    ("month", "message"), [("2026-13", "01 到 12"), ("abc", "YYYY-MM"), ("2999-01", "本月")]
)
def test_monthly_refuses_a_bad_month(runner, db, tmp_path, month, message):
    out = tmp_path / "bad.xlsx"
    outcome = runner.invoke(args=["reports", "monthly", "--month", month, "--out", str(out)])
    assert outcome.exit_code == 2
    assert "--month" in outcome.output and message in outcome.output
    assert not out.exists()


def test_month_is_required(runner, db):
    outcome = runner.invoke(args=["reports", "monthly"])
    assert outcome.exit_code == 2
    assert "--month" in outcome.output


def test_monthly_pdf_has_the_chinese_title_as_text(runner, db, tmp_path):
    pytest.importorskip("playwright.sync_api")
    pypdf = pytest.importorskip("pypdf")
    from matchmaker.cli.reports import CHROMIUM

    if not CHROMIUM.exists():
        pytest.skip(f"the PDF needs Chromium at {CHROMIUM}")
    out, pdf = tmp_path / "r.xlsx", tmp_path / "r.pdf"
    outcome = runner.invoke(
        args=["reports", "monthly", "--month", "2026-10", "--out", str(out), "--pdf", str(pdf)]
    )
    assert outcome.exit_code == 0, outcome.output
    assert outcome.output.split() == [str(out), str(pdf)]
    text = "".join(page.extract_text() for page in pypdf.PdfReader(pdf).pages)
    assert "长春市科技成果转化月度报告" in "".join(text.split())
