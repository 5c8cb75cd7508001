"""技术经纪人 pages: registration, the refusals, the public page's figures, the dashboards."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import url_for

from matchmaker.extensions import db
from matchmaker.models import AuditLog, BrokerProfile, BrokerStatus, EnquiryStatus, User
from matchmaker.web.policy import PUBLIC, policy_of
from tests.conftest import log_in
from tests.connect.helpers import make_world
from tests.factories import make_broker, make_user
from tests.talent.broker_helpers import introduce, record_deal
from tests.web.test_access_matrix import url_values

FORM = {
    "name": "李经纪",
    "email": "li@example.com",
    "phone": "13812345678",
    "password": "a long pass phrase 2026",
    "confirm": "a long pass phrase 2026",
    "licence_number": "JL-2026-000777",
    "issuing_body": "吉林省科学技术厅",
    "organisation": "",
    "fields_text": "新材料",
    "biography": "十年技术转移经验。",
}


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_register_page_is_linked_from_the_organisation_registration(client):
    page = _text(client.get("/auth/register"))
    assert 'href="/brokers/register"' in page
    assert "注册为技术经纪人" in _text(client.get("/brokers/register"))


def test_broker_registration_creates_a_pending_broker(client):
    response = client.post("/brokers/register", data=FORM)
    assert response.status_code == 302
    # not logged in: the same answer as for a taken address (tests/web/test_enumeration.py)
    assert response.headers["Location"] == "/auth/register/sent"
    user = db.session.scalar(sa.select(User).where(User.email == "li@example.com"))
    assert user is not None and user.role == "broker"
    log_in(client, user)
    dashboard = _text(client.get("/dashboard"))
    assert "等待管理员核验证书" in dashboard
    assert 'href="/brokers/needs"' in dashboard


def test_bad_registration_shows_every_error_and_stores_nothing(client):
    taken = make_broker().licence_number
    db.session.commit()
    before = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    data = {**FORM, "licence_number": taken, "issuing_body": "", "confirm": "different"}
    response = client.post("/brokers/register", data=data)
    page = _text(response)
    assert response.status_code == 200
    assert "这个证书编号已经登记过" in page
    assert "请填写发证机构。" in page
    assert "两次输入的密码不一致。" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == before
    bad = client.post("/brokers/register", data={**FORM, "licence_number": "中文编号"})
    assert "证书编号格式不正确" in _text(bad)


def test_english_registration_errors(client):
    with client.session_transaction() as session:
        session["locale"] = "en"
    response = client.post("/brokers/register", data={**FORM, "email": "not an e-mail"})
    assert response.status_code == 200
    assert 'lang="en"' in _text(response)


def test_an_unverified_broker_is_refused_with_a_message(client, fields):
    world = make_world(fields)
    broker = make_broker(verified=False)
    db.session.commit()
    log_in(client, broker.user)
    page = _text(client.get("/brokers/needs"))
    assert "等待管理员核验证书" in page
    assert f"/brokers/needs/{world.need.id}/claim" not in page  # no button to press
    response = client.post(f"/brokers/needs/{world.need.id}/claim")
    assert response.status_code == 403
    assert "管理员核验您的技术经纪人证书后才能跟进需求和引荐。" in _text(response)


def test_a_verified_broker_claims_and_sees_the_need_on_its_dashboard(client, fields):
    world = make_world(fields)
    broker = make_broker()
    db.session.commit()
    log_in(client, broker.user)
    assert f"/brokers/needs/{world.need.id}/claim" in _text(client.get("/brokers/needs"))
    response = client.post(f"/brokers/needs/{world.need.id}/claim")
    assert response.status_code == 302
    dashboard = _text(client.get("/dashboard"))
    assert world.need.title in dashboard
    assert "对接请求 0 条" in dashboard
    client.post(f"/brokers/needs/{world.need.id}/release")
    assert world.need.title not in _text(client.get("/dashboard"))


def test_claiming_the_own_organisations_need_is_refused(client, fields):
    world = make_world(fields)
    broker = make_broker(broker_organisation=world.ent.organisation)
    db.session.commit()
    log_in(client, broker.user)
    response = client.post(f"/brokers/needs/{world.need.id}/claim")
    assert response.status_code == 403
    assert "不能跟进本机构发布的需求" in _text(response)


def test_a_broker_sees_no_finance_route(app, client):
    """Every finance route that is not public refuses a verified broker."""
    broker = make_broker()
    db.session.commit()
    log_in(client, broker.user)
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("finance."):
            continue
        if policy_of(app.view_functions[rule.endpoint]) == PUBLIC:
            continue
        with app.test_request_context():
            url = url_for(rule.endpoint, **url_values(rule.endpoint, set(rule.arguments)))
        method = "get" if "GET" in rule.methods else "post"
        response = getattr(client, method)(url)
        assert response.status_code in (403, 404), (rule.endpoint, response.status_code)
        checked += 1
    assert checked > 20


def test_public_page_figures_come_from_the_rows(client, fields):
    world = make_world(fields)
    broker = make_broker()

    def made(status):
        return introduce(
            broker, world.need, owner=world.uni, admin=world.admin, fields=fields, status=status
        )

    accepted = made(EnquiryStatus.ACCEPTED)
    record_deal(accepted, amount=150, fee=5)
    declined = [made(EnquiryStatus.DECLINED), made(EnquiryStatus.DECLINED)]
    proposed = made(EnquiryStatus.PROPOSED)
    withdrawn = made(EnquiryStatus.WITHDRAWN)
    db.session.commit()
    page = _text(client.get(f"/brokers/{broker.id}"))
    assert re.search(r'id="stat-introductions">5<', page)
    assert re.search(r'id="stat-accepted">1<', page)
    assert re.search(r'id="stat-rate">\s*33%', page)  # 1 of 3 decided
    assert re.search(r'id="stat-deals">1<', page)
    assert broker.licence_number in page
    assert world.need.title in page
    assert "独立经纪人" in page
    assert broker.user.email not in page  # contact only for signed-in users
    # privacy: no contract amount or fee, and only introductions both sides went ahead with
    assert "150 万元" not in page and "万元" not in page
    assert "合同金额" not in page and "经纪费" not in page
    recent = re.search(r'<ul class="list-group" id="recent-introductions">(.*?)</ul>', page, re.S)
    assert recent is not None
    assert accepted.result.title in recent.group(1)
    for hidden in [*declined, proposed, withdrawn]:
        assert hidden.result.title not in page
    # the broker itself and the admin see the amounts and fees
    log_in(client, broker.user)
    dashboard = _text(client.get("/dashboard"))
    assert re.search(r'id="dash-amounts">.*150 万元.*5 万元', dashboard, re.S)
    log_in(client, world.admin)
    assert "5 万元" in _text(client.get("/dashboard"))
    log_in(client, make_user("enterprise"))
    signed_in = _text(client.get(f"/brokers/{broker.id}"))
    assert broker.user.email in signed_in
    assert "150 万元" not in signed_in


@pytest.mark.parametrize("status", ["pending", "rejected", "suspended"])
def test_only_verified_brokers_have_a_public_page(client, status):
    broker = make_broker(verified=False)
    broker.status = BrokerStatus(status)
    db.session.commit()
    assert client.get(f"/brokers/{broker.id}").status_code == 404
    assert broker.user.name not in _text(client.get("/brokers"))


def test_admin_reviews_a_broker(client):
    admin = make_user("admin")
    broker = make_broker(verified=False)
    db.session.commit()
    log_in(client, admin)
    queue = _text(client.get("/admin/brokers?status=pending"))
    assert broker.licence_number in queue
    refused = client.post(f"/admin/brokers/{broker.id}/reject", data={"reject-reason": ""})
    assert refused.status_code == 400
    assert "请填写原因。" in _text(refused)
    assert client.post(f"/admin/brokers/{broker.id}/verify").status_code == 302
    db.session.refresh(broker)
    assert broker.status == BrokerStatus.VERIFIED
    actions = db.session.scalars(
        sa.select(AuditLog.action).where(AuditLog.object_type == "broker")
    ).all()
    assert actions == ["broker.verify"]
    assert "技术经纪人 · 证书核验通过" in _text(client.get(f"/admin/brokers/{broker.id}"))
    suspended = client.post(
        f"/admin/brokers/{broker.id}/suspend", data={"suspend-reason": "投诉核实中"}
    )
    assert suspended.status_code == 302
    db.session.refresh(broker)
    assert broker.status == BrokerStatus.SUSPENDED


def test_admin_assigns_a_need_and_ends_it(client, fields):
    world = make_world(fields)
    broker = make_broker()
    db.session.commit()
    log_in(client, world.admin)
    page = _text(client.get(f"/admin/brokers/{broker.id}"))
    assert world.need.title in page
    response = client.post(f"/admin/brokers/{broker.id}/assign", data={"need_id": world.need.id})
    assert response.status_code == 302
    assignment = broker.assignments[0]
    assert assignment.source == "assigned"
    url = f"/admin/brokers/{broker.id}/assignments/{assignment.id}/end"
    assert client.post(url).status_code == 302
    db.session.refresh(assignment)
    assert assignment.ended_at is not None
    other = make_broker()
    db.session.commit()
    wrong = f"/admin/brokers/{other.id}/assignments/{assignment.id}/end"
    assert client.post(wrong).status_code == 404


def test_admin_dashboard_panel_shows_broker_activity(client, fields):
    world = make_world(fields)
    broker = make_broker()
    make_broker(verified=False)
    introduce(
        broker, world.need, owner=world.uni, admin=world.admin, fields=fields,
        status=EnquiryStatus.ACCEPTED,
    )  # fmt: skip
    db.session.commit()
    log_in(client, world.admin)
    page = _text(client.get("/dashboard"))
    assert "技术经纪人活动" in page
    assert "待核验证书 1" in page
    row = re.search(rf'<tr data-broker="{broker.id}">(.*?)</tr>', page, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    assert cells[1].strip() == "0"  # needs followed
    assert cells[2].strip().startswith("1")  # introductions
    assert cells[3].strip() == "1"  # accepted


def test_broker_pages_at_phone_width_have_no_fixed_widths(client, fields):
    """The pages use the responsive grid only (no inline widths that overflow 390 px)."""
    broker = make_broker()
    db.session.commit()
    log_in(client, broker.user)
    for url in ("/dashboard", "/brokers/needs", f"/brokers/{broker.id}", "/brokers"):
        page = _text(client.get(url))
        assert 'style="width' not in page
    assert db.session.get(BrokerProfile, broker.id) is not None


def test_broker_reaches_its_introductions_and_not_the_party_pages(client, fields):
    world = make_world(fields)
    # a broker user in a verified organisation would otherwise get the members' 对接 inbox
    broker = make_broker(organisation=world.ent.organisation)
    db.session.commit()
    log_in(client, broker.user)
    dashboard = _text(client.get("/dashboard"))
    nav = dashboard.split("</nav>")[0]
    assert 'href="/connect/my/introductions"' in nav  # 我的引荐 in the nav
    assert 'href="/connect/inbox"' not in nav  # never a party: no 对接 inbox
    assert 'href="/my/deals"' not in nav
    link = re.search(r'<a [^>]*id="dash-introductions-link"[^>]*>', dashboard)
    assert link is not None and 'href="/connect/my/introductions"' in link.group(0)
    assert "引荐成果或专家" not in dashboard  # no followed need yet: no introduce button
    deals = _text(client.get("/my/deals"))
    assert "还没有技术合同。" in deals and 'href="/connect/my/introductions"' in deals


def test_broker_directory_is_linked_for_everyone(client):
    for url in ("/experts", "/"):
        assert 'href="/brokers"' in _text(client.get(url)), url
    assert 'id="broker-directory-link"' in _text(client.get("/experts"))


def test_english_introduce_button_is_a_verb(client, fields):
    world = make_world(fields)
    broker = make_broker()
    db.session.commit()
    log_in(client, broker.user)
    client.post(f"/brokers/needs/{world.need.id}/claim")
    dashboard = _text(client.get("/dashboard"))
    assert "引荐成果或专家" in dashboard
    assert re.search(r'id="dash-introductions-link"[^>]*>.*?引荐<', dashboard, re.S)


def test_admin_broker_page_has_a_heading_per_action(client):
    admin = make_user("admin")
    pending = make_broker(verified=False)
    verified = make_broker()
    db.session.commit()
    log_in(client, admin)
    page = _text(client.get(f"/admin/brokers/{pending.id}"))
    assert 'id="verify-title"' in page and 'id="reject-title"' in page
    assert 'id="suspend-title"' not in page
    page = _text(client.get(f"/admin/brokers/{verified.id}"))
    assert 'id="suspend-title"' in page and 'id="assign-title"' in page
    assert 'id="verify-title"' not in page


def test_no_pending_broker_is_plain_text_on_the_admin_panel(client):
    admin = make_user("admin")
    db.session.commit()
    log_in(client, admin)
    page = _text(client.get("/dashboard"))
    assert 'id="broker-pending-link"' not in page
    assert 'id="broker-pending-none"' in page and "待核验证书 0" in page
    make_broker(verified=False)
    db.session.commit()
    page = _text(client.get("/dashboard"))
    assert 'id="broker-pending-link"' in page and "待核验证书 1" in page


def test_broker_tables_stack_on_phones(client):
    admin = make_user("admin")
    make_broker()
    db.session.commit()
    assert 'class="table align-middle table-stack" id="broker-list"' in _text(
        client.get("/brokers")
    )
    log_in(client, admin)
    assert "table-stack" in _text(client.get("/admin/brokers"))
    panel = _text(client.get("/dashboard")).split('id="broker-activity"')[1]
    assert "table-stack" in panel and 'data-label="' in panel


def test_expert_template_download_has_an_ascii_filename(client, login_as):
    login_as("university")
    response = client.get("/my/experts/template.xlsx")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert "filename=expert-profiles-template.xlsx" in disposition
    assert "filename*=UTF-8''" in disposition and "filename=.xlsx" not in disposition
