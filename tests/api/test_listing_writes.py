"""Owners' and reviewers' operations on results and needs: working copies, create, update,
the life-cycle steps and the review; mass assignment, object level, scopes, roles, languages."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from matchmaker.models import Need, Result
from matchmaker.models.base import utcnow
from tests.factories import make_user, publish_result

RW = ("read", "write")
RESULT_BODY = {
    "title": "低温等离子体废气处理技术",
    "summary": "低温等离子体协同催化降解挥发性有机物，适用于喷涂与印刷车间废气治理。",
    "region": "changchun",
    "keywords": ["等离子体", "VOCs"],
    "trl": 6,
    "modes": ["transfer", "license_exclusive"],
    "price_wan": "80.50",
    "contact_name": "李老师",
    "contact_phone": "13900000000",
    "patents": [{"number": "ZL2021 1 0123456.7", "status": "granted"}],
}


def _need_body() -> dict[str, object]:
    return {
        "title": "车身轻量化材料需求",
        "description": "寻求碳纤维复合材料车身轻量化方案，降低整车重量并保持强度，希望与高校合作。",
        "region": "changchun",
        "budget_wan": "120",
        "deadline": (utcnow() + timedelta(days=60)).date().isoformat(),
        "contact_name": "王经理",
        "contact_email": "wang@example.com",
    }


def _count(model: type) -> int:
    from matchmaker.extensions import db

    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


@pytest.fixture
def people(db, fields):  # noqa: ANN001, ANN201
    admin = make_user("admin")
    uni = make_user("university")
    other_uni = make_user("university")
    firm = make_user("enterprise")
    db.session.commit()
    return {"admin": admin, "uni": uni, "other_uni": other_uni, "firm": firm, "fields": fields}


@pytest.fixture
def heads(people, bearer):  # noqa: ANN001, ANN201
    """Read-write Authorization headers of each person."""
    return {name: bearer(people[name], RW) for name in ("admin", "uni", "other_uni", "firm")}


def _create_result(client, headers, **changes):  # noqa: ANN001, ANN202
    answer = client.post("/api/v1/results", json={**RESULT_BODY, **changes}, headers=headers)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


# --- the journey ------------------------------------------------------------------------------
def test_create_submit_approve_then_public(client, people, heads):
    created = _create_result(client, heads["uni"], field_id=people["fields"]["materials"].id)
    assert created["status"] == "draft" and created["kind"] == "result"
    assert created["organisation"]["id"] == people["uni"].organisation_id
    assert created["modes"] == ["transfer", "license_exclusive"]
    assert created["price_wan"] == "80.50" and created["keywords"] == ["等离子体", "VOCs"]
    assert created["contact_phone"] == "13900000000"
    assert "submit" in created["actions"] and "approve" not in created["actions"]
    listing_id = created["id"]
    assert client.get(f"/api/v1/results/{listing_id}").status_code == 404

    submitted = client.post(f"/api/v1/results/{listing_id}/submit", headers=heads["uni"])
    assert submitted.status_code == 200 and submitted.get_json()["status"] == "pending_review"

    queue = client.get("/api/v1/review/listings", headers=heads["admin"]).get_json()
    assert [item["id"] for item in queue["items"]] == [listing_id]
    working = client.get(f"/api/v1/results/{listing_id}/working", headers=heads["admin"])
    assert working.get_json()["actions"] == ["approve", "reject"]

    approved = client.post(f"/api/v1/results/{listing_id}/approve", headers=heads["admin"])
    assert approved.status_code == 200 and approved.get_json()["status"] == "listed"
    public = client.get("/api/v1/results").get_json()
    assert [item["id"] for item in public["items"]] == [listing_id]
    detail = client.get(f"/api/v1/results/{listing_id}").get_json()
    assert detail["title"] == RESULT_BODY["title"] and "13900000000" not in str(detail)


def test_need_journey_and_my_needs(client, people, heads):
    answer = client.post("/api/v1/needs", json=_need_body(), headers=heads["firm"])
    assert answer.status_code == 201, answer.get_json()
    need = answer.get_json()
    assert need["budget_wan"] == "120.00" and need["status"] == "draft"
    # incomplete for review (no field): the service's fields, 422
    refused = client.post(f"/api/v1/needs/{need['id']}/submit", headers=heads["firm"])
    assert refused.status_code == 422 and "field_id" in refused.get_json()["fields"]
    fixed = client.patch(
        f"/api/v1/needs/{need['id']}",
        json={"field_id": people["fields"]["materials"].id},
        headers=heads["firm"],
    )
    assert fixed.status_code == 200 and fixed.get_json()["title"] == _need_body()["title"]
    assert (
        client.post(f"/api/v1/needs/{need['id']}/submit", headers=heads["firm"]).status_code == 200
    )
    mine = client.get("/api/v1/my/needs", headers=heads["firm"]).get_json()
    assert [(i["id"], i["status"]) for i in mine["items"]] == [(need["id"], "pending_review")]
    approved = client.post(f"/api/v1/needs/{need['id']}/approve", headers=heads["admin"])
    assert approved.get_json()["status"] == "open"
    assert client.get(f"/api/v1/needs/{need['id']}").status_code == 200


def test_my_results_filters_and_pages(client, people, heads):
    draft = _create_result(client, heads["uni"], title="等离子体草稿")
    listed = publish_result(people["uni"], people["admin"], people["fields"], "秸秆材料", "秸秆")
    _create_result(client, heads["other_uni"], title="别人的成果")
    body = client.get("/api/v1/my/results", headers=heads["uni"]).get_json()
    assert {i["id"] for i in body["items"]} == {draft["id"], listed.id} and body["total"] == 2
    only = client.get("/api/v1/my/results?status=listed", headers=heads["uni"]).get_json()
    assert [i["id"] for i in only["items"]] == [listed.id]
    found = client.get("/api/v1/my/results?q=等离子", headers=heads["uni"]).get_json()
    assert [i["id"] for i in found["items"]] == [draft["id"]]
    page = client.get("/api/v1/my/results?page_size=1&sort=title", headers=heads["uni"])
    assert page.get_json()["total"] == 2 and "page=2" in page.get_json()["next"]
    bad = client.get("/api/v1/my/results?status=flying", headers=heads["uni"])
    assert bad.status_code == 422 and set(bad.get_json()["fields"]) == {"status"}


# --- updates ----------------------------------------------------------------------------------
def test_patch_is_partial_and_substance_goes_back_to_review(client, people, heads):
    result = publish_result(people["uni"], people["admin"], people["fields"], "旧标题成果", "摘要")
    url = f"/api/v1/results/{result.id}"
    contact = client.patch(url, json={"contact_name": "新联系人"}, headers=heads["uni"])
    assert contact.status_code == 200
    assert contact.get_json()["status"] == "listed"
    assert contact.get_json()["contact_name"] == "新联系人"
    assert contact.get_json()["trl"] == 6  # untouched fields keep their values
    retitled = client.patch(url, json={"title": "新标题成果"}, headers=heads["uni"])
    assert retitled.get_json()["status"] == "pending_review"
    assert client.get(url).get_json()["title"] == "旧标题成果"  # the public keeps the old one


def test_patch_refused_in_a_state_that_does_not_allow_it(client, people, heads):
    result = publish_result(people["uni"], people["admin"], people["fields"], "已转化成果", "摘要")
    done = client.post(f"/api/v1/results/{result.id}/transfer", headers=heads["uni"])
    assert done.status_code == 200 and done.get_json()["status"] == "transferred"
    answer = client.patch(
        f"/api/v1/results/{result.id}", json={"title": "改"}, headers=heads["uni"]
    )
    assert answer.status_code == 409 and answer.get_json()["code"] == "invalid_transition"


def test_service_validation_is_a_422_with_its_fields(client, people, heads):
    before = _count(Result)
    answer = client.post(
        "/api/v1/results",
        json={**RESULT_BODY, "field_id": 999999, "price_wan": "1.001"},
        headers=heads["uni"],
    )
    assert answer.status_code == 422  # the service's rules, every field at once
    assert set(answer.get_json()["fields"]) == {"field_id", "price_wan"}
    shape = client.post(
        "/api/v1/results",
        json={
            **RESULT_BODY,
            "trl": 12,
            "modes": ["barter"],
            "contact_phone": "call me",
            "region": "atlantis",
            "title": "   ",
            "keywords": ["词"] * 21,
        },
        headers=heads["uni"],
    )
    assert shape.status_code == 422
    assert set(shape.get_json()["fields"]) == {
        "trl",
        "modes.0",
        "contact_phone",
        "region",
        "title",
        "keywords",
    }
    missing = client.post("/api/v1/results", json={}, headers=heads["uni"])
    assert set(missing.get_json()["fields"]) == {"title", "region", "summary"}
    assert _count(Result) == before


# --- mass assignment --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("owner", 1),
        ("status", "listed"),
        ("organisation_id", 1),
        ("id", 1),
        ("published_at", "2026-01-01T00:00:00Z"),
    ],
)
def test_server_set_fields_are_refused(client, people, heads, name, value):
    results, needs = _count(Result), _count(Need)
    answer = client.post("/api/v1/results", json={**RESULT_BODY, name: value}, headers=heads["uni"])
    assert answer.status_code == 422
    assert answer.get_json()["fields"] == {name: ["不认识这个字段。"]}
    need = client.post("/api/v1/needs", json={**_need_body(), name: value}, headers=heads["firm"])
    assert need.status_code == 422 and set(need.get_json()["fields"]) == {name}
    assert (_count(Result), _count(Need)) == (results, needs)

    draft = _create_result(client, heads["uni"])
    patched = client.patch(
        f"/api/v1/results/{draft['id']}",
        json={"title": "改过的标题", name: value},
        headers=heads["uni"],
    )
    assert patched.status_code == 422
    working = client.get(f"/api/v1/results/{draft['id']}/working", headers=heads["uni"])
    assert working.get_json()["title"] == RESULT_BODY["title"]
    assert working.get_json()["status"] == "draft"


# --- object level -----------------------------------------------------------------------------
OWNER_CALLS = [
    ("get", "/api/v1/results/{id}/working", None),
    ("patch", "/api/v1/results/{id}", {"title": "别人的"}),
    *[
        ("post", f"/api/v1/results/{{id}}/{step}", None)
        for step in ("submit", "retract", "withdraw", "confirm", "transfer")
    ],
]


@pytest.mark.parametrize(("method", "path", "body"), OWNER_CALLS)
def test_another_organisations_result_is_404(client, people, heads, method, path, body):
    result = publish_result(
        people["uni"], people["admin"], people["fields"], "甲的成果", "摘要", approve=False
    )
    for who in ("other_uni", "firm"):
        answer = getattr(client, method)(path.format(id=result.id), json=body, headers=heads[who])
        assert answer.status_code == 404, (who, answer.get_json())
    assert result.status == "pending_review" and result.title == "甲的成果"


@pytest.mark.parametrize("step", ["submit", "retract", "withdraw", "confirm"])
def test_another_organisations_need_is_404(client, people, heads, bearer, step):
    need = client.post("/api/v1/needs", json=_need_body(), headers=heads["firm"]).get_json()
    other_firm = make_user("enterprise")
    from matchmaker.extensions import db

    db.session.commit()
    for rival in (heads["uni"], bearer(other_firm, RW)):
        base = f"/api/v1/needs/{need['id']}"
        assert client.post(f"{base}/{step}", headers=rival).status_code == 404
        assert client.get(f"{base}/working", headers=rival).status_code == 404
        assert client.patch(base, json={"title": "别人的"}, headers=rival).status_code == 404
    mine = client.get(f"/api/v1/needs/{need['id']}/working", headers=heads["firm"]).get_json()
    assert (mine["status"], mine["title"]) == ("draft", _need_body()["title"])


def test_admin_sees_working_copies_but_does_not_act_as_owner(client, people, heads):
    draft = _create_result(client, heads["uni"])
    assert (
        client.get(f"/api/v1/results/{draft['id']}/working", headers=heads["admin"]).status_code
        == 200
    )
    assert (
        client.post(f"/api/v1/results/{draft['id']}/submit", headers=heads["admin"]).status_code
        == 404
    )
    # an owner may not review
    own = client.post(f"/api/v1/results/{draft['id']}/approve", headers=heads["uni"])
    assert own.status_code == 403
    # somebody else's listing: not even known to exist
    other = client.post(f"/api/v1/results/{draft['id']}/approve", headers=heads["other_uni"])
    assert other.status_code == 404


# --- transitions ------------------------------------------------------------------------------
def test_illegal_transitions_are_409(client, people, heads):
    draft = _create_result(client, heads["uni"], field_id=people["fields"]["materials"].id)
    base = f"/api/v1/results/{draft['id']}"
    for path, who in ((f"{base}/approve", "admin"), (f"{base}/retract", "uni")):
        answer = client.post(path, headers=heads[who])
        assert answer.status_code == 409, path
        assert answer.get_json()["code"] == "invalid_transition" and answer.get_json()["message"]
    assert client.post(f"{base}/submit", headers=heads["uni"]).status_code == 200
    again = client.post(f"{base}/submit", headers=heads["uni"])
    assert again.status_code == 409
    en = client.post(f"{base}/submit", headers={**heads["uni"], "Accept-Language": "en"})
    assert en.status_code == 409 and en.get_json()["message"].isascii()
    assert en.get_json()["message"] != again.get_json()["message"]


def test_reject_with_reason_then_owner_reads_it(client, people, heads):
    draft = _create_result(client, heads["uni"], field_id=people["fields"]["materials"].id)
    base = f"/api/v1/results/{draft['id']}"
    client.post(f"{base}/submit", headers=heads["uni"])
    empty = client.post(f"{base}/reject", json={}, headers=heads["admin"])
    assert empty.status_code == 422 and set(empty.get_json()["fields"]) == {"code", "reason"}
    rejected = client.post(
        f"{base}/reject",
        json={"code": "incomplete", "reason": "请补充技术指标。"},
        headers=heads["admin"],
    )
    assert rejected.status_code == 200 and rejected.get_json()["status"] == "draft"
    mine = client.get(f"{base}/working", headers=heads["uni"]).get_json()
    assert (mine["review_reason_code"], mine["review_reason"]) == ("incomplete", "请补充技术指标。")


def test_withdraw_confirm_and_transfer(client, people, heads):
    result = publish_result(people["uni"], people["admin"], people["fields"], "撤下的成果", "摘要")
    base = f"/api/v1/results/{result.id}"
    confirmed = client.post(f"{base}/confirm", headers=heads["uni"])
    assert confirmed.status_code == 200 and confirmed.get_json()["expires_at"]
    withdrawn = client.post(f"{base}/withdraw", json={"reason": "已停止推广"}, headers=heads["uni"])
    assert withdrawn.status_code == 200 and withdrawn.get_json()["status"] == "withdrawn"
    assert client.get(base).status_code == 404
    assert client.post(f"{base}/transfer", headers=heads["uni"]).status_code == 409


# --- tokens and roles -------------------------------------------------------------------------
def test_read_only_token_cannot_write(client, people, bearer):
    read_only = bearer(people["uni"], ("read",))
    draft = publish_result(
        people["uni"], people["admin"], people["fields"], "只读成果", "摘要", approve=False
    )
    before = _count(Result)
    calls = [
        client.post("/api/v1/results", json=RESULT_BODY, headers=read_only),
        client.patch(f"/api/v1/results/{draft.id}", json={"title": "x"}, headers=read_only),
        client.post(f"/api/v1/results/{draft.id}/retract", headers=read_only),
    ]
    for answer in calls:
        assert answer.status_code == 403 and answer.get_json()["code"] == "insufficient_scope"
    assert _count(Result) == before and draft.status == "pending_review"
    assert client.get("/api/v1/my/results", headers=read_only).status_code == 200


def test_a_token_of_another_area_cannot_read_the_market(client, people, bearer):
    deals_only = bearer(people["uni"], ("read:deals",))
    market = bearer(people["uni"], ("read:market",))
    draft = publish_result(
        people["uni"], people["admin"], people["fields"], "领域成果", "摘要", approve=False
    )
    for path in ("/api/v1/my/results", f"/api/v1/results/{draft.id}/working"):
        answer = client.get(path, headers=deals_only)
        assert answer.status_code == 403 and answer.get_json()["code"] == "insufficient_scope"
        assert client.get(path, headers=market).status_code == 200
    assert client.get("/api/v1/my/results").status_code == 401


@pytest.mark.parametrize("role", ["bank", "broker", "admin", "enterprise"])
def test_roles_that_may_not_publish_results_are_refused(client, db, bearer, role):
    headers = bearer(make_user(role), RW)
    answer = client.post("/api/v1/results", json=RESULT_BODY, headers=headers)
    assert answer.status_code == 403 and answer.get_json()["code"] == "forbidden"
    assert _count(Result) == 0
    assert client.get("/api/v1/my/results", headers=headers).status_code == 403


@pytest.mark.parametrize("role", ["bank", "broker", "university"])
def test_roles_that_may_not_publish_needs_are_refused(client, db, bearer, role):
    headers = bearer(make_user(role), RW)
    answer = client.post("/api/v1/needs", json=_need_body(), headers=headers)
    assert answer.status_code == 403
    assert _count(Need) == 0
    assert client.get("/api/v1/my/needs", headers=headers).status_code == 403


def test_review_queue_is_for_admins(client, people, heads):
    assert client.get("/api/v1/review/listings", headers=heads["uni"]).status_code == 403
    assert client.get("/api/v1/review/listings", headers=heads["admin"]).get_json()["total"] == 0


def test_messages_follow_accept_language(client, people, heads):
    en = {**heads["uni"], "Accept-Language": "en"}
    unknown = client.post("/api/v1/results", json={**RESULT_BODY, "status": "listed"}, headers=en)
    assert unknown.get_json()["fields"] == {"status": ["Unknown field."]}
    assert unknown.get_json()["message"].isascii()
    refused = client.post("/api/v1/results", json={**RESULT_BODY, "price_wan": "1.001"}, headers=en)
    price = refused.get_json()["fields"]["price_wan"]  # the service's message
    assert price and "two decimal places" in price[0]
    zh = client.post(
        "/api/v1/results", json={**RESULT_BODY, "price_wan": "1.001"}, headers=heads["uni"]
    )
    assert "两位小数" in zh.get_json()["fields"]["price_wan"][0]


def test_nul_characters_are_refused_and_nothing_stored(client, people, heads):
    before = _count(Result)
    for changes in (
        {"title": "标题\x00"},
        {"keywords": ["a\x00"]},
        {"patents": [{"number": "\x00"}]},
    ):
        answer = client.post(
            "/api/v1/results", json={**RESULT_BODY, **changes}, headers=heads["uni"]
        )
        assert answer.status_code == 422
        fields_ = answer.get_json()["fields"]
        assert fields_ and {name.split(".")[0] for name in fields_} == set(changes)
    assert _count(Result) == before
