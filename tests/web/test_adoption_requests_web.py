"""The result owner's list of adoption requests on its conversion offer (issue 5)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from matchmaker.extensions import db
from matchmaker.models import Mode
from matchmaker.services.challenges import conversion
from matchmaker.services.errors import NotFound
from tests.conftest import log_in
from tests.factories import make_user, publish_result


@pytest.fixture
def offer_with_requests(fields):
    admin = make_user("admin")
    uni = make_user("university")
    firms = [make_user("enterprise"), make_user("enterprise")]
    result = publish_result(uni, admin, fields, "玉米秸秆高值化利用技术", "秸秆制备生物基材料")
    offer = conversion.publish_conversion_offer(
        actor=uni,
        result=result,
        terms=conversion.OfferTerms(
            modes=Mode.LICENSE_NON_EXCLUSIVE | Mode.USE_FIRST_PAY_LATER,
            price_wan=Decimal(40),
            trial_months=3,
        ),
    )
    requests = [
        conversion.request_adoption(
            actor=firms[0],
            offer=offer,
            intended_use="包装材料生产线",
            scale="年产 500 吨",
            wants_trial=True,
        ),
        conversion.request_adoption(
            actor=firms[1], offer=offer, intended_use="农膜替代", scale="示范田 200 亩"
        ),
    ]
    db.session.commit()
    return {"uni": uni, "firms": firms, "offer": offer, "result": result, "requests": requests}


def test_owner_sees_the_requests_with_links_to_decide(client, offer_with_requests):
    t = offer_with_requests
    log_in(client, t["uni"])
    page = client.get(f"/my/results/{t['result'].id}/offer")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="adoption-requests"' in html
    for request, firm in zip(t["requests"], t["firms"], strict=True):
        assert firm.organisation.name in html
        assert request.intended_use in html and request.scale in html
        assert f'href="/my/adoptions/{request.id}/decide"' in html
    assert "希望试用" in html and "待答复" in html


def test_owner_still_sees_the_requests_after_closing_the_offer(client, offer_with_requests):
    t = offer_with_requests
    conversion.close_conversion_offer(actor=t["uni"], offer=t["offer"])
    db.session.commit()
    log_in(client, t["uni"])
    html = client.get(f"/my/results/{t['result'].id}/offer").get_data(as_text=True)
    assert f'href="/my/adoptions/{t["requests"][0].id}/decide"' in html


def test_other_organisations_do_not_see_the_requests(client, offer_with_requests):
    t = offer_with_requests
    other_uni = make_user("university")
    db.session.commit()
    for user in (other_uni, t["firms"][0]):
        log_in(client, user)
        page = client.get(f"/my/results/{t['result'].id}/offer")
        assert page.status_code in (403, 404), user.role
        assert t["requests"][1].intended_use not in page.get_data(as_text=True)
    # The public offer page never lists other organisations' requests.
    log_in(client, t["firms"][0])
    public = client.get(f"/conversion/{t['offer'].id}").get_data(as_text=True)
    assert t["firms"][1].organisation.name not in public
    assert 'id="adoption-requests"' not in public


def test_offer_requests_is_for_the_owner_only(offer_with_requests):
    t = offer_with_requests
    assert len(conversion.offer_requests(actor=t["uni"], offer=t["offer"])) == 2
    with pytest.raises(NotFound):
        conversion.offer_requests(actor=t["firms"][0], offer=t["offer"])
    with pytest.raises(NotFound):
        conversion.offer_requests(actor=make_user("university"), offer=t["offer"])
