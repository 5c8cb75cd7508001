"""The excel blueprint: template downloads, the import page and its report, public exports."""

from __future__ import annotations

import io

import openpyxl
import pytest
import sqlalchemy as sa

from matchmaker.extensions import db as _db
from matchmaker.models import Result
from tests.conftest import log_in
from tests.factories import make_user
from tests.services.test_excel import (
    MALICIOUS,
    SENTINEL_EMAIL,
    SENTINEL_PHONE,
    csv_bytes,
    fields,  # noqa: F401 - fixture
    published_result,
    result_row,
    workbook_bytes,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(client, kinds: str, content: bytes, filename: str):
    return client.post(
        f"/excel/{kinds}/import",
        data={"file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def count_results() -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(Result))


@pytest.mark.parametrize(
    ("role", "kinds", "status"),
    [
        ("university", "results", 200),
        ("university", "needs", 403),
        ("enterprise", "needs", 200),
        ("enterprise", "results", 403),
        ("bank", "results", 403),
        ("admin", "needs", 403),
    ],
)
def test_template_download_by_role(client, login_as, fields, role, kinds, status):  # noqa: F811
    login_as(role)
    response = client.get(f"/excel/{kinds}/template.xlsx")
    assert response.status_code == status
    if status == 200:
        assert response.mimetype == XLSX
        assert "attachment" in response.headers["Content-Disposition"]
        book = openpyxl.load_workbook(io.BytesIO(response.data))
        assert book.worksheets[0].data_validations.dataValidation


def test_anonymous_visitors_are_sent_to_login(client, db):
    for path in ("/excel/results/template.xlsx", "/excel/results/import"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/auth/login" in response.headers["Location"]


def test_import_page_has_the_progress_bar_without_inline_script(client, login_as, fields):  # noqa: F811
    login_as("university")
    page = client.get("/excel/results/import").get_data(as_text=True)
    assert "data-upload-progress" in page
    assert 'class="progress-bar"' in page
    assert "js/upload-progress.js" in page
    assert "<script>" not in page
    with client.get("/static/js/upload-progress.js") as script:
        assert script.status_code == 200
        assert b"upload.addEventListener" in script.data


def test_valid_upload_creates_drafts_and_redirects(app, client, login_as, fields):  # noqa: F811
    user = login_as("university")
    response = upload(
        client, "results", workbook_bytes("result", [result_row(1), result_row(2)]), "a.xlsx"
    )
    assert response.status_code == 302
    expected = "/my/listings" if "listings.mine" in app.view_functions else "/dashboard"
    assert response.headers["Location"].endswith(expected)
    drafts = _db.session.scalars(sa.select(Result)).all()
    assert len(drafts) == 2
    assert {d.organisation_id for d in drafts} == {user.organisation_id}
    with client.session_transaction() as session:
        assert any("创建了 2 条草稿" in message for _category, message in session["_flashes"])


def test_bad_row_shows_the_report_and_the_annotated_workbook(client, login_as, fields):  # noqa: F811
    login_as("university")
    rows = [result_row(1), result_row(2, region="火星"), result_row(3, trl="十")]
    response = upload(client, "results", workbook_bytes("result", rows), "a.xlsx")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert count_results() == 0
    assert "已检查 3 行，其中 2 行有错误" in page
    assert "<td>3</td><td>所在地区</td>" in page
    assert "<td>4</td><td>技术成熟度</td>" in page
    link = page.split('href="/excel/reports/')[1].split('"')[0]
    report = client.get(f"/excel/reports/{link}")
    assert report.status_code == 200
    assert report.mimetype == XLSX
    sheet = openpyxl.load_workbook(io.BytesIO(report.data)).worksheets[0]
    assert any(c.comment is not None for c in sheet[3])

    stranger = make_user("university")
    _db.session.commit()
    log_in(client, stranger)
    assert client.get(f"/excel/reports/{link}").status_code == 404
    assert client.get("/excel/reports/../../dev-secret-key.xlsx").status_code == 404


def test_csv_upload(client, login_as, fields):  # noqa: F811
    login_as("university")
    response = upload(client, "results", csv_bytes("result", [result_row(1)], "gb18030"), "a.csv")
    assert response.status_code == 302
    assert count_results() == 1


def test_oversized_upload_shows_a_clear_error(app, client, login_as, fields, monkeypatch):  # noqa: F811
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 2000)
    login_as("university")
    response = upload(client, "results", workbook_bytes("result", [result_row(1)]), "a.xlsx")
    assert response.status_code == 200
    assert "文件太大" in response.get_data(as_text=True)
    assert count_results() == 0


def test_other_file_types_are_refused(client, login_as, fields):  # noqa: F811
    login_as("university")
    response = upload(client, "results", b"MZ\x90\x00", "tool.exe")
    assert "请上传 .xlsx 或 .csv 文件" in response.get_data(as_text=True)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_public_export_follows_the_query_and_hides_contacts(client, fields, fmt):  # noqa: F811
    published_result(fields, title="碳纤维原丝")
    published_result(fields, title="人参皂苷提取", field_id=fields["agrifood"].id)
    published_result(fields, title=MALICIOUS)
    response = client.get(f"/excel/results/export.{fmt}?field=agrifood&sort=newest&org=abc")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    if fmt == "csv":
        text = response.data.decode("utf-8-sig")
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
        text = "\n".join(str(c.value) for row in sheet.iter_rows() for c in row)
    assert "人参皂苷提取" in text
    assert "碳纤维原丝" not in text
    assert SENTINEL_PHONE not in text
    assert SENTINEL_EMAIL not in text
    everything = client.get(f"/excel/results/export.{fmt}").data
    if fmt == "csv":
        assert ("'" + MALICIOUS).encode() in everything
    assert SENTINEL_PHONE.encode() not in everything
    assert SENTINEL_EMAIL.encode() not in everything
