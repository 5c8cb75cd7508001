"""The one rule for every amount in 万元 on the platform (prices, budgets, bounties, contracts,
loan products, financing needs, credit): a finite number, at most two decimals, not negative,
not above MAX_AMOUNT_WAN. Forms (web/fields.py `Wan`) and services use the same
function, so the message and its reason are the same wherever the amount is typed.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import get_locale
from flask_babel import gettext as _

#: 100 亿元: far above any price, contract or loan of a tech SME; a typo beyond it is refused.
MAX_AMOUNT_WAN = Decimal(1_000_000)
#: Every amount column is Numeric(..., 2): more decimals would be rounded away when stored.
STEP = Decimal("0.01")


def amount_error(
    value: Decimal | None, *, negotiable: bool = False, positive: bool = False
) -> str | None:
    """Why an amount in 万元 is refused, or None when it is fine (None itself is not checked).

    negotiable: 0 means 面议 (the negative message says so); positive: 0 is refused.
    """
    if value is None:
        return None
    if not value.is_finite():
        return _("请填写数字。")
    if value < 0:
        return _("金额不能为负数，面议请填 0。") if negotiable else _("金额不能为负数。")
    if value > MAX_AMOUNT_WAN:
        return _("金额不能超过 %(max)s。", max=format_money(MAX_AMOUNT_WAN))
    if value != value.quantize(STEP):
        return _("金额最多保留两位小数（精确到 0.01 万元）。")
    if positive and value == 0:
        return _("金额应大于 0。")
    return None


def check_amount(
    errors: dict[str, list[str]],
    name: str,
    value: Decimal | None,
    *,
    negotiable: bool = False,
    positive: bool = False,
) -> None:
    """Add the amount's error (if any) to a service's error dict, keeping earlier messages."""
    message = amount_error(value, negotiable=negotiable, positive=positive)
    if message is not None and message not in errors.get(name, []):
        errors.setdefault(name, []).append(message)


# Display: the one money format per language. Amounts are stored in 万元; Chinese pages show
# them in 万元 ("110 万元", "10–50 万元"), English pages in yuan with thousands separators
# ("CNY 1,100,000", "CNY 100,000–500,000"); nothing (None or 0) is 面议 / Negotiable.

#: 1 万元 in yuan.
YUAN_PER_WAN = Decimal(10_000)


def _is_chinese() -> bool:
    locale = get_locale()
    return locale is None or locale.language == "zh"


def _wan_number(value: Decimal) -> str:
    """110 → "110", 1234.5 → "1,234.5", 12.25 → "12.25" (never more than the stored two places)."""
    text = f"{value.quantize(STEP):,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _yuan_number(value: Decimal) -> str:
    """110 (万元) → "1,100,000"; 0.01 万元 is 100 yuan, so a stored amount is whole yuan."""
    return f"{(value.quantize(STEP) * YUAN_PER_WAN):,.0f}"


def _amount(value: Decimal | float | int | str | None) -> Decimal | None:
    if value is None or value == "":
        return None
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    return number if number.is_finite() else None


def format_money(
    value: Decimal | float | int | str | None,
    high: Decimal | float | int | str | None = None,
    *,
    negotiable: bool = True,
) -> str:
    """An amount (or the range value–high) in 万元, written the current language's one way.

    Chinese: "110 万元", "10–50 万元"; English: "CNY 1,100,000", "CNY 100,000–500,000".
    A price, budget or bounty (negotiable) of None or 0 is 面议 / Negotiable; a figure that is
    not a price (a total, a credit: negotiable=False) shows 0 as "0 万元" and None as "—".
    """
    low, top = _amount(value), _amount(high)
    if negotiable:
        low = low or None
        top = top or None
        if low is None and top is None:
            return _("面议")
    elif low is None and top is None:
        return "—"
    number = _wan_number if _is_chinese() else _yuan_number
    if low is None or top is None or low == top:
        text = number(low if low is not None else top)  # type: ignore[arg-type]
        if low is None:  # a range from nothing (0) up to high
            text = f"{number(Decimal(0))}–{text}"
    else:
        text = f"{number(low)}–{number(top)}"
    return f"{text} 万元" if _is_chinese() else f"CNY {text}"
