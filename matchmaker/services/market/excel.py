"""Excel in and out: templates, bulk import of drafts (all or nothing), annotated reports, exports.

Hostile files are refused before openpyxl sees them (size, zip entry count and declared
uncompressed size; Python's zipfile never yields more than the declared size), openpyxl parses
through defusedxml (entity tricks raise), only in read-only mode, and every cell is bounded.
Exports come from the public read model (Publication rows), which holds no contact details, and
every text cell that a spreadsheet could read as a formula is neutralised.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import time
import warnings
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from matchmaker.extensions import db
from matchmaker.models import Listing, Mode, Organisation, Publication, User
from matchmaker.permissions import LISTING_PERMISSION, ROLE_PERMISSIONS, has_permission
from matchmaker.services.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from matchmaker.services.market import listings
from matchmaker.services.market.listings import NeedData, ResultData, normalise_keywords
from matchmaker.services.market.publication import BrowseFilter, browse_query
from matchmaker.services.platform import taxonomy
from matchmaker.services.platform.regions import REGIONS

KINDS = ("result", "need")
MAX_CELL_CHARS = 20_000
MAX_COLUMNS = 60
MAX_ZIP_ENTRIES = 200
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
EXPORT_MAX_ROWS = 10_000
#: A background import reports progress after this many checked rows (and after the last).
PROGRESS_EVERY = 50
#: Stored uploads and annotated reports are pruned after this long (seconds).
UPLOAD_MAX_AGE = 7 * 24 * 3600
REPORT_MAX_AGE = 24 * 3600
REPORT_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
#: A spreadsheet reads a cell starting with one of these as a formula (or strips it into one).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\0")
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_PHONE = re.compile(r"^\+?[0-9][0-9 -]{6,19}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TRL = re.compile(r"^(?:trl)?\s*([0-9]+)(?:\.0+)?\b", re.IGNORECASE)
_LIST_SPLIT = re.compile(r"[\n;；]+")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

MODE_COLUMNS = (
    ("mode_transfer", Mode.TRANSFER, _l("转让")),
    ("mode_license_exclusive", Mode.LICENSE_EXCLUSIVE, _l("独占许可")),
    ("mode_license_non_exclusive", Mode.LICENSE_NON_EXCLUSIVE, _l("普通许可")),
    ("mode_license_open", Mode.LICENSE_OPEN, _l("开放许可")),
    ("mode_equity", Mode.EQUITY, _l("作价投资")),
    ("mode_cooperation", Mode.COOPERATION, _l("合作开发")),
    ("mode_use_first", Mode.USE_FIRST_PAY_LATER, _l("先使用后付费")),
)
PATENT_STATUS = {"granted": _l("已授权"), "applied": _l("申请中"), "expired": _l("已失效")}
NEGOTIABLE_WORDS = {"面议", "negotiable", "n/a", "-", "—"}


class ImportRefused(DomainError):  # noqa: N818 - named like the other domain errors
    """The file as a whole cannot be read (too big, not a workbook, hostile, no data)."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Column:
    """One column of a template: its stable key, label, value type and bounds."""

    key: str
    label: Any  # a lazy string
    type: str = "text"  # text | field | region | trl | flag | amount | date | phone | email
    required: bool = False
    max_length: int = 2000
    width: int = 16
    contact: bool = False  # never exported (staged disclosure)


_CONTACT = (
    Column("contact_name", _l("联系人"), max_length=100, contact=True),
    Column("contact_phone", _l("联系电话"), "phone", max_length=32, contact=True),
    Column("contact_email", _l("联系邮箱"), "email", max_length=254, width=24, contact=True),
)
RESULT_COLUMNS: tuple[Column, ...] = (
    Column("title", _l("标题"), required=True, max_length=200, width=32),
    Column("summary", _l("成果简介"), required=True, max_length=500, width=40),
    Column("description", _l("详细介绍"), max_length=20000, width=40),
    Column("field", _l("技术领域"), "field", width=20),
    Column("keywords", _l("关键词"), max_length=500, width=24),
    Column("trl", _l("技术成熟度"), "trl", width=12),
    *(Column(key, label, "flag", width=10) for key, _mode, label in MODE_COLUMNS),
    Column("price", _l("价格（万元）"), "amount", width=14),
    Column("trial_terms", _l("先使用后付费条件"), max_length=2000, width=24),
    Column("patents", _l("专利"), max_length=4000, width=28),
    Column("software_copyrights", _l("软件著作权"), max_length=2000, width=24),
    Column("team", _l("团队/发明人"), max_length=2000, width=24),
    Column("region", _l("所在地区"), "region", required=True),
    *_CONTACT,
)
NEED_COLUMNS: tuple[Column, ...] = (
    Column("title", _l("标题"), required=True, max_length=200, width=32),
    Column("description", _l("需求描述"), required=True, max_length=20000, width=40),
    Column("targets", _l("预期目标"), max_length=5000, width=32),
    Column("existing_base", _l("现有工作基础"), max_length=5000, width=32),
    Column("field", _l("技术领域"), "field", width=20),
    Column("keywords", _l("关键词"), max_length=500, width=24),
    Column("budget", _l("意向金额（万元）"), "amount", width=16),
    Column("deadline", _l("截止日期"), "date", width=14),
    Column("region", _l("所在地区"), "region", required=True),
    *_CONTACT,
)
COLUMNS = {"result": RESULT_COLUMNS, "need": NEED_COLUMNS}
#: Where the listings service's error keys land in the sheet.
SERVICE_FIELD_COLUMN = {
    "field_id": "field",
    "price_wan": "price",
    "budget_wan": "budget",
    "modes": "mode_transfer",
}


