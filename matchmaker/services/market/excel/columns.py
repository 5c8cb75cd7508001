"""The template columns of both listing types and of expert profiles, and the cell helpers every
part of excel/ shares."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l

from matchmaker.models import Mode
from matchmaker.models.expert import OFFER_KEYS, OFFER_LABELS
from matchmaker.models.listing import MODE_LABELS, PATENT_STATUS_LABELS
from matchmaker.services.errors import DomainError

KINDS = ("result", "need")
MAX_CELL_CHARS = 20_000
#: A spreadsheet reads a cell starting with one of these as a formula (or strips it into one).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\0")
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

#: (template column, mode, label) of each mode, in the order of MODE_LABELS.
MODE_COLUMNS = tuple(
    (key, mode, MODE_LABELS[mode])
    for key, mode in (
        ("mode_transfer", Mode.TRANSFER),
        ("mode_license_exclusive", Mode.LICENSE_EXCLUSIVE),
        ("mode_license_non_exclusive", Mode.LICENSE_NON_EXCLUSIVE),
        ("mode_license_open", Mode.LICENSE_OPEN),
        ("mode_equity", Mode.EQUITY),
        ("mode_cooperation", Mode.COOPERATION),
        ("mode_use_first", Mode.USE_FIRST_PAY_LATER),
    )
)
PATENT_STATUS = PATENT_STATUS_LABELS


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
    #: text | field | region | trl | flag | amount | date | phone | email | list | results
    type: str = "text"
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
#: (template column, offer, label) of each expert offer, in the order of OFFER_LABELS.
OFFER_COLUMNS = tuple((f"offer_{key}", bit, OFFER_LABELS[bit]) for key, bit in OFFER_KEYS.items())
#: Expert profiles (人才库): a university or institute lists its researchers in one go.
EXPERT_COLUMNS: tuple[Column, ...] = (
    Column("name", _l("姓名"), required=True, max_length=100, width=12),
    Column("title", _l("职称"), max_length=100, width=12),
    Column("unit", _l("院系"), required=True, max_length=200, width=24),
    Column("field", _l("技术领域"), "field", width=20),
    Column("directions", _l("研究方向"), max_length=4000, width=36),
    Column("keywords", _l("关键词"), max_length=500, width=24),
    Column("biography", _l("简介"), max_length=4000, width=36),
    *(Column(key, label, "flag", width=12) for key, _bit, label in OFFER_COLUMNS),
    Column("availability", _l("可合作时间"), max_length=200, width=20),
    Column("results", _l("主持的成果"), "results", max_length=4000, width=32),
    Column("patents", _l("专利"), "list", max_length=10000, width=32),
    Column("account_email", _l("本人账号邮箱"), "email", max_length=254, width=24),
    Column("contact_phone", _l("联系电话"), "phone", max_length=32, contact=True),
    Column("contact_email", _l("联系邮箱"), "email", max_length=254, width=24, contact=True),
    Column("contact_public", _l("联系方式登录用户可见"), "flag", width=14, contact=True),
)
COLUMNS = {"result": RESULT_COLUMNS, "need": NEED_COLUMNS, "expert": EXPERT_COLUMNS}


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


def norm(text: Any) -> str:
    """A header or coded cell reduced for matching: ASCII brackets, no `*` or spaces, casefolded."""
    text = str(text).replace("（", "(").replace("）", ")").replace("*", "")
    return "".join(text.split()).casefold()


def locales() -> Sequence[str]:
    """The locales the app offers (a header or code may be written in any of them)."""
    return current_app.config.get("LANGUAGES", ("zh_Hans_CN", "en"))


def in_every_locale(label: Any) -> set[str]:
    """A lazy label rendered in every offered locale."""
    names = {str(label)}
    for locale in locales():
        with force_locale(locale):
            names.add(str(label))
    return names


def current_locale() -> str:
    """The locale the current messages are rendered in."""
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def cell_text(value: Any) -> str:
    """A cell's value as the text a person typed (dates ISO, whole floats without .0)."""
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


def display(value: Any) -> str:
    """A cell's text shortened for a report."""
    text = cell_text(value)
    return text if len(text) <= 500 else text[:500] + "…"
