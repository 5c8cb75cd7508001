"""The API's integer field."""

from __future__ import annotations

from typing import Any

from marshmallow import fields


class Int(fields.Integer):
    """An integer that is one. marshmallow's Integer reads any number through `int()`, so a
    JSON body's `1.5` became 1 (an amount, an id, a page quietly changed); here it is refused
    ("Not a valid integer."). A whole number written as `2.0` and a query string's "2" are read
    as before, and booleans stay refused."""

    def _validated(self, value: Any) -> int:
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid")
        return super()._validated(value)
