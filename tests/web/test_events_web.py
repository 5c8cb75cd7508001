"""Event pages (/events) through the test client: an admin creates a talent event and a roadshow,
two organisations register, the organiser checks them in (others 403), an outcome links a real
deal between them (a deal not between them is refused), the public page shows the outcomes;
bad input gets its message and stores nothing; 银企对接 events appear among them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    Event,
    EventFeature,
    EventKind,
    EventOutcome,
    EventRegistration,
    EventStatus,
)
from matchmaker.models.base import utcnow
from matchmaker.services import matching
from matchmaker.services.events import activity, events
from tests.conftest import log_in
from tests.factories import OrganisationFactory, make_user, publish_need, publish_result
from tests.services.test_events import event_data, make_deal

FORM = {
    "kind": "talent",
    "title": "净月高新区青年人才洽谈会",
    "description": "高校人才与企业面对面。",
    "location": "净月国际会展中心",
    "online_url": "",
    "starts_at": "2030-06-01T09:00",
    "ends_at": "2030-06-01T11:00",
    "registration_closes_at": "2030-05-30T17:00",
    "capacity": "",
    "slot_minutes": "20",
}


def _page(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def people(db, fields) -> dict[str, Any]:
    admin = make_user("admin", organisation=OrganisationFactory(government=True))
    firm = make_user("enterprise")
    uni = make_user("university")
    third = make_user("enterprise")
    result = publish_result(
        uni,
        admin,
        fields,
        "铝合金激光焊接工艺",
        "铝合金激光焊接工艺，焊缝强度高，适合汽车轻量化车身",
    )
    need = publish_need(
        firm, admin, fields, "汽车车身铝合金焊接", "需要铝合金激光焊接工艺，用于汽车轻量化车身生产"
    )
    deal = make_deal(uni.organisation_id, firm.organisation_id, result.id)
    other_deal = make_deal(uni.organisation_id, third.organisation_id, result.id)
    db.session.commit()
    return {
        "admin": admin,
        "firm": firm,
        "uni": uni,
        "third": third,
        "result": result,
        "need": need,
        "deal": deal,
        "other_deal": other_deal,
    }


def _create(client, form: dict[str, str]) -> Event:
    response = client.post("/events/new", data=form)
    assert response.status_code == 302, _page(response)
    return db.session.scalars(sa.select(Event).order_by(Event.id.desc())).first()


def _into_the_past(event: Event) -> None:
    delta = event.starts_at - (utcnow() - timedelta(minutes=30))
    event.starts_at -= delta
    event.ends_at -= delta
    event.registration_closes_at -= delta
    db.session.commit()


def test_the_whole_flow_of_a_talent_event(client, people):
    p = people
    log_in(client, p["admin"])
    assert client.get("/events/new").status_code == 200
    event = _create(client, FORM)
    assert event.kind == EventKind.TALENT and event.status == EventStatus.DRAFT
    assert event.organiser_org_id == p["admin"].organisation_id
    assert client.get(f"/events/{event.id}/manage").status_code == 200
    assert client.post(f"/events/{event.id}/publish").status_code == 302
    assert event.status == EventStatus.OPEN

    # two organisations register from the event page (an enterprise and a university)
    for who in ("firm", "uni"):
        log_in(client, p[who])
        page = _page(client.get(f"/events/{event.id}"))
        assert "报名参加" in page
        response = client.post(f"/events/{event.id}/register", data={"note": "两人参加"})
        assert response.status_code == 302
        assert "你的机构已报名" in _page(client.get(f"/events/{event.id}"))
    registrations = {r.organisation_id: r for r in event.registrations}
    assert set(registrations) == {p["firm"].organisation_id, p["uni"].organisation_id}

    # only the organiser checks in; everybody else is refused
    reg = registrations[p["firm"].organisation_id]
    for who in ("firm", "uni", "third"):
        log_in(client, p[who])
        assert client.post(f"/events/{event.id}/registrations/{reg.id}/check-in").status_code == 403
        assert client.get(f"/events/{event.id}/manage").status_code == 403
    bank = make_user("bank")
    db.session.commit()
    log_in(client, bank)
    assert client.post(f"/events/{event.id}/registrations/{reg.id}/check-in").status_code == 403
    assert reg.checked_in_at is None
    log_in(client, p["admin"])
    for r in event.registrations:
        assert client.post(f"/events/{event.id}/registrations/{r.id}/check-in").status_code == 302
    assert all(r.checked_in_at is not None for r in event.registrations)
    again = client.post(f"/events/{event.id}/registrations/{reg.id}/check-in")
    assert again.status_code == 409 and "已经签到" in _page(again)
    manage = _page(client.get(f"/events/{event.id}/manage"))
    assert "已签到 2 家 / 报名 2 家" in manage
    assert f"合同 {p['deal'].id}" in manage  # the deal between them is offered
    assert f"合同 {p['other_deal'].id}" not in manage  # the third firm did not register

    # an outcome of kind deal: a deal not between them is refused, theirs is linked
    pair = {"first_org_id": p["firm"].organisation_id, "second_org_id": p["uni"].organisation_id}
    refused = client.post(
        f"/events/{event.id}/outcomes",
        data={"kind": "deal", "deal_id": p["other_deal"].id, **pair},
    )
    assert refused.status_code == 400 and "不是这两家机构之间签订的" in _page(refused)
    assert db.session.query(EventOutcome).count() == 0
    ok = client.post(
        f"/events/{event.id}/outcomes", data={"kind": "deal", "deal_id": p["deal"].id, **pair}
    )
    assert ok.status_code == 302
    client.post(
        f"/events/{event.id}/outcomes",
        data={"kind": "intention", "intention_wan": "300", **pair},
    )
    client.post(f"/events/{event.id}/summary", data={"summary": "现场签约一项，意向一项。"})
    assert [o.deal_id for o in event.outcomes] == [p["deal"].id, None]

    # finish once it has begun; the public list of past events shows it with its outcomes
    early = client.post(f"/events/{event.id}/finish")
    assert early.status_code == 409
    _into_the_past(event)
    assert client.post(f"/events/{event.id}/finish").status_code == 302
    assert event.status == EventStatus.FINISHED
    client.get("/logout")
    with client.session_transaction() as session:
        session.clear()
    past = _page(client.get("/events?status=past"))
    assert FORM["title"] in past
    assert "建立联系 0 项，签订意向 1 项，达成交易 1 项" in past
    assert f"技术合同 {p['deal'].id}" in past
    assert _page(client.get("/events")).count(FORM["title"]) == 0
    page = _page(client.get(f"/events/{event.id}"))
    assert "活动成果" in page and "现场签约一项" in page
    assert p["firm"].organisation.name in page and p["uni"].organisation.name in page
    # the deal is linked for its parties only
    assert f"/deals/{p['deal'].id}" not in page
    log_in(client, p["firm"])
    assert f"/deals/{p['deal'].id}" in _page(client.get(f"/events/{event.id}"))


def test_a_roadshow_shows_each_featured_result_with_its_matched_needs(client, people):
    p = people
    log_in(client, p["admin"])
    roadshow = _create(client, {**FORM, "kind": "roadshow", "title": "新材料成果路演"})
    missing = client.post(
        f"/events/{roadshow.id}/features",
        data={"feature-kind": "result", "feature-listing_id": "999999"},
    )
    assert missing.status_code == 400 and "没有找到该编号的公开成果或需求" in _page(missing)
    found = _page(client.get(f"/events/{roadshow.id}/manage?find=result&q=铝合金"))
    assert p["result"].title in found
    response = client.post(
        f"/events/{roadshow.id}/features",
        data={"feature-kind": "result", "feature-listing_id": p["result"].id},
    )
    assert response.status_code == 302
    assert db.session.query(EventFeature).count() == 1
    client.post(f"/events/{roadshow.id}/publish")
    matching.rebuild_index()
    db.session.commit()
    client.get("/logout")
    with client.session_transaction() as session:
        session.clear()
    page = _page(client.get(f"/events/{roadshow.id}"))
    assert "路演项目" in page and p["result"].title in page
    assert "匹配的企业需求" in page
    assert f'data-listing="result:{p["result"].id}"' in page
    assert p["need"].title in page  # the result's matched need
    listing = _page(client.get("/events?kind=roadshow"))
    assert "新材料成果路演" in listing
    assert "新材料成果路演" not in _page(client.get("/events?kind=talent"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": ""}, "请填写活动名称"),
        ({"location": "", "online_url": ""}, "请填写地点或线上参会链接"),
        ({"online_url": "ftp://example.com"}, "请填写以 http:// 或 https:// 开头的完整链接"),
        ({"capacity": "0"}, "名额应在 1 到 10000 之间"),
        ({"capacity": "很多"}, "名额"),
        ({"starts_at": "明天"}, "请按"),
        ({"registration_closes_at": "2030-06-01T10:00"}, "报名截止时间不能晚于开始时间"),
        ({"kind": "party"}, "活动类型"),
    ],
)
def test_bad_input_is_shown_and_nothing_stored(client, people, change, message):
    log_in(client, people["admin"])
    response = client.post("/events/new", data={**FORM, **change})
    assert response.status_code == 400
    assert message in _page(response)
    assert db.session.query(Event).count() == 0


def test_capacity_is_enforced_on_the_page(client, people):
    p = people
    event = events.create_event(actor=p["admin"], data=event_data(capacity=1))
    events.publish_event(actor=p["admin"], event=event)
    db.session.commit()
    log_in(client, p["firm"])
    assert "剩余名额 1 个" in _page(client.get(f"/events/{event.id}"))
    assert client.post(f"/events/{event.id}/register").status_code == 302
    log_in(client, p["uni"])
    assert "名额已满" in _page(client.get(f"/events/{event.id}"))
    full = client.post(f"/events/{event.id}/register")
    assert full.status_code == 409 and "名额已满" in _page(full)
    assert db.session.query(EventRegistration).count() == 1


def test_who_sees_what(client, people):
    p = people
    draft = events.create_event(actor=p["admin"], data=event_data(title="尚未发布的活动"))
    db.session.commit()
    assert client.get(f"/events/{draft.id}").status_code == 404
    assert "尚未发布的活动" not in _page(client.get("/events"))
    bureau = make_user("bureau")
    db.session.commit()
    log_in(client, bureau)
    assert client.get(f"/events/{draft.id}").status_code == 404
    log_in(client, p["admin"])
    assert client.get(f"/events/{draft.id}").status_code == 200
    assert "尚未发布的活动" in _page(client.get("/events/manage"))
    # a bank creates only 银企对接 events, which appear on the common pages
    bank = make_user("bank")
    db.session.commit()
    log_in(client, bank)
    page = _page(client.get("/events/new"))
    assert "银企对接" in page and "人才活动" not in page
    refused = client.post("/events/new", data=FORM)  # a talent event
    assert refused.status_code == 400
    event = _create(client, {**FORM, "kind": "bank_enterprise", "title": "知识产权质押融资对接会"})
    assert (
        event.kind == EventKind.BANK_ENTERPRISE and event.organiser_org_id == bank.organisation_id
    )
    assert client.post(f"/events/{event.id}/publish").status_code == 302
    manage = _page(client.get(f"/events/{event.id}/manage"))
    assert f"/finance/events/{event.id}/manage" in manage  # its meeting page
    assert "结束活动" not in manage  # a 银企对接 event is finished once its meetings are scheduled
    client.get("/logout")
    with client.session_transaction() as session:
        session.clear()
    listing = _page(client.get("/events?kind=bank_enterprise"))
    assert "知识产权质押融资对接会" in listing
    page = _page(client.get(f"/events/{event.id}"))
    assert "一对一洽谈" in page and "银行 0 家，企业 0 家" in page
    # a university may not register for a 银企对接 event (banks and firms only)
    log_in(client, p["uni"])
    assert client.post(f"/events/{event.id}/register").status_code == 403
    log_in(client, p["firm"])
    assert client.post(f"/events/{event.id}/register").status_code == 302
    page = _page(client.get(f"/events/{event.id}"))
    assert "我的洽谈安排" in page  # its meeting schedule stays under /finance
    assert f"/finance/events/{event.id}/my-schedule" in page
    # the old addresses lead here
    old = client.get(f"/finance/events/{event.id}")
    assert old.status_code == 301 and old.headers["Location"].endswith(f"/events/{event.id}")
    old_list = client.get("/finance/events?status=past")
    assert old_list.status_code == 301
    assert old_list.headers["Location"].endswith("/events?kind=bank_enterprise&status=past")


def test_the_api_lists_events_and_shows_a_finished_one_with_its_outcomes(client, people):
    p = people
    event = events.create_event(actor=p["admin"], data=event_data(title="成果对接会"))
    events.publish_event(actor=p["admin"], event=event)
    for who in ("firm", "uni"):
        events.register(actor=p[who], event=event)
    pair = {"first_org_id": p["firm"].organisation_id, "second_org_id": p["uni"].organisation_id}
    activity.record_outcome(
        actor=p["admin"],
        event=event,
        data=activity.OutcomeData(kind="deal", deal_id=p["deal"].id, **pair),
    )
    draft = events.create_event(actor=p["admin"], data=event_data(title="草稿"))
    db.session.commit()
    upcoming = client.get("/api/v1/events?kind=talent").get_json()
    assert [e["title"] for e in upcoming["items"]] == ["成果对接会"]
    assert upcoming["items"][0]["registered"] == 2
    assert client.get("/api/v1/events?kind=party").status_code == 422
    assert client.get(f"/api/v1/events/{draft.id}").status_code == 404
    _into_the_past(event)
    events.finish_event(actor=p["admin"], event=event)
    db.session.commit()
    past = client.get("/api/v1/events?status=past").get_json()
    assert past["items"][0]["outcomes"]["deals"] == 1
    detail = client.get(f"/api/v1/events/{event.id}").get_json()
    assert detail["outcome_list"][0]["deal_id"] == p["deal"].id
    assert detail["outcome_list"][0]["kind"] == "deal"
