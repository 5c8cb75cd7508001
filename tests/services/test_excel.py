"""Excel in and out: templates, all-or-nothing bulk import, hostile files, neutralised exports."""

from __future__ import annotations

import csv
import io
import time
import zipfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from openpyxl.utils import get_column_letter

import matchmaker.jobs  # noqa: F401 - registers the job handlers
from matchmaker.extensions import db as _db
from matchmaker.models import Job, JobStatus, Mode, Need, Result, User
from matchmaker.models.base import utcnow
from matchmaker.services.errors import PermissionDenied
from matchmaker.services.market import excel, listings
from matchmaker.services.market.browsing import BrowseFilter
from matchmaker.services.market.listings import ResultData
from matchmaker.services.platform import jobs, storage, taxonomy
from tests.factories import make_user

SENTINEL_PHONE = "13999990000"
SENTINEL_EMAIL = "sentinel-contact@example.com"
MALICIOUS = "=cmd|' /C calc'!A0"


@pytest.fixture
def fields(db):
    """The key industries (the test database is built with create_all, so it starts empty)."""
    taxonomy.ensure_key_industries()
    _db.session.commit()
    return {f.code: f for f in taxonomy.active_fields()}


@pytest.fixture
def university(db) -> User:
    user = make_user("university")
    _db.session.commit()
    return user


def result_row(n: int, **overrides: object) -> dict[str, object]:
    """A valid result row keyed by column key."""
    row: dict[str, object] = {
        "title": f"高性能碳纤维复合材料{n}",
        "summary": "一种面向汽车轻量化的高性能碳纤维复合材料制备技术，强度高、成本低。",
        "description": "拉伸强度 4.9 GPa，适用于汽车和低空飞行器结构件。",
        "field": "碳纤维/新材料",
        "keywords": "碳纤维，复合材料、轻量化",
        "trl": 6,
        "mode_transfer": "是",
        "mode_license_non_exclusive": "是",
        "price": 120,
        "patents": "ZL2021 1 0123456.7 已授权",
        "region": "长春市",
        "contact_name": "王老师",
        "contact_phone": "0431-85000000",
        "contact_email": "wang@example.edu.cn",
    }
    row.update(overrides)
    return row


def workbook_bytes(kind: str, rows: list[dict[str, object]]) -> bytes:
    """Fill the downloaded template the way an office would."""
    book = openpyxl.load_workbook(io.BytesIO(excel.build_template(kind)))
    sheet = book.worksheets[0]
    for r, row in enumerate(rows, start=2):
        for c, column in enumerate(excel.COLUMNS[kind], start=1):
            if column.key in row:
                sheet.cell(row=r, column=c, value=row[column.key])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(kind: str, rows: list[dict[str, object]], encoding: str = "utf-8-sig") -> bytes:
    columns = excel.COLUMNS[kind]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([str(c.label) for c in columns])
    for row in rows:
        writer.writerow([row.get(c.key, "") for c in columns])
    return out.getvalue().encode(encoding)


