"""Where "发起对接" starts (listing pages, recommendation cards, the conversion list), the navbar
link, the organisation's response record and the shortcuts of a conversation."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Enquiry
from matchmaker.models.base import utcnow
from matchmaker.services.challenges import conversion
from matchmaker.services.connect import conversations, enquiries
from matchmaker.services.connect.enquiry_states import ENQUIRY
from tests.conftest import log_in
from tests.factories import make_user, publish_need, publish_result
from tests.services.challenge_helpers import challenge_world

CARBON = "碳纤维复合材料热压成型工艺，拉伸强度3.5GPa，成本降低30%，适用于汽车轻量化部件。"
DATA = enquiries.EnquiryData(intent="license", message="希望获得该技术的实施许可。")


@pytest.fixture
def world(fields):
    """A university's result and an enterprise's need that match each other, a bank, an admin."""
    admin = make_user("admin")
    uni = make_user("university")
    firm = make_user("enterprise")
    bank = make_user("bank")
    result = publish_result(uni, admin, fields, "碳纤维热压成型工艺", CARBON)
    need = publish_need(firm, admin, fields, "碳纤维复合材料成型", "需要碳纤维热压成型" + CARBON)
    db.session.commit()
    return {"admin": admin, "uni": uni, "firm": firm, "bank": bank, "result": result, "need": need}


def _new_link(kind: str, listing_id: int, **extra: object) -> str:
    query = "".join(f"&amp;{k}={v}" for k, v in extra.items())
    return f"/connect/new?kind={kind}&amp;id={listing_id}{query}"


def test_need_page_and_its_recommendation_cards_offer_an_enquiry(client, world):
    need, result = world["need"], world["result"]
    log_in(client, world["uni"])
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert _new_link("need", need.id) in page
    assert _new_link("result", result.id, source="recommendation") not in page  # its own result
    log_in(client, world["bank"])
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert _new_link("need", need.id) in page
    assert _new_link("result", result.id, source="recommendation") in page


def test_for_you_cards_offer_an_enquiry_that_records_its_source(client, world):
    log_in(client, world["firm"])
    page = client.get("/dashboard").get_data(as_text=True)
    link = _new_link("result", world["result"].id, source="recommendation")
    assert link in page
    sent = client.post(
        link.replace("&amp;", "&"), data={"intent": "transfer", "message": "希望受让这项技术。"}
    )
    assert sent.status_code == 302
    enquiry = db.session.scalars(sa.select(Enquiry)).one()
    assert str(enquiry.source) == "recommendation" and enquiry.result_id == world["result"].id


def test_conversion_list_entries_offer_an_enquiry(client, world):
    offer = conversion.publish_conversion_offer(
        actor=world["uni"],
        result=world["result"],
        terms=conversion.OfferTerms(modes=1, price_wan=Decimal(30)),
    )
    db.session.commit()
    link = _new_link("result", world["result"].id, source="conversion", offer=offer.id)
    log_in(client, world["firm"])
    assert link in client.get("/conversion").get_data(as_text=True)
    assert link in client.get(f"/conversion/{offer.id}").get_data(as_text=True)
    sent = client.post(link.replace("&amp;", "&"), data={"intent": "trial", "message": "先试用。"})
    assert sent.status_code == 302
    enquiry = db.session.scalars(sa.select(Enquiry)).one()
    assert str(enquiry.source) == "conversion" and enquiry.offer_id == offer.id
    log_in(client, world["uni"])  # the owner sees no button on its own offer
    assert "/connect/new" not in client.get(f"/conversion/{offer.id}").get_data(as_text=True)


def test_navbar_link_with_the_waiting_count(client, world):
    for who in ("admin",):
        log_in(client, world[who])
        assert 'href="/connect/inbox"' not in client.get("/dashboard").get_data(as_text=True)
    pending = make_user("enterprise", verified=False)
    db.session.commit()
    log_in(client, pending)
    assert 'href="/connect/inbox"' not in client.get("/dashboard").get_data(as_text=True)
    log_in(client, world["uni"])
    assert 'href="/connect/inbox">对接</a>' in client.get("/dashboard").get_data(as_text=True)
    enquiries.create_enquiry(
        actor=world["firm"], kind="result", listing_id=world["result"].id, data=DATA
    )
    db.session.commit()
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/connect/inbox">对接 <span class="badge' in page and ">1</span>" in page


def test_organisation_page_shows_the_response_record_after_a_month(client, world):
    org_url = f"/orgs/{world['uni'].organisation_id}"
    enquiry = enquiries.create_enquiry(
        actor=world["firm"], kind="result", listing_id=world["result"].id, data=DATA
    )
    db.session.commit()
    assert "对接回复率" not in client.get(org_url).get_data(as_text=True)
    enquiry.created_at = utcnow() - timedelta(days=40)
    enquiry.answered_at = enquiry.created_at + timedelta(hours=6)
    db.session.commit()
    page = client.get(org_url).get_data(as_text=True)
    assert "对接回复率 100%" in page and "回复时间中位数 6.0 小时" in page


def test_conversation_shortcuts_deal_and_challenge(client, fields):
    w = challenge_world(fields)
    enquiry = enquiries.create_enquiry(
        actor=w["uni_a"], kind="need", listing_id=w["need"].id, data=DATA
    )
    db.session.commit()
    log_in(client, w["uni_a"])
    page = client.get(f"/connect/{enquiry.id}").get_data(as_text=True)
    apply_url = f"/challenges/{w['challenge'].id}/apply"
    assert apply_url in page and "提交揭榜申请" in page
    assert "用我的成果揭榜" in page and f'value="{w["result"].id}"' in page
    assert f"/my/deals/new/enquiry/{enquiry.id}" not in page  # not accepted yet
    log_in(client, w["owner"])
    page = client.get(f"/connect/{enquiry.id}").get_data(as_text=True)
    assert apply_url not in page  # the challenge's owner does not apply to itself
    assert client.post(f"/connect/{enquiry.id}/accept").status_code == 302
    page = client.get(f"/connect/{enquiry.id}").get_data(as_text=True)
    assert f"/my/deals/new/enquiry/{enquiry.id}" in page and "登记合同" in page


# --- the buttons come from the ENQUIRY machine and the user's side ----------------------------
ACTION_URL = re.compile(r'(?:action|href)="/(?:connect|my/deals/new/enquiry)/\d+(/[a-z]+)?"')
SUFFIX_ACTION = {
    "/accept": "accept",
    "/decline": "decline",
    "/ask": "ask_info",
    "/answer": "provide_info",
    "/withdraw": "withdraw",
    "/close": "close",
    "/messages": "message",
    "": "record_deal",  # /my/deals/new/enquiry/<id>
}
OWNER_ACTIONS = {"accept", "decline", "ask_info", "message", "close", "record_deal"}
SENDER_ACTIONS = {"provide_info", "withdraw", "message", "close", "record_deal"}


def _bring_to(state: str, world) -> Enquiry:
    firm, uni = world["firm"], world["uni"]
    enquiry = enquiries.create_enquiry(
        actor=firm, kind="result", listing_id=world["result"].id, data=DATA
    )
    if state == "info_requested":
        enquiries.ask_for_information(actor=uni, enquiry=enquiry, question="请补充产能。")
    elif state in ("accepted", "closed"):
        enquiries.accept_enquiry(actor=uni, enquiry=enquiry)
        if state == "closed":
            conversations.close_conversation(actor=uni, enquiry=enquiry, outcome="offline")
    elif state == "declined":
        enquiries.decline_enquiry(actor=uni, enquiry=enquiry, code="terms", reason="不合适。")
    elif state == "withdrawn":
        enquiries.withdraw_enquiry(actor=firm, enquiry=enquiry)
    db.session.commit()
    assert str(enquiry.status) == state
    return enquiry


@pytest.mark.parametrize(
    "state", ["open", "info_requested", "accepted", "declined", "withdrawn", "closed"]
)
@pytest.mark.parametrize(("who", "side"), [("uni", OWNER_ACTIONS), ("firm", SENDER_ACTIONS)])
def test_enquiry_page_offers_exactly_the_legal_steps_of_the_users_side(
    client, world, state, who, side
):
    enquiry = _bring_to(state, world)
    log_in(client, world[who])
    page = client.get(f"/connect/{enquiry.id}").get_data(as_text=True)
    found = {SUFFIX_ACTION[m.group(1) or ""] for m in ACTION_URL.finditer(page)}
    assert found == set(ENQUIRY.allowed(enquiry)) & side
