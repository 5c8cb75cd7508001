"""对接 enquiries through the API: the whole flow, parties only (404), mass assignment, scopes,
illegal steps (409), the web's refusals (caps, blocks, one's own), introductions, languages."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import AuditLog, Enquiry, EnquiryMessage, EnquiryStatus, OrgStatus
from matchmaker.services.connect import conversations, introductions
from tests.connect.helpers import make_world
from tests.connect.test_expert_enquiries import publish_expert
from tests.connect.test_introductions import NOTE, follow
from tests.factories import make_broker, make_user, publish_result

RW = ("read", "write")
MESSAGE = "我们希望就该技术开展许可合作，年产能约五百吨。"


@pytest.fixture
def w(fields):  # noqa: ANN001, ANN201
    return make_world(fields)


def _count(model) -> int:  # noqa: ANN001
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def _body(w, **extra) -> dict:  # noqa: ANN001
    return {"kind": "result", "target_id": w.result.id, "intent": "license", "message": MESSAGE}


def _send(client, bearer, w, user=None, **extra):  # noqa: ANN001, ANN202
    payload = {**_body(w), **extra}
    return client.post("/api/v1/enquiries", json=payload, headers=bearer(user or w.ent, RW))


def _sent(client, bearer, w) -> int:  # noqa: ANN001
    answer = _send(client, bearer, w)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def _accepted(client, bearer, w) -> int:  # noqa: ANN001
    enquiry_id = _sent(client, bearer, w)
    answer = client.post(f"/api/v1/enquiries/{enquiry_id}/accept", headers=bearer(w.uni, RW))
    assert answer.status_code == 200, answer.get_json()
    return enquiry_id


# --- the whole flow -----------------------------------------------------------------------------
def test_send_see_in_the_inbox_accept_and_exchange_messages(client, bearer, w):
    sent = _send(client, bearer, w, nda_requested=True)
    assert sent.status_code == 201
    body = sent.get_json()
    assert body["status"] == "open" and body["side"] == "sender"
    assert body["target"] == {
        "kind": "result",
        "id": w.result.id,
        "title": "碳纤维连续碳化技术",
        "url": f"http://localhost/results/{w.result.id}",
    }
    assert body["sender_organisation"]["id"] == w.ent.organisation_id
    assert body["owner_organisation"]["id"] == w.uni.organisation_id
    assert body["nda_requested"] is True and body["source"] == "listing"
    assert body["contacts"] is None  # staged disclosure: nothing before acceptance
    assert body["actions"] == ["withdraw"]
    stored = db.session.get(Enquiry, body["id"])
    assert stored.sender_user_id == w.ent.id and stored.message == MESSAGE

    uni = bearer(w.uni, RW)
    inbox = client.get("/api/v1/enquiries", headers=uni).get_json()
    assert [item["id"] for item in inbox["items"]] == [body["id"]] and inbox["total"] == 1
    mine = inbox["items"][0]
    assert mine["side"] == "owner" and mine["actions"] == ["accept", "decline", "ask"]
    assert mine["message"] == MESSAGE
    assert client.get("/api/v1/enquiries?box=sent", headers=uni).get_json()["items"] == []
    sent_box = client.get("/api/v1/enquiries?box=sent", headers=bearer(w.ent)).get_json()
    assert [item["id"] for item in sent_box["items"]] == [body["id"]]

    accepted = client.post(f"/api/v1/enquiries/{body['id']}/accept", headers=uni)
    assert accepted.status_code == 200
    after = accepted.get_json()
    assert after["status"] == "accepted" and after["actions"] == ["message", "close"]
    assert after["contacts"]["sender"]["phone"] == "13900000002"
    assert after["contacts"]["owner"]["email"] == "uni@example.com"
    db.session.expire_all()
    assert db.session.get(Enquiry, body["id"]).status == EnquiryStatus.ACCEPTED  # committed

    ent = bearer(w.ent, RW)
    url = f"/api/v1/enquiries/{body['id']}/messages"
    first = client.post(url, json={"body": "请问样品何时可以提供？"}, headers=ent)
    assert first.status_code == 201 and first.get_json()["mine"] is True
    reply = client.post(url, json={"body": "下周可以寄出。"}, headers=uni)
    assert reply.status_code == 201
    thread = client.get(url, headers=ent).get_json()
    assert [m["body"] for m in thread["items"]] == ["请问样品何时可以提供？", "下周可以寄出。"]
    assert [m["mine"] for m in thread["items"]] == [True, False]
    assert thread["items"][1]["organisation"]["id"] == w.uni.organisation_id
    assert thread["items"][1]["author"] == {"id": w.uni.id, "name": w.uni.name}
    assert _count(EnquiryMessage) == 2


def test_detail_has_an_etag(client, bearer, w):
    enquiry_id = _sent(client, bearer, w)
    headers = bearer(w.uni)
    first = client.get(f"/api/v1/enquiries/{enquiry_id}", headers=headers)
    assert first.status_code == 200 and first.headers["ETag"]
    again = client.get(
        f"/api/v1/enquiries/{enquiry_id}",
        headers={**headers, "If-None-Match": first.headers["ETag"]},
    )
    assert again.status_code == 304


def test_inbox_filters_and_pages(client, bearer, w, fields):
    other = publish_result(w.uni, w.admin, fields, "石墨烯导热膜", "高导热石墨烯薄膜")
    first = _sent(client, bearer, w)
    second = _send(client, bearer, w, target_id=other.id).get_json()["id"]
    uni = bearer(w.uni, RW)
    client.post(f"/api/v1/enquiries/{first}/accept", headers=uni)
    page = client.get("/api/v1/enquiries?page_size=1", headers=uni).get_json()
    assert page["total"] == 2 and [i["id"] for i in page["items"]] == [second]
    assert "page=2" in page["next"]
    rest = client.get(page["next"], headers=uni).get_json()
    assert [i["id"] for i in rest["items"]] == [first] and rest["next"] is None
    accepted = client.get("/api/v1/enquiries?status=accepted", headers=uni).get_json()
    assert [i["id"] for i in accepted["items"]] == [first]
    bad = client.get("/api/v1/enquiries?status=lost&box=all", headers=uni)
    assert bad.status_code == 422 and set(bad.get_json()["fields"]) == {"status", "box"}
    unknown = client.get("/api/v1/enquiries?sender_org_id=1", headers=uni)
    assert unknown.status_code == 422 and list(unknown.get_json()["fields"]) == ["sender_org_id"]


# --- parties only -------------------------------------------------------------------------------
def test_everyone_but_the_two_organisations_gets_404(client, bearer, w):
    enquiry_id = _accepted(client, bearer, w)
    client.post(
        f"/api/v1/enquiries/{enquiry_id}/messages", json={"body": "你好"}, headers=bearer(w.ent, RW)
    )
    base = f"/api/v1/enquiries/{enquiry_id}"
    posts = {
        "accept": None,
        "decline": {"code": "other", "reason": "不合适"},
        "ask": {"question": "请说明产能"},
        "answer": {"text": "产能五百吨"},
        "withdraw": None,
        "close": {"outcome": "offline"},
        "consent": None,
        "refuse": {"reason": "不需要"},
        "messages": {"body": "插一句"},
    }
    colleague = make_user("university")  # another university: no party
    admin, bank, broker = w.admin, w.bank, make_broker().user
    db.session.commit()
    for outsider in (w.third, colleague, bank, admin, broker):
        headers = bearer(outsider, RW if outsider is not bank else ("read",))
        for path in (base, f"{base}/messages", f"/api/v1/conversations/{enquiry_id}"):
            assert client.get(path, headers=headers).status_code == 404, (outsider, path)
        if outsider is bank:
            continue
        for action, payload in posts.items():
            answer = client.post(f"{base}/{action}", json=payload, headers=headers)
            assert answer.status_code == 404, (outsider.role, action)
        listed = client.get("/api/v1/enquiries", headers=headers).get_json()
        assert listed["items"] == []
    db.session.expire_all()
    assert _count(EnquiryMessage) == 1
    assert db.session.get(Enquiry, enquiry_id).status == EnquiryStatus.ACCEPTED


def test_a_missing_enquiry_is_404(client, bearer, w):
    assert client.get("/api/v1/enquiries/999999", headers=bearer(w.ent)).status_code == 404


# --- writes: mass assignment, scopes ------------------------------------------------------------
@pytest.mark.parametrize(
    "field",
    [
        ("status", "accepted"),
        ("sender_org_id", 1),
        ("owner_org_id", 1),
        ("sender_organisation", {"id": 1}),
        ("sender_user_id", 1),
        ("source", "introduction"),
        ("offer_id", 1),
        ("broker_id", 1),
        ("id", 5),
        ("created_at", "2020-01-01T00:00:00Z"),
        ("nda_requested", 1),  # a JSON boolean only
    ],
)
def test_server_set_fields_are_refused_and_nothing_stored(client, bearer, w, field):
    name, value = field
    answer = _send(client, bearer, w, **{name: value})
    assert answer.status_code == 422
    assert name in answer.get_json()["fields"]
    assert _count(Enquiry) == 0


def test_step_bodies_refuse_unknown_fields(client, bearer, w):
    enquiry_id = _sent(client, bearer, w)
    answer = client.post(
        f"/api/v1/enquiries/{enquiry_id}/decline",
        json={"code": "other", "reason": "不合适", "status": "withdrawn"},
        headers=bearer(w.uni, RW),
    )
    assert answer.status_code == 422 and "status" in answer.get_json()["fields"]
    db.session.expire_all()
    assert db.session.get(Enquiry, enquiry_id).status == EnquiryStatus.OPEN


def test_bad_input_is_422_with_the_fields(client, bearer, w):
    answer = _send(client, bearer, w, intent="marriage", message="   ", kind="patent")
    assert answer.status_code == 422
    assert set(answer.get_json()["fields"]) == {"intent", "kind", "message"}
    for text in ("   ", "", "长" * 5001):
        refused = _send(client, bearer, w, message=text)
        assert refused.status_code == 422 and list(refused.get_json()["fields"]) == ["message"]
    assert _send(client, bearer, w, message="你好\x00").status_code in (400, 422)  # the app's
    assert _send(client, bearer, w, message="长" * 5000).status_code == 201  # the longest
    assert _count(Enquiry) == 1
    db.session.execute(sa.delete(Enquiry))
    db.session.commit()
    missing = client.post("/api/v1/enquiries", json={}, headers=bearer(w.ent, RW))
    assert set(missing.get_json()["fields"]) == {"kind", "target_id", "intent", "message"}
    huge = _send(client, bearer, w, target_id=2**40)
    assert huge.status_code == 422
    assert _count(Enquiry) == 0


def test_read_only_token_cannot_write(client, bearer, w):
    enquiry_id = _sent(client, bearer, w)
    read = bearer(w.uni)
    for path, payload in (
        ("/api/v1/enquiries", _body(w)),
        (f"/api/v1/enquiries/{enquiry_id}/accept", None),
        (f"/api/v1/enquiries/{enquiry_id}/messages", {"body": "你好"}),
    ):
        answer = client.post(path, json=payload, headers=read)
        assert answer.status_code == 403, path
        assert answer.get_json()["code"] == "insufficient_scope"
    db.session.expire_all()
    assert db.session.get(Enquiry, enquiry_id).status == EnquiryStatus.OPEN


def test_a_token_of_another_area_is_403(client, bearer, w):
    enquiry_id = _sent(client, bearer, w)
    market = bearer(w.uni, ("read:market",))
    for path in ("/api/v1/enquiries", f"/api/v1/enquiries/{enquiry_id}", "/api/v1/conversations"):
        assert client.get(path, headers=market).status_code == 403, path
    assert client.post(f"/api/v1/enquiries/{enquiry_id}/accept", headers=market).status_code == 403
    writes_market = bearer(w.uni, ("write:market",))
    assert client.get("/api/v1/enquiries", headers=writes_market).status_code == 403
    own_area = bearer(w.uni, ("write:connect",))
    assert client.get("/api/v1/enquiries", headers=own_area).status_code == 200
    assert (
        client.post(f"/api/v1/enquiries/{enquiry_id}/accept", headers=own_area).status_code == 200
    )


def test_without_a_token_is_401(client, w):
    assert client.get("/api/v1/enquiries").status_code == 401
    assert client.post("/api/v1/enquiries", json=_body(w)).status_code == 401
    assert _count(Enquiry) == 0


# --- the steps ----------------------------------------------------------------------------------
def test_illegal_steps_are_409(client, bearer, w):
    enquiry_id = _sent(client, bearer, w)
    uni, ent = bearer(w.uni, RW), bearer(w.ent, RW)
    base = f"/api/v1/enquiries/{enquiry_id}"
    early = client.post(f"{base}/messages", json={"body": "先聊聊？"}, headers=ent)
    assert early.status_code == 409 and early.get_json()["code"] == "invalid_transition"
    assert client.post(f"{base}/accept", headers=uni).status_code == 200
    twice = client.post(f"{base}/accept", headers=uni)
    assert twice.status_code == 409
    assert twice.get_json()["message"] == "这条对接请求已经处理过了。"
    assert client.post(f"{base}/withdraw", headers=ent).status_code == 409
    assert client.post(f"{base}/consent", headers=ent).status_code == 409
    closed = client.post(f"{base}/close", json={"outcome": "offline"}, headers=ent)
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    late = client.post(f"{base}/messages", json={"body": "还在吗？"}, headers=uni)
    assert late.status_code == 409 and "对话已结束" in late.get_json()["message"]
    assert _count(EnquiryMessage) == 0


def test_the_wrong_side_is_403(client, bearer, w):
    enquiry_id = _sent(client, bearer, w)
    ent, uni = bearer(w.ent, RW), bearer(w.uni, RW)
    accept = client.post(f"/api/v1/enquiries/{enquiry_id}/accept", headers=ent)
    assert accept.status_code == 403 and "只有被联系的机构" in accept.get_json()["message"]
    assert client.post(f"/api/v1/enquiries/{enquiry_id}/withdraw", headers=uni).status_code == 403


def test_ask_answer_decline(client, bearer, w):
    enquiry_id = _sent(client, bearer, w)
    uni, ent = bearer(w.uni, RW), bearer(w.ent, RW)
    base = f"/api/v1/enquiries/{enquiry_id}"
    asked = client.post(f"{base}/ask", json={"question": "请说明年产能。"}, headers=uni)
    assert asked.status_code == 200
    assert asked.get_json()["status"] == "info_requested"
    assert asked.get_json()["info_request"] == "请说明年产能。"
    sender_view = client.get(base, headers=ent).get_json()
    assert sender_view["actions"] == ["answer", "withdraw"]
    answered = client.post(f"{base}/answer", json={"text": "年产能约五百吨。"}, headers=ent)
    assert answered.status_code == 200 and answered.get_json()["status"] == "open"
    bad = client.post(f"{base}/decline", json={"code": "rude", "reason": ""}, headers=uni)
    assert bad.status_code == 422 and "code" in bad.get_json()["fields"]
    no_reason = client.post(f"{base}/decline", json={"code": "terms", "reason": " "}, headers=uni)
    assert no_reason.status_code == 422 and list(no_reason.get_json()["fields"]) == ["reason"]
    declined = client.post(
        f"{base}/decline", json={"code": "terms", "reason": "报价差距较大。"}, headers=uni
    )
    assert declined.status_code == 200
    assert declined.get_json()["decline_code"] == "terms"
    assert client.get(base, headers=ent).get_json()["decline_reason"] == "报价差距较大。"
    actions = db.session.scalars(
        sa.select(AuditLog.action).where(AuditLog.object_type == "enquiry")
    ).all()
    assert {"enquiry.create", "enquiry.ask_info", "enquiry.decline"} <= set(actions)


def test_withdraw(client, bearer, w):
    enquiry_id = _sent(client, bearer, w)
    answer = client.post(f"/api/v1/enquiries/{enquiry_id}/withdraw", headers=bearer(w.ent, RW))
    assert answer.status_code == 200 and answer.get_json()["status"] == "withdrawn"
    assert answer.get_json()["actions"] == []


# --- the web's refusals -------------------------------------------------------------------------
def test_one_open_enquiry_per_target_and_not_ones_own(client, bearer, w):
    _sent(client, bearer, w)
    again = _send(client, bearer, w)
    assert again.status_code == 409
    assert "已就这条成果发起过对接" in again.get_json()["message"]
    own = _send(client, bearer, w, user=w.uni)
    assert own.status_code == 409 and "不能向本机构" in own.get_json()["message"]
    missing = _send(client, bearer, w, target_id=999999)
    assert missing.status_code == 404
    assert _count(Enquiry) == 1


def test_a_sender_whose_organisation_lost_its_verification_is_refused(client, bearer, w):
    headers = bearer(w.third, RW)  # made while verified
    w.third.organisation.status = OrgStatus.PENDING
    db.session.commit()
    refused = client.post("/api/v1/enquiries", json=_body(w), headers=headers)
    assert refused.status_code == 403
    assert refused.get_json()["message"] == "只有已认证机构的成员可以发起对接。"
    assert _count(Enquiry) == 0


def test_daily_cap_gives_the_web_forms_refusal(app, client, bearer, w, fields, monkeypatch):
    other = publish_result(make_user("university"), w.admin, fields, "锂电池回收技术", "湿法回收")
    monkeypatch.setitem(app.config, "ENQUIRY_DAILY_CAP", 1)
    _sent(client, bearer, w)
    over = _send(client, bearer, w, target_id=other.id)
    assert over.status_code == 429 and over.get_json()["code"] == "limit_reached"
    message = "你的机构今天已发起 1 条对接请求，已达每日上限，请明天再试。"  # the web form's
    assert over.get_json()["message"] == message
    assert over.get_json()["fields"] == {"cap": [message]}
    assert 0 < int(over.headers["Retry-After"]) <= 24 * 3600  # until midnight China time
    assert _count(Enquiry) == 1


def test_blocks_give_the_web_refusal(client, bearer, w):
    conversations.block_organisation(actor=w.uni, organisation_id=w.ent.organisation_id)
    db.session.commit()
    refused = _send(client, bearer, w)
    assert refused.status_code == 403
    assert refused.get_json()["message"] == "对方机构暂不接受你的机构发起的对接。"
    assert _count(Enquiry) == 0


def test_english_messages(client, bearer, w):
    en = {"Accept-Language": "en"}
    enquiry_id = _sent(client, bearer, w)
    uni = {**bearer(w.uni, RW), **en}
    client.post(f"/api/v1/enquiries/{enquiry_id}/accept", headers=uni)
    twice = client.post(f"/api/v1/enquiries/{enquiry_id}/accept", headers=uni).get_json()
    assert twice["message"] and twice["message"].isascii()
    blank = client.post(
        "/api/v1/enquiries",
        json={**_body(w), "message": " ", "intent": "x", "target_id": 1},
        headers={**bearer(w.third, RW), **en},
    ).get_json()
    assert blank["message"].isascii()
    assert all(text.isascii() for texts in blank["fields"].values() for text in texts)
    listed = client.get("/api/v1/enquiries", headers=uni).get_json()
    assert listed["items"][0]["status_label"] == "In conversation"
    service = client.post(
        f"/api/v1/enquiries/{enquiry_id}/close",
        json={"outcome": "no_deal"},
        headers={**bearer(w.ent, RW), **en},
    ).get_json()  # the service's own field message, in English too
    assert service["fields"] == {
        "reason": ["Please explain why you are not collaborating for now."]
    }


# --- brokers' introductions ---------------------------------------------------------------------
@pytest.fixture
def introduction(w):  # noqa: ANN001, ANN201
    broker = make_broker(name="赵经纪")
    db.session.commit()
    follow(broker, w.need)
    enquiry = introductions.propose_introduction(
        actor=broker.user,
        need=w.need,
        data=introductions.IntroductionData("result", w.result.id, "license", NOTE),
    )
    db.session.commit()
    return broker, enquiry


def test_the_need_owner_consents_to_an_introduction(client, bearer, w, introduction):
    broker, enquiry = introduction
    ent, uni = bearer(w.ent, RW), bearer(w.uni, RW)
    listed = client.get("/api/v1/enquiries?box=sent&status=proposed", headers=ent).get_json()
    item = listed["items"][0]
    assert item["id"] == enquiry.id and item["actions"] == ["consent", "refuse"]
    assert item["broker"] == {"id": broker.id, "name": "赵经纪"}
    assert item["source"] == "introduction" and item["for_need_id"] == w.need.id
    # not sent yet: the result's owner does not know of it
    assert client.get(f"/api/v1/enquiries/{enquiry.id}", headers=uni).status_code == 404
    assert client.get("/api/v1/enquiries", headers=uni).get_json()["items"] == []
    consented = client.post(f"/api/v1/enquiries/{enquiry.id}/consent", headers=ent)
    assert consented.status_code == 200 and consented.get_json()["status"] == "open"
    assert client.post(f"/api/v1/enquiries/{enquiry.id}/consent", headers=ent).status_code == 409
    seen = client.get(f"/api/v1/enquiries/{enquiry.id}", headers=uni).get_json()
    assert seen["side"] == "owner" and seen["broker"]["name"] == "赵经纪"
    # the broker reads metadata on its own list, never the enquiry
    broker_headers = bearer(broker.user)
    rows = client.get("/api/v1/introductions", headers=broker_headers).get_json()["items"]
    assert [(r["id"], r["status"]) for r in rows] == [(enquiry.id, "open")]
    assert "message" not in rows[0] and NOTE not in str(rows)
    assert client.get(f"/api/v1/enquiries/{enquiry.id}", headers=broker_headers).status_code == 404


def test_the_need_owner_refuses_an_introduction(client, bearer, w, introduction):
    broker, enquiry = introduction
    ent = bearer(w.ent, RW)
    url = f"/api/v1/enquiries/{enquiry.id}/refuse"
    assert client.post(url, json={}, headers=ent).status_code == 422
    assert (
        client.post(url, json={"reason": "已有合作方。"}, headers=bearer(w.uni, RW)).status_code
        == 404
    )
    refused = client.post(url, json={"reason": "已有合作方。"}, headers=ent)
    assert refused.status_code == 200 and refused.get_json()["status"] == "withdrawn"
    rows = client.get("/api/v1/introductions", headers=bearer(broker.user)).get_json()["items"]
    assert rows[0]["refusal"] == "已有合作方。"


def test_only_brokers_list_introductions(client, bearer, w):
    answer = client.get("/api/v1/introductions", headers=bearer(w.ent))
    assert answer.status_code == 403


# --- an expert ----------------------------------------------------------------------------------
def test_an_enquiry_to_an_expert_reaches_the_experts_organisation(client, bearer, w, fields):
    expert = publish_expert(w.uni, w.admin, fields)
    researcher = make_user("university")  # the researcher's own account, elsewhere
    colleague = make_user("university", organisation=w.uni.organisation)
    expert.user_id = researcher.id
    db.session.commit()
    sent = _send(client, bearer, w, kind="expert", target_id=expert.id)
    assert sent.status_code == 201
    body = sent.get_json()
    assert body["target"]["kind"] == "expert" and body["target"]["title"] == "李敏"
    assert body["target"]["url"].endswith(f"/experts/{expert.id}")
    listed = client.get("/api/v1/enquiries", headers=bearer(colleague)).get_json()
    assert [item["id"] for item in listed["items"]] == [body["id"]]
    # as on the web: the researcher elsewhere is told, but the enquiry is its organisation's
    assert (
        client.get(f"/api/v1/enquiries/{body['id']}", headers=bearer(researcher)).status_code == 404
    )