def replace_entry(content: bytes, name: str, data: bytes | str) -> bytes:
    """A copy of an xlsx with one zip entry replaced."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, data if info.filename == name else source.read(info))
    return out.getvalue()


def published_result(fields, *, title: str, **overrides: object) -> Result:
    """A result created, submitted by a verified university and approved by an admin."""
    owner = make_user("university")
    admin = make_user("admin")
    values: dict[str, object] = {
        "title": title,
        "field_id": fields["materials"].id,
        "keywords": ("碳纤维", "复合材料"),
        "region": "changchun",
        "contact_name": "联系人",
        "contact_phone": SENTINEL_PHONE,
        "contact_email": SENTINEL_EMAIL,
        "summary": "一种面向汽车轻量化的高性能碳纤维复合材料制备技术，强度高、成本低。",
        "description": "详细介绍：拉伸强度 4.9 GPa。",
        "trl": 6,
        "modes": int(Mode.TRANSFER | Mode.COOPERATION),
        "price_wan": Decimal("88.50"),
        "patents": ({"number": "ZL2021 1 0123456.7", "status": "granted"},),
    }
    values.update(overrides)
    result = listings.create_listing(actor=owner, data=ResultData(**values))
    listings.submit_listing(actor=owner, listing=result)
    listings.approve_listing(actor=admin, listing=result)
    _db.session.commit()
    return result


def count(model: type) -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- template ---------------------------------------------------------------------------------
def _validated_columns(content: bytes) -> dict[str, str]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    headers = {get_column_letter(c.column): c.value for c in sheet[1]}
    covered = {}
    for validation in sheet.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            covered[headers[get_column_letter(cell_range.min_col)]] = validation.type
    return covered


def test_result_template_has_dropdowns_on_coded_columns(fields):
    covered = _validated_columns(excel.build_template("result"))
    for header in ("技术领域", "所在地区*", "技术成熟度", "转让", "独占许可", "先使用后付费"):
        assert covered[header] == "list", header
    assert "标题*" not in covered
    book = openpyxl.load_workbook(io.BytesIO(excel.build_template("result")))
    lists = book["lists"]
    assert lists.sheet_state == "hidden"
    assert "碳纤维/新材料" in [c.value for c in lists["A"]]


def test_need_template_has_dropdowns_and_a_date_check(fields):
    covered = _validated_columns(excel.build_template("need"))
    assert covered["技术领域"] == "list"
    assert covered["所在地区*"] == "list"
    assert covered["截止日期"] == "date"


# --- import -----------------------------------------------------------------------------------
def test_valid_workbook_creates_drafts(fields, university):
    rows = [
        result_row(1),
        result_row(2, mode_equity="是", price="面议"),
        result_row(3, trl="TRL 8"),
    ]
    report = excel.import_file(
        actor=university,
        kind="result",
        filename="成果.xlsx",
        content=workbook_bytes("result", rows),
    )
    _db.session.commit()
    assert report.ok
    assert report.checked == 3
    assert len(report.created) == 3
    created = _db.session.scalars(sa.select(Result).order_by(Result.id)).all()
    assert [r.title for r in created] == [f"高性能碳纤维复合材料{n}" for n in (1, 2, 3)]
    first, second, third = created
    assert all(
        r.status == "draft" and r.organisation_id == university.organisation_id for r in created
    )
    assert first.field_id == fields["materials"].id
    assert first.keyword_list == ["碳纤维", "复合材料", "轻量化"]
    assert first.modes == Mode.TRANSFER | Mode.LICENSE_NON_EXCLUSIVE
    assert first.price_wan == Decimal(120)
    assert first.patents == [{"number": "ZL2021 1 0123456.7", "status": "granted"}]
    assert first.contact_phone == "0431-85000000"
    assert second.price_wan is None
    assert second.modes & Mode.EQUITY
    assert third.trl == 8


def test_one_bad_row_creates_nothing_and_names_row_and_column(fields, university):
    rows = [
        result_row(1),
        result_row(2, region="火星"),
        result_row(3, trl=12, field="不存在的领域"),
    ]
    report = excel.import_file(
        actor=university, kind="result", filename="a.xlsx", content=workbook_bytes("result", rows)
    )
    assert not report.ok
    assert report.checked == 3
    assert report.created == []
    problems = {(p.row, p.column) for p in report.problems()}
    assert problems == {(3, "所在地区"), (4, "技术成熟度"), (4, "技术领域")}
    assert count(Result) == 0


def test_every_bad_row_is_reported_not_just_the_first(fields, university):
    rows = [result_row(n, title="") for n in range(5)]
    report = excel.import_file(
        actor=university, kind="result", filename="a.xlsx", content=workbook_bytes("result", rows)
    )
    assert [p.row for p in report.problems()] == [2, 3, 4, 5, 6]


def test_service_validation_runs_on_every_row(fields, university):
    # A hidden field is refused by the listings service's own check, as create_listing would.
    fields["materials"].is_active = False
    _db.session.commit()
    report = excel.import_file(
        actor=university,
        kind="result",
        filename="a.xlsx",
        content=workbook_bytes("result", [result_row(1, field="materials")]),
    )
    assert [(p.column, p.message) for p in report.problems()] == [
        ("技术领域", "请选择有效的技术领域。")
    ]


def test_annotated_workbook_marks_bad_cells(fields, university):
    rows = [result_row(1), result_row(2, region="火星")]
    report = excel.import_file(
        actor=university, kind="result", filename="a.xlsx", content=workbook_bytes("result", rows)
    )
    sheet = openpyxl.load_workbook(io.BytesIO(excel.annotated_workbook(report))).worksheets[0]
    region = [c.column for c in sheet[1] if c.value == "所在地区*"][0]
    bad = sheet.cell(row=3, column=region)
    assert bad.value == "火星"
    assert bad.comment is not None
    assert "请选择所在地区" in bad.comment.text
    assert sheet.cell(row=2, column=region).comment is None
    assert "第 3 行" in sheet.cell(row=3, column=sheet.max_column).value


def test_csv_import_utf8_and_gbk(fields, db):
    user = make_user("enterprise")
    _db.session.commit()
    rows = [
        {
            "title": "玉米秸秆综合利用技术需求",
            "description": "寻求秸秆高值化利用技术，年处理量十万吨。",
            "field": "agrifood",
            "keywords": "秸秆;饲料",
            "budget": "50",
            "deadline": "2030/06/30",
            "region": "松原市",
        },
        {
            "title": "无人机巡检算法",
            "description": "电力线路无人机自动巡检的缺陷识别算法。",
            "budget": "面议",
            "region": "changchun",
        },
    ]
    for encoding in ("utf-8-sig", "gb18030"):
        report = excel.import_file(
            actor=user, kind="need", filename="needs.csv", content=csv_bytes("need", rows, encoding)
        )
        assert report.ok, report.problems()
    _db.session.commit()
    needs = _db.session.scalars(sa.select(Need).order_by(Need.id)).all()
    assert len(needs) == 4
    assert needs[0].budget_wan == Decimal(50)
    assert str(needs[0].deadline) == "2030-06-30"
    assert needs[0].keyword_list == ["秸秆", "饲料"]
    assert needs[0].region == "songyuan"
    assert needs[1].budget_wan == 0
    assert needs[1].field_id is None


def test_wrong_role_cannot_import(fields, university):
    with pytest.raises(PermissionDenied):
        excel.import_file(actor=university, kind="need", filename="x.csv", content=b"a")


# --- hostile and oversized files --------------------------------------------------------------
def test_oversized_file_is_refused_with_a_clear_error(app, fields, university, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 1000)
    with pytest.raises(excel.ImportRefused, match="文件太大"):
        excel.import_file(actor=university, kind="result", filename="a.csv", content=b"x" * 1001)


def test_too_many_rows_is_refused(app, fields, university, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 3)
    content = csv_bytes("result", [result_row(n) for n in range(4)])
    with pytest.raises(excel.ImportRefused, match="行数超过上限"):
        excel.import_file(actor=university, kind="result", filename="a.csv", content=content)


def test_zip_bomb_is_refused_before_parsing(fields, university, monkeypatch):
    """SECURITY.md row 36 (v5.0.0-5.2.3)."""
    filler = b"<row>" + b"0" * (110 * 1024 * 1024) + b"</row>"
    content = replace_entry(workbook_bytes("result", []), "xl/worksheets/sheet1.xml", filler)
    assert len(content) < 5 * 1024 * 1024  # small on the wire, huge once inflated

    def must_not_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("openpyxl opened a zip bomb")

    monkeypatch.setattr(openpyxl, "load_workbook", must_not_parse)
    with pytest.raises(excel.ImportRefused, match="压缩炸弹"):
        excel.import_file(actor=university, kind="result", filename="bomb.xlsx", content=content)


def test_too_many_zip_entries_is_refused(fields, university):
    """SECURITY.md row 36 (v5.0.0-5.2.3)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        for n in range(excel.MAX_ZIP_ENTRIES + 1):
            archive.writestr(f"junk/{n}.xml", "")
    with pytest.raises(excel.ImportRefused, match="内部文件过多"):
        excel.read_table(kind="result", filename="a.xlsx", content=out.getvalue())


