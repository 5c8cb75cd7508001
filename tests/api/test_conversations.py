"""对接 conversations through the API: the thread (pages, order), read state as on the web page,
the caller's conversations, messages refused when not allowed, parties only."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import EnquiryMessage, EnquiryRead
from matchmaker.services.connect import conversations
from tests.connect.helpers import make_world

RW = ("read", "write")


@pytest.fixture
def w(fields):  # noqa: ANN001, ANN201
    return make_world(fields)


@pytest.fixture
def talk(client, bearer, w):  # noqa: ANN001, ANN201
    """An accepted enquiry of w.ent on w.uni's result; (enquiry id, ent headers, uni headers)."""
    ent, uni = bearer(w.ent, RW), bearer(w.uni, RW)
    sent = client.post(
        "/api/v1/enquiries",
        json={"kind": "result", "target_id": w.result.id, "intent": "license", "message": "合作"},
        headers=ent,
    )
    enquiry_id = sent.get_json()["id"]
    assert client.post(f"/api/v1/enquiries/{enquiry_id}/accept", headers=uni).status_code == 200
    return enquiry_id, ent, uni


def _post(client, enquiry_id, headers, text):  # noqa: ANN001, ANN202
    answer = client.post(
        f"/api/v1/enquiries/{enquiry_id}/messages", json={"body": text}, headers=headers
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def test_thread_pages_oldest_first_or_newest_first(client, talk):
    enquiry_id, ent, uni = talk
    for n in range(3):
        _post(client, enquiry_id, ent if n % 2 == 0 else uni, f"第{n + 1}条")
    url = f"/api/v1/enquiries/{enquiry_id}/messages"
    first = client.get(url, query_string={"page_size": 2}, headers=ent).get_json()
    assert [m["body"] for m in first["items"]] == ["第1条", "第2条"] and first["total"] == 3
    rest = client.get(first["next"], headers=ent).get_json()
    assert [m["body"] for m in rest["items"]] == ["第3条"] and rest["next"] is None
    newest = client.get(url, query_string={"order": "newest"}, headers=uni).get_json()
    assert [m["body"] for m in newest["items"]] == ["第3条", "第2条", "第1条"]
    bad = client.get(url, query_string={"order": "random", "page": 0}, headers=uni)
    assert bad.status_code == 422 and set(bad.get_json()["fields"]) == {"order", "page"}


def test_reading_the_thread_marks_it_read(client, w, talk):
    enquiry_id, ent, uni = talk
    message = _post(client, enquiry_id, ent, "样品已寄出。")
    assert conversations.unread_count(w.uni) == 1
    listed = client.get("/api/v1/enquiries", headers=uni).get_json()
    assert listed["items"][0]["unread"] is True
    assert client.get(f"/api/v1/enquiries/{enquiry_id}", headers=uni).get_json()["unread"] is True
    client.get(f"/api/v1/enquiries/{enquiry_id}/messages", headers=uni)
    db.session.expire_all()
    assert conversations.unread_count(w.uni) == 0  # committed by the request
    row = db.session.scalars(sa.select(EnquiryRead).where(EnquiryRead.user_id == w.uni.id)).one()
    assert row.last_message_id == message["id"]
    assert client.get(f"/api/v1/enquiries/{enquiry_id}", headers=uni).get_json()["unread"] is False
    # the sender's own message never counts as unread for it
    assert client.get(f"/api/v1/enquiries/{enquiry_id}", headers=ent).get_json()["unread"] is False


def test_bad_messages_are_refused_and_nothing_stored(client, talk):
    enquiry_id, ent, _uni = talk
    url = f"/api/v1/enquiries/{enquiry_id}/messages"
    for payload, field in (
        ({"body": "  "}, "body"),
        ({"body": "长" * 5001}, "body"),
        ({}, "body"),
        ({"body": "你好", "author_org_id": 1}, "author_org_id"),
        ({"body": "你好", "enquiry_id": 2}, "enquiry_id"),
    ):
        answer = client.post(url, json=payload, headers=ent)
        assert answer.status_code == 422, payload
        assert field in answer.get_json()["fields"], payload
    nul = client.post(url, json={"body": "你好\x00"}, headers=ent)  # refused before the schema
    assert nul.status_code in (400, 422)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EnquiryMessage)) == 0


