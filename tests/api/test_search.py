"""GET /search: public results, needs and expert profiles, kind-tagged, paginated; q required."""

from __future__ import annotations

import pytest

from matchmaker.services.talent import expert_review, experts
from tests.factories import make_user, publish_need, publish_result


@pytest.fixture
def market(db, fields):  # noqa: ANN001, ANN201
    admin = make_user("admin")
    uni = make_user("university")
    firm = make_user("enterprise")
    result = publish_result(uni, admin, fields, "碳纤维复合材料轻量化技术", "碳纤维用于汽车车身。")
    publish_result(
        uni, admin, fields, "碳纤维草稿成果", "尚未通过审核的碳纤维成果。", approve=False
    )
    straw = publish_result(uni, admin, fields, "玉米秸秆降解材料", "秸秆制备可降解包装。")
    need = publish_need(
        firm,
        admin,
        fields,
        "碳纤维车身轻量化需求",
        "寻求碳纤维复合材料车身轻量化方案，降低整车重量并保持强度，希望与高校合作开发。",
    )
    expert = experts.create_expert(
        actor=uni,
        data=experts.ExpertData(
            name="王建国",
            unit="材料学院",
            field_id=fields["materials"].id,
            directions="碳纤维复合材料",
            keywords="碳纤维",
            offers=1,
            contact_phone="0431-85166888",
        ),
    )
    experts.submit_expert(actor=uni, expert=expert)
    expert_review.approve_expert(actor=admin, expert=expert)
    db.session.commit()
    return {"result": result, "straw": straw, "need": need, "expert": expert}


def _hits(body: dict) -> set[tuple[str, int]]:
    return {(item["kind"], item["id"]) for item in body["items"]}


def test_search_covers_every_kind_tagged(client, market):
    answer = client.get("/api/v1/search", query_string={"q": "碳纤维"})
    assert answer.status_code == 200
    body = answer.get_json()
    assert _hits(body) == {
        ("result", market["result"].id),
        ("need", market["need"].id),
        ("expert", market["expert"].id),
    }
    assert body["total"] == 3 and body["next"] is None
    by_kind = {item["kind"]: item for item in body["items"]}
    assert by_kind["result"]["api_url"].endswith(f"/api/v1/results/{market['result'].id}")
    assert by_kind["expert"]["url"].endswith(f"/experts/{market['expert'].id}")
    assert by_kind["expert"]["api_url"].endswith(f"/api/v1/experts/{market['expert'].id}")
    assert "0431-85166888" not in str(body)  # no contact in a public answer
    # interleaved: the best of each kind first
    assert [item["kind"] for item in body["items"]] == ["result", "need", "expert"]


def test_kind_narrows_and_drafts_never_show(client, market):
    results = client.get("/api/v1/search", query_string={"q": "碳纤维", "kind": "result"})
    assert _hits(results.get_json()) == {("result", market["result"].id)}
    experts_only = client.get("/api/v1/search", query_string={"q": "王建国", "kind": "expert"})
    assert _hits(experts_only.get_json()) == {("expert", market["expert"].id)}
    assert client.get("/api/v1/search", query_string={"q": "草稿"}).get_json()["total"] == 0


def test_every_word_must_occur(client, market):
    body = client.get("/api/v1/search", query_string={"q": "碳纤维 秸秆"}).get_json()
    assert body["items"] == []
    assert _hits(client.get("/api/v1/search?q=秸秆").get_json()) == {("result", market["straw"].id)}


def test_pages(client, market):
    first = client.get("/api/v1/search", query_string={"q": "碳纤维", "page_size": 2}).get_json()
    assert len(first["items"]) == 2 and first["total"] == 3 and "page=2" in first["next"]
    second = client.get(first["next"]).get_json()
    assert len(second["items"]) == 1 and second["next"] is None
    assert not _hits(first) & _hits(second)


@pytest.mark.parametrize(
    "query",
    [{}, {"q": ""}, {"q": "   "}, {"q": "碳纤维", "kind": "planet"}, {"q": "x" * 101}],
)
def test_q_is_required_and_kind_known(client, db, query):
    answer = client.get("/api/v1/search", query_string=query)
    assert answer.status_code == 422
    assert answer.get_json()["code"] == "validation_failed"
    assert set(answer.get_json()["fields"]) <= {"q", "kind"} and answer.get_json()["fields"]


def test_nothing_searchable_finds_nothing(client, market):
    body = client.get("/api/v1/search", query_string={"q": "!!!"}).get_json()
    assert body["items"] == [] and body["total"] == 0


def test_search_is_public_but_a_bad_token_is_refused(client, market):
    answer = client.get("/api/v1/search?q=碳纤维", headers={"Authorization": "Bearer nope"})
    assert answer.status_code == 401
