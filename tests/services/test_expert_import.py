"""Bulk import of expert profiles through the Excel machinery: every row checked, all or none."""

from __future__ import annotations

import io

import openpyxl
import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import ExpertProfile, ExpertStatus
from matchmaker.services.errors import PermissionDenied
from matchmaker.services.market import excel
from matchmaker.services.talent import experts
from tests.factories import make_user, publish_result


def expert_row(n: int, **overrides: object) -> dict[str, object]:
    """A valid expert row keyed by column key."""
    row: dict[str, object] = {
        "name": f"专家{n}",
        "title": "教授",
        "unit": "材料科学与工程学院",
        "field": "碳纤维/新材料",
        "directions": "碳纤维复合材料",
        "keywords": "碳纤维，复合材料",
        "offer_consulting": "是",
        "offer_training": "否",
        "patents": "ZL202010000001.1 一种碳纤维预浸料，ZL202110000002.2 复合材料连接件",
        "contact_phone": f"0431-8516{n:04d}",
        "contact_email": f"expert{n}@example.edu.cn",
    }
    row.update(overrides)
    return row


def expert_workbook(rows: list[dict[str, object]], *, english: bool = False) -> bytes:
    """A workbook built with openpyxl the way an office types one (headers in one language)."""
    from flask_babel import force_locale

    book = openpyxl.Workbook()
    sheet = book.active
    with force_locale("en" if english else "zh_Hans_CN"):
        sheet.append([str(c.label) for c in excel.EXPERT_COLUMNS])
    for row in rows:
        sheet.append([row.get(c.key) for c in excel.EXPERT_COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ExpertProfile))


@pytest.fixture
def keeper(db):
    user = make_user("university")
    db.session.commit()
    return user


def test_valid_rows_create_drafts_with_links_offers_and_patents(keeper, fields):
    admin = make_user("admin")
    colleague = make_user("university", organisation=keeper.organisation)
    db.session.commit()
    carbon = publish_result(keeper, admin, fields, "碳纤维预浸料制备技术", "低成本碳纤维预浸料")
    joint = publish_result(keeper, admin, fields, "复合材料连接件", "复合材料连接件的设计")
    rows = [
        expert_row(1, results=f"碳纤维预浸料制备技术, {joint.id}", account_email=colleague.email),
        expert_row(2, offer_training="是", contact_public="是"),
    ]
    report = excel.import_file(
        actor=keeper, kind="expert", filename="e.xlsx", content=expert_workbook(rows)
    )
    assert report.ok, report.problems()
    assert len(report.created) == 2
    first, second = sorted(report.created, key=lambda e: e.name)
    assert first.status == ExpertStatus.DRAFT and first.organisation_id == keeper.organisation_id
    assert sorted(r.id for r in first.results) == sorted([carbon.id, joint.id])
    assert first.user_id == colleague.id
    assert first.patents == ["ZL202010000001.1 一种碳纤维预浸料", "ZL202110000002.2 复合材料连接件"]
    assert first.offers == 1 and first.field_id == fields["materials"].id
    assert first.contact_public is False
    assert second.offers == 1 | 8 and second.contact_public is True


def test_english_headers_are_read_too(keeper, fields):
    report = excel.import_file(
        actor=keeper,
        kind="expert",
        filename="e.xlsx",
        content=expert_workbook([expert_row(1)], english=True),
    )
    assert report.ok, report.problems()


def test_every_bad_row_is_reported_and_nothing_is_stored(keeper, fields):
    other = make_user("university")
    stranger = make_user("university")
    admin = make_user("admin")
    db.session.commit()
    foreign = publish_result(other, admin, fields, "别家的成果", "另一所大学的成果摘要")
    experts.create_expert(actor=keeper, data=experts.ExpertData(name="王建国", unit="材料学院"))
    db.session.commit()
    before = count()
    rows = [
        expert_row(1),
        expert_row(2, name="", offer_consulting="也许"),
        expert_row(3, results=f"不存在的成果, {foreign.id}"),
        expert_row(4, name="王建国", unit="材料学院"),  # already stored
        expert_row(1),  # the same person as row 2 of the sheet
        expert_row(6, account_email=stranger.email, contact_email="not-an-email"),
    ]
    report = excel.import_file(
        actor=keeper, kind="expert", filename="e.xlsx", content=expert_workbook(rows)
    )
    assert not report.ok
    assert report.created == []
    assert count() == before
    problems = {(p.row, p.column): p.message for p in report.problems()}
    assert problems[(3, "姓名")] == "必填项，不能为空。"
    assert problems[(3, "技术咨询")] == "请填写“是”或“否”。"
    assert "不存在的成果" in problems[(4, "主持的成果")]
    assert str(foreign.id) in problems[(4, "主持的成果")]  # another organisation's id
    assert "已有这位专家的档案" in problems[(5, "姓名")]
    assert "与第 2 行是同一位专家" in problems[(6, "姓名")]
    assert problems[(7, "本人账号邮箱")] == "该研究人员不是本机构成员。"
    assert (7, "联系邮箱") in problems
    assert 2 not in {p.row for p in report.problems()}


def test_only_university_and_institute_members_import(db, fields):
    firm = make_user("enterprise")
    db.session.commit()
    with pytest.raises(PermissionDenied):
        excel.import_file(
            actor=firm, kind="expert", filename="e.xlsx", content=expert_workbook([expert_row(1)])
        )
    assert count() == 0


def test_the_template_has_the_columns_and_the_organisations_results(keeper, fields):
    admin = make_user("admin")
    db.session.commit()
    result = publish_result(keeper, admin, fields, "碳纤维预浸料制备技术", "低成本碳纤维预浸料")
    book = openpyxl.load_workbook(
        io.BytesIO(excel.build_template("expert", organisation_id=keeper.organisation_id))
    )
    headers = [c.value for c in book.worksheets[0][1]]
    assert headers[:3] == ["姓名*", "职称", "院系*"]
    assert "技术咨询" in headers and "主持的成果" in headers and "专利" in headers
    assert "联系方式登录用户可见" in headers
    listed = book["本机构成果"]
    assert [c.value for c in listed[2]] == [result.id, "碳纤维预浸料制备技术"]
    # the template as downloaded, filled in, imports
    sheet = book.worksheets[0]
    for c, column in enumerate(excel.EXPERT_COLUMNS, start=1):
        sheet.cell(row=2, column=c, value=expert_row(1, results=str(result.id)).get(column.key))
    out = io.BytesIO()
    book.save(out)
    report = excel.import_file(
        actor=keeper, kind="expert", filename="t.xlsx", content=out.getvalue()
    )
    assert report.ok, report.problems()
    assert [r.id for r in report.created[0].results] == [result.id]


def test_the_command_imports_experts(app, keeper, fields, tmp_path):
    path = tmp_path / "experts.xlsx"
    path.write_bytes(expert_workbook([expert_row(1), expert_row(2)]))
    runner = app.test_cli_runner()
    org = keeper.organisation_id
    result = runner.invoke(
        args=["listings", "import", str(path), "--org", str(org), "--kind", "experts"]
    )
    assert result.exit_code == 0, result.output
    assert "Created 2 draft experts" in result.output
    db.session.expire_all()
    assert count() == 2

    path.write_bytes(expert_workbook([expert_row(1)]))  # now a duplicate
    result = runner.invoke(
        args=["listings", "import", str(path), "--org", str(org), "--kind", "experts"]
    )
    assert result.exit_code != 0
    assert "已有这位专家的档案" in result.output
    db.session.expire_all()
    assert count() == 2
