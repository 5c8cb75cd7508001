"""The amount field shared by the 科技金融 forms: a real number, rounded as it is stored."""

from __future__ import annotations

from contextlib import suppress
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DecimalField
from wtforms.validators import StopValidation

#: Every amount, rate and score column of 科技金融 is Numeric(..., 2).
STORED_PLACES = Decimal("0.01")


class AmountField(DecimalField):
    """A DecimalField that holds a finite number, rounded to the stored two decimals.

    Decimal parses "NaN", "sNaN" and "Infinity": they are no amount and make every comparison
    (NumberRange, the services' range checks) raise InvalidOperation. They fail here like
    "abc", with `message` in the user's language, and the field's validators do not run on
    them. Rounding here keeps PostgreSQL from rounding 0.001 to a 0 that the checks refused.
    """

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
            self.data = self.data.quantize(STORED_PLACES, rounding=ROUND_HALF_UP)

    def pre_validate(self, form: Any) -> None:
        if self.process_errors:
            raise StopValidation  # one message: not InputRequired's or NumberRange's as well
