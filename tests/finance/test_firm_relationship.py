"""The bank's firm page: this bank's existing relationship with the firm (credit, loans), the
product 匹配度 explained, and 相似企业 that share content."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from matchmaker.extensions import db
from matchmaker.models import ConsentScope, Lead, LeadStatus
from matchmaker.models.base import utcnow
from matchmaker.recommender import floor
from matchmaker.services.finance.firm_relationship import bank_relationship
from tests.factories import make_user, publish_need
from tests.finance_factories import make_financing_need, make_firm, make_product

BASIC_INNO = int(ConsentScope.BASIC | ConsentScope.INNOVATION)
FIBRE = "需要碳纤维复合材料热压成型工艺，用于汽车轻量化零部件的批量生产，降低成本。"


def html_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def bank(login_as):
    return login_as("bank")


def _lead(bank, firm, status, **values) -> Lead:
    lead = Lead(bank_org_id=bank.organisation_id, firm_org_id=firm.organisation_id, status=status)
    for key, value in values.items():
        setattr(lead, key, value)
    db.session.add(lead)
    db.session.commit()
    return lead


def test_the_bank_sees_its_existing_loan_and_no_fresh_request(client, bank):
    firm = make_firm(scopes=BASIC_INNO)
    make_product(bank)
    lead = _lead(
        bank,
        firm,
        LeadStatus.DISBURSED,
        approved_amount_wan=Decimal(1200),
        disbursed_amount_wan=Decimal(1200),
        approved_at=utcnow(),
        disbursed_at=utcnow(),
    )
    other_bank = make_user("bank")
    _lead(other_bank, firm, LeadStatus.REQUESTED)  # another bank's lead is not ours to show
    html = html_of(client.get(f"/finance/firms/{firm.organisation_id}"))
    assert 'id="relationship"' in html
    summary = re.search(r'id="relationship-summary">(.*?)</p>', html, re.S).group(1)
    assert "1,200" in summary and "放款" in summary
    assert f"/finance/leads/{lead.id}" in html
    assert html.count("data-lead=") == 1
    assert "查看往来" in html
    assert 'id="request-contact"' not in html  # not offered as if they had never met
    assert ">发起对接<" not in html


def test_a_live_lead_hides_every_new_request(client, bank):
    firm = make_firm(scopes=BASIC_INNO)
    make_product(bank)
    live = _lead(bank, firm, LeadStatus.IN_CONTACT)
    html = html_of(client.get(f"/finance/firms/{firm.organisation_id}"))
    assert f'href="/finance/leads/{live.id}"' in html and "查看往来" in html
    assert "以此产品发起对接" not in html and "再次发起对接" not in html
    assert "有进行中的对接" in html


def test_without_a_relationship_the_bank_can_request_contact(client, bank, app):
    firm = make_firm(scopes=BASIC_INNO)
    html = html_of(client.get(f"/finance/firms/{firm.organisation_id}"))
    assert 'id="relationship"' not in html and "查看往来" not in html
    if "finance.new_lead" in app.view_functions:
        assert 'id="request-contact"' in html


def test_relationship_sums_credit_and_loans(db):
    bank, firm = make_user("bank"), make_firm()
    assert not bank_relationship(bank.organisation_id, firm.organisation_id).exists
    _lead(bank, firm, LeadStatus.DECLINED)
    _lead(
        bank,
        firm,
        LeadStatus.DISBURSED,
        approved_amount_wan=Decimal(1200),
        disbursed_amount_wan=Decimal(1000),
    )
    _lead(bank, firm, LeadStatus.APPROVED, approved_amount_wan=Decimal(300))
    rel = bank_relationship(bank.organisation_id, firm.organisation_id)
    assert rel.exists and len(rel.leads) == 3
    assert rel.credited_wan == Decimal(1500) and rel.disbursed_wan == Decimal(1000)
    assert rel.live is not None and rel.live.status == LeadStatus.APPROVED
    assert not rel.can_start_new


def test_the_product_fit_is_explained(client, bank):
    firm = make_firm(scopes=BASIC_INNO)
    make_financing_need(firm)
    make_product(bank, requires_high_tech=True)
    db.session.commit()
    html = html_of(client.get(f"/finance/firms/{firm.organisation_id}"))
    assert re.search(r"准入条件占 70 分.*文字相似度占 30 分", html)
    score = int(re.search(r"product-fit\">匹配度 (\d+)/100", html).group(1))
    breakdown = re.search(r"匹配度 (\d+)/100 = 准入条件 ([\d.]+) \+ 文字相似 ([\d.]+)", html)
    assert breakdown is not None and int(breakdown.group(1)) == score
    rules, text = float(breakdown.group(2)), float(breakdown.group(3))
    assert abs(rules + text - score) <= 1
    assert "%" not in re.search(r"product-fit\">(.*?)<", html).group(1)
    assert re.search(r'data-state="ok">.*?\+[\d.]+', html, re.S)  # what each rule added


def test_similar_firms_share_content_on_the_page(client, bank, fields, monkeypatch):
    monkeypatch.setattr(floor, "RELEVANCE_FLOOR", 0.12)
    admin = make_user("admin")
    me = make_firm(scopes=BASIC_INNO)
    twin = make_firm(scopes=BASIC_INNO)
    pharma = make_firm(scopes=BASIC_INNO, key_products="单克隆抗体药物、生物制药原料")
    publish_need(me, admin, fields, "碳纤维复合材料成型工艺", FIBRE)
    publish_need(twin, admin, fields, "碳纤维复合材料热压成型", FIBRE + "要求拉伸强度稳定。")
    publish_need(
        pharma,
        admin,
        fields,
        "单克隆抗体纯化",
        "需要单克隆抗体的层析纯化工艺放大，用于抗体药物中试生产。",
        field="biomedicine",
    )
    html = html_of(client.get(f"/finance/firms/{me.organisation_id}"))
    similar = re.findall(r'class="mb-2 similar-firm" data-org="(\d+)"', html)
    assert similar == [str(twin.organisation_id)]
    section = html[html.index('id="similar"') :]
    assert "碳纤维" in section and "匹配度" in section