# --- report structures ------------------------------------------------------------------------
@dataclass
class RawRow:
    """One non-blank data row as read from the file (values keyed by column key)."""

    number: int  # the spreadsheet's row number (the header is row 1)
    cells: dict[str, Any]


@dataclass
class Table:
    """What was read from an uploaded file, before any checking."""

    kind: str
    columns: tuple[Column, ...]
    rows: list[RawRow]


@dataclass
class CheckedRow:
    """A row after checking: the service input, or the errors per column."""

    number: int
    values: dict[str, str]
    data: ResultData | NeedData | None
    errors: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Problem:
    """One error to show: row number, column label, message."""

    row: int
    column: str
    message: str


@dataclass
class ImportReport:
    """The outcome of an import: every row checked, and what was created (all or nothing)."""

    kind: str
    columns: tuple[Column, ...]
    rows: list[CheckedRow]
    created: list[Listing] = field(default_factory=list)

    @property
    def checked(self) -> int:
        """How many data rows were checked."""
        return len(self.rows)

    @property
    def bad_rows(self) -> list[CheckedRow]:
        """The rows with at least one error."""
        return [r for r in self.rows if r.errors]

    @property
    def ok(self) -> bool:
        """Whether every row is valid."""
        return bool(self.rows) and not self.bad_rows

    def problems(self) -> list[Problem]:
        """Every error, by row and in column order."""
        labels = {c.key: str(c.label) for c in self.columns}
        order = {c.key: i for i, c in enumerate(self.columns)}
        out = []
        for row in self.bad_rows:
            for key in sorted(row.errors, key=lambda k: order.get(k, len(order))):
                out.extend(Problem(row.number, labels.get(key, key), m) for m in row.errors[key])
        return out


# --- cell helpers -----------------------------------------------------------------------------
def neutralise(value: Any) -> Any:
    """A cell value safe for a spreadsheet: formula-like text gets a leading ' and stays text."""
    if isinstance(value, str):
        if value.startswith(FORMULA_PREFIXES):
            value = "'" + value
        return _ILLEGAL_XML.sub("", value)
    return value


def _unneutralise(text: str) -> str:
    # Undo our own export's neutralisation so an export re-imports to the same data.
    if len(text) > 1 and text[0] == "'" and text[1:].startswith(FORMULA_PREFIXES):
        return text[1:]
    return text


def _norm(text: Any) -> str:
    text = str(text).replace("（", "(").replace("）", ")").replace("*", "")
    return "".join(text.split()).casefold()


def _locales() -> Sequence[str]:
    return current_app.config.get("LANGUAGES", ("zh_Hans_CN", "en"))


def _in_every_locale(label: Any) -> set[str]:
    names = {str(label)}
    for locale in _locales():
        with force_locale(locale):
            names.add(str(label))
    return names


def _locale() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


@dataclass(frozen=True)
class _Lookups:
    fields: dict[str, int]
    regions: dict[str, str]
    yes: frozenset[str]
    no: frozenset[str]
    patent_status: dict[str, str]


