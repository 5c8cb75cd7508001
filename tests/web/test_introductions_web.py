"""技术经纪人的引荐 (pages): the broker's form, the need owner's consent, 我的引荐, the deal."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Deal, Enquiry, EnquiryStatus
from matchmaker.services import matching
from matchmaker.services.connect import conversations, enquiries, introductions
from tests.conftest import log_in
from tests.connect.helpers import count
from tests.connect.test_expert_enquiries import publish_expert
from tests.connect.test_introductions import NOTE, follow
from tests.factories import make_broker, make_user, publish_need, publish_result


@pytest.fixture
def world(fields):
    admin = make_user("admin")
    uni = make_user("university")
    firm = make_user("enterprise")
    third = make_user("enterprise")
    db.session.commit()
    result = publish_result(uni, admin, fields, "碳纤维连续碳化技术", "连续碳化工艺，能耗降低两成")
    need = publish_need(firm, admin, fields, "高强度碳纤维原丝工艺", "需要提升原丝强度一致性" * 3)
    expert = publish_expert(uni, admin, fields)
    broker = make_broker(name="赵经纪")
    db.session.commit()
    follow(broker, need)
    return {
        "admin": admin,
        "uni": uni,
        "firm": firm,
        "third": third,
        "result": result,
        "need": need,
        "expert": expert,
        "broker": broker,
    }


def _form(kind="result", target_id="", **overrides):
    data = {"other_kind": kind, "other_id": str(target_id), "intent": "license", "note": NOTE}
    data.update(overrides)
    return data


def _propose(client, w, kind="result"):
    log_in(client, w["broker"].user)
    response = client.post(f"/connect/needs/{w['need'].id}/introduce", data=_form(kind, w[kind].id))
    assert response.status_code == 302
    return db.session.scalars(sa.select(Enquiry)).one()


def test_broker_introduces_from_the_need_page(client, world):
    w = world
    log_in(client, w["broker"].user)
    page = client.get(f"/needs/{w['need'].id}").get_data(as_text=True)
    assert f"/connect/needs/{w['need'].id}/introduce" in page
    form = client.get(f"/connect/needs/{w['need'].id}/introduce")
    assert form.status_code == 200
    assert "引荐说明" in form.get_data(as_text=True)
    # a chosen option of the select works as well as a typed number
    response = client.post(
        f"/connect/needs/{w['need'].id}/introduce",
        data={"target": f"expert:{w['expert'].id}", "intent": "consulting", "note": NOTE},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/connect/my/introductions")
    enquiry = db.session.scalars(sa.select(Enquiry)).one()
    assert (enquiry.expert_id, enquiry.status) == (w["expert"].id, EnquiryStatus.PROPOSED)
    mine = client.get("/connect/my/introductions").get_data(as_text=True)
    assert "李敏" in mine and "待确认引荐" in mine


def test_need_page_offers_no_introduction_to_others(client, world):
    w = world
    other = make_broker()
    db.session.commit()
    for user in (other.user, w["third"], w["firm"]):
        log_in(client, user)
        page = client.get(f"/needs/{w['need'].id}").get_data(as_text=True)
        assert "/introduce" not in page


def test_refusals_are_clear_and_store_nothing(client, world, fields):
    w = world
    url = f"/connect/needs/{w['need'].id}/introduce"
    unverified = make_broker(verified=False)
    db.session.commit()
    follow(unverified, w["need"])
    log_in(client, unverified.user)
    response = client.post(url, data=_form("result", w["result"].id))
    assert response.status_code == 403
    assert "核验" in response.get_data(as_text=True)

    stranger = make_broker()
    db.session.commit()
    log_in(client, stranger.user)
    response = client.get(url)
    assert response.status_code == 403
    assert "没有跟进" in response.get_data(as_text=True)

    own = make_broker(broker_organisation=w["uni"].organisation)
    db.session.commit()
    follow(own, w["need"])
    log_in(client, own.user)
    response = client.post(url, data=_form("result", w["result"].id))
    assert response.status_code == 403
    assert "本机构的成果或专家" in response.get_data(as_text=True)

    log_in(client, w["broker"].user)
    same = publish_result(
        make_user("university", organisation=w["firm"].organisation),
        w["admin"],
        fields,
        "原丝纺丝设备",
        "自有纺丝设备改造升级",
    )
    response = client.post(url, data=_form("result", same.id))
    assert response.status_code == 409
    assert "同一机构" in response.get_data(as_text=True)
    for bad in ("999999", "99999999999", "abc", "-3"):
        response = client.post(url, data=_form("result", bad))
        assert response.status_code == 400, bad
    response = client.post(url, data=_form("result", ""))
    assert response.status_code == 400
    assert "请选择要引荐的成果或专家" in response.get_data(as_text=True)
    response = client.post(url, data=_form("result", w["result"].id, note=""))
    assert response.status_code == 400
    assert client.get("/connect/needs/999999/introduce").status_code == 404
    assert count(Enquiry) == 0

    _propose(client, w)
    response = client.post(url, data=_form("result", w["result"].id))
    assert response.status_code == 409
    assert "等待需求方确认" in response.get_data(as_text=True)
    assert count(Enquiry) == 1


def test_non_brokers_cannot_reach_the_broker_pages(client, world):
    w = world
    log_in(client, w["firm"])
    response = client.get(f"/connect/needs/{w['need'].id}/introduce")
    assert response.status_code == 403
    assert "只有技术经纪人" in response.get_data(as_text=True)
    assert client.get("/connect/my/introductions").status_code == 403


def test_need_owner_consents_and_the_other_side_sees_the_broker(client, world):
    w = world
    enquiry = _propose(client, w)
    for outsider in (w["uni"], w["third"], w["broker"].user):
        log_in(client, outsider)
        assert client.post(f"/connect/{enquiry.id}/consent").status_code == 404
        assert (
            client.post(f"/connect/{enquiry.id}/refuse", data={"reason": "不"}).status_code == 404
        )
        assert client.get(f"/connect/{enquiry.id}").status_code == 404
    assert enquiry.status == EnquiryStatus.PROPOSED

    log_in(client, w["firm"])
    page = client.get(f"/connect/{enquiry.id}").get_data(as_text=True)
    assert "赵经纪" in page and w["broker"].licence_number in page and NOTE in page
    assert "确认并发起对接" in page
    assert "经纪人引荐" in client.get("/connect/inbox?box=sent").get_data(as_text=True)
    response = client.post(f"/connect/{enquiry.id}/consent")
    assert response.status_code == 302
    db.session.refresh(enquiry)
    assert enquiry.status == EnquiryStatus.OPEN

    log_in(client, w["uni"])
    page = client.get(f"/connect/{enquiry.id}").get_data(as_text=True)
    link = f'<a href="/brokers/{w["broker"].id}">赵经纪</a>'
    assert f"技术经纪人 {link} 引荐" in page and NOTE in page
    assert "接受对接" in page


def test_need_owner_refuses_with_a_reason(client, world):
    w = world
    enquiry = _propose(client, w)
    log_in(client, w["firm"])
    response = client.post(f"/connect/{enquiry.id}/refuse", data={"reason": ""})
    assert response.status_code == 400
    assert "请填写不接受引荐的原因" in response.get_data(as_text=True)
    response = client.post(f"/connect/{enquiry.id}/refuse", data={"reason": "已有合作方。"})
    assert response.status_code == 302
    db.session.refresh(enquiry)
    assert enquiry.status == EnquiryStatus.WITHDRAWN
    log_in(client, w["broker"].user)
    mine = client.get("/connect/my/introductions").get_data(as_text=True)
    assert "已有合作方。" in mine


def test_broker_sees_metadata_never_messages_and_the_deal_names_the_broker(client, world):
    w = world
    enquiry = _propose(client, w)
    introductions.consent_introduction(actor=w["firm"], enquiry=enquiry)
    enquiries.accept_enquiry(actor=w["uni"], enquiry=enquiry)
    message = conversations.post_message(actor=w["uni"], enquiry=enquiry, body="机密报价每吨三万")
    db.session.commit()

    log_in(client, w["broker"].user)
    assert client.get(f"/connect/{enquiry.id}").status_code == 404
    assert (
        client.post(f"/connect/messages/{message.id}/report", data={"reason": "x"}).status_code
        == 404
    )
    mine = client.get("/connect/my/introductions").get_data(as_text=True)
    assert "洽谈中" in mine and "机密报价" not in mine

    log_in(client, w["firm"])
    form = client.get(f"/my/deals/new/enquiry/{enquiry.id}").get_data(as_text=True)
    assert "经纪服务费" in form
    response = client.post(
        f"/my/deals/new/enquiry/{enquiry.id}",
        data={
            "mode": "transfer",
            "amount_wan": "120",
            "payment_form": "lump_sum",
            "broker_fee_wan": "-2",
        },
    )
    assert response.status_code == 400
    assert count(Deal) == 0
    response = client.post(
        f"/my/deals/new/enquiry/{enquiry.id}",
        data={
            "mode": "transfer",
            "amount_wan": "120",
            "payment_form": "lump_sum",
            "broker_fee_wan": "3.5",
        },
    )
    assert response.status_code == 302
    deal = db.session.scalars(sa.select(Deal)).one()
    assert deal.broker_id == w["broker"].id
    page = client.get(f"/my/deals/{deal.id}").get_data(as_text=True)
    assert "经纪服务" in page and "赵经纪" in page
    assert w["broker"].licence_number in page and "3.5 万元" in page
    # the deal and the conversation link to each other; the broker's name to its public page
    assert f'href="/connect/{enquiry.id}"' in page
    assert f'href="/brokers/{w["broker"].id}">赵经纪</a>' in page
    shown = client.get(f"/connect/{enquiry.id}").get_data(as_text=True)
    assert f'href="/my/deals/{deal.id}"' in shown
    assert f'href="/brokers/{w["broker"].id}">赵经纪</a>' in shown
    log_in(client, w["uni"])
    assert f'href="/my/deals/{deal.id}"' in client.get(f"/connect/{enquiry.id}").get_data(
        as_text=True
    )
    # an admin sees the deal but not the conversation: no link to it
    log_in(client, w["admin"])
    page = client.get(f"/my/deals/{deal.id}").get_data(as_text=True)
    assert "赵经纪" in page and f'href="/connect/{enquiry.id}"' not in page


def test_deal_form_has_no_fee_without_a_broker(client, world):
    w = world
    enquiry = enquiries.create_enquiry(
        actor=w["firm"],
        kind="result",
        listing_id=w["result"].id,
        data=enquiries.EnquiryData(intent="transfer", message="希望了解转让条件。"),
    )
    enquiries.accept_enquiry(actor=w["uni"], enquiry=enquiry)
    db.session.commit()
    log_in(client, w["firm"])
    assert "经纪服务费" not in client.get(f"/my/deals/new/enquiry/{enquiry.id}").get_data(
        as_text=True
    )


def test_need_owner_finds_the_introduction_where_the_badges_lead(client, world):
    w = world
    enquiry = _propose(client, w)
    log_in(client, w["firm"])
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "1 条对接等待你处理" in dashboard
    assert 'href="/connect/inbox?box=received" id="enquiries-waiting"' in dashboard
    for url in ("/connect/inbox", "/connect/inbox?box=received", "/connect/inbox?status=proposed"):
        page = client.get(url).get_data(as_text=True)
        assert "待你确认的经纪人引荐" in page, url
        assert f'href="/connect/{enquiry.id}"' in page and "赵经纪" in page
    assert "待你确认的经纪人引荐" not in client.get("/connect/inbox?status=open").get_data(
        as_text=True
    )
    # the owner's need page names the broker (linked) and the introduction to confirm
    page = client.get(f"/my/needs/{w['need'].id}").get_data(as_text=True)
    assert f'href="/brokers/{w["broker"].id}">赵经纪</a>' in page
    assert f'href="/connect/{enquiry.id}"' in page
    # the other side never sees the proposal
    log_in(client, w["uni"])
    page = client.get("/connect/inbox").get_data(as_text=True)
    assert "待你确认的经纪人引荐" not in page and f"/connect/{enquiry.id}" not in page
    # once consented it is no longer waiting
    log_in(client, w["firm"])
    assert client.post(f"/connect/{enquiry.id}/consent").status_code == 302
    assert "待你确认的经纪人引荐" not in client.get("/connect/inbox").get_data(as_text=True)
    page = client.get(f"/my/needs/{w['need'].id}").get_data(as_text=True)
    assert "赵经纪" in page and f'href="/connect/{enquiry.id}"' not in page


def test_introduce_form_offers_the_engines_candidates_scored_out_of_100(client, world):
    w = world
    matching.rebuild_index()
    log_in(client, w["broker"].user)
    page = client.get(f"/needs/{w['need'].id}").get_data(as_text=True)
    assert "引荐成果或专家" in page and "由经纪人引荐" not in page
    form = client.get(f"/connect/needs/{w['need'].id}/introduce").get_data(as_text=True)
    assert f'value="result:{w["result"].id}"' in form
    assert re.search(r"匹配度 \d+/100", form) and "%" not in re.sub(r"<[^>]*>", "", form)
    assert "由经纪人引荐" not in form


def test_followed_needs_page_counts_what_the_dashboard_counts(client, world):
    w = world
    enquiries.create_enquiry(
        actor=w["uni"],
        kind="need",
        listing_id=w["need"].id,
        data=enquiries.EnquiryData(intent="transfer", message="我们的成果可以解决这个需求。"),
    )
    db.session.commit()
    log_in(client, w["broker"].user)
    page = client.get("/connect/my/introductions").get_data(as_text=True)
    assert "这条需求还没有收到对接请求" not in page
    assert "对接请求 1 条" in page and "我们的成果" not in page
