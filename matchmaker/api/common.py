"""What every API module shares: the blueprint, the documented error answers, ETag answers and
pagination. Area modules (`listings.py`, `challenges.py`, ...) register their operations on
`bp`; `views.py` imports them all.

Conventions of an operation (docs/api.md, "Adding an operation"):

- one function per operation, named `<verb>_<noun>` and unique across the modules (the endpoint
  is `api.<function name>`);
- an access decorator from `api/auth.py`: `@anyone`, or `@token_required(action, area)`;
- `@bp.arguments(Schema)` for the body or query (unknown fields refused: mass assignment
  protection), `@bp.response(status, Schema)` for the answer, `@documented_errors(...)`;
- the view calls the services the web page calls and lets domain errors through: `api/errors.py`
  maps them (NotFound 404, PermissionDenied 403, InvalidTransition 409, ValidationFailed 422).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import current_app, g, request, url_for
from flask_babel import gettext as _
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser
from werkzeug.wrappers import Response

from matchmaker.api import errors
from matchmaker.api.auth import authenticate_request
from matchmaker.api.schemas import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, ErrorSchema
from matchmaker.extensions import db

T = TypeVar("T")

bp = Blueprint(
    "api",
    __name__,
    description="JSON API v1: every market object, with tokens, matches and statistics.",
)
bp.before_request(authenticate_request)
errors.register(bp)


class _StrictParser(FlaskParser):
    """Unknown query parameters and file fields are refused (422) like unknown body fields:
    every schema decides (marshmallow's default is RAISE), not webargs' EXCLUDE."""

    DEFAULT_UNKNOWN_BY_LOCATION: dict[str, str | None] = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": None,
        "querystring": None,
        "files": None,
    }


bp.ARGUMENTS_PARSER = _StrictParser()


def _nul_paths(value: Any, path: str = "") -> list[str]:
    """Where a JSON value holds a NUL character (in a key or a string), as "field.sub" paths."""
    if isinstance(value, str):
        return [path or "_schema"] if "\x00" in value else []
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            found += [name] if "\x00" in str(key) else _nul_paths(item, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _nul_paths(item, f"{path}.{index}" if path else str(index))
    return found


@bp.before_request
def refuse_nul_characters() -> None:
    """Text with NUL characters is refused before any schema reads it (PostgreSQL cannot store
    them, and no person types one): 422 naming the fields."""
    if not request.is_json or request.method not in ("POST", "PATCH", "PUT"):
        return
    paths = _nul_paths(request.get_json(silent=True))
    if paths:
        message = _("不能包含 NUL 控制字符。")
        raise errors.ApiError(
            422, "validation_failed", _("请求内容有误。"), {p: [message] for p in paths}
        )


@bp.after_request
def private_answers(response: Response) -> Response:
    """Answers depend on the token and the language; those made for a token are never cached."""
    response.vary.update(("Accept-Language", "Authorization"))
    if g.get("api_token") is not None:
        response.headers["Cache-Control"] = "no-store"
    return response


def documented_errors(*codes: int) -> Callable[[Any], Any]:
    """The error answers an operation may give, described in the OpenAPI document."""

    def decorate(view: Any) -> Any:
        for code in codes:
            view = bp.alt_response(code, schema=ErrorSchema, description=f"Error {code}")(view)
        return view

    return decorate


def conditional(payload: dict[str, Any]) -> Response:
    """A JSON answer with a strong ETag; 304 when the caller already has this version.

    `payload` is what the response schema dumped (`Schema().dump(...)`)."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    response = current_app.response_class(body, mimetype="application/json")
    response.set_etag(hashlib.sha256(body.encode("utf-8")).hexdigest()[:32])
    return response.make_conditional(request)


@dataclass(frozen=True)
class Page:
    """One page of a list, in the shape of the *PageSchema answers."""

    items: Sequence[Any]
    page: int
    page_size: int
    total: int
    next: str | None

    def as_dict(self, dump: Callable[[Any], Any] | None = None) -> dict[str, Any]:
        """{items, page, page_size, total, next}, each item passed through `dump` if given."""
        items = [dump(i) for i in self.items] if dump else list(self.items)
        return {
            "items": items,
            "page": self.page,
            "page_size": self.page_size,
            "total": self.total,
            "next": self.next,
        }


def page_size_of(query: dict[str, Any]) -> int:
    """The page size asked for, capped at MAX_PAGE_SIZE."""
    return min(int(query.get("page_size") or DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE)


def next_link(query: dict[str, Any], has_next: bool, page: int, size: int) -> str | None:
    """The URL of the following page (the same filters), or None on the last page."""
    if not has_next:
        return None
    args: dict[str, Any] = {
        **(request.view_args or {}),  # the path's ids (/enquiries/{id}/messages)
        **request.args.to_dict(),
        "page": page + 1,
        "page_size": size,
    }
    return url_for(request.endpoint or "api.list_results", _external=True, **args)


def paginate(statement: sa.Select[Any], query: dict[str, Any]) -> Page:
    """Run `statement` (already filtered and ordered, with a stable tie-breaker such as the id)
    for the page `query["page"]` of `query["page_size"]` (capped) items."""
    size = page_size_of(query)
    number = int(query.get("page") or 1)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(statement.subquery())) or 0
    rows = list(db.session.scalars(statement.limit(size).offset((number - 1) * size)))
    return Page(rows, number, size, total, next_link(query, number * size < total, number, size))


def paged(items: Sequence[T], query: dict[str, Any]) -> Page:
    """Paginate a list already in memory (what a service returns as a list)."""
    size = page_size_of(query)
    number = int(query.get("page") or 1)
    start = (number - 1) * size
    return Page(
        items[start : start + size],
        number,
        size,
        len(items),
        next_link(query, start + size < len(items), number, size),
    )
