"""Data classification (SECURITY.md row 38, ASVS v5.0.0-14.1.1, 14.1.2): every column of every
table carries `info={"pii": level}` with a level of models/classification.py; a column of a
protected level (secret, contact, financial, personal, security, network) appears in no public
API answer and no open-data file, and the log formatter masks a field named like a secret
column (row 32, 16.2.5)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import sqlalchemy as sa

from matchmaker.logs import MASK, JsonFormatter
from matchmaker.models import Base
from matchmaker.models.classification import LEVELS, NOT_LOGGED, NOT_PUBLIC, columns_at, level_of
from matchmaker.services.bureau import open_data

#: The levels a public answer never shows. (`internal` columns may be in the schema of a public
#: operation that fills them only for the record's parties, e.g. a challenge's review reason
#: for its owners; `consented` ones are what a person chose to publish.)
NEVER_PUBLIC = frozenset({"secret", "contact", "financial", "personal", "security", "network"})

#: Every schema a public (token-less) operation answers with, and the table its properties
#: show, with the properties that rename a column. A new public schema fails
#: `test_public_api_answers_show_no_protected_column` until it is listed here or in DERIVED.
SOURCES: dict[str, tuple[str, dict[str, str]]] = {
    "Challenge": ("challenges", {}),
    "ChallengeSummary": ("challenges", {}),
    "ChallengeNeed": ("needs", {}),
    "EventDetail": ("finance_events", {}),
    "EventSummary": ("finance_events", {}),
    "ExpertDetail": ("expert_profiles", {}),
    "ExpertSummary": ("expert_profiles", {}),
    "ExpertContact": ("expert_profiles", {"email": "contact_email", "phone": "contact_phone"}),
    "ExpertResult": ("results", {}),
    "Feature": ("publications", {}),
    "ListingDetail": ("publications", {}),
    "ListingSummary": ("publications", {}),
    "SearchHit": ("publications", {}),
    "OrganisationDetail": ("organisations", {}),
    "OrganisationSummary": ("organisations", {}),
    "OrganisationRef": ("organisations", {}),
    "ExpertOrganisationFacet": ("organisations", {}),
    "Outcome": ("event_outcomes", {}),
    "Field": ("tech_fields", {}),
    "ExpertFieldFacet": ("tech_fields", {}),
}
#: Public schemas computed from no table's columns: pages, counts, scores, the open-data index.
DERIVED = frozenset(
    {
        "ChallengePage",
        "EventPage",
        "ExpertPage",
        "ListingPage",
        "OrganisationPage",
        "SearchPage",
        "ExpertFacets",
        "ExpertOfferFacet",
        "Match",
        "MatchList",
        "Reason",
        "OpenData",
        "OpenDataColumn",
        "OpenDataset",
        "OrganisationCounts",
        "OrganisationResponse",
        "OutcomeCounts",
        "Stats",
        "Token",
        "Error",
    }
)


def untagged(metadata: sa.MetaData) -> list[str]:
    """`table.column` of every column without a valid level."""
    return [
        f"{table.name}.{column.name}"
        for table in metadata.tables.values()
        for column in table.columns
        if level_of(column) not in LEVELS
    ]


def test_every_column_has_a_valid_level():
    assert len(Base.metadata.tables) > 50
    assert untagged(Base.metadata) == []


def test_a_column_added_without_a_level_is_found():
    metadata = sa.MetaData()
    sa.Table(
        "example",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, info={"pii": "none"}),
        sa.Column("nickname", sa.String(50)),
        sa.Column("mood", sa.String(50), info={"pii": "sensitive-ish"}),
    )
    assert untagged(metadata) == ["example.nickname", "example.mood"]


def test_the_levels_protect_what_they_say():
    assert {"secret", "contact", "financial", "personal"} <= NOT_PUBLIC & NOT_LOGGED
    assert not {"none", "public", "consented"} & NOT_PUBLIC
    # the credentials are secret, the people's addresses contact, the firms' books financial
    tables = Base.metadata.tables
    assert level_of(tables["users"].c.password_hash) == "secret"
    assert level_of(tables["api_tokens"].c.token_hash) == "secret"
    assert level_of(tables["users"].c.email) == "contact"
    assert level_of(tables["users"].c.phone) == "contact"
    assert level_of(tables["firm_financial_years"].c.revenue_wan) == "financial"
    assert level_of(tables["deals"].c.amount_wan) == "financial"
    assert level_of(tables["audit_logs"].c.ip) == "network"


def _public_properties(spec: dict[str, Any]) -> dict[str, set[str]]:
    """Schema name -> the properties it shows, over every response of the public operations."""
    schemas = spec["components"]["schemas"]
    found: dict[str, set[str]] = {}

    def walk(node: Any, owner: str) -> None:
        if not isinstance(node, dict):
            return
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            if name not in found:
                found[name] = set()
                walk(schemas[name], name)
            return
        for key, value in node.get("properties", {}).items():
            found.setdefault(owner, set()).add(key)
            walk(value, owner)
        for key in ("items", "additionalProperties"):
            walk(node.get(key), owner)
        for key in ("allOf", "anyOf", "oneOf"):
            for sub in node.get(key, []):
                walk(sub, owner)

    for item in spec["paths"].values():
        for method, operation in item.items():
            if method == "parameters" or operation.get("security"):
                continue  # a token is needed: not public
            for answer in operation.get("responses", {}).values():
                if "$ref" in answer:
                    answer = spec["components"]["responses"][answer["$ref"].rsplit("/", 1)[-1]]
                for content in answer.get("content", {}).values():
                    walk(content.get("schema"), "(inline)")
    return found


def test_public_api_answers_show_no_protected_column(client, db):
    spec = client.get("/api/v1/openapi.json").get_json()
    public = _public_properties(spec)
    assert {"ListingDetail", "ExpertDetail", "OrganisationDetail"} <= set(public)
    unknown = {name for name, props in public.items() if props} - set(SOURCES) - DERIVED
    assert unknown == set(), "classify the public schemas: add them to SOURCES or DERIVED"
    # a property that is not a column of its table (a nested object, a computed value) must not
    # be named like a column that is protected wherever it exists
    protected = {c.name for c in columns_at(Base.metadata, NEVER_PUBLIC)}
    protected -= {c.name for c in columns_at(Base.metadata, set(LEVELS) - NEVER_PUBLIC)}
    shown = []
    for name, props in public.items():
        if name not in SOURCES:
            continue
        table_name, renamed = SOURCES[name]
        table = Base.metadata.tables[table_name]
        for prop in props:
            column = table.columns.get(renamed.get(prop, prop))
            if column is not None and level_of(column) in NEVER_PUBLIC:
                shown.append(f"{name}.{prop} = {table_name}.{column.name} ({level_of(column)})")
            elif column is None and prop in protected:
                shown.append(f"{name}.{prop} (named like a protected column)")
    assert shown == []


def test_open_data_files_have_no_protected_column(app, db):
    headers = set(open_data.ALL_COLUMNS)
    for data in open_data.datasets():
        first_line = open_data.csv_bytes(data).decode("utf-8-sig").splitlines()[0]
        headers |= set(first_line.split(","))
    assert {"month", "deals"} <= headers
    protected = {c.name for c in columns_at(Base.metadata, NEVER_PUBLIC)}
    assert headers & protected == set()


#: Attributes every LogRecord has: an event's field of that name is logged as `name_`.
_RECORD_ATTRIBUTES = set(vars(logging.makeLogRecord({})))


def _field(name: str) -> str:
    return f"{name}_" if name in _RECORD_ATTRIBUTES else name


def _logged(field: str, value: str) -> str:
    record = logging.makeLogRecord({"name": "matchmaker.security", "msg": "event"})
    setattr(record, _field(field), value)
    return JsonFormatter().format(record)


@pytest.mark.parametrize(
    "column",
    columns_at(Base.metadata, {"secret"}),
    ids=lambda c: f"{c.table.name}.{c.name}",
)
def test_a_secret_column_is_masked_in_the_logs(column):
    line = json.loads(_logged(column.name, "Sentinel-Secret-Value-9"))
    assert line[_field(column.name)] == MASK


@pytest.mark.parametrize(
    "column",
    columns_at(Base.metadata, {"contact"}),
    ids=lambda c: f"{c.table.name}.{c.name}",
)
def test_a_contact_column_logs_neither_a_full_address_nor_a_phone_number(column):
    for value in ("zhang.san@example.com", "13812345678"):
        line = _logged(column.name, value)
        assert value not in line