def test_a_block_stops_messages_as_on_the_web(client, w, talk):
    enquiry_id, ent, _uni = talk
    conversations.block_organisation(actor=w.uni, organisation_id=w.ent.organisation_id)
    db.session.commit()
    refused = client.post(
        f"/api/v1/enquiries/{enquiry_id}/messages", json={"body": "在吗"}, headers=ent
    )
    assert refused.status_code == 403
    assert refused.get_json()["message"] == "对方机构已屏蔽你的机构，不能发送消息。"


def test_conversations_list_and_detail(client, bearer, w, talk):
    enquiry_id, ent, uni = talk
    _post(client, enquiry_id, ent, "你好")
    mine = client.get("/api/v1/conversations", headers=uni).get_json()
    assert mine["total"] == 1
    item = mine["items"][0]
    assert item["id"] == enquiry_id and item["status"] == "accepted"
    assert item["other_organisation"]["id"] == w.ent.organisation_id
    assert item["messages"] == 1 and item["unread"] is True and item["can_message"] is True
    assert item["messages_url"].endswith(f"/api/v1/enquiries/{enquiry_id}/messages")
    theirs = client.get("/api/v1/conversations", headers=ent).get_json()["items"][0]
    assert theirs["other_organisation"]["id"] == w.uni.organisation_id and theirs["unread"] is False
    one = client.get(f"/api/v1/conversations/{enquiry_id}", headers=ent)
    assert one.status_code == 200 and one.get_json()["messages"] == 1
    client.post(f"/api/v1/enquiries/{enquiry_id}/close", json={"outcome": "no_deal"}, headers=ent)
    assert (
        client.get(f"/api/v1/conversations/{enquiry_id}", headers=ent).get_json()["can_message"]
        is True
    )  # the close without a reason was refused (422): still open
    closed = client.post(
        f"/api/v1/enquiries/{enquiry_id}/close",
        json={"outcome": "no_deal", "reason": "预算不足。"},
        headers=ent,
    )
    assert closed.status_code == 200 and closed.get_json()["outcome_reason"] == "预算不足。"
    ended = client.get("/api/v1/conversations?status=closed", headers=uni).get_json()["items"]
    assert [c["id"] for c in ended] == [enquiry_id] and ended[0]["can_message"] is False
    assert client.get("/api/v1/conversations?status=accepted", headers=uni).get_json()["total"] == 0
    outsider = bearer(w.third, RW)
    assert client.get(f"/api/v1/conversations/{enquiry_id}", headers=outsider).status_code == 404
    assert client.get("/api/v1/conversations", headers=outsider).get_json()["items"] == []


def test_an_enquiry_not_yet_accepted_is_no_conversation(client, bearer, w):
    ent = bearer(w.ent, RW)
    sent = client.post(
        "/api/v1/enquiries",
        json={"kind": "result", "target_id": w.result.id, "intent": "license", "message": "合作"},
        headers=ent,
    ).get_json()
    assert client.get(f"/api/v1/conversations/{sent['id']}", headers=ent).status_code == 404
    assert client.get("/api/v1/conversations", headers=ent).get_json()["total"] == 0
    assert client.get("/api/v1/conversations/999999", headers=ent).status_code == 404


def test_report_a_message_of_the_other_side(client, bearer, w, talk):
    enquiry_id, ent, uni = talk
    message = _post(client, enquiry_id, ent, "加我私人微信谈。")
    url = f"/api/v1/enquiries/{enquiry_id}/messages/{message['id']}/report"
    own = client.post(url, json={"reason": "误发"}, headers=ent)
    assert own.status_code == 409 and own.get_json()["message"] == "不能举报本机构发送的消息。"
    assert client.post(url, json={"reason": " "}, headers=uni).status_code == 422
    outsider = client.post(url, json={"reason": "引导线下交易。"}, headers=bearer(w.third, RW))
    assert outsider.status_code == 404
    wrong = f"/api/v1/enquiries/999999/messages/{message['id']}/report"
    assert client.post(wrong, json={"reason": "引导线下交易。"}, headers=uni).status_code == 404
    done = client.post(url, json={"reason": "引导线下交易。"}, headers=uni)
    assert done.status_code == 200 and done.get_json()["reported"] is True
    db.session.expire_all()
    stored = db.session.get(EnquiryMessage, message["id"])
    assert stored.reported_by_id == w.uni.id and stored.report_reason == "引导线下交易。"
    assert client.post(url, json={"reason": "再举报"}, headers=uni).status_code == 409
