"""The statistics operations: the bureau's figures (stats scope, admins and the bureau) equal
what the dashboard's service computes, with their filters, drill-downs and refusals; the public
open data."""

from __future__ import annotations

from datetime import date

import pytest

from matchmaker.api.stats import jsonable
from matchmaker.extensions import db
from matchmaker.models.base import CHINA, utcnow
from matchmaker.services.accounts import api_tokens
from matchmaker.services.bureau import figures, open_data
from matchmaker.services.errors import ValidationFailed
from tests.conftest import log_in
from tests.factories import make_user, publish_need, publish_result

FIGURES = "/api/v1/stats/figures"


def today() -> date:
    return utcnow().astimezone(CHINA).date()


@pytest.fixture
def listings(fields):  # noqa: ANN001, ANN201
    """Two results (materials, electronics) and a need, published today."""
    university, enterprise, admin = (
        make_user("university"),
        make_user("enterprise"),
        make_user("admin"),
    )
    db.session.commit()
    first = publish_result(university, admin, fields, "碳纤维预浸料", "一种碳纤维预浸料的制备方法")
    second = publish_result(
        university, admin, fields, "柔性显示驱动", "一种柔性显示驱动芯片", field="electronics"
    )
    need = publish_need(
        enterprise, admin, fields, "轻量化车身", "需要一种轻量化车身材料的量产工艺和检测方案。"
    )
    return {"results": [first, second], "need": need}


def test_the_list_names_every_figure_with_its_title(client, bearer, db):
    answer = client.get(FIGURES, headers=bearer("bureau"))
    assert answer.status_code == 200
    items = answer.get_json()["items"]
    assert [i["name"] for i in items] == figures.names()
    assert all(i["title"] for i in items)
    assert client.get(FIGURES, headers=bearer("admin")).status_code == 200


def test_a_figure_equals_the_services_compute(client, bearer, listings, fields):
    start = date(today().year, 1, 1)
    answer = client.get(
        f"{FIGURES}/listings_by_month",
        query_string={"start": start.isoformat(), "end": today().isoformat()},
        headers=bearer("bureau"),
    )
    assert answer.status_code == 200
    body = answer.get_json()
    table = figures.compute("listings_by_month", figures.Filters(start=start, end=today()))
    assert body["name"] == table.name and body["title"] == str(table.title)
    assert body["rows"] == [{k: jsonable(v) for k, v in row.items()} for row in table.rows]
    assert body["columns"] == [
        {"key": c.key, "label": str(c.label), "kind": c.kind} for c in table.columns
    ]
    assert body["drill"] == table.drill and body["note"] == str(table.note)
    assert body["filters"] == {"start": start.isoformat(), "end": today().isoformat()}
    month = today().strftime("%Y-%m")
    (row,) = [r for r in body["rows"] if r["month"] == month]
    assert (row["result"], row["need"]) == (2, 1)  # counted here, not only compared
    assert answer.headers["Cache-Control"] == "no-store" and answer.headers.get("ETag")


def test_filters_narrow_the_figure(client, bearer, listings, fields):
    month = today().strftime("%Y-%m")
    answer = client.get(
        f"{FIGURES}/listings_by_month",
        query_string={"field": fields["electronics"].id, "region": "changchun"},
        headers=bearer("admin"),
    )
    assert answer.status_code == 200
    (row,) = [r for r in answer.get_json()["rows"] if r["month"] == month]
    assert (row["result"], row["need"]) == (1, 0)
    assert answer.get_json()["filters"]["field"] == str(fields["electronics"].id)
    other = client.get(
        f"{FIGURES}/listings_by_month", query_string={"region": "yanbian"}, headers=bearer("admin")
    )
    assert all(r["result"] == 0 for r in other.get_json()["rows"])


