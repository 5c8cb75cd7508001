"""Reading an uploaded .xlsx or .csv into raw rows, refusing hostile or oversized files.

Hostile files are refused before openpyxl sees them (size, zip entry count and declared
uncompressed size; Python's zipfile never yields more than the declared size), openpyxl parses
through defusedxml (entity tricks raise), only in read-only mode, and every cell is bounded.
"""

from __future__ import annotations

import csv
import io
import warnings
import zipfile
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from matchmaker.services.market.excel.columns import (
    COLUMNS,
    MAX_CELL_CHARS,
    Column,
    ImportRefused,
    cell_text,
    in_every_locale,
    norm,
)

MAX_COLUMNS = 60
MAX_ZIP_ENTRIES = 200
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
#: The first bytes of an old binary .xls (an OLE compound file).
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


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
    if content.startswith(OLE_MAGIC):
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
    return int(current_app.config["IMPORT_MAX_ROWS"]) * 5 + 100


def _table(kind: str, rows: list[tuple[Any, ...]]) -> Table:
    columns = COLUMNS[kind]
    if len(rows) > _raw_row_limit():
        raise ImportRefused(_rows_message())
    header_index = next((i for i, r in enumerate(rows) if any(cell_text(v) for v in r)), None)
    if header_index is None:
        raise ImportRefused(_("文件中没有数据行。"))
    aliases: dict[str, str] = {}
    for column in columns:
        for name in (column.key, *in_every_locale(column.label)):
            aliases.setdefault(norm(name), column.key)
    positions: dict[int, str] = {}
    for index, value in enumerate(rows[header_index]):
        key = aliases.get(norm(cell_text(value)))
        if key is not None and key not in positions.values():
            positions[index] = key
    missing = [str(c.label) for c in columns if c.required and c.key not in positions.values()]
    if missing:
        raise ImportRefused(
            _("缺少必填列：%(columns)s。请使用下载的模板。", columns="、".join(missing))
        )
    data_rows = []
    for offset, row in enumerate(rows[header_index + 1 :], start=header_index + 2):
        if not any(cell_text(v) for v in row):
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
