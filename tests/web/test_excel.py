"""The excel blueprint: template downloads, the import page, its job and report, exports."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

import matchmaker.jobs  # noqa: F401 - registers the job handlers
from matchmaker.extensions import db as _db
from matchmaker.models import Job, JobStatus, Result
from matchmaker.services.platform import jobs
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


def job_of(response) -> Job:
    """The import job a successful upload redirected to."""
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    location = response.headers["Location"]
    assert re.fullmatch(r"/excel/imports/\d+", location), location
    job = _db.session.get(Job, int(location.rsplit("/", 1)[1]))
    assert job is not None and job.name == "excel.import"
    return job


def test_valid_upload_is_queued_then_creates_drafts(app, client, login_as, fields):  # noqa: F811
    user = login_as("university")
    response = upload(
        client, "results", workbook_bytes("result", [result_row(1), result_row(2)]), "a.xlsx"
    )
    job = job_of(response)
    assert job.status == JobStatus.QUEUED and job.created_by_id == user.id
    assert job.args["kind"] == "result" and job.args["filename"] == "a.xlsx"
    assert job.args["user_id"] == user.id
    stored = Path(app.instance_path) / job.args["path"]
    assert stored.parent == Path(app.instance_path) / "imports" / str(user.id)
    assert stored.suffix == ".xlsx" and stored.is_file()
    assert "static" not in stored.parts
    assert count_results() == 0  # nothing is created inside the request

    page = client.get(f"/excel/imports/{job.id}").get_data(as_text=True)
    assert f'data-job-url="/excel/imports/{job.id}.json"' in page
    assert "<progress" in page
    assert "排队中，等待后台任务进程" in page
    assert "<script>" not in page
    polled = client.get(f"/excel/imports/{job.id}.json").get_json()
    assert polled["status"] == "queued" and "排队中" in polled["message"]
    assert "traceback" not in str(polled)

    assert jobs.run_pending() == 1
    drafts = _db.session.scalars(sa.select(Result)).all()
    assert len(drafts) == 2
    assert {d.organisation_id for d in drafts} == {user.organisation_id}
    assert not stored.exists()  # the upload is removed once the job is done

    page = client.get(f"/excel/imports/{job.id}").get_data(as_text=True)
    assert "已创建 2 条草稿" in page
    mine = "/my/listings" if "listings.mine" in app.view_functions else "/dashboard"
    assert f'href="{mine}"' in page
    assert "data-job-url" not in page  # finished: the page stops polling
    polled = client.get(f"/excel/imports/{job.id}.json").get_json()
    assert polled["status"] == "done" and polled["progress"] == 1.0


def test_the_running_page_shows_rows_checked(client, login_as, fields):  # noqa: F811
    login_as("university")
    job = job_of(upload(client, "results", workbook_bytes("result", [result_row(1)]), "a.xlsx"))
    job.status = JobStatus.RUNNING
    _db.session.commit()
    jobs.set_progress(job, 0.5, "已检查 50 / 100 行")  # on a connection of its own
    _db.session.expire_all()  # as a new request's session would, see what it wrote
    page = client.get(f"/excel/imports/{job.id}").get_data(as_text=True)
    assert 'value="0.5"' in page and "已检查 50 / 100 行" in page
    polled = client.get(f"/excel/imports/{job.id}.json").get_json()
    assert polled == {
        "id": job.id,
        "status": "running",
        "progress": 0.5,
        "message": "已检查 50 / 100 行",
    }


def test_only_the_uploader_sees_the_job(client, login_as, fields):  # noqa: F811
    login_as("university")
    job = job_of(upload(client, "results", workbook_bytes("result", [result_row(1)]), "a.xlsx"))
    other = jobs.enqueue("listings.expire")
    _db.session.commit()
    assert client.get(f"/excel/imports/{other.id}").status_code == 404  # not an import job
    assert client.get(f"/excel/imports/{other.id}.json").status_code == 404

    stranger = make_user("university")
    _db.session.commit()
    log_in(client, stranger)
    assert client.get(f"/excel/imports/{job.id}").status_code == 404
    assert client.get(f"/excel/imports/{job.id}.json").status_code == 404


def test_bad_row_shows_the_report_and_the_annotated_workbook(app, client, login_as, fields):  # noqa: F811
    login_as("university")
    rows = [result_row(1), result_row(2, region="火星"), result_row(3, trl="十")]
    job = job_of(upload(client, "results", workbook_bytes("result", rows), "a.xlsx"))
    stored = Path(app.instance_path) / job.args["path"]
    assert jobs.run_pending() == 1
    assert count_results() == 0
    assert not stored.exists()
    response = client.get(f"/excel/imports/{job.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
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


def test_a_file_refused_by_the_job_says_why(client, login_as, fields):  # noqa: F811
    login_as("university")
    content = "名称,备注\n甲,乙\n".encode("utf-8-sig")
    job = job_of(upload(client, "results", content, "a.csv"))
    jobs.run_pending()
    page = client.get(f"/excel/imports/{job.id}").get_data(as_text=True)
    assert "缺少必填列" in page
    assert count_results() == 0


def test_csv_upload(client, login_as, fields):  # noqa: F811
    login_as("university")
    response = upload(client, "results", csv_bytes("result", [result_row(1)], "gb18030"), "a.csv")
    job = job_of(response)
    assert job.args["path"].endswith(".csv")
    jobs.run_pending()
    assert count_results() == 1


def count_jobs() -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(Job))


def test_oversized_upload_shows_a_clear_error(app, client, login_as, fields, monkeypatch):  # noqa: F811
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 2000)
    user = login_as("university")
    folder = Path(app.instance_path) / "imports" / str(user.id)
    before = set(folder.glob("*.*"))  # ids restart after each test; the instance folder does not
    response = upload(client, "results", workbook_bytes("result", [result_row(1)]), "a.xlsx")
    assert response.status_code == 200
    assert "文件太大" in response.get_data(as_text=True)
    assert count_results() == 0
    assert count_jobs() == 0
    assert set(folder.glob("*.*")) == before  # nothing stored


def test_zip_with_too_many_entries_is_refused_in_the_request(client, login_as, fields):  # noqa: F811
    """SECURITY.md row 36 (v5.0.0-5.2.3)."""
    login_as("university")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        for n in range(250):
            archive.writestr(f"junk/{n}.xml", "x")
    response = upload(client, "results", out.getvalue(), "a.xlsx")
    assert response.status_code == 200
    assert "内部文件过多" in response.get_data(as_text=True)
    assert count_jobs() == 0


def test_other_file_types_are_refused(client, login_as, fields):  # noqa: F811
    login_as("university")
    response = upload(client, "results", b"MZ\x90\x00", "tool.exe")
    assert "请上传 .xlsx 或 .csv 文件" in response.get_data(as_text=True)
    assert count_jobs() == 0


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


def test_a_failed_job_shows_a_plain_message_not_the_error(client, login_as, fields):  # noqa: F811
    login_as("university")
    job = job_of(upload(client, "results", workbook_bytes("result", [result_row(1)]), "a.xlsx"))
    job.status = JobStatus.FAILED
    job.message = "RuntimeError: secret internals"
    job.result = {"traceback": "Traceback (most recent call last): ..."}
    _db.session.commit()
    page = client.get(f"/excel/imports/{job.id}").get_data(as_text=True)
    assert "导入没有完成" in page and "未创建任何内容" in page
    assert "secret internals" not in page and "Traceback" not in page
    polled = client.get(f"/excel/imports/{job.id}.json").get_json()
    assert polled["status"] == "failed" and "secret" not in str(polled)
