"""登记合同 from a conversation: a deal recorded from an accepted enquiry (service and web)."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Deal, Mode
from matchmaker.services.challenges import deals
from matchmaker.services.connect import enquiries
from matchmaker.services.errors import InvalidTransition, NotFound
from tests.conftest import log_in
from tests.factories import make_user, publish_need, publish_result

TERMS = deals.DealTerms(
    mode="transfer",
    amount_wan=Decimal(120),
    payment_form="lump_sum",
    contract_number="2201012026000777",
    signed_on=date(2026, 11, 20),
)
FORM = {"mode": "transfer", "amount_wan": "120", "payment_form": "lump_sum"}


@pytest.fixture
def world(fields):
    admin = make_user("admin")
    uni = make_user("university")
    firm = make_user("enterprise")
    third = make_user("enterprise")
    result = publish_result(
        uni, admin, fields, "碳纤维连续碳化技术", "连续碳化工艺，能耗降低两成，已完成中试验证。"
    )
    need = publish_need(
        firm, admin, fields, "高强度碳纤维原丝工艺", "需要提升碳纤维原丝的强度与一致性" * 2
    )
    db.session.commit()
    return {"uni": uni, "firm": firm, "third": third, "result": result, "need": need}


def _enquiry(sender, owner, kind, listing, *, intent="transfer", accept=True):
    enquiry = enquiries.create_enquiry(
        actor=sender,
        kind=kind,
        listing_id=listing.id,
        data=enquiries.EnquiryData(intent=intent, message="希望进一步了解合作条件。"),
    )
    if accept:
        enquiries.accept_enquiry(actor=owner, enquiry=enquiry)
    db.session.commit()
    return enquiry


def test_deal_from_a_result_enquiry_has_the_owner_as_provider(world):
    w = world
    enquiry = _enquiry(w["firm"], w["uni"], "result", w["result"])
    deal = deals.record_deal(actor=w["firm"], terms=TERMS, enquiry=enquiry)
    db.session.commit()
    assert deal.enquiry_id == enquiry.id
    assert deal.application_id is None and deal.adoption_request_id is None
    assert (deal.provider_org_id, deal.client_org_id) == (
        w["uni"].organisation_id,
        w["firm"].organisation_id,
    )
    assert deal.status == "active" and enquiry.status == "accepted"
    assert deals.title_of(deal) == w["result"].title
    assert deals.deal_of_enquiry(enquiry) is deal


def test_deal_from_a_need_enquiry_has_the_sender_as_provider(world):
    w = world
    enquiry = _enquiry(w["uni"], w["firm"], "need", w["need"], intent="co_develop")
    deal = deals.record_deal(actor=w["uni"], terms=TERMS, enquiry=enquiry)
    assert (deal.provider_org_id, deal.client_org_id) == (
        w["uni"].organisation_id,
        w["firm"].organisation_id,
    )
    assert deals.title_of(deal) == w["need"].title


def test_refused_before_acceptance_twice_and_for_a_third_org(world):
    w = world
    waiting = _enquiry(w["firm"], w["uni"], "result", w["result"], accept=False)
    with pytest.raises(InvalidTransition):
        deals.record_deal(actor=w["uni"], terms=TERMS, enquiry=waiting)
    enquiries.accept_enquiry(actor=w["uni"], enquiry=waiting)
    with pytest.raises(NotFound):
        deals.record_deal(actor=w["third"], terms=TERMS, enquiry=waiting)
    deals.record_deal(actor=w["uni"], terms=TERMS, enquiry=waiting)
    with pytest.raises(InvalidTransition):
        deals.record_deal(actor=w["firm"], terms=TERMS, enquiry=waiting)
    with pytest.raises(ValueError, match="exactly one"):
        deals.record_deal(actor=w["firm"], terms=TERMS)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Deal)) == 1


def _url(enquiry) -> str:
    return f"/my/deals/new/enquiry/{enquiry.id}"


def test_the_deal_form_is_filled_from_the_conversation_and_links_the_deal(client, world):
    w = world
    enquiry = _enquiry(w["firm"], w["uni"], "result", w["result"], intent="trial")
    log_in(client, w["firm"])
    form = client.get(_url(enquiry))
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert w["result"].title in html
    assert w["uni"].organisation.name in html and w["firm"].organisation.name in html
    assert '<option selected value="use_first_pay_later">' in html  # 试用 -> 先使用后付费
    recorded = client.post(_url(enquiry), data=FORM)
    assert recorded.status_code == 302
    deal = db.session.scalars(sa.select(Deal)).one()
    assert recorded.headers["Location"].endswith(f"/my/deals/{deal.id}")
    assert deal.enquiry_id == enquiry.id
    assert deal.provider_org_id == w["uni"].organisation_id
    assert client.get(f"/my/deals/{deal.id}").status_code == 200
    assert w["result"].title in client.get("/my/deals").get_data(as_text=True)
    # Twice: the form sends to the recorded deal; a second record is refused.
    again = client.get(_url(enquiry))
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/my/deals/{deal.id}")
    assert client.post(_url(enquiry), data=FORM).status_code == 409
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Deal)) == 1


@pytest.mark.parametrize(
    ("intent", "mode"),
    [
        ("transfer", "transfer"),
        ("license", "license_exclusive"),  # the licence the result offers
        ("co_develop", "cooperation"),
        ("trial", "use_first_pay_later"),
    ],
)
def test_the_mode_follows_the_intent(client, world, intent, mode):
    w = world
    w["result"].modes = int(Mode.TRANSFER | Mode.LICENSE_EXCLUSIVE)
    enquiry = _enquiry(w["firm"], w["uni"], "result", w["result"], intent=intent)
    log_in(client, w["uni"])
    html = client.get(_url(enquiry)).get_data(as_text=True)
    assert f'<option selected value="{mode}">' in html


def test_refused_when_not_accepted_and_for_a_third_org(client, world):
    w = world
    waiting = _enquiry(w["uni"], w["firm"], "need", w["need"], accept=False)
    log_in(client, w["uni"])
    assert client.get(_url(waiting)).status_code == 409
    assert client.post(_url(waiting), data=FORM).status_code == 409
    enquiries.accept_enquiry(actor=w["firm"], enquiry=waiting)
    db.session.commit()
    for outsider in (w["third"], make_user("bank"), make_user("admin")):
        db.session.commit()
        log_in(client, outsider)
        assert client.get(_url(waiting)).status_code == 404
        assert client.post(_url(waiting), data=FORM).status_code == 404
    assert client.get("/my/deals/new/enquiry/999999").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Deal)) == 0


def test_a_deal_from_a_conversation_about_a_result_converts_it(world):
    from matchmaker.services.platform import stats

    w = world
    assert stats.deal_statistics()["results_converted"] == 0
    need_deal = _enquiry(w["uni"], w["firm"], "need", w["need"])
    deals.record_deal(actor=w["firm"], terms=TERMS, enquiry=need_deal)
    db.session.commit()
    assert stats.deal_statistics()["results_converted"] == 0  # about a need: no result converted
    enquiry = _enquiry(w["firm"], w["uni"], "result", w["result"])
    deals.record_deal(
        actor=w["firm"],
        terms=dataclasses.replace(TERMS, contract_number=None),
        enquiry=enquiry,
    )
    db.session.commit()
    assert stats.deal_statistics()["results_converted"] == 1
