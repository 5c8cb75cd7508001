"""The one rule for every amount in 万元 on the platform (prices, budgets, bounties, contracts,
loan products, financing needs, credit): a finite number, at most two decimals, not negative,
not above MAX_AMOUNT_WAN. Forms (web/fields.py `Wan`) and services use the same
function, so the message and its reason are the same wherever the amount is typed.
"""

from __future__ import annotations

from decimal import Decimal

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
        return _("金额不能超过 %(max)s 万元。", max=f"{MAX_AMOUNT_WAN:,.0f}")
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
