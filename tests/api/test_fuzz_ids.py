"""Out-of-range and junk ids and page numbers on every operation of /api/v1/openapi.json
(SECURITY.md row 30, v5.0.0-2.2.1 and 2.2.3; row 26, 15.2.2).

schemathesis (`make fuzz`) sends what the document allows; this adds what it does not:
numbers above the id range (2**31 - 1, the INTEGER column) and above 2**63 - 1 (SQLite's
limit), negative numbers, zero and text, in every path parameter, every documented query
parameter and every integer property of a request body. The answer is never a 5xx; a path id
out of range is a 404 (no route matches), a query or body integer out of range a 422 naming the
field; a refused request changes no row.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matchmaker.extensions import db as _db
from matchmaker.models import Base
from matchmaker.services.accounts import api_tokens
from matchmaker.services.platform.taxonomy import active_fields, ensure_key_industries
from tests.conftest import wipe_tables
from tests.factories import make_user
from tests.services.challenge_helpers import apply, challenge_world

HUGE = "99999999999999999999"
OUT_OF_RANGE = [HUGE, str(2**31), "-1", "-" + HUGE]
JUNK = ["abc", "1.5", "0x10", "\u0663", ""]
ROLES = ("anon", "enterprise", "university", "bank", "admin", "broker", "bureau")


def row_counts() -> dict[str, int]:
    """Rows per table, in one statement (it runs twice per request)."""
    _db.session.expire_all()
    tables = Base.metadata.sorted_tables
    counts = [sa.select(sa.func.count()).select_from(t).scalar_subquery() for t in tables]
    row = _db.session.execute(sa.select(*counts)).one()
    return {t.name: count for t, count in zip(tables, row, strict=True)}


@pytest.fixture(scope="module")
def world(app: Flask) -> Iterator[dict[str, Any]]:
    """A token per role (every scope the role may hold), a need, a result, a challenge with an
    application; and the OpenAPI document's operations."""
    wipe_tables()
    ensure_key_industries()
    _db.session.commit()
    made = challenge_world({f.code: f for f in active_fields()})
    apply(made["uni_a"], made["challenge"])
    users = {
        "enterprise": made["owner"],
        "university": made["uni_a"],
        "bank": make_user("bank"),
        "admin": made["admin"],
        "broker": make_user("broker"),
        "bureau": make_user("bureau"),
    }
    _db.session.commit()
    headers: dict[str, dict[str, str]] = {"anon": {}}
    for role, user in users.items():
        scopes = list(api_tokens.allowed_scopes(user))
        secret = api_tokens.create_token(user=user, name="fuzz", scopes=scopes).secret
        headers[role] = {"Authorization": f"Bearer {secret}"}
    _db.session.commit()
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    yield {"headers": headers, "spec": spec, "operations": _operations(spec)}
    _db.session.remove()
    wipe_tables()


