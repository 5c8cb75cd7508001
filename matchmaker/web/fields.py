"""The amount field shared by every form with an amount (万元), a rate or a score: a real number
with at most the two stored decimals; `Wan` adds the platform's one rule for amounts in 万元."""

from __future__ import annotations

from contextlib import suppress
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DecimalField
from wtforms.validators import StopValidation, ValidationError

from matchmaker.services.platform.amounts import amount_error

#: Every amount, rate and score column is Numeric(..., 2).
STORED_PLACES = Decimal("0.01")


class AmountField(DecimalField):
    """A DecimalField that holds a finite number with at most the stored two decimals.

    Decimal parses "NaN", "sNaN" and "Infinity": they are no amount and make every comparison
    (NumberRange, the services' range checks) raise InvalidOperation. They fail here like
    "abc", with `message` in the user's language, and the field's validators do not run on
    them. More than two decimals are refused, not rounded: nothing typed is silently changed
    (and PostgreSQL cannot round 0.001 to a 0 that the checks refused).
    """

    data: Decimal | None

    def __init__(
        self,
        label: object = None,
        validators: list[Any] | None = None,
        *,
        message: object = _l("请填写数字。"),
        **kwargs: Any,
    ) -> None:
        super().__init__(label, validators, **kwargs)
        self.message = message

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and not str(valuelist[0]).strip():
            self.data = None  # left blank: Optional or InputRequired has the say
            return
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(self.message)) from None
        if self.data is None:
            return
        if not self.data.is_finite():
            self.data = None
            raise ValueError(str(self.message))
        with suppress(InvalidOperation):  # too many digits to round: out of every range anyway
            if self.data != self.data.quantize(STORED_PLACES, rounding=ROUND_HALF_UP):
                raise ValueError(str(_l("最多保留两位小数。")))

    def pre_validate(self, form: Any) -> None:
        if self.process_errors:
            raise StopValidation  # one message: not InputRequired's or NumberRange's as well


class Wan:
    """The platform's one rule for an amount in 万元 (services/platform/amounts.py), as a
    validator: put it after InputRequired/Optional. negotiable: 0 = 面议; positive: 0 refused."""

    def __init__(self, *, negotiable: bool = False, positive: bool = False) -> None:
        self.negotiable = negotiable
        self.positive = positive

    def __call__(self, form: Any, field: Any) -> None:
        message = amount_error(field.data, negotiable=self.negotiable, positive=self.positive)
        if message is not None:
            raise ValidationError(message)
