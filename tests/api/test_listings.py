"""Public reads: results and needs lists (filters, page size cap, next link), details with
ETags, drafts as 404, matches with score and terms, statistics, errors in the caller's language."""

from __future__ import annotations

import pytest

from matchmaker.api.schemas import MAX_PAGE_SIZE
from matchmaker.services import matching
from tests.factories import make_user, publish_need, publish_result


@pytest.fixture
def market(db, fields):  # noqa: ANN001, ANN201
    admin = make_user("admin")
    uni = make_user("university")
    firm = make_user("enterprise")
    results = [
        publish_result(
            uni, admin, fields, "碳纤维复合材料轻量化技术", "碳纤维复合材料用于汽车轻量化车身。"
        ),
        publish_result(uni, admin, fields, "玉米秸秆生物降解材料", "玉米秸秆制备可降解包装材料。"),
        publish_result(uni, admin, fields, "草稿成果", "尚未通过审核的成果。", approve=False),
    ]
    need = publish_need(
        firm,
        admin,
        fields,
        "汽车车身轻量化碳纤维材料需求",
        "寻求碳纤维复合材料车身轻量化方案，降低整车重量并保持强度，希望与高校合作开发。",
    )
    return {"admin": admin, "uni": uni, "firm": firm, "results": results, "need": need}


def test_results_list_has_the_public_results_only(client, market):
    body = client.get("/api/v1/results").get_json()
    titles = {item["title"] for item in body["items"]}
    assert titles == {"碳纤维复合材料轻量化技术", "玉米秸秆生物降解材料"}
    assert body["total"] == 2 and body["page"] == 1 and body["next"] is None
    item = body["items"][0]
    assert item["organisation"]["id"] == market["uni"].organisation_id
    assert item["url"].endswith(f"/results/{item['id']}")
    assert "contact_name" not in str(body) and "13900000000" not in str(body)


def test_search_filter_as_on_the_web_page(client, market):
    body = client.get("/api/v1/results", query_string={"q": "秸秆"}).get_json()
    assert [i["title"] for i in body["items"]] == ["玉米秸秆生物降解材料"]


def test_page_size_is_capped_and_next_link_given(client, market):
    """SECURITY.md row 26 (v5.0.0-15.2.2)."""
    body = client.get("/api/v1/results", query_string={"page_size": 1000}).get_json()
    assert body["page_size"] == MAX_PAGE_SIZE
    first = client.get("/api/v1/results", query_string={"page_size": 1, "sort": "newest"})
    data = first.get_json()
    assert len(data["items"]) == 1 and data["total"] == 2
    assert "page=2" in data["next"]
    second = client.get(data["next"]).get_json()
    assert second["next"] is None
    assert second["items"][0]["id"] != data["items"][0]["id"]


def test_bad_query_is_422_with_the_field(client, market):
    answer = client.get("/api/v1/results", query_string={"page": "zero", "sort": "by-magic"})
    assert answer.status_code == 422
    body = answer.get_json()
    assert set(body["fields"]) == {"page", "sort"}
    assert body["code"] == "validation_failed"


def test_errors_are_in_the_callers_language(client, market):
    zh = client.get("/api/v1/results/999999").get_json()
    en = client.get("/api/v1/results/999999", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert en.status_code == 404
    assert zh["code"] == en.get_json()["code"] == "not_found"
    assert "找不到" in zh["message"] and zh["message"] != en.get_json()["message"]
    assert en.get_json()["message"].isascii() and en.get_json()["message"]
    fields_zh = client.get("/api/v1/needs", query_string={"page": "x"}).get_json()["fields"]
    fields_en = client.get(
        "/api/v1/needs", query_string={"page": "x"}, headers={"Accept-Language": "en"}
    ).get_json()["fields"]
    assert fields_zh["page"] != fields_en["page"]
    assert fields_en["page"] == ["Not a valid integer."]


def test_detail_of_a_public_result_with_etag(client, market):
    result = market["results"][0]
    answer = client.get(f"/api/v1/results/{result.id}")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["title"] == result.title and body["kind"] == "result"
    assert "team" in body["details"] and "contact_phone" not in body["details"]
    etag = answer.headers["ETag"]
    again = client.get(f"/api/v1/results/{result.id}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    other = client.get(f"/api/v1/results/{result.id}", headers={"If-None-Match": '"stale"'})
    assert other.status_code == 200


def test_a_draft_is_404_even_to_its_owner(client, market, bearer):
    draft = market["results"][2]
    assert client.get(f"/api/v1/results/{draft.id}").status_code == 404
    owner = bearer(market["uni"])
    assert client.get(f"/api/v1/results/{draft.id}", headers=owner).status_code == 404
    assert client.get(f"/api/v1/results/{draft.id}/matches").status_code == 404


def test_a_need_id_is_not_a_result(client, market):
    assert client.get(f"/api/v1/needs/{market['need'].id}").status_code == 200
    assert client.get("/api/v1/needs/999999").status_code == 404


def test_need_matches_have_score_and_terms(client, market):
    matching.rebuild_index()
    answer = client.get(f"/api/v1/needs/{market['need'].id}/matches")
    assert answer.status_code == 200
    items = answer.get_json()["items"]
    assert items, "the carbon-fibre result should match the carbon-fibre need"
    best = items[0]
    assert best["listing"]["title"] == "碳纤维复合材料轻量化技术"
    assert 1 <= best["score"] <= 100
    assert best["terms"]
    assert all(i["listing"]["kind"] == "result" for i in items)
    assert "草稿成果" not in str(items)


def test_result_matches_list_needs(client, market):
    matching.rebuild_index()
    items = client.get(f"/api/v1/results/{market['results'][0].id}/matches").get_json()["items"]
    assert [i["listing"]["id"] for i in items] == [market["need"].id]


def test_stats_are_the_home_page_figures(client, market):
    body = client.get("/api/v1/stats").get_json()
    assert body["listings"] == {"result": 2, "need": 1}
    assert body["organisations"]["university"] == 1


def test_unknown_api_route_is_json_404(client, db):
    answer = client.get("/api/v1/nothing-here")
    assert answer.status_code == 404
    assert answer.get_json()["code"] == "not_found"
    wrong_method = client.delete("/api/v1/stats")
    assert wrong_method.status_code == 405
    assert wrong_method.get_json()["code"] == "method_not_allowed"


def test_answers_for_a_token_are_not_cached(client, market, bearer):
    public = client.get("/api/v1/stats")
    assert "Accept-Language" in public.headers["Vary"]
    assert public.headers.get("Cache-Control") != "no-store"
    private = client.get("/api/v1/stats", headers=bearer("enterprise"))
    assert private.headers["Cache-Control"] == "no-store"