def test_billion_laughs_is_refused(fields, university):
    """SECURITY.md row 36 (v5.0.0-5.2.3)."""
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">'
        for n in range(1, 10)
    )
    sheet = (
        f'<?xml version="1.0"?><!DOCTYPE lolz [{entities}]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    content = replace_entry(workbook_bytes("result", []), "xl/worksheets/sheet1.xml", sheet)
    with pytest.raises(excel.ImportRefused, match="不安全的 XML"):
        excel.import_file(actor=university, kind="result", filename="lol.xlsx", content=content)


def test_ten_megabytes_in_one_cell_is_refused(fields, university):
    content = workbook_bytes("result", [result_row(1, description="A" * (10 * 1024 * 1024))])
    assert len(content) < 5 * 1024 * 1024
    report = excel.import_file(actor=university, kind="result", filename="a.xlsx", content=content)
    assert not report.ok
    [problem] = report.problems()
    assert problem.column == "详细介绍"
    assert "过长" in problem.message
    assert len(report.rows[0].values["description"]) < 1000  # the report does not keep it
    assert count(Result) == 0


def test_not_a_workbook_is_refused(fields, university):
    with pytest.raises(excel.ImportRefused, match="不是有效的 Excel"):
        excel.read_table(kind="result", filename="a.xlsx", content=b"PK\x03\x04garbage")
    with pytest.raises(excel.ImportRefused, match=".xls"):
        excel.read_table(kind="result", filename="a.xls", content=excel.OLE_MAGIC + b"\0" * 100)
    with pytest.raises(excel.ImportRefused, match="缺少必填列"):
        excel.read_table(kind="result", filename="a.csv", content=b"foo,bar\n1,2\n")


# --- export -----------------------------------------------------------------------------------
def _xlsx_cells(content: bytes) -> list[openpyxl.cell.Cell]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    return [cell for row in sheet.iter_rows() for cell in row]


def test_round_trip_export_then_reimport(fields, db):
    originals = [
        published_result(fields, title="氢燃料电池双极板"),
        published_result(
            fields,
            title="-40℃低温锂电池",
            field_id=fields["energy"].id,
            trl=8,
            modes=int(Mode.LICENSE_EXCLUSIVE | Mode.USE_FIRST_PAY_LATER),
            price_wan=None,
            keywords=("低温", "LiFePO4"),
        ),
    ]
    content = excel.export_xlsx(BrowseFilter(kind="result"))
    other = make_user("university")
    _db.session.commit()
    report = excel.import_file(actor=other, kind="result", filename="export.xlsx", content=content)
    _db.session.commit()
    assert report.ok, report.problems()
    copies = {r.title: r for r in report.created}
    assert set(copies) == {o.title for o in originals}
    for original in originals:
        copy = copies[original.title]
        assert copy.organisation_id == other.organisation_id
        assert copy.status == "draft"
        assert copy.field_id == original.field_id
        assert copy.keyword_list == original.keyword_list
        assert copy.trl == original.trl
        assert copy.modes == original.modes
        assert copy.price_wan == original.price_wan
        assert copy.summary == original.summary
        assert copy.patents == original.patents
        assert copy.contact_phone == ""  # contacts never travel through an export


def test_round_trip_through_csv(fields, db):
    original = published_result(fields, title="+5G 工业网关")
    content = excel.export_csv(BrowseFilter(kind="result"))
    other = make_user("university")
    _db.session.commit()
    report = excel.import_file(actor=other, kind="result", filename="export.csv", content=content)
    assert report.ok, report.problems()
    [copy] = report.created
    assert (copy.title, copy.modes, copy.price_wan) == (
        original.title,
        original.modes,
        original.price_wan,
    )


def test_formula_cells_are_neutralised(fields, db):
    """SECURITY.md row 36 (v5.0.0-1.2.10)."""
    published_result(fields, title=MALICIOUS, keywords=("@SUM(1)", "+1"))
    cells = _xlsx_cells(excel.export_xlsx(BrowseFilter(kind="result")))
    title = next(c for c in cells if isinstance(c.value, str) and "cmd" in c.value)
    assert title.value == "'" + MALICIOUS
    assert title.data_type == "s"
    for cell in cells:
        if isinstance(cell.value, str):
            assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r")), cell.value
            assert cell.data_type != "f"
    text = excel.export_csv(BrowseFilter(kind="result")).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][0] == "'" + MALICIOUS
    assert all(not v.startswith(("=", "+", "-", "@")) for row in rows for v in row)


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@A1", "\tx", "\rx", "\0x"])
def test_neutralise(value):
    """SECURITY.md row 36 (v5.0.0-1.2.10)."""
    assert excel.neutralise(value).startswith("'")
    assert excel.neutralise("安全") == "安全"
    assert excel.neutralise(5) == 5


