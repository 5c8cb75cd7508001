"""对接 with an expert (人才库): an enterprise sends an enquiry to a public expert profile."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    Deal,
    Enquiry,
    EnquiryStatus,
    ExpertProfile,
    FunnelEvent,
    FunnelStep,
    Notification,
)
from matchmaker.services import matching
from matchmaker.services.challenges import deals
from matchmaker.services.connect import enquiries
from matchmaker.services.errors import InvalidTransition, NotFound, PermissionDenied
from matchmaker.services.talent import expert_review, experts
from tests.conftest import log_in
from tests.connect.helpers import DATA, count
from tests.factories import make_user, publish_need


def publish_expert(owner, admin, fields, name="李敏", **overrides) -> ExpertProfile:
    """Create, submit and approve an expert profile through the services; committed."""
    values = {
        "name": name,
        "unit": "化学学院",
        "field_id": fields["materials"].id,
        "directions": "功能高分子材料",
        "keywords": "高分子",
        "offers": 1,
        "contact_phone": "0431-85166888",
    }
    values.update(overrides)
    expert = experts.create_expert(actor=owner, data=experts.ExpertData(**values))
    experts.submit_expert(actor=owner, expert=expert)
    expert_review.approve_expert(actor=admin, expert=expert)
    db.session.commit()
    return expert


@pytest.fixture
def world(fields):
    admin = make_user("admin")
    uni = make_user("university")
    colleague = make_user("university", organisation=uni.organisation)
    firm = make_user("enterprise")
    db.session.commit()
    expert = publish_expert(uni, admin, fields)
    return {"admin": admin, "uni": uni, "colleague": colleague, "firm": firm, "expert": expert}


def _send(user, expert, data=DATA) -> Enquiry:
    return enquiries.create_enquiry(actor=user, kind="expert", listing_id=expert.id, data=data)


def _kinds(user) -> list[str]:
    return list(
        db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == user.id))
    )


def test_an_enterprise_sends_an_enquiry_to_a_public_expert(world):
    w = world
    enquiry = _send(w["firm"], w["expert"])
    db.session.commit()

    assert enquiry.status == EnquiryStatus.OPEN
    assert enquiry.expert_id == w["expert"].id
    assert enquiry.result_id is None and enquiry.need_id is None
    assert enquiry.owner_org_id == w["uni"].organisation_id
    assert enquiry.listing_kind == "expert"
    # the expert's keepers (every member of its organisation) hear of it
    assert "enquiry.received" in _kinds(w["uni"])
    assert "enquiry.received" in _kinds(w["colleague"])
    note = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == w["uni"].id)
    ).first()
    assert note is not None and note.params["title"] == "李敏"  # the name, not the 职称
    assert enquiries.inbox(actor=w["uni"])[0].id == enquiry.id
    funnel = db.session.scalars(
        sa.select(FunnelEvent).where(FunnelEvent.step == FunnelStep.ENQUIRY)
    ).one()
    assert (funnel.listing_kind, funnel.listing_id) == ("expert", w["expert"].id)


def test_the_expert_own_account_is_told_too(world):
    w = world
    researcher = make_user("university")  # the researcher's own account, elsewhere
    w["expert"].user_id = researcher.id
    db.session.commit()
    _send(w["firm"], w["expert"])
    db.session.commit()
    assert _kinds(researcher) == ["enquiry.received"]


def test_one_open_enquiry_per_organisation_and_expert(world):
    w = world
    _send(w["firm"], w["expert"])
    db.session.commit()
    with pytest.raises(InvalidTransition, match="这位专家"):
        _send(w["firm"], w["expert"])
    db.session.rollback()
    assert count(Enquiry) == 1


def test_own_organisation_unverified_sender_and_hidden_experts_are_refused(world, fields):
    w = world
    with pytest.raises(InvalidTransition, match="本机构的专家"):
        _send(w["colleague"], w["expert"])
    unverified = make_user("enterprise", verified=False)
    db.session.commit()
    with pytest.raises(PermissionDenied):
        _send(unverified, w["expert"])
    draft = experts.create_expert(
        actor=w["uni"],
        data=experts.ExpertData(name="张三", unit="物理学院", field_id=fields["materials"].id),
    )
    db.session.commit()
    with pytest.raises(NotFound):  # never public: the sender may not know it exists
        _send(w["firm"], draft)
    with pytest.raises(NotFound):
        enquiries.create_enquiry(actor=w["firm"], kind="expert", listing_id=999_999, data=DATA)
    experts.withdraw_expert(actor=w["uni"], expert=w["expert"])
    db.session.commit()
    with pytest.raises(InvalidTransition, match="撤下或已过期"):
        _send(w["firm"], w["expert"])
    db.session.rollback()
    assert count(Enquiry) == 0


def test_answer_and_deal_with_the_expert_organisation_as_provider(world):
    w = world
    enquiry = _send(w["firm"], w["expert"])
    enquiries.ask_for_information(actor=w["uni"], enquiry=enquiry, question="请说明应用场景。")
    enquiries.provide_information(actor=w["firm"], enquiry=enquiry, text="用于隔膜涂覆。")
    enquiries.accept_enquiry(actor=w["colleague"], enquiry=enquiry)
    db.session.commit()
    assert enquiry.status == EnquiryStatus.ACCEPTED
    assert "enquiry.accepted" in _kinds(w["firm"])

    deal = deals.record_deal(
        actor=w["firm"],
        terms=deals.DealTerms(
            mode="cooperation",
            amount_wan=Decimal(30),
            payment_form="lump_sum",
            signed_on=date(2026, 11, 20),
        ),
        enquiry=enquiry,
    )
    db.session.commit()
    assert deal.provider_org_id == w["uni"].organisation_id
    assert deal.client_org_id == w["firm"].organisation_id
    assert deal.broker_id is None
    assert deals.title_of(deal) == "李敏"
    assert count(Deal) == 1


def test_web_button_form_and_pages(client, world):
    w = world
    expert = w["expert"]
    log_in(client, w["firm"])
    page = client.get(f"/experts/{expert.id}").get_data(as_text=True)
    assert f"/connect/new?kind=expert&amp;id={expert.id}" in page

    form = client.get(f"/connect/new?kind=expert&id={expert.id}")
    assert form.status_code == 200
    assert "李敏" in form.get_data(as_text=True)
    assert f'href="/experts/{expert.id}"' in form.get_data(as_text=True)

    response = client.post(
        f"/connect/new?kind=expert&id={expert.id}",
        data={"intent": "consulting", "message": "希望请李老师为我们做技术咨询。"},
    )
    assert response.status_code == 302
    enquiry = db.session.scalars(sa.select(Enquiry)).one()
    assert enquiry.expert_id == expert.id

    shown = client.get(f"/connect/{enquiry.id}").get_data(as_text=True)
    assert f'href="/experts/{expert.id}"' in shown
    assert "李敏" in shown
    assert "李敏" in client.get("/connect/inbox?box=sent").get_data(as_text=True)
    log_in(client, w["uni"])
    assert "李敏" in client.get("/connect/inbox").get_data(as_text=True)


def test_web_bad_expert_ids_are_404_not_500(client, world):
    log_in(client, world["firm"])
    assert client.get("/connect/new?kind=expert&id=999999").status_code == 404
    assert client.get("/connect/new?kind=expert&id=99999999999999").status_code == 404
    assert client.get("/connect/new?kind=expert&id=abc").status_code == 404
    response = client.post(
        "/connect/new?kind=expert&id=999999", data={"intent": "consulting", "message": "你好"}
    )
    assert response.status_code == 404
    assert count(Enquiry) == 0


def test_web_own_organisation_sees_why(client, world):
    log_in(client, world["colleague"])
    response = client.get(f"/connect/new?kind=expert&id={world['expert'].id}")
    assert response.status_code == 403
    assert "不能向自己发起对接" in response.get_data(as_text=True)


def test_web_recommended_expert_cards_offer_an_enquiry(client, world, fields):
    w = world
    need = publish_need(
        w["firm"], w["admin"], fields, "功能高分子材料改性", "需要功能高分子材料的改性方案" * 2
    )
    matching.rebuild_index()
    button = f"/connect/new?kind=expert&amp;id={w['expert'].id}&amp;source=recommendation"
    log_in(client, w["firm"])
    page = client.get(f"/my/needs/{need.id}").get_data(as_text=True)
    assert f'data-expert="{w["expert"].id}"' in page  # the engine recommends the expert here
    assert button in page
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert button in page
    # the expert's own organisation and visitors without an account see the card, no button
    log_in(client, w["uni"])
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert f'data-expert="{w["expert"].id}"' in page and button not in page
    with client.session_transaction() as session:
        session.clear()
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "/logout" not in page and button not in page