def _lookups() -> _Lookups:
    fields: dict[str, int] = {}
    for tech_field in taxonomy.active_fields():
        for name in (tech_field.code, tech_field.name, tech_field.name_en):
            fields.setdefault(_norm(name), tech_field.id)
    regions: dict[str, str] = {}
    for code, label in REGIONS.items():
        for name in (code, *_in_every_locale(label)):
            regions.setdefault(_norm(name), code)
    yes = {"y", "yes", "true", "1", "✓", "√", "x", "是"} | {
        _norm(n) for n in _in_every_locale(_l("是"))
    }
    no = {"", "n", "no", "false", "0", "否"} | {_norm(n) for n in _in_every_locale(_l("否"))}
    statuses = {}
    for code, label in PATENT_STATUS.items():
        for name in (code, *_in_every_locale(label)):
            statuses[name.casefold()] = code
    return _Lookups(fields, regions, frozenset(yes), frozenset(no), statuses)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    return _unneutralise(str(value).strip())


def _display(value: Any) -> str:
    text = _text(value)
    return text if len(text) <= 500 else text[:500] + "…"


# --- reading ----------------------------------------------------------------------------------
def read_table(*, kind: str, filename: str, content: bytes) -> Table:
    """Read an uploaded .xlsx or .csv into raw rows, refusing hostile or oversized files."""
    if kind not in COLUMNS:
        raise ValueError(kind)
    fmt = check_upload(filename=filename, content=content)
    return _table(kind, _xlsx_rows(content) if fmt == "xlsx" else _csv_rows(content))


def check_upload(*, filename: str, content: bytes) -> str:
    """The cheap checks a web request runs before queueing: size, type, zip entries and size.

    Returns the format ("xlsx" or "csv"); raises ImportRefused. Nothing is parsed here.
    """
    max_bytes = current_app.config["IMPORT_MAX_BYTES"]
    if len(content) > max_bytes:
        raise ImportRefused(_("文件太大：不能超过 %(mb)s MB。", mb=f"{max_bytes / 1024 / 1024:g}"))
    if not content.strip():
        raise ImportRefused(_("文件是空的。"))
    if content.startswith(_OLE_MAGIC):
        raise ImportRefused(_("不支持旧版 .xls 格式，请在 Excel 中另存为 .xlsx 或 .csv 后再上传。"))
    if content.startswith(b"PK\x03\x04"):
        _check_zip(content)
        return "xlsx"
    if filename.lower().endswith(".csv"):
        return "csv"
    raise ImportRefused(_("请上传 .xlsx 或 .csv 文件。"))


