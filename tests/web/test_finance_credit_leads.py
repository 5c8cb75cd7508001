"""Leads, the bureau's statistics and the dashboard panels through the web pages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    Event,
    EventMeeting,
    Lead,
    LeadStatus,
    MeetingStatus,
    ProfileView,
    ViewAction,
)
from matchmaker.models.base import utcnow
from matchmaker.services.finance import consent, leads
from tests.conftest import log_in
from tests.factories import make_user
from tests.finance_factories import make_financing_need, make_firm, make_product


def _lead() -> Lead:
    return db.session.scalar(sa.select(Lead))


def test_request_answer_approve_disburse_and_the_figures_show(client, db):
    bank = make_user("bank")
    product = make_product(bank, name="吉科科创贷")
    firm = make_firm()
    need = make_financing_need(firm)
    admin = make_user("admin")
    db.session.commit()

    # the bank asks to contact the firm
    log_in(client, bank)
    url = f"/finance/firms/{firm.organisation_id}/lead"
    form = client.get(f"{url}?product={product.id}&need={need.id}")
    assert form.status_code == 200
    assert "吉科科创贷" in form.get_data(as_text=True)
    response = client.post(
        url,
        data={"product_id": product.id, "financing_need_id": need.id, "message": "期待合作"},
    )
    assert response.status_code == 302
    lead = _lead()
    assert response.headers["Location"].endswith(f"/finance/leads/{lead.id}")
    assert lead.status == LeadStatus.REQUESTED
    view = db.session.scalar(sa.select(ProfileView))
    assert view.action == ViewAction.LEAD
    # asking twice is refused with the reason
    again = client.post(url, data={"message": "再次请求"})
    assert again.status_code == 409
    assert "已有进行中的对接" in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Lead)) == 1
    bank_page = client.get(f"/finance/leads/{lead.id}").get_data(as_text=True)
    assert "撤回请求" in bank_page and "提交答复" not in bank_page

    # the firm sees the request and accepts
    log_in(client, firm)
    listing = client.get("/finance/leads").get_data(as_text=True)
    assert bank.organisation.name in listing
    page = client.get(f"/finance/leads/{lead.id}").get_data(as_text=True)
    assert "期待合作" in page and "提交答复" in page and "记录授信" not in page
    assert client.post(f"/finance/leads/{lead.id}/answer", data={}).status_code == 400
    assert client.post(f"/finance/leads/{lead.id}/contact").status_code == 403  # not a bank
    response = client.post(
        f"/finance/leads/{lead.id}/answer", data={"decision": "accept", "reply": "欢迎来访"}
    )
    assert response.status_code == 302
    db.session.refresh(lead)
    assert lead.status == LeadStatus.ACCEPTED and lead.firm_reply == "欢迎来访"

    # the bank: in contact, a bad approval, an approval, a too-large and a right disbursement
    log_in(client, bank)
    assert client.post(f"/finance/leads/{lead.id}/contact").status_code == 302
    bad = client.post(
        f"/finance/leads/{lead.id}/approve", data={"amount_wan": "0", "product_id": product.id}
    )
    assert bad.status_code == 400 and "金额应大于 0。" in bad.get_data(as_text=True)
    garbage = client.post(
        f"/finance/leads/{lead.id}/approve", data={"amount_wan": "abc", "product_id": "x"}
    )
    assert garbage.status_code == 400
    ok = client.post(
        f"/finance/leads/{lead.id}/approve", data={"amount_wan": "500", "product_id": product.id}
    )
    assert ok.status_code == 302
    too_much = client.post(f"/finance/leads/{lead.id}/disburse", data={"amount_wan": "600"})
    assert too_much.status_code == 400
    assert "放款金额不能超过授信金额" in too_much.get_data(as_text=True)
    assert (
        client.post(
            f"/finance/leads/{lead.id}/disburse", data={"amount_wan": "400", "first_loan": "y"}
        ).status_code
        == 302
    )
    db.session.refresh(lead)
    assert lead.status == LeadStatus.DISBURSED and lead.first_loan
    assert lead.disbursed_amount_wan == Decimal(400)
    history = client.get(f"/finance/leads/{lead.id}").get_data(as_text=True)
    for step in ("银行发起对接请求", "企业同意对接", "银行批准授信", "银行已放款"):
        assert step in history

    # the bureau's figures
    log_in(client, admin)
    stats = client.get("/finance/stats")
    assert stats.status_code == 200
    html = stats.get_data(as_text=True)
    assert '<div class="stat-number stat-money" id="stat-approved">500 万元</div>' in html
    assert '<div class="stat-number stat-money" id="stat-disbursed">400 万元</div>' in html
    assert '<div class="stat-number" id="stat-first-loans">1</div>' in html
    assert 'data-stage="disbursed" data-count="1"' in html
    assert bank.organisation.name in html
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert '<div class="stat-number stat-money" id="panel-approved">500 万元</div>' in dashboard
    assert 'id="panel-consenting">1<' in dashboard
    assert client.get(f"/finance/leads/{lead.id}").status_code == 200  # the bureau may look


def test_reject_and_withdraw_through_the_pages(client, db):
    bank = make_user("bank")
    firm = make_firm()
    lead = leads.request_contact(actor=bank, firm_org_id=firm.organisation_id)
    db.session.commit()
    log_in(client, bank)
    assert client.post(f"/finance/leads/{lead.id}/withdraw").status_code == 302
    db.session.refresh(lead)
    assert lead.status == LeadStatus.WITHDRAWN
    # a withdrawn lead cannot be withdrawn again
    assert client.post(f"/finance/leads/{lead.id}/withdraw").status_code == 409

    second = leads.request_contact(actor=bank, firm_org_id=firm.organisation_id)
    leads.answer_lead(actor=firm, lead=second, accept=True)
    leads.mark_in_contact(actor=bank, lead=second)
    db.session.commit()
    no_reason = client.post(f"/finance/leads/{second.id}/reject", data={"note": "x"})
    assert no_reason.status_code == 400
    other = client.post(f"/finance/leads/{second.id}/reject", data={"reason": "other"})
    assert other.status_code == 400
    assert "选择“其他原因”时请填写说明。" in other.get_data(as_text=True)
    response = client.post(
        f"/finance/leads/{second.id}/reject",
        data={"reason": "insufficient_revenue", "note": "近两年营收下降"},
    )
    assert response.status_code == 302
    log_in(client, firm)
    page = client.get(f"/finance/leads/{second.id}").get_data(as_text=True)
    assert "经营收入不足" in page and "近两年营收下降" in page


def test_no_consent_no_request_page_and_revoked_consent_keeps_the_lead(client, db):
    bank = make_user("bank")
    silent = make_firm(scopes=None)
    firm = make_firm()
    lead = leads.request_contact(actor=bank, firm_org_id=firm.organisation_id)
    db.session.commit()
    log_in(client, bank)
    assert client.get(f"/finance/firms/{silent.organisation_id}/lead").status_code == 404
    assert client.post(f"/finance/firms/{silent.organisation_id}/lead").status_code == 404
    consent.revoke(actor=firm)
    db.session.commit()
    page = client.get(f"/finance/leads/{lead.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert firm.organisation.name in html
    assert "企业当前未授权查看画像" in html
    assert f'/finance/firms/{firm.organisation_id}"' not in html
    assert firm.organisation.name in client.get("/finance/leads").get_data(as_text=True)
    assert client.get(f"/finance/firms/{firm.organisation_id}/lead").status_code == 404


def test_a_meeting_opens_the_request_page_without_consent(client, db):
    bank = make_user("bank")
    firm = make_firm(scopes=None)
    start = utcnow() + timedelta(days=2)
    event = Event(
        organiser_org_id=bank.organisation_id,
        title="银企对接会",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        registration_closes_at=start - timedelta(days=1),
    )
    db.session.add(event)
    db.session.flush()
    meeting = EventMeeting(
        event_id=event.id,
        bank_org_id=bank.organisation_id,
        firm_org_id=firm.organisation_id,
        starts_at=start,
        status=MeetingStatus.CONFIRMED,
    )
    db.session.add(meeting)
    db.session.commit()
    log_in(client, bank)
    url = f"/finance/firms/{firm.organisation_id}/lead"
    assert client.get(url).status_code == 404
    assert client.get(f"{url}?meeting={meeting.id}").status_code == 200
    assert client.get(f"{url}?meeting=abc").status_code == 404
    response = client.post(url, data={"meeting_id": str(meeting.id), "message": "会上聊过"})
    assert response.status_code == 302
    assert _lead().meeting_id == meeting.id
    # another bank cannot use this meeting
    log_in(client, make_user("bank"))
    db.session.commit()
    assert client.get(f"{url}?meeting={meeting.id}").status_code == 404


def test_outsiders_get_404_on_a_lead(client, db):
    """SECURITY.md row 15 (v5.0.0-8.2.2)."""
    bank = make_user("bank")
    firm = make_firm()
    lead = leads.request_contact(actor=bank, firm_org_id=firm.organisation_id)
    other_bank, other_firm = make_user("bank"), make_firm()
    db.session.commit()
    log_in(client, other_bank)
    assert client.get(f"/finance/leads/{lead.id}").status_code == 404
    for step in ("withdraw", "contact", "approve", "reject", "disburse"):
        assert client.post(f"/finance/leads/{lead.id}/{step}").status_code == 404
    assert bank.organisation.name not in client.get("/finance/leads").get_data(as_text=True)
    log_in(client, other_firm)
    assert client.get(f"/finance/leads/{lead.id}").status_code == 404
    assert client.post(
        f"/finance/leads/{lead.id}/answer", data={"decision": "accept"}
    ).status_code == (404)
    db.session.refresh(lead)
    assert lead.status == LeadStatus.REQUESTED


def test_bank_dashboard_panel(client, db):
    bank = make_user("bank")
    make_product(bank, name="吉科科创贷")
    make_firm()
    firm = make_firm()
    leads.request_contact(actor=bank, firm_org_id=firm.organisation_id)
    db.session.commit()
    log_in(client, bank)
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'id="finance-bank-panel"' in html
    assert 'id="panel-consenting">2<' in html
    assert '<dd class="col-5 mb-1" data-status="published">1</dd>' in html
    assert 'data-status="requested"' in html and "/finance/leads?status=requested" in html