def _operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Every operation: method, path, its path and query parameters (name -> schema) and the
    integer properties of its JSON body (name -> "integer" or "array")."""
    found = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            parameters = [*item.get("parameters", []), *operation.get("parameters", [])]
            found.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "path_params": {
                        p["name"]: p.get("schema", {}) for p in parameters if p["in"] == "path"
                    },
                    "query": {
                        p["name"]: p.get("schema", {}) for p in parameters if p["in"] == "query"
                    },
                    "body_ints": _body_integers(spec, operation),
                }
            )
    return found


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _types(schema: dict[str, Any]) -> set[str]:
    kind = schema.get("type")
    return set(kind) if isinstance(kind, list) else {kind} if kind else set()


def _body_integers(spec: dict[str, Any], operation: dict[str, Any]) -> dict[str, str]:
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return {}
    schema = _resolve(spec, content["application/json"].get("schema", {}))
    found = {}
    for name, prop in schema.get("properties", {}).items():
        prop = _resolve(spec, prop)
        if "integer" in _types(prop):
            found[name] = "integer"
        elif "array" in _types(prop) and "integer" in _types(_resolve(spec, prop.get("items", {}))):
            found[name] = "array"
    return found


def _path(operation: dict[str, Any], values: dict[str, str]) -> str:
    path = operation["path"]
    for name in operation["path_params"]:
        path = path.replace("{" + name + "}", values.get(name, "1"))
    return path


def _integer(schema: dict[str, Any]) -> bool:
    return "integer" in _types(schema)


def _send(client, world, role: str, method: str, path: str, **kwargs: Any):  # noqa: ANN001, ANN202
    """One request: never a 5xx; a refused one (4xx) changes no row. Returns the response."""
    before = row_counts()
    response = client.open(path, method=method, headers=world["headers"][role], **kwargs)
    where = f"{role} {method} {path} {kwargs!r:.300}"
    assert response.status_code < 500, f"{response.status_code}: {where}"
    if 400 <= response.status_code < 500:
        assert row_counts() == before, f"{response.status_code} changed rows: {where}"
    return response


def _reach(client, world, method: str, path: str, **kwargs: Any):  # noqa: ANN001, ANN202
    """The answer of the first role the operation does not turn away (401/403), or None."""
    for role in ROLES[1:]:
        response = _send(client, world, role, method, path, **kwargs)
        if response.status_code not in (401, 403):
            return response
    return None


@pytest.mark.parametrize("value", OUT_OF_RANGE + JUNK[:-1])
def test_path_ids_out_of_range_are_not_found(app, world, value):
    """SECURITY.md row 30 (v5.0.0-2.2.1): every integer path parameter of every operation."""
    client = app.test_client()
    checked = 0
    for operation in world["operations"]:
        for name, schema in operation["path_params"].items():
            if not _integer(schema):
                continue
            path = _path(operation, {name: value})
            response = _send(client, world, "admin", operation["method"], path, json={})
            assert response.status_code == 404, (operation["method"], path)
            checked += 1
    assert checked > 50  # the document does list its ids


@pytest.mark.parametrize("value", OUT_OF_RANGE + ["0"])
def test_query_integers_out_of_range_are_422_naming_the_field(app, world, value):
    """SECURITY.md row 30 (v5.0.0-2.2.1, 15.2.2): every integer query parameter (ids, pages,
    page sizes, limits) out of its range is a 422 naming it, for the first role let in."""
    client = app.test_client()
    checked = 0
    for operation in world["operations"]:
        for name, schema in operation["query"].items():
            if not _integer(schema) or (value == "0" and schema.get("minimum", 1) <= 0):
                continue
            path = _path(operation, {})
            response = _reach(client, world, operation["method"], path, query_string={name: value})
            if response is None or response.status_code == 404:  # nobody, or no row 1
                continue
            assert response.status_code == 422, (operation["method"], path, name, value)
            assert name in response.get_json()["fields"], (path, response.get_json())
            checked += 1
    assert checked > 20


@pytest.mark.parametrize("value", [int(HUGE), 2**31, -1, -(2**70), "abc", [1], {"a": 1}])
def test_body_integers_out_of_range_are_refused(app, world, value):
    """SECURITY.md row 30 (v5.0.0-2.2.1): every integer property (and list of integers) of
    every JSON body, out of range or of the wrong type: a 4xx, never a 5xx, nothing stored."""
    client = app.test_client()
    checked = 0
    for operation in world["operations"]:
        if not operation["body_ints"]:
            continue
        body = {
            name: [value] if kind == "array" else value
            for name, kind in operation["body_ints"].items()
        }
        response = _reach(client, world, operation["method"], _path(operation, {}), json=body)
        if response is not None:
            assert 400 <= response.status_code < 500, (operation["path"], body)
        checked += 1
    assert checked > 5


def test_body_integers_with_a_fraction_are_refused_not_cut(app, world):
    """A JSON body's 1.5 where an integer is read is a 422 naming the field. marshmallow's
    Integer read it through int() and went on with 1 (an id, an amount, a page quietly
    changed); matchmaker/api/schemas/numbers.py refuses it."""
    client = app.test_client()
    checked = 0
    for operation in world["operations"]:
        for name, kind in operation["body_ints"].items():
            body = {name: [1.5] if kind == "array" else 1.5}
            response = _reach(client, world, operation["method"], _path(operation, {}), json=body)
            if response is None or response.status_code == 404:
                continue
            assert response.status_code == 422, (operation["path"], body, response.status_code)
            named = response.get_json()["fields"]
            assert any(key == name or key.startswith(f"{name}.") for key in named), (
                operation["path"],
                named,
            )
            checked += 1
    assert checked > 5


def test_integer_bounds_are_documented(world):
    """Every integer path and query parameter of a request states its bounds in the document
    (what schemathesis and a client read), and no bound is beyond the id range."""
    unbounded = []
    for operation in world["operations"]:
        params = {**operation["path_params"], **operation["query"]}
        for name, schema in params.items():
            if _integer(schema) and "maximum" not in schema:
                unbounded.append(f"{operation['method']} {operation['path']} {name}")
            elif _integer(schema) and schema["maximum"] > 2**31 - 1:
                unbounded.append(f"{operation['method']} {operation['path']} {name} (max)")
    assert unbounded == []


_HOSTILE = st.one_of(
    st.sampled_from(OUT_OF_RANGE + JUNK),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.text(max_size=20),
)


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_arbitrary_parameters_never_fail(app, world, data):
    """Any operation, any role, arbitrary text and numbers in every path and query parameter
    and every integer body property."""
    operation = data.draw(st.sampled_from(world["operations"]), label="operation")
    role = data.draw(st.sampled_from(ROLES), label="role")
    path_values = {
        name: data.draw(st.one_of(st.just("1"), _HOSTILE.filter(lambda v: "/" not in v)))
        for name in operation["path_params"]
    }
    query = {
        name: data.draw(st.one_of(_HOSTILE, st.lists(_HOSTILE, min_size=2, max_size=3)))
        for name in operation["query"]
    }
    body = {
        name: data.draw(st.one_of(st.integers(), st.text(max_size=5), st.none()))
        for name in operation["body_ints"]
    }
    path = re.sub(r"[?#]", "", _path(operation, path_values))
    kwargs: dict[str, Any] = {"query_string": query}
    if operation["method"] in ("POST", "PATCH", "PUT"):
        kwargs["data"] = json.dumps(body)
        kwargs["content_type"] = "application/json"
    _send(app.test_client(), world, role, operation["method"], path, **kwargs)
