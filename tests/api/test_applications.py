"""揭榜 through the API: the whole path (发榜 → review → apply with a result → shortlist →
select), drafts, the parties' 404s, mass assignment, scopes and illegal transitions."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Application, AuditLog, Challenge
from matchmaker.services.challenges import challenges
from tests.api.test_challenges import RW, body, edit_need
from tests.factories import make_user, publish_need, publish_result
from tests.services.challenge_helpers import terms

PROPOSAL = {
    "approach": "采用连续碳化工艺改进原丝预氧化，降低能耗并提高强度一致性。",
    "indicators": "拉伸强度 4.9 GPa 以上，对应成功标准第 1 条。",
    "trl": 6,
    "plan": [{"title": "中试线改造", "due": "2027-03-01"}, {"title": "批量验证"}],
    "team": "教授 1 名，博士 3 名。",
    "price_wan": "60",
    "terms": "合作开发。",
}


@pytest.fixture
def world(fields, bearer):  # noqa: ANN001, ANN201
    admin = make_user("admin")
    owner = make_user("enterprise")
    other_owner = make_user("enterprise")
    uni = make_user("university")
    uni_b = make_user("university")
    need = publish_need(
        owner, admin, fields, "高强度碳纤维原丝工艺", "需要提升碳纤维原丝的强度" * 3
    )
    result = publish_result(uni, admin, fields, "碳纤维连续碳化技术", "连续碳化工艺，能耗降低两成")
    other_result = publish_result(uni_b, admin, fields, "别家的成果", "另一所高校的成果说明文字")
    return {
        "admin": admin,
        "owner": owner,
        "uni": uni,
        "uni_b": uni_b,
        "need": need,
        "result": result,
        "other_result": other_result,
        "h": {
            "admin": bearer(admin, RW),
            "owner": bearer(owner, RW),
            "other_owner": bearer(other_owner, RW),
            "uni": bearer(uni, RW),
            "uni_b": bearer(uni_b, RW),
        },
    }


def _count(model) -> int:  # noqa: ANN001
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def _challenge(world, **overrides: object) -> Challenge:  # noqa: ANN001
    challenge = challenges.publish_challenge(
        actor=world["owner"], need=world["need"], terms=terms(**overrides)
    )
    db.session.commit()
    return challenge


def _apply(client, world, challenge, who="uni", **data):  # noqa: ANN001, ANN003, ANN201
    return client.post(
        f"/api/v1/challenges/{challenge.id}/applications",
        json={**PROPOSAL, **data},
        headers=world["h"][who],
    )


def _close(challenge: Challenge) -> None:
    challenges.tick(now=challenge.deadline_at + timedelta(seconds=1))
    db.session.commit()


# --- the whole path -----------------------------------------------------------------------------
def test_whole_path_through_the_api(client, world):
    h = world["h"]
    edit_need(world["owner"], world["need"])  # so the platform reviews the challenge
    made = client.post("/api/v1/challenges", json=body(world["need"].id), headers=h["owner"])
    assert made.status_code == 201 and made.get_json()["status"] == "challenge_review"
    challenge_id = made.get_json()["id"]
    url = f"/api/v1/challenges/{challenge_id}"
    # not open yet: nobody can apply
    early = client.post(f"{url}/applications", json=PROPOSAL, headers=h["uni"])
    assert early.status_code == 404
    assert client.post(f"{url}/approve", headers=h["admin"]).get_json()["status"] == "open"

    # 用我的成果揭榜: the result fills what is not given
    applied = client.post(
        f"{url}/applications",
        json={
            "source_result_id": world["result"].id,
            "indicators": PROPOSAL["indicators"],
            "plan": PROPOSAL["plan"],
            "team": PROPOSAL["team"],
        },
        headers=h["uni"],
    )
    assert applied.status_code == 201, applied.get_json()
    application = applied.get_json()
    assert application["status"] == "submitted" and application["submitted_at"]
    assert application["source_result_id"] == world["result"].id
    assert application["approach"].startswith("连续碳化工艺") and application["trl"] == 6
    assert application["price_wan"] == "50.00"
    assert application["plan"] == [
        {"title": "中试线改造", "due": "2027-03-01"},
        {"title": "批量验证", "due": ""},
    ]
    assert application["organisation"]["id"] == world["uni"].organisation_id
    app_url = f"/api/v1/applications/{application['id']}"

    # the owner sees it, in its list and in full
    listed = client.get("/api/v1/applications?side=owner", headers=h["owner"]).get_json()
    assert [i["id"] for i in listed["items"]] == [application["id"]]
    assert client.get(app_url, headers=h["owner"]).status_code == 200
    mine = client.get("/api/v1/my/challenges", headers=h["owner"]).get_json()["items"]
    assert mine[0]["applications"] == 1

    shortlisted = client.post(f"{app_url}/shortlist", headers=h["owner"])
    assert shortlisted.status_code == 200 and shortlisted.get_json()["status"] == "shortlisted"
    choose = {"others_code": "other", "others_reason": "方案已选定。"}
    # before the window closes nobody can be chosen
    assert client.post(f"{app_url}/select", json=choose, headers=h["owner"]).status_code == 409
    closed = client.post(f"{url}/close", headers=h["owner"])
    assert closed.get_json()["status"] == "evaluating"
    selected = client.post(f"{app_url}/select", json=choose, headers=h["owner"])
    assert selected.status_code == 200, selected.get_json()
    assert selected.get_json()["application"]["status"] == "selected"
    assert selected.get_json()["declined"] == []
    assert client.get(url).get_json()["status"] == "awarded"
    # select twice: 409, nothing changed
    again = client.post(f"{app_url}/select", json=choose, headers=h["owner"])
    assert again.status_code == 409
    # the applicant sees the outcome
    own = client.get("/api/v1/applications", headers=h["uni"]).get_json()["items"]
    assert [(i["id"], i["status"]) for i in own] == [(application["id"], "selected")]


def test_select_declines_the_others_with_the_reason(client, world):
    challenge = _challenge(world)
    first = _apply(client, world, challenge).get_json()["id"]
    second = _apply(client, world, challenge, who="uni_b").get_json()["id"]
    h = world["h"]
    client.post(f"/api/v1/applications/{first}/shortlist", headers=h["owner"])
    _close(challenge)
    no_reason = client.post(
        f"/api/v1/applications/{first}/select", json={"others_code": "other"}, headers=h["owner"]
    )
    assert no_reason.status_code == 422
    assert set(no_reason.get_json()["fields"]) == {"others_reason"}
    done = client.post(
        f"/api/v1/applications/{first}/select",
        json={"others_code": "price_too_high", "others_reason": "报价高于预算。"},
        headers=h["owner"],
    )
    assert done.get_json()["declined"] == [second]
    other = client.get(f"/api/v1/applications/{second}", headers=h["uni_b"]).get_json()
    assert other["status"] == "declined" and other["decline_reason_code"] == "price_too_high"
    assert other["decline_reason"] == "报价高于预算。"


# --- drafts -------------------------------------------------------------------------------------
def test_draft_edit_submit_withdraw(client, world):
    challenge = _challenge(world)
    h = world["h"]
    draft = _apply(client, world, challenge, submit=False, approach="太短", team="")
    assert draft.status_code == 201 and draft.get_json()["status"] == "draft"
    app_url = f"/api/v1/applications/{draft.get_json()['id']}"
    # a draft is the applicant's own business
    assert client.get(app_url, headers=h["owner"]).status_code == 404
    assert (
        client.get("/api/v1/applications?side=owner", headers=h["owner"]).get_json()["total"] == 0
    )
    missing = client.post(f"{app_url}/submit", headers=h["uni"])
    assert missing.status_code == 422
    assert set(missing.get_json()["fields"]) == {"approach", "team"}
    edited = client.patch(
        app_url, json={"approach": PROPOSAL["approach"], "team": "教授两名。"}, headers=h["uni"]
    )
    assert edited.status_code == 200 and edited.get_json()["indicators"] == PROPOSAL["indicators"]
    submitted = client.post(f"{app_url}/submit", headers=h["uni"])
    assert submitted.status_code == 200 and submitted.get_json()["status"] == "submitted"
    # a submitted application cannot change, nor be submitted twice
    assert client.patch(app_url, json={"team": "改"}, headers=h["uni"]).status_code == 409
    assert client.post(f"{app_url}/submit", headers=h["uni"]).status_code == 409
    assert _apply(client, world, challenge).status_code == 409  # one per organisation
    withdrawn = client.post(f"{app_url}/withdraw", json={"reason": "人手不足。"}, headers=h["uni"])
    assert withdrawn.status_code == 200 and withdrawn.get_json()["status"] == "withdrawn"
    assert client.post(f"{app_url}/withdraw", headers=h["uni"]).status_code == 409
    # reapplying while the window is open reuses the row
    again = _apply(client, world, challenge)
    assert again.status_code == 201 and again.get_json()["id"] == draft.get_json()["id"]


def test_incomplete_submission_stores_nothing(client, world):
    challenge = _challenge(world)
    answer = _apply(client, world, challenge, approach="", plan=[])
    assert answer.status_code == 422
    assert set(answer.get_json()["fields"]) == {"approach", "plan"}
    assert _count(Application) == 0


def test_another_organisations_result_is_refused(client, world):
    challenge = _challenge(world)
    answer = _apply(client, world, challenge, source_result_id=world["other_result"].id)
    assert answer.status_code == 422
    assert set(answer.get_json()["fields"]) == {"source_result_id"}
    assert _count(Application) == 0


# --- who may -------------------------------------------------------------------------------------
def test_apply_to_a_closed_challenge_is_409(client, world):
    challenge = _challenge(world)
    _close(challenge)
    answer = _apply(client, world, challenge)
    assert answer.status_code == 409
    assert _count(Application) == 0


def test_only_research_organisations_apply(client, world):
    challenge = _challenge(world)
    assert _apply(client, world, challenge, who="owner").status_code == 403
    assert _apply(client, world, challenge, who="other_owner").status_code == 403
    assert (
        client.post(
            "/api/v1/challenges/999999/applications", json=PROPOSAL, headers=world["h"]["uni"]
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    "extra",
    [
        {"status": "selected"},
        {"organisation_id": 1},
        {"challenge_id": 2},
        {"selected": True},
        {"decline_reason_code": "other"},
        {"submitted_at": "2026-01-01T00:00:00Z"},
        {"plan": [{"title": "x", "owner": 1}]},
    ],
)
def test_apply_refuses_fields_the_server_sets(client, world, extra):
    challenge = _challenge(world)
    audits = _count(AuditLog)
    answer = _apply(client, world, challenge, **extra)
    assert answer.status_code == 422
    fields = set(answer.get_json()["fields"])
    assert fields == set(extra) or fields == {"plan.0.owner"}
    assert _count(Application) == 0 and _count(AuditLog) == audits


def test_patch_refuses_fields_the_server_sets(client, world):
    challenge = _challenge(world)
    draft = _apply(client, world, challenge, submit=False).get_json()
    answer = client.patch(
        f"/api/v1/applications/{draft['id']}",
        json={"status": "submitted", "organisation_id": 1},
        headers=world["h"]["uni"],
    )
    assert answer.status_code == 422
    assert db.session.get(Application, draft["id"]).status == "draft"


def test_no_party_gets_404_on_every_operation(client, world):
    challenge = _challenge(world)
    app_id = _apply(client, world, challenge).get_json()["id"]
    url = f"/api/v1/applications/{app_id}"
    h = world["h"]
    for who in ("other_owner", "uni_b"):
        assert client.get(url, headers=h[who]).status_code == 404
        assert client.patch(url, json={"team": "x"}, headers=h[who]).status_code == 404
        for step in ("submit", "withdraw", "shortlist", "finalist"):
            assert client.post(f"{url}/{step}", headers=h[who]).status_code == 404, (who, step)
        decline = {"code": "other", "reason": "不合适。"}
        assert client.post(f"{url}/decline", json=decline, headers=h[who]).status_code == 404
        choose = {"others_code": "other", "others_reason": "x"}
        assert client.post(f"{url}/select", json=choose, headers=h[who]).status_code == 404
        listed = client.get("/api/v1/applications", headers=h[who]).get_json()
        assert listed["total"] == 0
    # the applicant cannot run the owner's pipeline, nor the owner the applicant's steps
    assert client.post(f"{url}/shortlist", headers=h["uni"]).status_code == 404
    assert client.post(f"{url}/withdraw", headers=h["owner"]).status_code == 404
    assert db.session.get(Application, app_id).status == "submitted"
    # admins see it (as on the web)
    assert client.get(url, headers=h["admin"]).status_code == 200


def test_scopes(client, world, bearer):
    challenge = _challenge(world)
    app_id = _apply(client, world, challenge).get_json()["id"]
    read = bearer(world["owner"], ("read",))
    refused = client.post(f"/api/v1/applications/{app_id}/shortlist", headers=read)
    assert refused.status_code == 403 and refused.get_json()["code"] == "insufficient_scope"
    uni_read = bearer(world["uni"], ("read:challenges",))
    assert (
        client.post(f"/api/v1/applications/{app_id}/withdraw", headers=uni_read).status_code == 403
    )
    assert client.get(f"/api/v1/applications/{app_id}", headers=uni_read).status_code == 200
    market = bearer(world["uni"], ("read:market", "write:market"))
    assert client.get(f"/api/v1/applications/{app_id}", headers=market).status_code == 403
    assert _apply(client, world, challenge, who="uni_b").status_code == 201
    assert (
        client.post(
            f"/api/v1/challenges/{challenge.id}/applications", json=PROPOSAL, headers=market
        ).status_code
        == 403
    )
    assert client.get(f"/api/v1/applications/{app_id}").status_code == 401
    assert db.session.get(Application, app_id).status == "submitted"


def test_decline_and_filters(client, world):
    challenge = _challenge(world)
    app_id = _apply(client, world, challenge).get_json()["id"]
    h = world["h"]
    url = f"/api/v1/applications/{app_id}"
    bad = client.post(f"{url}/decline", json={"code": "meh", "reason": ""}, headers=h["owner"])
    assert bad.status_code == 422 and set(bad.get_json()["fields"]) == {"code", "reason"}
    empty = client.post(f"{url}/decline", json={"code": "other"}, headers=h["owner"])
    assert empty.status_code == 422 and set(empty.get_json()["fields"]) == {"reason"}
    done = client.post(
        f"{url}/decline", json={"code": "unclear", "reason": "请补充数据。"}, headers=h["owner"]
    )
    assert done.status_code == 200 and done.get_json()["status"] == "declined"
    assert client.post(f"{url}/shortlist", headers=h["owner"]).status_code == 409
    q = "/api/v1/applications"
    assert client.get(f"{q}?status=declined", headers=h["uni"]).get_json()["total"] == 1
    assert client.get(f"{q}?status=submitted", headers=h["uni"]).get_json()["total"] == 0
    assert client.get(f"{q}?side=owner", headers=h["uni"]).get_json()["total"] == 0
    assert (
        client.get(f"{q}?challenge_id={challenge.id}", headers=h["owner"]).get_json()["total"] == 1
    )
    assert client.get(f"{q}?challenge_id=999999", headers=h["owner"]).get_json()["total"] == 0
    assert client.get(f"{q}?status=won", headers=h["owner"]).status_code == 422


def test_english_messages(client, world):
    challenge = _challenge(world)
    _close(challenge)
    en = {**world["h"]["uni"], "Accept-Language": "en"}
    closed = client.post(
        f"/api/v1/challenges/{challenge.id}/applications", json=PROPOSAL, headers=en
    )
    assert closed.status_code == 409
    message = closed.get_json()["message"]
    assert message.isascii() and message
    zh = _apply(client, world, challenge).get_json()["message"]
    assert not zh.isascii()


def test_get_application_has_an_etag(client, world):
    challenge = _challenge(world)
    app_id = _apply(client, world, challenge).get_json()["id"]
    first = client.get(f"/api/v1/applications/{app_id}", headers=world["h"]["uni"])
    assert first.get_json()["attachments"] == []
    again = client.get(
        f"/api/v1/applications/{app_id}",
        headers={**world["h"]["uni"], "If-None-Match": first.headers["ETag"]},
    )
    assert again.status_code == 304


def test_bad_proposal_values_are_422_naming_the_field(client, world):
    challenge = _challenge(world)
    answer = _apply(client, world, challenge, plan=[{"title": "中试", "due": "2027-13-45"}], trl=12)
    assert answer.status_code == 422
    assert set(answer.get_json()["fields"]) == {"plan.0.due", "trl"}
    odd = _apply(client, world, challenge, price_wan="1e30")
    assert odd.status_code == 422 and set(odd.get_json()["fields"]) == {"price_wan"}
    assert _count(Application) == 0