@pytest.mark.parametrize("name", figures.names())
def test_every_figure_is_served_as_computed(client, bearer, fields, name):
    answer = client.get(f"{FIGURES}/{name}", headers=bearer("admin"))
    assert answer.status_code == 200
    today_filters = figures.Filters(start=date(today().year, 1, 1), end=today())
    table = figures.compute(name, today_filters)
    assert answer.get_json()["rows"] == [
        {k: jsonable(v) for k, v in row.items()} for row in table.rows
    ]
    # every column's kind is one the document promises (schemathesis found "hours" missing)
    document = client.get("/api/v1/openapi.json").get_json()
    kinds = document["components"]["schemas"]["FigureColumn"]["properties"]["kind"]["enum"]
    assert {c["kind"] for c in answer.get_json()["columns"]} <= set(kinds)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start": "2026-13-01"}, "start"),
        ({"end": "yesterday"}, "end"),
        ({"start": "2026-05-01", "end": "2026-04-30"}, "end"),
        ({"start": "2001-01-01", "end": "2026-01-01"}, "end"),
        ({"field": "abc"}, "field"),
        ({"field": 999_999}, "field"),
        ({"region": "mars"}, "region"),
        ({"org_kind": "club"}, "org_kind"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_filters_are_422_naming_the_parameter(client, bearer, fields, query, field):
    answer = client.get(
        f"{FIGURES}/listings_by_month", query_string=query, headers=bearer("bureau")
    )
    assert answer.status_code == 422, answer.get_json()
    body = answer.get_json()
    assert body["code"] == "validation_failed" and field in body["fields"]


def test_an_unknown_figure_is_404(client, bearer, db):
    headers = bearer("bureau")
    assert client.get(f"{FIGURES}/no_such_figure", headers=headers).status_code == 404
    assert client.get(f"{FIGURES}/no_such_figure/records", headers=headers).status_code == 404


def test_the_drill_down_lists_exactly_the_cells_records(client, bearer, listings):
    month = today().strftime("%Y-%m")
    figure = client.get(f"{FIGURES}/listings_by_month", headers=bearer("bureau")).get_json()
    index = [r["month"] for r in figure["rows"]].index(month)
    cell = figure["drill"][index]["result"]
    answer = client.get(
        f"{FIGURES}/listings_by_month/records",
        query_string={"drill": [f"{k}:{v}" for k, v in cell.items()]},
        headers=bearer("bureau"),
    )
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["drill"] == cell and body["total"] == 2
    assert sorted(i["id"] for i in body["items"]) == sorted(r.id for r in listings["results"])
    assert {i["kind"] for i in body["items"]} == {"result"}
    assert all(i["url"].startswith("http://localhost/results/") for i in body["items"])
    needs = client.get(
        f"{FIGURES}/listings_by_month/records",
        query_string={"drill": ["kind:need", f"month:{month}"], "page_size": 1},
        headers=bearer("bureau"),
    ).get_json()
    assert [i["id"] for i in needs["items"]] == [listings["need"].id] and needs["next"] is None


@pytest.mark.parametrize("drill", ["kind", "Kind:result", ":result", "kind:" + "x" * 65])
def test_a_malformed_drill_is_422(client, bearer, db, drill):
    answer = client.get(
        f"{FIGURES}/listings_by_month/records",
        query_string={"drill": drill},
        headers=bearer("bureau"),
    )
    assert answer.status_code == 422
    assert [key.split(".")[0] for key in answer.get_json()["fields"]] == ["drill"]


@pytest.mark.parametrize("role", ["enterprise", "university", "bank", "broker"])
def test_other_roles_are_refused_whatever_their_scope(client, bearer, role):
    answer = client.get(FIGURES, headers=bearer(role, scopes=["read"]))
    assert answer.status_code == 403 and answer.get_json()["code"] == "forbidden"
    user = make_user(role)
    assert "stats" not in api_tokens.allowed_areas(user)
    with pytest.raises(ValidationFailed):
        api_tokens.create_token(user=user, name="x", scopes=["read:stats"])


def test_tokens_need_the_stats_area(client, bearer, db):
    assert client.get(FIGURES).status_code == 401
    assert client.get(FIGURES, headers=bearer("bureau", ["read:market"])).status_code == 403
    assert client.get(FIGURES, headers=bearer("bureau", ["read:stats"])).status_code == 200
    bureau = make_user("bureau")
    assert "stats" in api_tokens.allowed_areas(bureau)
    assert "write:stats" not in api_tokens.allowed_scopes(bureau)  # a reader: read only
    with pytest.raises(ValidationFailed):
        api_tokens.create_token(user=bureau, name="x", scopes=["write:stats"])
    assert "write:stats" in api_tokens.allowed_scopes(make_user("admin"))


def test_the_tokens_page_offers_the_stats_area_to_the_bureau_only(client, db):
    bureau = make_user("bureau")
    db.session.commit()
    log_in(client, bureau)
    html = client.get("/account/tokens").get_data(as_text=True)
    assert 'value="stats"' in html and "统计数据" in html
    client.get("/auth/logout")
    enterprise = make_user("enterprise")
    db.session.commit()
    log_in(client, enterprise)
    assert 'value="stats"' not in client.get("/account/tokens").get_data(as_text=True)


def test_open_data_is_public(client, listings):
    answer = client.get("/api/v1/open-data")
    assert answer.status_code == 200
    body = answer.get_json()
    assert [d["name"] for d in body["datasets"]] == open_data.dataset_names()
    assert body["licence"] == "CC BY 4.0" and body["small_count"] == "<3"
    assert body["all_csv_url"] == "http://localhost/open-data/all.csv"
    (by_field,) = [d for d in body["datasets"] if d["name"] == "listings_by_field"]
    assert sum(row["results"] for row in by_field["rows"]) == 2
    assert {"public", "max-age=300"} <= set(answer.headers["Cache-Control"].split(", "))


def test_the_document_describes_the_operations(client, db):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/stats/figures",
        "/api/v1/stats/figures/{name}",
        "/api/v1/stats/figures/{name}/records",
    ):
        assert paths[path]["get"]["security"] == [{"bearer": []}], path
    params = {p["name"] for p in paths["/api/v1/stats/figures/{name}/records"]["get"]["parameters"]}
    assert {"start", "end", "field", "region", "org_kind", "drill", "page", "page_size"} <= params
    assert "/api/v1/open-data" in paths and "/api/v1/stats" in paths