def test_exports_hold_no_contact_details(fields, db):
    published_result(fields, title="带联系方式的成果")
    xlsx = excel.export_xlsx(BrowseFilter(kind="result"))
    raw = b"".join(
        zipfile.ZipFile(io.BytesIO(xlsx)).read(n)
        for n in zipfile.ZipFile(io.BytesIO(xlsx)).namelist()
    )
    csv_text = excel.export_csv(BrowseFilter(kind="result")).decode("utf-8-sig")
    assert "带联系方式的成果" in csv_text
    for sentinel in (SENTINEL_PHONE, SENTINEL_EMAIL):
        assert sentinel.encode() not in raw
        assert sentinel not in csv_text
    assert "联系电话" not in csv_text
    assert "联系邮箱" not in csv_text


def test_export_follows_the_filter(fields, db):
    published_result(fields, title="碳纤维原丝")
    published_result(fields, title="人参皂苷提取", field_id=fields["agrifood"].id)
    text = excel.export_csv(BrowseFilter(kind="result", field="agrifood")).decode("utf-8-sig")
    assert "人参皂苷提取" in text
    assert "碳纤维原丝" not in text
    text = excel.export_csv(BrowseFilter(kind="result", q="原丝")).decode("utf-8-sig")
    assert "碳纤维原丝" in text
    assert "人参皂苷提取" not in text
    assert excel.export_csv(BrowseFilter(kind="need")).decode("utf-8-sig").count("\n") == 1


