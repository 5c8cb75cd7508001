"""What schemathesis (`make fuzz`) found in the shared parts of the API: 405 answers name the
allowed methods, ids beyond the id range are 404 for every method, a body that is not JSON is a
documented 400 (one that is JSON but not an object a 422), and Decimal amounts are described as
they are sent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from matchmaker.api.schemas import DECIMAL_PATTERN
from matchmaker.web.ids import MAX_ID


def test_a_405_names_the_allowed_methods(client, db):
    answer = client.open("/api/v1/stats", method="TRACE")
    assert answer.status_code == 405
    assert answer.get_json()["code"] == "method_not_allowed"
    assert set(answer.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def _patch_route(app):
    """A PATCH route with one id whose path also has a GET route (two rules, one pattern)."""
    gets = {r.rule for r in app.url_map.iter_rules() if "GET" in r.methods}
    for rule in app.url_map.iter_rules():
        shared = rule.rule.startswith("/api/v1/") and rule.rule in gets
        if shared and "PATCH" in rule.methods and len(rule.arguments) == 1:
            return rule.rule.replace(f"<int:{next(iter(rule.arguments))}>", "{}")
    pytest.skip("no PATCH operation shares its path with a GET one")


def test_an_id_beyond_the_id_range_is_404_for_every_method(app, client, db):
    path = _patch_route(app)
    for method in ("GET", "PATCH"):
        assert client.open(path.format(MAX_ID + 1), method=method).status_code == 404
    # the largest id still reaches the operation (which finds nothing)
    assert client.get(path.format(MAX_ID)).status_code in (401, 404)


def test_a_body_that_is_not_json_is_a_documented_400(client, db):
    answer = client.post("/api/v1/tokens", data=b"32\x12\xff", content_type="application/json")
    assert answer.status_code == 400
    assert answer.get_json()["code"] == "bad_request"
    spec = client.get("/api/v1/openapi.json").get_json()
    for item in spec["paths"].values():
        for method, operation in item.items():
            if method != "parameters":
                assert "400" in operation["responses"], operation.get("operationId")


def test_a_json_body_that_is_not_an_object_is_422(client, db):
    answer = client.post("/api/v1/tokens", json=[1])
    assert answer.status_code == 422
    assert answer.get_json()["code"] == "validation_failed"


def test_the_docs_page_is_described_as_html(client, db):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "text/html" in spec["paths"]["/api/v1/docs"]["get"]["responses"]["200"]["content"]


def test_decimal_amounts_are_described_as_strings_with_number_bounds(client, db):
    spec = client.get("/api/v1/openapi.json").get_json()
    amount = spec["components"]["schemas"]["ListingSummary"]["properties"]["amount_wan"]
    assert amount["type"] == ["string", "number", "null"]
    assert amount["pattern"] == DECIMAL_PATTERN

    def bounds(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("minimum", "maximum"):
                    yield value
                else:
                    yield from bounds(value)
        elif isinstance(node, list):
            for value in node:
                yield from bounds(value)

    assert all(isinstance(b, (int, float)) for b in bounds(spec))


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("12", True),
        ("-0.50", True),
        (" 1_000.5e3 ", True),
        (".5", True),
        ("1.", True),
        ("NaN", False),
        ("Infinity", False),
        ("1..2", False),
        ("", False),
        ("1_", False),
    ],
)
def test_the_decimal_pattern_reads_what_decimal_reads(text, valid):
    import re

    assert bool(re.match(DECIMAL_PATTERN, text)) == valid
    if valid:
        Decimal(text)
