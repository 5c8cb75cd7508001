"""Ids typed into URLs, query strings and hidden fields: whole numbers that fit an id column."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, Map

#: The largest id a row can have (PostgreSQL integer); a larger one names nothing.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:...>` of every route (all are ids): above MAX_ID no route matches, a 404, where
    the database driver would fail (SQLite refuses integers over 2**63 - 1 with an error).

    The pattern itself stops at MAX_ID: when only `to_python` refused a larger number, werkzeug
    answered 405 (not 404) for a path that has a route of another method (GET and PATCH
    /api/v1/needs/<id> are two rules)."""

    regex = (
        r"0*(?:[0-9]{1,9}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}"
        r"|2147[0-3][0-9]{5}|21474[0-7][0-9]{4}|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}"
        r"|21474836[0-3][0-9]|214748364[0-7])"
    )

    def __init__(
        self,
        map: Map,  # noqa: A002  (werkzeug's name)
        fixed_digits: int = 0,
        min: int | None = None,  # noqa: A002
        max: int | None = MAX_ID,  # noqa: A002
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


def to_id(raw: object) -> int | None:
    """An id from a query string or a hidden field: None unless a whole number 1..MAX_ID."""
    try:
        value = int(str(raw).strip())
    except ValueError:
        return None
    return value if 0 < value <= MAX_ID else None