# --- the background import job ("excel.import") ---------------------------------------------
def queue_import(
    user: User, content: bytes, filename: str, *, kind: str = "result", locale: str = "zh_Hans_CN"
) -> Job:
    """What the upload view does: store the checked upload and enqueue the job."""
    path = excel.store_upload(user_id=user.id, filename=filename, content=content)
    job = jobs.enqueue(
        "excel.import",
        actor=user,
        max_attempts=2,
        user_id=user.id,
        kind=kind,
        path=path,
        filename=filename,
        locale=locale,
    )
    _db.session.commit()
    return job


def stored(app, job: Job) -> Path:
    return Path(app.instance_path) / job.args["path"]


def test_store_upload_checks_then_keeps_the_file_in_the_storage(app, fields, university):
    with pytest.raises(excel.ImportRefused, match="请上传 .xlsx 或 .csv 文件"):
        excel.store_upload(user_id=university.id, filename="x.exe", content=b"MZ")
    key = excel.store_upload(user_id=university.id, filename="成果.CSV", content=b"a,b\n1,2\n")
    assert key.startswith(f"imports/{university.id}/") and key.endswith(".csv")
    full = Path(app.instance_path) / key  # the default storage is the instance folder
    assert full.read_bytes() == b"a,b\n1,2\n"
    assert excel.stored_upload(key) == key
    assert excel.read_upload(key) == b"a,b\n1,2\n"
    for bad in ("../wsgi.py", "import-reports/1/x.xlsx", "imports/../../x.csv", "/etc/passwd"):
        with pytest.raises(ValueError, match="not a stored upload"):
            excel.stored_upload(bad)
    excel.remove_upload(key)
    excel.remove_upload(key)  # twice is fine
    assert not full.exists()
    assert excel.read_upload(key) is None


def test_uploads_and_reports_are_pruned_by_the_time_in_their_names(app, fields, university):
    """No backend's file times are needed: a key says when it was written."""
    key = excel.store_upload(user_id=university.id, filename="a.csv", content=b"a,b\n1,2\n")
    old = f"imports/{university.id}/{int(time.time()) - 8 * 24 * 3600:010d}-{'x' * 32}.csv"
    storage.get().put(old, b"old")
    token = excel.save_report(user_id=university.id, content=b"report")
    stale = f"{int(time.time()) - 2 * 24 * 3600:010d}{'y' * 22}"
    storage.get().put(f"import-reports/{university.id}/{stale}.xlsx", b"stale")
    excel.store_upload(user_id=university.id, filename="b.csv", content=b"a,b\n3,4\n")
    excel.save_report(user_id=university.id, content=b"report 2")
    assert not storage.get().exists(old)
    assert excel.report_content(user_id=university.id, token=stale) is None
    assert excel.read_upload(key) == b"a,b\n1,2\n"  # a week not yet
    assert excel.report_content(user_id=university.id, token=token) == b"report"