def _check_zip(content: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ImportRefused(_("文件不是有效的 Excel 工作簿（.xlsx）。")) from None
    if len(entries) > MAX_ZIP_ENTRIES:
        raise ImportRefused(_("工作簿包含的内部文件过多，已拒绝。"))
    if sum(e.file_size for e in entries) > MAX_UNCOMPRESSED_BYTES:
        raise ImportRefused(_("工作簿解压后过大（可能是压缩炸弹），已拒绝。"))
    names = {e.filename for e in entries}
    if "xl/workbook.xml" not in names:
        raise ImportRefused(_("文件不是有效的 Excel 工作簿（.xlsx）。"))
    if any(e.flag_bits & 0x1 for e in entries):
        raise ImportRefused(_("工作簿已加密，请取消密码保护后再上传。"))


def _xlsx_rows(content: bytes) -> list[tuple[Any, ...]]:
    import openpyxl
    from defusedxml import DefusedXmlException
    from openpyxl.xml import DEFUSEDXML

    if not DEFUSEDXML:  # fail closed: openpyxl without defusedxml resolves entities
        raise ImportRefused(_("服务器未启用安全的 XML 解析，暂不能导入 .xlsx 文件。"))
    _check_zip(content)  # already checked by read_table; cheap, and this reader stays safe alone
    limit = _raw_row_limit()
    rows: list[tuple[Any, ...]] = []
    workbook = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(
                io.BytesIO(content), read_only=True, data_only=True, keep_links=False
            )
            sheet = workbook.worksheets[0]
            for row in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
                rows.append(tuple(row))
                if len(rows) > limit:
                    break
    except ImportRefused:
        raise
    except Exception as error:  # noqa: BLE001 - any parser failure is the uploaded file's fault
        if _caused_by(error, DefusedXmlException):  # openpyxl wraps it in a ValueError
            raise ImportRefused(_("工作簿包含不安全的 XML 内容（实体定义），已拒绝。")) from None
        raise ImportRefused(
            _("无法读取这个工作簿，请确认它是用 Excel 或 WPS 保存的 .xlsx 文件。")
        ) from None
    finally:
        if workbook is not None:
            workbook.close()
    return rows


def _caused_by(error: BaseException | None, kind: type[BaseException]) -> bool:
    seen = 0
    while error is not None and seen < 20:
        if isinstance(error, kind):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def _csv_rows(content: bytes) -> list[tuple[Any, ...]]:
    for encoding in ("utf-8-sig", "gb18030"):  # Chinese Excel saves CSV as GBK
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes nearly anything
        raise ImportRefused(_("无法识别 CSV 文件的编码，请另存为 UTF-8。"))
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    limit = _raw_row_limit()
    rows: list[tuple[Any, ...]] = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            rows.append(tuple(row[:MAX_COLUMNS]))
            if len(rows) > limit:
                break
    except csv.Error:
        raise ImportRefused(
            _("CSV 文件格式不正确，或有单元格内容过长（超过 %(max)d 个字符）。", max=MAX_CELL_CHARS)
        ) from None
    return rows


def _raw_row_limit() -> int:
    # Blank rows are skipped, but scanning is bounded too (a sheet of a million empty rows).
    return current_app.config["IMPORT_MAX_ROWS"] * 5 + 100


def _table(kind: str, rows: list[tuple[Any, ...]]) -> Table:
    columns = COLUMNS[kind]
    if len(rows) > _raw_row_limit():
        raise ImportRefused(_rows_message())
    header_index = next((i for i, r in enumerate(rows) if any(_text(v) for v in r)), None)
    if header_index is None:
        raise ImportRefused(_("文件中没有数据行。"))
    aliases: dict[str, str] = {}
    for column in columns:
        for name in (column.key, *_in_every_locale(column.label)):
            aliases.setdefault(_norm(name), column.key)
    positions: dict[int, str] = {}
    for index, value in enumerate(rows[header_index]):
        key = aliases.get(_norm(_text(value)))
        if key is not None and key not in positions.values():
            positions[index] = key
    missing = [str(c.label) for c in columns if c.required and c.key not in positions.values()]
    if missing:
        raise ImportRefused(
            _("缺少必填列：%(columns)s。请使用下载的模板。", columns="、".join(missing))
        )
    data_rows = []
    for offset, row in enumerate(rows[header_index + 1 :], start=header_index + 2):
        if not any(_text(v) for v in row):
            continue
        cells = {key: row[i] if i < len(row) else None for i, key in positions.items()}
        data_rows.append(RawRow(offset, cells))
        if len(data_rows) > current_app.config["IMPORT_MAX_ROWS"]:
            raise ImportRefused(_rows_message())
    if not data_rows:
        raise ImportRefused(_("文件中没有数据行。"))
    return Table(kind, columns, data_rows)


def _rows_message() -> str:
    return _(
        "行数超过上限：一次最多导入 %(max)d 行，请分批上传。",
        max=current_app.config["IMPORT_MAX_ROWS"],
    )


# --- checking ---------------------------------------------------------------------------------
class RowChecker:
    """Checks rows of one table: shape per cell, then the listings service's own validation."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.columns = COLUMNS[kind]
        self.lookups = _lookups()

    def check(self, raw: RawRow) -> CheckedRow:
        """Parse and validate one row; errors are keyed by column."""
        values: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        display = {c.key: _display(raw.cells.get(c.key)) for c in self.columns}
        for column in self.columns:
            cell = raw.cells.get(column.key)
            if isinstance(cell, str) and len(cell) > MAX_CELL_CHARS:
                errors[column.key] = [
                    _("单元格内容过长（超过 %(max)d 个字符），已拒绝。", max=MAX_CELL_CHARS)
                ]
                continue
            try:
                values[column.key] = self._parse(column, cell)
            except ValueError as error:
                errors[column.key] = [str(error)]
        data = self._data(values)
        try:
            listings._validate(self.kind, data)  # the exact validation create_listing runs
        except ValidationFailed as failed:
            for name, messages in failed.errors.items():
                key = SERVICE_FIELD_COLUMN.get(name, name)
                errors.setdefault(key, messages)
        return CheckedRow(raw.number, display, None if errors else data, errors)

    def _parse(self, column: Column, cell: Any) -> Any:  # noqa: C901 - one branch per type
        text = _text(cell)
        if column.required and not text:
            raise ValueError(_("必填项，不能为空。"))
        if len(text) > column.max_length:
            raise ValueError(_("不能超过 %(max)d 个字符。", max=column.max_length))
        kind = column.type
        if kind == "field":
            if not text:
                return None
            if _norm(text) not in self.lookups.fields:
                raise ValueError(_("请选择有效的技术领域。"))
            return self.lookups.fields[_norm(text)]
        if kind == "region":
            if _norm(text) not in self.lookups.regions:
                raise ValueError(_("请选择所在地区。"))
            return self.lookups.regions[_norm(text)]
        if kind == "trl":
            if not text:
                return None
            match = _TRL.match(text)
            if match is None or not 1 <= int(match.group(1)) <= 9:
                raise ValueError(_("技术成熟度应在 1 到 9 之间。"))
            return int(match.group(1))
        if kind == "flag":
            if _norm(text) in self.lookups.yes:
                return True
            if _norm(text) in self.lookups.no:
                return False
            raise ValueError(_("请填写“是”或“否”。"))
        if kind == "amount":
            return _amount(cell, text)
        if kind == "date":
            return _date(cell, text)
        if kind == "phone" and text and not _PHONE.match(text):
            raise ValueError(_("电话格式不正确。"))
        if kind == "email" and text and not _EMAIL.match(text):
            raise ValueError(_("邮箱格式不正确。"))
        return text

    def _data(self, v: dict[str, Any]) -> ResultData | NeedData:
        common = {
            "title": v.get("title") or "",
            "field_id": v.get("field"),
            "keywords": normalise_keywords(v.get("keywords") or ""),
            "region": v.get("region") or "",
            "contact_name": v.get("contact_name") or "",
            "contact_phone": v.get("contact_phone") or "",
            "contact_email": v.get("contact_email") or "",
        }
        if self.kind == "result":
            return ResultData(
                **common,
                summary=v.get("summary") or "",
                description=v.get("description") or "",
                trl=v.get("trl"),
                patents=self._patents(v.get("patents") or ""),
                software_copyrights=tuple(
                    s.strip()[:100]
                    for s in _LIST_SPLIT.split(v.get("software_copyrights") or "")
                    if s.strip()
                )[:50],
                modes=sum(int(mode) for key, mode, _label in MODE_COLUMNS if v.get(key)),
                trial_terms=v.get("trial_terms") or "",
                price_wan=v.get("price"),
                team=v.get("team") or "",
            )
        return NeedData(
            **common,
            description=v.get("description") or "",
            targets=v.get("targets") or "",
            existing_base=v.get("existing_base") or "",
            budget_wan=v.get("budget") or Decimal(0),
            deadline=v.get("deadline"),
        )

    def _patents(self, text: str) -> tuple[dict[str, str], ...]:
        items = []
        for line in _LIST_SPLIT.split(text):
            line = line.strip()
            if not line:
                continue
            status = "granted"
            for label, code in self.lookups.patent_status.items():
                if line.casefold().endswith(label):
                    status, line = code, line[: -len(label)].strip(" |,，")
                    break
            items.append({"number": line[:60], "status": status})
        return tuple(items[:50])


def _amount(cell: Any, text: str) -> Decimal | None:
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        value = Decimal(str(cell))
    else:
        cleaned = text.replace(",", "").replace("，", "").removesuffix("万元").removesuffix("万")
        if cleaned.strip().casefold() in NEGOTIABLE_WORDS | {"", str(_("面议")).casefold()}:
            return None
        try:
            value = Decimal(cleaned.strip())
        except InvalidOperation:
            raise ValueError(_("请填写数字（万元），面议可留空。")) from None
    if not value.is_finite() or value < 0 or value > 10_000_000:
        raise ValueError(_("金额应为 0 或正数。"))
    return value.quantize(Decimal("0.01"))


def _date(cell: Any, text: str) -> date | None:
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"):
        try:
            return datetime.strptime(text[:11], pattern).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    raise ValueError(_("日期格式应为 2026-12-31。"))


def check_table(
    table: Table,
    *,
    progress: Callable[[int, int], None] | None = None,
    every: int = PROGRESS_EVERY,
) -> ImportReport:
    """Check every row (never stopping at the first bad one).

    `progress(done, total)` is called every `every` rows and after the last one.
    """
    checker = RowChecker(table.kind)
    checked = []
    total = len(table.rows)
    for done, raw in enumerate(table.rows, start=1):
        checked.append(checker.check(raw))
        if progress is not None and (done % every == 0 or done == total):
            progress(done, total)
    return ImportReport(table.kind, table.columns, checked)


def create_drafts(*, actor: User, report: ImportReport) -> list[Listing]:
    """Create one draft per row, all or nothing: refuses unless every row is valid.

    The caller commits; if anything raises part-way, the caller's rollback removes every row.
    """
    _check_actor(actor, report.kind)
    if not report.ok:
        raise ValidationFailed(
            {"file": [_("有 %(n)d 行存在错误，未导入任何内容。", n=len(report.bad_rows))]}
        )
    created = []
    for row in report.rows:
        assert row.data is not None
        created.append(listings.create_listing(actor=actor, data=row.data))
    report.created = created
    return created


def import_file(
    *,
    actor: User,
    kind: str,
    filename: str,
    content: bytes,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Read, check every row, and create drafts only when every row is valid (ImportRefused)."""
    _check_actor(actor, kind)
    report = check_table(
        read_table(kind=kind, filename=filename, content=content), progress=progress
    )
    if report.ok:
        create_drafts(actor=actor, report=report)
    return report


def _check_actor(actor: User, kind: str) -> None:
    if not has_permission(actor, LISTING_PERMISSION[kind]) or actor.organisation_id is None:
        raise PermissionDenied


def importing_member(*, organisation_id: int, kind: str, email: str | None = None) -> User:
    """The active member of an organisation on whose behalf the command line imports."""
    org = db.session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound(_("机构不存在。"))
    wanted = (email or "").strip().casefold()
    members = [
        m
        for m in org.members
        if m.is_active
        and LISTING_PERMISSION[kind] in ROLE_PERMISSIONS.get(m.role, frozenset())
        and (not wanted or m.email.casefold() == wanted)
    ]
    if not members:
        raise NotFound(_("这个机构没有可以导入这类内容的成员。"))
    return min(members, key=lambda m: m.id)


# --- background imports (the "excel.import" job) ----------------------------------------------
def _instance() -> Path:
    return Path(current_app.instance_path)


def _prune(folder: Path, pattern: str, max_age: int) -> None:
    now = time.time()
    for old in folder.glob(pattern):
        try:
            if now - old.stat().st_mtime > max_age:
                old.unlink(missing_ok=True)
        except OSError:  # pragma: no cover - another process pruned it first
            continue


def _write_atomically(path: Path, content: bytes) -> None:
    partial = path.with_name(f".{path.name}.part")
    partial.write_bytes(content)
    partial.replace(path)


def uploads_dir(user_id: int) -> Path:
    """Where a user's uploads wait for the import job (instance/imports/<user id>/)."""
    return _instance() / "imports" / str(int(user_id))


def store_upload(*, user_id: int, filename: str, content: bytes) -> str:
    """Run the cheap safety checks, then keep the upload for the import job under a random name.

    Returns its path relative to the instance folder (the job's argument); raises ImportRefused.
    """
    fmt = check_upload(filename=filename, content=content)
    folder = uploads_dir(user_id)
    folder.mkdir(parents=True, exist_ok=True)
    _prune(folder, "*.*", UPLOAD_MAX_AGE)  # uploads whose job never ran (no worker)
    path = folder / f"{secrets.token_urlsafe(24)}.{fmt}"
    _write_atomically(path, content)
    return path.relative_to(_instance()).as_posix()


def stored_upload(path: str) -> Path:
    """The absolute path of a stored upload (refusing anything outside instance/imports/)."""
    root = (_instance() / "imports").resolve()
    full = (_instance() / path).resolve()
    if not full.is_relative_to(root) or full.suffix not in (".xlsx", ".csv"):
        raise ValueError(f"not a stored upload: {path!r}")
    return full


def remove_upload(path: str) -> None:
    """Delete a stored upload once its job is finished (missing is fine)."""
    stored_upload(path).unlink(missing_ok=True)


def reports_dir(user_id: int) -> Path:
    """Where a user's annotated error workbooks are kept (instance/import-reports/<user id>/)."""
    return _instance() / "import-reports" / str(int(user_id))


def save_report(*, user_id: int, content: bytes) -> str:
    """Keep an annotated workbook for its uploader under a random token; prune old ones."""
    folder = reports_dir(user_id)
    folder.mkdir(parents=True, exist_ok=True)
    _prune(folder, "*.xlsx", REPORT_MAX_AGE)
    token = secrets.token_urlsafe(24)
    _write_atomically(folder / f"{token}.xlsx", content)
    return token


def report_file(*, user_id: int, token: str) -> Path | None:
    """The stored annotated workbook of a token, for its uploader only (None when unknown)."""
    if not REPORT_TOKEN.match(token):
        return None
    path = reports_dir(user_id) / f"{token}.xlsx"
    return path if path.is_file() else None


def import_upload(
    *,
    user_id: int,
    kind: str,
    path: str,
    locale: str | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> dict[str, Any]:
    """Import a stored upload for the job worker: read, check every row, create all or nothing.

    Messages are in the uploader's `locale`. `progress(fraction, message)` is called before
    reading and every PROGRESS_EVERY checked rows, never while drafts are being created (it
    commits). The caller commits the drafts and removes the upload. Returns a JSON-able summary:
    outcome "created" (checked, created), "invalid" (checked, bad_rows, problems, report token)
    or "refused" (message).
    """
    if locale not in _locales():
        locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        report_progress = progress or (lambda _fraction, _message: None)
        actor = db.session.get(User, user_id)
        if kind not in COLUMNS:
            raise ValueError(kind)
        try:
            if actor is None or not actor.is_active:
                raise PermissionDenied
            _check_actor(actor, kind)
        except PermissionDenied:
            return {
                "outcome": "refused",
                "kind": kind,
                "message": _("你的账号不能导入这类内容，未导入任何内容。"),
            }
        file = stored_upload(path)
        if not file.is_file():
            return {
                "outcome": "refused",
                "kind": kind,
                "message": _("上传的文件已过期或已被处理，请重新上传。"),
            }
        report_progress(0.0, _("正在读取文件……"))
        try:
            table = read_table(kind=kind, filename=file.name, content=file.read_bytes())
        except ImportRefused as refused:
            return {"outcome": "refused", "kind": kind, "message": refused.message}

        def checked(done: int, total: int) -> None:
            report_progress(
                0.95 * done / total, _("已检查 %(done)d / %(total)d 行", done=done, total=total)
            )

        report = check_table(table, progress=checked)
        if not report.ok:
            token = save_report(user_id=user_id, content=annotated_workbook(report))
            return {
                "outcome": "invalid",
                "kind": kind,
                "checked": report.checked,
                "bad_rows": len(report.bad_rows),
                "problems": [
                    {"row": p.row, "column": p.column, "message": p.message}
                    for p in report.problems()
                ],
                "report": token,
            }
        report_progress(0.95, _("全部 %(n)d 行正确，正在创建草稿……", n=report.checked))
        created = create_drafts(actor=actor, report=report)
        return {
            "outcome": "created",
            "kind": kind,
            "checked": report.checked,
            "created": len(created),
        }


# --- writing workbooks ------------------------------------------------------------------------
def _header(column: Column, *, mark_required: bool) -> str:
    return str(column.label) + ("*" if mark_required and column.required else "")


def _workbook_bytes(workbook: Any) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def build_template(kind: str) -> bytes:
    """An empty workbook for one listing type, with dropdowns on every coded column."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    columns = COLUMNS[kind]
    locale = _locale()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("成果") if kind == "result" else _("需求")
    options = workbook.create_sheet("lists")
    options.sheet_state = "hidden"
    field_labels = [f.label(locale) for f in taxonomy.active_fields()]
    region_labels = [str(label) for label in REGIONS.values()]
    for row, label in enumerate(field_labels, start=1):
        options.cell(row=row, column=1, value=neutralise(label))
    for row, label in enumerate(region_labels, start=1):
        options.cell(row=row, column=2, value=neutralise(label))
    last = current_app.config["IMPORT_MAX_ROWS"] + 1
    yes_no = f'"{_("是")},{_("否")}"'
    lists = {
        "field": f"lists!$A$1:$A${max(len(field_labels), 1)}",
        "region": f"lists!$B$1:$B${len(region_labels)}",
        "trl": '"1,2,3,4,5,6,7,8,9"',
        "flag": yes_no,
    }
    hints = {
        "field": _("从下拉列表中选择。"),
        "region": _("从下拉列表中选择。"),
        "trl": _("1–3 实验室，4–5 小试，6–7 中试，8–9 产业化。"),
        "flag": _("提供这种交易方式填“是”。"),
        "amount": _("单位：万元；留空或填“面议”表示面议。"),
        "date": _("格式：2026-12-31。"),
    }
    bold, required_fill = Font(bold=True), PatternFill("solid", fgColor="FFF2CC")
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index, value=_header(column, mark_required=True))
        cell.font = bold
        if column.required:
            cell.fill = required_fill
        if column.type in hints:
            cell.comment = Comment(hints[column.type], "matchmaker")
        sheet.column_dimensions[letter].width = column.width
        cells = f"{letter}2:{letter}{last}"
        if column.type in lists:
            validation = DataValidation(
                type="list",
                formula1=lists[column.type],
                allow_blank=not column.required,
                showErrorMessage=True,
                error=_("请从下拉列表中选择。"),
            )
        elif column.type == "date":
            validation = DataValidation(
                type="date",
                operator="greaterThan",
                formula1="DATE(2000,1,1)",
                allow_blank=True,
                showErrorMessage=True,
                error=str(_("日期格式应为 2026-12-31。")),
            )
        else:
            if column.type in ("phone", "text"):
                for row in range(2, 52):  # text format: phone numbers keep leading zeros
                    sheet.cell(row=row, column=index).number_format = "@"
            continue
        validation.add(cells)
        sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"
    return _workbook_bytes(workbook)


def annotated_workbook(report: ImportReport) -> bytes:
    """The uploaded rows with every bad cell marked red and explained, plus an errors column."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    red = PatternFill("solid", fgColor="F8CBAD")
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("错误报告")
    headers = [_header(c, mark_required=True) for c in report.columns] + [_("错误说明")]
    for index, header in enumerate(headers, start=1):
        sheet.cell(row=1, column=index, value=neutralise(header)).font = Font(bold=True)
    labels = {c.key: str(c.label) for c in report.columns}
    for out_row, row in enumerate(report.rows, start=2):
        for index, column in enumerate(report.columns, start=1):
            cell = sheet.cell(
                row=out_row, column=index, value=neutralise(row.values.get(column.key, ""))
            )
            if column.key in row.errors:
                cell.fill = red
                cell.comment = Comment("\n".join(row.errors[column.key]), "matchmaker")
        summary = "；".join(f"{labels.get(k, k)}：{' '.join(m)}" for k, m in row.errors.items())
        note = _("第 %(row)d 行：%(errors)s", row=row.number, errors=summary) if summary else ""
        sheet.cell(row=out_row, column=len(headers), value=neutralise(note))
    sheet.freeze_panes = "A2"
    return _workbook_bytes(workbook)


# --- export -----------------------------------------------------------------------------------
def _export_columns(kind: str) -> list[tuple[str, str]]:
    columns = [(c.key, str(c.label)) for c in COLUMNS[kind] if not c.contact]
    return columns + [("organisation", str(_("发布机构"))), ("published", str(_("发布日期")))]


def _export_values(pub: Publication, locale: str) -> dict[str, Any]:
    data = pub.data or {}
    keywords = "，".join(k for k in (pub.keywords or "").split(",") if k)
    values: dict[str, Any] = {
        "title": pub.title,
        "field": pub.field.label(locale) if pub.field is not None else "",
        "keywords": keywords,
        "region": str(REGIONS.get(pub.region, pub.region)),
        "organisation": pub.organisation.name if pub.organisation is not None else "",
        "published": pub.published_at.date().isoformat() if pub.published_at else "",
        "description": data.get("description", ""),
    }
    if pub.kind == "result":
        yes, no = str(_("是")), str(_("否"))
        values.update(
            summary=pub.summary,
            trl=pub.trl,
            price=pub.amount_wan if pub.amount_wan is not None else str(_("面议")),
            trial_terms=data.get("trial_terms", ""),
            patents="\n".join(
                f"{p.get('number', '')} {PATENT_STATUS.get(p.get('status', ''), '')}".strip()
                for p in data.get("patents", [])
            ),
            software_copyrights="\n".join(data.get("software_copyrights", [])),
            team=data.get("team", ""),
            **{key: yes if (pub.modes or 0) & mode else no for key, mode, _label in MODE_COLUMNS},
        )
    else:
        values.update(
            targets=data.get("targets", ""),
            existing_base=data.get("existing_base", ""),
            budget=pub.amount_wan if pub.amount_wan is not None else str(_("面议")),
            deadline=pub.deadline,
        )
    return values


def export_rows(f: BrowseFilter) -> Iterator[list[Any]]:
    """The header, then one neutralised row per publication matching the filter (bounded)."""
    columns = _export_columns(f.kind)
    locale = _locale()
    yield [neutralise(label) for _key, label in columns]
    stmt = browse_query(f.cleaned()).limit(EXPORT_MAX_ROWS)
    for pub in db.session.scalars(stmt):
        values = _export_values(pub, locale)
        yield [neutralise(values.get(key)) for key, _label in columns]


def export_xlsx(f: BrowseFilter) -> bytes:
    """The filtered public list as a workbook (text cells neutralised, numbers as numbers)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("成果") if f.kind == "result" else _("需求"))
    rows = export_rows(f)
    header = []
    for label in next(rows):
        cell = WriteOnlyCell(sheet, value=label)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text
            cells.append(cell)
        sheet.append(cells)
    return _workbook_bytes(workbook)


def export_csv(f: BrowseFilter) -> bytes:
    """The filtered public list as UTF-8 CSV with a BOM (so Excel shows the Chinese)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in export_rows(f):
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue().encode("utf-8-sig")
