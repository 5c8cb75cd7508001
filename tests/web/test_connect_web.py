"""对接 through the web pages: the enquiry form, the inbox, the answers and the conversation."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Enquiry, EnquiryAttachment, EnquiryMessage
from tests.conftest import log_in
from tests.factories import make_user, publish_result

PDF = b"%PDF-1.4 connect test\n%%EOF\n"


@pytest.fixture
def world(fields):
    """A university with a listed result, an enterprise that wants it, a third enterprise,
    a bank and an admin."""
    admin = make_user("admin")
    owner = make_user("university", phone="13800000001")
    sender = make_user("enterprise", phone="13900000002")
    third = make_user("enterprise")
    bank = make_user("bank")
    result = publish_result(
        owner, admin, fields, "碳纤维连续碳化技术", "连续碳化工艺，能耗降低两成"
    )
    db.session.commit()
    return {
        "admin": admin,
        "owner": owner,
        "sender": sender,
        "third": third,
        "bank": bank,
        "result": result,
    }


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def _new_url(result, **extra) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"kind": "result", "id": result.id, **extra}.items())
    return f"/connect/new?{query}"


def _send(client, result, message="我们希望就该技术开展许可合作，年产能约五百吨。", **extra):
    data = {"intent": "license", "message": message, **extra}
    return client.post(_new_url(result), data=data, content_type="multipart/form-data")


def _enquiry(client, w) -> Enquiry:
    log_in(client, w["sender"])
    response = _send(client, w["result"])
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalars(sa.select(Enquiry)).one()


def _accepted(client, w) -> Enquiry:
    enquiry = _enquiry(client, w)
    log_in(client, w["owner"])
    assert client.post(f"/connect/{enquiry.id}/accept").status_code == 302
    return enquiry


# --- the whole flow --------------------------------------------------------------------------
def test_enquiry_accept_converse_and_close(client, world):
    w = world
    result = w["result"]
    log_in(client, w["sender"])
    page = client.get(f"/results/{result.id}").get_data(as_text=True)
    assert "发起对接" in page and f"/connect/new?kind=result&amp;id={result.id}" in page
    form = client.get(_new_url(result))
    assert form.status_code == 200
    assert "对方会看到什么" in form.get_data(as_text=True)

    sent = _send(client, result, nda_requested="y", file=(io.BytesIO(PDF), "需求说明.pdf"))
    assert sent.status_code == 302
    enquiry = db.session.scalars(sa.select(Enquiry)).one()
    assert sent.headers["Location"].endswith(f"/connect/{enquiry.id}")
    assert enquiry.nda_requested and enquiry.status == "open"
    assert [a.original_name for a in enquiry.attachments] == ["需求说明.pdf"]
    mine = client.get(f"/connect/{enquiry.id}").get_data(as_text=True)
    assert "撤回对接请求" in mine and f"/connect/{enquiry.id}/accept" not in mine
    assert w["owner"].email not in mine  # staged disclosure: nothing before acceptance

    log_in(client, w["owner"])
    nav = client.get("/connect/inbox").get_data(as_text=True)
    assert 'href="/connect/inbox">对接 <span' in nav  # the navbar's waiting count
    assert result.title in nav and w["sender"].organisation.name in nav
    page = client.get(f"/connect/{enquiry.id}").get_data(as_text=True)
    assert f"/connect/{enquiry.id}/accept" in page and "需求说明.pdf" in page
    assert w["sender"].email not in page
    attachment = enquiry.attachments[0]
    download = client.get(f"/connect/{enquiry.id}/attachments/{attachment.id}")
    assert download.status_code == 200 and download.data == PDF
    assert "attachment" in download.headers["Content-Disposition"]
    download.close()

    assert client.post(f"/connect/{enquiry.id}/accept").status_code == 302
    assert enquiry.status == "accepted"
    page = client.get(f"/connect/{enquiry.id}").get_data(as_text=True)
    assert w["sender"].email in page and "13900000002" in page
    assert f"/connect/{enquiry.id}/messages" in page and f"/connect/{enquiry.id}/close" in page

    log_in(client, w["sender"])
    page = client.get(f"/connect/{enquiry.id}").get_data(as_text=True)
    assert w["owner"].email in page and "13800000001" in page
    posted = client.post(
        f"/connect/{enquiry.id}/messages",
        data={"body": "附上我们的工艺参数。", "file": (io.BytesIO(PDF), "参数.pdf")},
        content_type="multipart/form-data",
    )
    assert posted.status_code == 302
    log_in(client, w["owner"])
    inbox = client.get("/connect/inbox").get_data(as_text=True)
    assert 'rounded-pill me-1">未读' in inbox
    page = client.get(f"/connect/{enquiry.id}").get_data(as_text=True)
    assert "附上我们的工艺参数。" in page and "参数.pdf" in page
    inbox = client.get("/connect/inbox").get_data(as_text=True)
    assert 'rounded-pill me-1">未读' not in inbox  # read on view
    reply = client.post(f"/connect/{enquiry.id}/messages", data={"body": "收到。"})
    assert reply.status_code == 302
    assert _count(EnquiryMessage) == 2

    closed = client.post(f"/connect/{enquiry.id}/close", data={"outcome": "offline"})
    assert closed.status_code == 302 and enquiry.status == "closed"
    page = client.get(f"/connect/{enquiry.id}").get_data(as_text=True)
    assert "转线下洽谈" in page and f"/connect/{enquiry.id}/messages" not in page


def test_decline_with_reason_is_shown_to_the_sender(client, world):
    w = world
    enquiry = _enquiry(client, w)
    log_in(client, w["owner"])
    empty = client.post(f"/connect/{enquiry.id}/decline", data={"code": "terms"})
    assert empty.status_code == 400 and "请填写具体说明" in empty.get_data(as_text=True)
    assert enquiry.status == "open"
    done = client.post(
        f"/connect/{enquiry.id}/decline", data={"code": "terms", "reason": "价格预期差距较大。"}
    )
    assert done.status_code == 302 and enquiry.status == "declined"
    again = client.post(f"/connect/{enquiry.id}/accept")
    assert again.status_code == 409 and "已经处理过" in again.get_data(as_text=True)
    log_in(client, w["sender"])
    page = client.get(f"/connect/{enquiry.id}").get_data(as_text=True)
    assert "合作方式或条件不合适" in page and "价格预期差距较大。" in page


def test_ask_for_information_then_answer_then_accept(client, world):
    w = world
    enquiry = _enquiry(client, w)
    log_in(client, w["owner"])
    asked = client.post(f"/connect/{enquiry.id}/ask", data={"question": "请说明年产能和应用场景。"})
    assert asked.status_code == 302 and enquiry.status == "info_requested"
    # Only the sender answers.
    assert client.post(f"/connect/{enquiry.id}/answer", data={"text": "x"}).status_code == 403
    log_in(client, w["sender"])
    page = client.get(f"/connect/{enquiry.id}").get_data(as_text=True)
    assert "请说明年产能和应用场景。" in page and "发送补充信息" in page
    answered = client.post(
        f"/connect/{enquiry.id}/answer",
        data={"text": "年产能五百吨，用于风电叶片。", "file": (io.BytesIO(PDF), "产能.pdf")},
        content_type="multipart/form-data",
    )
    assert answered.status_code == 302 and enquiry.status == "open"
    log_in(client, w["owner"])
    assert "年产能五百吨" in client.get(f"/connect/{enquiry.id}").get_data(as_text=True)
    assert client.post(f"/connect/{enquiry.id}/accept").status_code == 302


def test_sender_withdraws_and_owner_cannot_withdraw(client, world):
    w = world
    enquiry = _enquiry(client, w)
    log_in(client, w["owner"])
    assert client.post(f"/connect/{enquiry.id}/withdraw").status_code == 403
    log_in(client, w["sender"])
    assert client.post(f"/connect/{enquiry.id}/accept").status_code == 403  # not the owner
    assert client.post(f"/connect/{enquiry.id}/withdraw").status_code == 302
    assert enquiry.status == "withdrawn"
    # Withdrawn, so a new enquiry on the same listing is allowed.
    assert _send(client, w["result"]).status_code == 302


def test_inbox_tabs_and_filter(client, world):
    w = world
    _enquiry(client, w)
    sent = client.get("/connect/inbox?box=sent").get_data(as_text=True)
    assert w["result"].title in sent
    assert w["result"].title not in client.get("/connect/inbox").get_data(as_text=True)
    log_in(client, w["owner"])
    assert w["result"].title in client.get("/connect/inbox?status=open").get_data(as_text=True)
    filtered = client.get("/connect/inbox?status=accepted").get_data(as_text=True)
    assert w["result"].title not in filtered
    assert client.get("/connect/inbox?box=nonsense&status=nonsense").status_code == 200


# --- bad input from the web: a 4xx, a clear message, nothing stored ---------------------------
@pytest.mark.parametrize(
    ("message", "expected"),
    [("", "请填写留言"), ("   ", "请填写留言"), ("长" * 20_000, "不能超过 5000 个字符")],
)
def test_bad_messages_are_refused(client, world, message, expected):
    log_in(client, world["sender"])
    response = _send(client, world["result"], message=message)
    assert response.status_code == 400
    assert expected in response.get_data(as_text=True)
    assert _count(Enquiry) == 0


def test_no_intent_is_refused(client, world):
    log_in(client, world["sender"])
    response = client.post(_new_url(world["result"]), data={"message": "想了解一下。"})
    assert response.status_code == 400 and "请选择对接意向" in response.get_data(as_text=True)
    assert _count(Enquiry) == 0


def test_own_organisation_is_refused(client, world):
    colleague = make_user("university", organisation=world["owner"].organisation)
    db.session.commit()
    log_in(client, colleague)
    assert "发起对接" not in client.get(f"/results/{world['result'].id}").get_data(as_text=True)
    response = _send(client, world["result"])
    assert response.status_code == 403
    assert "不能向自己发起对接" in response.get_data(as_text=True)
    assert _count(Enquiry) == 0


def test_unverified_organisation_is_refused(client, world):
    pending = make_user("enterprise", verified=False)
    db.session.commit()
    log_in(client, pending)
    assert "发起对接" not in client.get(f"/results/{world['result'].id}").get_data(as_text=True)
    assert client.get(_new_url(world["result"])).status_code == 403
    response = _send(client, world["result"])
    assert response.status_code == 403 and "已认证机构" in response.get_data(as_text=True)
    assert _count(Enquiry) == 0


def test_unverified_owner_is_refused(client, world):
    from matchmaker.models import OrgStatus

    world["owner"].organisation.status = OrgStatus.PENDING
    db.session.commit()
    log_in(client, world["sender"])
    response = _send(client, world["result"])
    assert response.status_code == 409 and "未通过认证" in response.get_data(as_text=True)
    assert _count(Enquiry) == 0


def test_withdrawn_listing_is_refused(client, world):
    from matchmaker.services.market import listings

    log_in(client, world["sender"])
    assert client.get(_new_url(world["result"])).status_code == 200
    listings.withdraw_listing(actor=world["owner"], listing=world["result"])
    db.session.commit()
    assert client.get(_new_url(world["result"])).status_code == 404
    response = _send(client, world["result"])  # the form was open before the withdrawal
    assert response.status_code == 409 and "已下架" in response.get_data(as_text=True)
    assert _count(Enquiry) == 0


def test_second_open_enquiry_is_refused(client, world):
    first = _enquiry(client, world)
    form = client.get(_new_url(world["result"])).get_data(as_text=True)
    assert f"/connect/{first.id}" in form  # the form points to the enquiry already sent
    response = _send(client, world["result"])
    assert response.status_code == 409
    assert "已就这条成果发起过对接" in response.get_data(as_text=True)
    assert _count(Enquiry) == 1


def test_over_the_daily_cap_is_refused(app, client, world, fields, monkeypatch):
    other = publish_result(
        make_user("university"), world["admin"], fields, "锂电池回收技术", "湿法回收锂钴镍"
    )
    monkeypatch.setitem(app.config, "ENQUIRY_DAILY_CAP", 1)
    _enquiry(client, world)
    response = _send(client, other)
    assert response.status_code == 400 and "每日上限" in response.get_data(as_text=True)
    assert _count(Enquiry) == 1


def test_wrong_file_type_is_refused(client, world):
    log_in(client, world["sender"])
    response = _send(client, world["result"], file=(io.BytesIO(b"MZ\x90\x00binary"), "说明.pdf"))
    assert response.status_code == 400 and "只接受 PDF" in response.get_data(as_text=True)
    assert _count(Enquiry) == 0 and _count(EnquiryAttachment) == 0


def test_bad_conversation_input_is_refused(client, world):
    enquiry = _accepted(client, world)
    url = f"/connect/{enquiry.id}/messages"
    for body, expected in (("", "请填写消息内容"), ("长" * 20_000, "不能超过 5000 个字符")):
        response = client.post(url, data={"body": body})
        assert response.status_code == 400 and expected in response.get_data(as_text=True)
    wrong = client.post(
        url,
        data={"body": "见附件", "file": (io.BytesIO(b"<html>"), "a.png")},
        content_type="multipart/form-data",
    )
    assert wrong.status_code == 400 and "只接受 PDF" in wrong.get_data(as_text=True)
    no_reason = client.post(f"/connect/{enquiry.id}/close", data={"outcome": "no_deal"})
    assert no_reason.status_code == 400 and "原因" in no_reason.get_data(as_text=True)
    assert enquiry.status == "accepted"
    assert _count(EnquiryMessage) == 0 and _count(EnquiryAttachment) == 0

    closed = client.post(
        f"/connect/{enquiry.id}/close", data={"outcome": "no_deal", "reason": "预算不足。"}
    )
    assert closed.status_code == 302
    late = client.post(url, data={"body": "还在吗？"})
    assert late.status_code == 409 and "洽谈" in late.get_data(as_text=True)
    assert _count(EnquiryMessage) == 0


def test_message_before_acceptance_is_refused(client, world):
    enquiry = _enquiry(client, world)
    response = client.post(f"/connect/{enquiry.id}/messages", data={"body": "你好"})
    assert response.status_code == 409
    assert _count(EnquiryMessage) == 0


def test_forged_ids_are_not_found(client, world):
    enquiry = _enquiry(client, world)
    for url in (
        "/connect/999999",
        f"/connect/{enquiry.id}/attachments/999999",
        "/connect/999999/attachments/1",
        "/connect/new?kind=listing&id=1",
        "/connect/new?kind=result&id=abc",
        "/connect/new?kind=result&id=999999",
    ):
        assert client.get(url).status_code == 404, url
    for url in ("/connect/999999/accept", "/connect/999999/messages", "/connect/messages/9/report"):
        assert client.post(url, data={"body": "x", "reason": "x"}).status_code == 404, url


# --- privacy ------------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["third", "bank", "admin"])
def test_outsiders_get_404_on_the_conversation_and_its_attachment(client, world, who):
    """SECURITY.md rows 15 and 28 (v5.0.0-8.2.2)."""
    enquiry = _accepted(client, world)
    log_in(client, world["sender"])
    client.post(
        f"/connect/{enquiry.id}/messages",
        data={"body": "机密工艺参数。", "file": (io.BytesIO(PDF), "机密.pdf")},
        content_type="multipart/form-data",
    )
    attachment = db.session.scalars(sa.select(EnquiryAttachment)).one()
    message = db.session.scalars(sa.select(EnquiryMessage)).one()
    log_in(client, world[who])
    assert client.get(f"/connect/{enquiry.id}").status_code == 404
    assert client.get(f"/connect/{enquiry.id}/attachments/{attachment.id}").status_code == 404
    assert client.post(f"/connect/{enquiry.id}/messages", data={"body": "x"}).status_code == 404
    closing = client.post(f"/connect/{enquiry.id}/close", data={"outcome": "offline"})
    assert closing.status_code == 404
    report = client.post(f"/connect/messages/{message.id}/report", data={"reason": "x"})
    assert report.status_code == 404
    assert "机密工艺参数" not in client.get("/connect/inbox").get_data(as_text=True)
    assert enquiry.status == "accepted" and _count(EnquiryMessage) == 1


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(_new_url(world["result"]))
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert "发起对接" not in client.get(f"/results/{world['result'].id}").get_data(as_text=True)


# --- report and block ---------------------------------------------------------------------------
def test_report_a_message_and_block_the_organisation(client, world, fields):
    w = world
    enquiry = _accepted(client, w)
    log_in(client, w["sender"])
    client.post(f"/connect/{enquiry.id}/messages", data={"body": "加我私人微信谈。"})
    message = db.session.scalars(sa.select(EnquiryMessage)).one()
    # One's own message cannot be reported (the page does not offer it either).
    own = client.post(f"/connect/messages/{message.id}/report", data={"reason": "x"})
    assert own.status_code == 409
    log_in(client, w["owner"])
    empty = client.post(f"/connect/messages/{message.id}/report", data={"reason": ""})
    assert empty.status_code == 400 and message.reported_at is None
    done = client.post(f"/connect/messages/{message.id}/report", data={"reason": "引导线下交易。"})
    assert done.status_code == 302 and message.reported_at is not None
    assert "已举报" in client.get(f"/connect/{enquiry.id}").get_data(as_text=True)

    sender_org = w["sender"].organisation
    blocked = client.post(
        f"/connect/block/{sender_org.id}", data={"next": f"/connect/{enquiry.id}"}
    )
    assert blocked.status_code == 302 and blocked.headers["Location"] == f"/connect/{enquiry.id}"
    assert "取消屏蔽" in client.get(f"/connect/{enquiry.id}").get_data(as_text=True)
    again = client.post(f"/connect/block/{sender_org.id}")
    assert again.status_code == 409
    # The blocked organisation cannot send a new enquiry to the blocker's listings.
    other = publish_result(w["owner"], w["admin"], fields, "石墨烯导热膜", "高导热石墨烯薄膜")
    log_in(client, w["sender"])
    refused = _send(client, other)
    assert refused.status_code == 403 and "暂不接受" in refused.get_data(as_text=True)
    log_in(client, w["owner"])
    evil = client.post(f"/connect/unblock/{sender_org.id}", data={"next": "https://evil.example"})
    assert evil.status_code == 302 and evil.headers["Location"] == "/connect/inbox"
    log_in(client, w["sender"])
    assert _send(client, other).status_code == 302