def test_an_import_crosses_hosts_through_the_shared_storage(app, fields, university, tmp_path):
    """The web host stores the upload, a job worker on another host (another instance folder,
    the same STORAGE_URL) imports it and keeps the error report, and the first host serves it."""
    from matchmaker import create_app
    from matchmaker.config import TestConfig

    shared = f"file://{tmp_path / 'shared'}"
    hosts = [
        create_app(
            TestConfig,
            instance_path=str(tmp_path / name),
            SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
            STORAGE_URL=shared,
        )
        for name in ("web-host", "worker-host")
    ]
    rows = [result_row(1), result_row(2, region="火星")]
    with hosts[0].app_context():
        key = excel.store_upload(
            user_id=university.id, filename="a.xlsx", content=workbook_bytes("result", rows)
        )
    assert not (Path(hosts[1].instance_path) / key).exists()  # not on the worker's disk
    with hosts[1].app_context():
        result = excel.import_upload(
            user_id=university.id, kind="result", path=key, locale="zh", progress=None
        )
        _db.session.remove()
    assert result["outcome"] == "invalid", result
    with hosts[0].app_context():
        assert excel.report_content(user_id=university.id, token=result["report"])
        _db.session.remove()


def test_check_upload_never_parses(fields, monkeypatch):
    good = workbook_bytes("result", [result_row(1)])
    filler = b"<row>" + b"0" * (60 * 1024 * 1024) + b"</row>"
    bomb = replace_entry(good, "xl/worksheets/sheet1.xml", filler)

    def must_not_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the request parsed the workbook")

    monkeypatch.setattr(openpyxl, "load_workbook", must_not_parse)
    assert excel.check_upload(filename="a.xlsx", content=good) == "xlsx"
    with pytest.raises(excel.ImportRefused, match="压缩炸弹"):
        excel.check_upload(filename="bomb.xlsx", content=bomb)


def test_import_job_reports_progress_and_creates_every_draft(app, fields, university, monkeypatch):
    calls: list[tuple[float, str | None]] = []
    real = jobs.set_progress

    def counting(job: Job, fraction: float, message: str | None = None) -> None:
        calls.append((fraction, message))
        real(job, fraction, message)

    monkeypatch.setattr(jobs, "set_progress", counting)
    rows = [result_row(n) for n in range(120)]
    job = queue_import(university, csv_bytes("result", rows), "a.csv")
    assert stored(app, job).is_file()
    assert jobs.run_pending() == 1
    _db.session.refresh(job)
    assert job.status == JobStatus.DONE and job.progress == 1.0
    assert job.result["outcome"] == "created" and job.result["created"] == 120
    assert count(Result) == 120
    assert not stored(app, job).exists()
    messages = [m for _f, m in calls]
    assert "已检查 50 / 120 行" in messages
    assert "已检查 100 / 120 行" in messages
    assert "已检查 120 / 120 行" in messages
    assert len(calls) == 5  # reading, 50, 100, 120 rows checked, creating: not once per row
    fractions = [f for f, _m in calls]
    assert fractions == sorted(fractions) and all(0 <= f < 1 for f in fractions)


def test_import_job_with_a_bad_row_creates_nothing_and_keeps_the_report(app, fields, university):
    rows = [result_row(1), result_row(2, region="火星"), result_row(3, trl=12)]
    job = queue_import(university, workbook_bytes("result", rows), "a.xlsx")
    jobs.run_pending()
    _db.session.refresh(job)
    assert job.status == JobStatus.DONE
    assert job.result["outcome"] == "invalid"
    assert (job.result["checked"], job.result["bad_rows"]) == (3, 2)
    assert [(p["row"], p["column"]) for p in job.result["problems"]] == [
        (3, "所在地区"),
        (4, "技术成熟度"),
    ]
    assert excel.report_content(user_id=university.id, token=job.result["report"]) is not None
    assert excel.report_content(user_id=university.id + 1, token=job.result["report"]) is None
    assert count(Result) == 0
    assert not stored(app, job).exists()


def test_import_job_refuses_an_unreadable_file_and_removes_it(app, fields, university):
    job = queue_import(university, "名称,备注\n甲,乙\n".encode("utf-8-sig"), "a.csv")
    jobs.run_pending()
    _db.session.refresh(job)
    assert job.result["outcome"] == "refused"
    assert "缺少必填列" in job.result["message"]
    assert not stored(app, job).exists()


