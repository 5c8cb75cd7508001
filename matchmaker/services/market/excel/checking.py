"""Checking raw rows: the shape of every cell, then the listings service's own validation."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypedDict

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from matchmaker.services.errors import ValidationFailed
from matchmaker.services.market import listings
from matchmaker.services.market.excel.columns import (
    COLUMNS,
    MAX_CELL_CHARS,
    MODE_COLUMNS,
    PATENT_STATUS,
    Column,
    cell_text,
    display,
    in_every_locale,
    norm,
)
from matchmaker.services.market.excel.reading import RawRow, Table
from matchmaker.services.market.listings import NeedData, ResultData, normalise_keywords
from matchmaker.services.platform import taxonomy
from matchmaker.services.platform.regions import REGIONS

#: A background import reports progress after this many checked rows (and after the last).
PROGRESS_EVERY = 50
NEGOTIABLE_WORDS = {"面议", "negotiable", "n/a", "-", "—"}
#: Where the listings service's error keys land in the sheet.
SERVICE_FIELD_COLUMN = {
    "field_id": "field",
    "price_wan": "price",
    "budget_wan": "budget",
    "modes": "mode_transfer",
}
_PHONE = re.compile(r"^\+?[0-9][0-9 -]{6,19}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TRL = re.compile(r"^(?:trl)?\s*([0-9]+)(?:\.0+)?\b", re.IGNORECASE)
_LIST_SPLIT = re.compile(r"[\n;；]+")


@dataclass
class CheckedRow:
    """A row after checking: the service input, or the errors per column."""

    number: int
    values: dict[str, str]
    data: Any  # ResultData | NeedData | ExpertData (services/talent/experts.py) | None
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
    created: list[Any] = field(default_factory=list)  # listings, or expert profiles

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
        out: list[Problem] = []
        for row in self.bad_rows:
            for key in sorted(row.errors, key=lambda k: order.get(k, len(order))):
                out.extend(Problem(row.number, labels.get(key, key), m) for m in row.errors[key])
        return out


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
            fields.setdefault(norm(name), tech_field.id)
    regions: dict[str, str] = {}
    for code, label in REGIONS.items():
        for name in (code, *in_every_locale(label)):
            regions.setdefault(norm(name), code)
    yes = {"y", "yes", "true", "1", "✓", "√", "x", "是"} | {
        norm(n) for n in in_every_locale(_l("是"))
    }
    no = {"", "n", "no", "false", "0", "否"} | {norm(n) for n in in_every_locale(_l("否"))}
    statuses = {}
    for code, label in PATENT_STATUS.items():
        for name in (code, *in_every_locale(label)):
            statuses[name.casefold()] = code
    return _Lookups(fields, regions, frozenset(yes), frozenset(no), statuses)


class _Common(TypedDict):
    title: str
    field_id: int | None
    keywords: tuple[str, ...]
    region: str
    contact_name: str
    contact_phone: str
    contact_email: str


def parse_cells(
    columns: Sequence[Column], raw: RawRow, parse: Callable[[Column, Any], Any]
) -> tuple[dict[str, Any], dict[str, list[str]], dict[str, str]]:
    """Parse every cell of a row with `parse`: the values, the errors keyed by column (an
    over-long cell is refused before parsing) and the cells as shown back to the user."""
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    shown = {c.key: display(raw.cells.get(c.key)) for c in columns}
    for column in columns:
        cell = raw.cells.get(column.key)
        if isinstance(cell, str) and len(cell) > MAX_CELL_CHARS:
            errors[column.key] = [
                _("单元格内容过长（超过 %(max)d 个字符），已拒绝。", max=MAX_CELL_CHARS)
            ]
            continue
        try:
            values[column.key] = parse(column, cell)
        except ValueError as error:
            errors[column.key] = [str(error)]
    return values, errors, shown


class RowChecker:
    """Checks rows of one table: shape per cell, then the listings service's own validation."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.columns = COLUMNS[kind]
        self.lookups = _lookups()

    def check(self, raw: RawRow) -> CheckedRow:
        """Parse and validate one row; errors are keyed by column."""
        values, errors, shown = parse_cells(self.columns, raw, self._parse)
        data = self._data(values)
        try:
            listings._validate(self.kind, data)  # the exact validation create_listing runs
        except ValidationFailed as failed:
            for name, messages in failed.errors.items():
                key = SERVICE_FIELD_COLUMN.get(name, name)
                errors.setdefault(key, messages)
        return CheckedRow(raw.number, shown, None if errors else data, errors)

    def _parse(self, column: Column, cell: Any) -> Any:  # noqa: C901 - one branch per type
        text = cell_text(cell)
        if column.required and not text:
            raise ValueError(_("必填项，不能为空。"))
        if len(text) > column.max_length:
            raise ValueError(_("不能超过 %(max)d 个字符。", max=column.max_length))
        kind = column.type
        if kind == "field":
            if not text:
                return None
            if norm(text) not in self.lookups.fields:
                raise ValueError(_("请选择有效的技术领域。"))
            return self.lookups.fields[norm(text)]
        if kind == "region":
            if norm(text) not in self.lookups.regions:
                raise ValueError(_("请选择所在地区。"))
            return self.lookups.regions[norm(text)]
        if kind == "trl":
            if not text:
                return None
            match = _TRL.match(text)
            if match is None or not 1 <= int(match.group(1)) <= 9:
                raise ValueError(_("技术成熟度应在 1 到 9 之间。"))
            return int(match.group(1))
        if kind == "flag":
            if norm(text) in self.lookups.yes:
                return True
            if norm(text) in self.lookups.no:
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
        common: _Common = {
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


def checker_for(kind: str, *, organisation_id: int | None = None) -> RowChecker:
    """The row checker of a kind (expert profiles are checked against their organisation)."""
    if kind == "expert":
        from matchmaker.services.market.excel.expert_rows import ExpertRowChecker

        if organisation_id is None:
            raise ValueError("an expert import needs its organisation")
        return ExpertRowChecker(organisation_id)
    return RowChecker(kind)


def check_table(
    table: Table,
    *,
    progress: Callable[[int, int], None] | None = None,
    every: int = PROGRESS_EVERY,
    organisation_id: int | None = None,
) -> ImportReport:
    """Check every row (never stopping at the first bad one).

    `progress(done, total)` is called every `every` rows and after the last one.
    """
    checker = checker_for(table.kind, organisation_id=organisation_id)
    checked = []
    total = len(table.rows)
    for done, raw in enumerate(table.rows, start=1):
        checked.append(checker.check(raw))
        if progress is not None and (done % every == 0 or done == total):
            progress(done, total)
    return ImportReport(table.kind, table.columns, checked)
