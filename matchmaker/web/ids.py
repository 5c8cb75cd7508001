"""Ids and page numbers typed into URLs, query strings and forms: the one parser of them all.

A row's id is a whole number 1..MAX_ID (every id column is an INTEGER; PostgreSQL refuses a
larger number with an error, SQLite one above 2**63 - 1, so an unchecked number from a link was
a 500). A page number is a whole number 1..MAX_PAGE. What each reader answers:

- `<int:...>` in a route (`IdConverter`): above MAX_ID no route matches, a 404;
- `id_arg(name)`, an id in the query string or the submitted form that names the object to
  act on: None when absent or blank, the id, or 404 (it names nothing) when it is anything else;
- `to_id(raw)`, an optional filter (`?org=`, `?bank=`): the id, or None (the filter is ignored);
- `page_arg()`: 1 when absent, blank or no number at all (an old or hand-edited link still
  shows the list), the page, or 400 with a message when the number is outside 1..MAX_PAGE;
- `IdField` (a form field) and `id_coerce` (the `coerce=` of a SelectField or
  SelectMultipleField of ids): the form's error message next to the field, never a 500.

The JSON API applies the same bounds with marshmallow (`api/schemas`, `validate.Range`).
"""

from __future__ import annotations

import re
from typing import Any

from flask import abort, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter, Map
from wtforms import IntegerField
from wtforms.validators import StopValidation

from matchmaker.services.errors import ValidationFailed

#: The largest id a row can have (PostgreSQL integer); a larger one names nothing.
MAX_ID = 2**31 - 1
#: The last page any list shows, as in the JSON API (PageQuerySchema): far more than any list
#: holds, and its OFFSET stays small for the database.
MAX_PAGE = 100_000

#: A whole number as typed: ASCII digits, an optional sign, blanks around ("٣" is no number).
_WHOLE = re.compile(r"\s*([+-]?[0-9]{1,30})\s*")


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


def whole_number(raw: object) -> int | None:
    """The whole number written in `raw` (ASCII digits, optional sign), else None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    match = _WHOLE.fullmatch(raw) if isinstance(raw, str) else None
    return int(match.group(1)) if match else None


def to_id(raw: object) -> int | None:
    """An id from a query string or a hidden field: None unless a whole number 1..MAX_ID."""
    value = whole_number(raw)
    return value if value is not None and 0 < value <= MAX_ID else None


def _blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def id_arg(name: str, source: MultiDict[str, Any] | None = None) -> int | None:
    """The id `name` of the query string (or of `source`, e.g. `request.form`) that names the
    object a page shows or acts on: None when absent or blank, 404 when it names no row any id
    could (junk, zero, negative, above MAX_ID), as a missing row does."""
    raw = (request.args if source is None else source).get(name)
    if _blank(raw):
        return None
    value = to_id(raw)
    if value is None:
        abort(404)
    return value


def page_arg(name: str = "page", source: MultiDict[str, Any] | None = None) -> int:
    """The page number `name` of the query string: 1 when absent, blank or no number at all;
    a 400 with a message in the user's language when it is a number outside 1..MAX_PAGE."""
    value = whole_number((request.args if source is None else source).get(name))
    if value is None:
        return 1
    if not 1 <= value <= MAX_PAGE:
        raise ValidationFailed({name: _("页码应为 1 到 %(max)d 之间的整数。", max=MAX_PAGE)})
    return value


#: What a form says when an id field holds no id.
ID_MESSAGE = _l("编号无效，请重新选择。")


def id_coerce(value: object) -> int:
    """`coerce=` of a SelectField or SelectMultipleField of ids: ValueError (the field's error,
    "not a valid choice") for anything but a whole number 1..MAX_ID."""
    number = to_id(value)
    if number is None:
        raise ValueError(str(ID_MESSAGE))
    return number


class IdField(IntegerField):
    """A form field (often hidden) holding a row's id: blank is None (Optional or InputRequired
    has the say), anything but a whole number 1..MAX_ID is `message` next to the field."""

    data: Any  # an int once validated with InputRequired (as IntegerField's)

    def __init__(
        self,
        label: object = None,
        validators: Any = None,
        *,
        message: object = ID_MESSAGE,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, validators, **kwargs)
        self.message = message

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or _blank(valuelist[0]):
            self.data = None
            return
        self.data = to_id(valuelist[0])
        if self.data is None:
            raise ValueError(str(self.message))

    def pre_validate(self, form: Any) -> None:
        if self.process_errors:
            raise StopValidation  # one message, not InputRequired's as well