def test_import_job_messages_follow_the_uploaders_language(app, fields, university):
    rows = [result_row(1, region="火星")]
    job = queue_import(university, workbook_bytes("result", rows), "a.xlsx", locale="en")
    jobs.run_pending()
    _db.session.refresh(job)
    problem = job.result["problems"][0]
    assert problem["column"] == "Region" and problem["row"] == 2


def test_import_job_is_all_or_nothing_and_keeps_the_upload_for_a_retry(
    app, fields, university, monkeypatch
):
    real = listings.create_listing
    made: list[int] = []

    def failing_third(**kwargs: object):
        made.append(1)
        if len(made) == 3:
            raise RuntimeError("database went away")
        return real(**kwargs)

    monkeypatch.setattr(listings, "create_listing", failing_third)
    job = queue_import(university, csv_bytes("result", [result_row(n) for n in range(5)]), "a.csv")
    jobs.run_pending()
    _db.session.refresh(job)
    assert job.status == JobStatus.QUEUED and job.attempts == 1  # retried later
    assert count(Result) == 0  # the two drafts before the failure were rolled back
    assert stored(app, job).is_file()  # kept for the retry
    jobs.run_pending(now=utcnow() + timedelta(hours=1))
    _db.session.refresh(job)
    assert job.status == JobStatus.DONE and job.result["created"] == 5
    assert count(Result) == 5
    assert not stored(app, job).exists()


def test_a_failed_import_job_removes_the_upload_after_its_last_attempt(
    app, fields, university, monkeypatch
):
    def broken(**kwargs: object):
        raise RuntimeError("always")

    monkeypatch.setattr(listings, "create_listing", broken)
    job = queue_import(university, csv_bytes("result", [result_row(1)]), "a.csv")
    jobs.run_pending()
    assert stored(app, job).is_file()
    jobs.run_pending(now=utcnow() + timedelta(hours=1))
    _db.session.refresh(job)
    assert job.status == JobStatus.FAILED and job.attempts == 2
    assert count(Result) == 0
    assert not stored(app, job).exists()


def test_import_job_of_a_deactivated_user_creates_nothing(app, fields, university):
    job = queue_import(university, csv_bytes("result", [result_row(1)]), "a.csv")
    university.is_active = False
    _db.session.commit()
    jobs.run_pending()
    _db.session.refresh(job)
    assert job.result["outcome"] == "refused"
    assert count(Result) == 0
    assert not stored(app, job).exists()


# --- command line -----------------------------------------------------------------------------
def test_cli_import_with_org_reports_progress(fields, university, runner, tmp_path):
    path = tmp_path / "成果.xlsx"
    path.write_bytes(workbook_bytes("result", [result_row(1), result_row(2)]))
    result = runner.invoke(
        args=["listings", "import", str(path), "--org", str(university.organisation_id)]
    )
    assert result.exit_code == 0, result.output
    assert "Checking 2 rows" in result.output
    assert "Checked 2 rows." in result.output
    assert "Created 2 draft results" in result.output
    assert count(Result) == 2


def test_cli_import_with_a_bad_row_imports_nothing(fields, university, runner, tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(csv_bytes("result", [result_row(1), result_row(2, region="火星")]))
    result = runner.invoke(
        args=[
            "listings",
            "import",
            str(path),
            "--org",
            str(university.organisation_id),
            "--kind",
            "results",
            "--as",
            university.email,
        ]
    )
    assert result.exit_code == 1
    assert "row 3" in result.output
    assert "所在地区" in result.output
    assert count(Result) == 0


def test_cli_import_needs_a_member_of_the_right_kind(fields, university, runner, tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(csv_bytes("need", []))
    result = runner.invoke(
        args=[
            "listings",
            "import",
            str(path),
            "--org",
            str(university.organisation_id),
            "--kind",
            "needs",
        ]
    )
    assert result.exit_code == 1
    assert "没有可以导入这类内容的成员" in result.output


def test_cli_expire_is_safe_to_run_twice(fields, runner):
    result = published_result(fields, title="即将过期的成果")
    result.expires_at = result.expires_at.replace(year=2000)
    result.publication.expires_at = result.expires_at
    _db.session.commit()
    first = runner.invoke(args=["listings", "expire"])
    second = runner.invoke(args=["listings", "expire"])
    assert first.exit_code == 0
    assert second.exit_code == 0
    assert "expired 1" in first.output
    assert "expired 0" in second.output
    assert _db.session.get(Result, result.id).status == "expired"
