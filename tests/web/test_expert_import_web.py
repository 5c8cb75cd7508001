"""The expert import pages: reached from /my/experts, template, upload, the job's report."""

from __future__ import annotations

import io
import re

import openpyxl
import sqlalchemy as sa

import matchmaker.jobs  # noqa: F401 - registers the job handlers
from matchmaker.extensions import db
from matchmaker.models import ExpertProfile, Job
from matchmaker.services.platform import jobs
from tests.services.test_expert_import import expert_row, expert_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(client, content: bytes, filename: str = "experts.xlsx"):
    return client.post(
        "/my/experts/import",
        data={"file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def job_of(response) -> Job:
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    location = response.headers["Location"]
    assert re.fullmatch(r"/excel/imports/\d+", location), location
    job = db.session.get(Job, int(location.rsplit("/", 1)[1]))
    assert job is not None and job.args["kind"] == "expert"
    return job


def count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ExpertProfile))


def test_reached_from_my_experts_with_template_and_progress_bar(client, login_as, fields):
    login_as("university")
    mine = client.get("/my/experts").get_data(as_text=True)
    assert 'href="/my/experts/import"' in mine and "批量导入" in mine
    page = client.get("/my/experts/import").get_data(as_text=True)
    assert "批量导入专家档案" in page
    assert 'href="/my/experts/template.xlsx"' in page
    assert "data-upload-progress" in page
    response = client.get("/my/experts/template.xlsx")
    assert response.status_code == 200 and response.mimetype == XLSX
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.worksheets[0]["A1"].value == "姓名*"
    assert "本机构成果" in book.sheetnames


def test_other_roles_are_refused(client, login_as, fields):
    login_as("enterprise")
    assert client.get("/my/experts/import").status_code == 403
    assert client.get("/my/experts/template.xlsx").status_code == 403
    assert upload(client, expert_workbook([expert_row(1)])).status_code == 403
    assert count() == 0


def test_valid_upload_creates_drafts_through_the_job(client, login_as, fields):
    user = login_as("university")
    job = job_of(upload(client, expert_workbook([expert_row(1), expert_row(2)])))
    assert count() == 0  # nothing is created inside the request
    page = client.get(f"/excel/imports/{job.id}").get_data(as_text=True)
    assert "批量导入专家档案" in page and "<progress" in page
    assert jobs.run_pending() == 1
    assert count() == 2
    page = client.get(f"/excel/imports/{job.id}").get_data(as_text=True)
    assert "已创建 2 条草稿" in page
    assert 'href="/my/experts"' in page
    names = set(
        db.session.scalars(
            sa.select(ExpertProfile.name).where(
                ExpertProfile.organisation_id == user.organisation_id
            )
        )
    )
    assert names == {"专家1", "专家2"}


def test_bad_rows_are_listed_with_row_column_and_message(client, login_as, fields):
    login_as("university")
    rows = [expert_row(1), expert_row(2, unit="", results="不存在的成果"), expert_row(1)]
    job = job_of(upload(client, expert_workbook(rows)))
    assert jobs.run_pending() == 1
    assert count() == 0
    page = client.get(f"/excel/imports/{job.id}").get_data(as_text=True)
    assert "其中 2 行有错误，未导入任何内容" in page
    assert "<td>3</td><td>院系</td>" in page
    assert "<td>3</td><td>主持的成果</td>" in page
    assert "<td>4</td><td>姓名</td>" in page
    assert "与第 2 行是同一位专家" in page
    assert 'href="/my/experts/import"' in page  # upload again


def test_english_users_read_the_report_in_english(client, login_as, fields):
    login_as("university")
    response = upload(client, expert_workbook([expert_row(1, name="")]))
    job = job_of(response)
    job.args = {**job.args, "locale": "en"}  # the uploader's locale, stored with the job
    db.session.commit()
    assert jobs.run_pending() == 1
    assert count() == 0
    result = db.session.get(Job, job.id).result
    assert result["outcome"] == "invalid"
    assert result["problems"][0]["row"] == 2
    assert result["problems"][0]["column"] != "姓名"  # the column label in English too
