"""Issue 13 re-review, points 5-8, 13, 19 and 21: what the pages say is true and readable.

5  the firm page's activity badge says what it counts; response times read "约 10.5 天".
6  the enterprise dashboard counts needs by need state, a need published as a challenge apart,
   and every chip opens /my/listings filtered to it.
7  the audit log shows field names in words, China-time dates, names instead of ids, each
   status labelled by its own record's life cycle, and no pre-wrap gaps.
8  the organisation page's history shows action labels, not codes.
13 notifications show choice labels in the reader's language (also rows stored with Chinese
   labels), and a rejection reason is not followed by "。。请修改后重新提交。".
19 the milestone table stacks on a phone (labelled cells).
21 a challenge deadline 45 days away is not shown as urgent; 3 days away it is.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from matchmaker.extensions import db
from matchmaker.models import Notification, Organisation
from matchmaker.models.base import utcnow
from matchmaker.models.firm import ConsentScope
from matchmaker.services.challenges import applications, challenges, deals
from matchmaker.services.finance import firm_scope
from matchmaker.services.finance.firm_activity import PlatformActivity
from matchmaker.services.platform.audit import record_audit
from matchmaker.web import challenge_labels
from tests.conftest import log_in
from tests.factories import make_user, publish_need
from tests.finance_factories import make_firm
from tests.services.challenge_helpers import apply, challenge_world
from tests.services.test_deals import TERMS


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _english(client) -> None:
    client.post("/language", data={"locale": "en", "next": "/"})


# --- 5: the firm page's activity ---------------------------------------------------------------
@pytest.fixture
def active_firm(monkeypatch):
    """A firm consenting to everything, 'recently active', with a median response of 252 h."""
    firm = make_firm(scopes=int(ConsentScope.BASIC | ConsentScope.ACTIVITY))
    db.session.commit()
    org_id = firm.organisation_id
    activity = PlatformActivity(decisions=4, median_response_hours=252.0)
    monkeypatch.setattr(firm_scope, "platform_activity", lambda _id: activity)
    monkeypatch.setattr(firm_scope, "recently_active", lambda ids, now=None: set(ids))
    return org_id


def test_firm_activity_badge_says_what_it_counts_and_response_time_is_in_days(
    client, login_as, active_firm
):
    login_as("bank")
    text = _text(client.get(f"/finance/firms/{active_firm}"))
    # The badge counts applications, adoption requests and contracts on either side, not only
    # the won challenges and contracts listed beside it: it must say so.
    assert "近 12 个月有揭榜或技术合同" not in text
    assert "近 12 个月有揭榜申请、成果承接或技术合同往来" in text
    assert "252.0 小时" not in text and "小时" not in text.split("响应时间（中位数）")[1][:40]
    assert "约 10.5 天（4 次决定）" in text


def test_response_times_under_two_days_stay_in_whole_hours(client, login_as, monkeypatch):
    firm = make_firm(scopes=int(ConsentScope.BASIC | ConsentScope.ACTIVITY))
    db.session.commit()
    activity = PlatformActivity(decisions=2, median_response_hours=30.0)
    monkeypatch.setattr(firm_scope, "platform_activity", lambda _id: activity)
    login_as("bank")
    text = _text(client.get(f"/finance/firms/{firm.organisation_id}"))
    assert "30 小时（2 次决定）" in text and "30.0" not in text


# --- 6: the enterprise dashboard's need counts ---------------------------------------------------
def test_dashboard_counts_needs_by_need_state_and_challenges_apart(client, fields):
    world = challenge_world(fields)
    owner, admin = world["owner"], world["admin"]
    publish_need(owner, admin, fields, "第二条技术需求：热管理", "需要新的热管理方案" * 3)
    log_in(client, owner)
    html = client.get("/dashboard").get_data(as_text=True)
    panel = html.split('id="owner-listing-counts"', 1)[1].split("</div>", 1)[0]
    chips = dict(re.findall(r'data-status="(\w+)">.*?<span class="small">(\d+)</span>', panel))
    # One open need (the other one became a challenge: counted apart, not as 征集中).
    assert chips == {"open": "1", "challenge": "1"}
    assert 'href="/my/listings?status=open"' in panel
    assert 'href="/my/listings?status=challenge"' in panel
    # Challenge states are not among the need chips.
    for state in ("challenge_review", "evaluating", "unawarded"):
        assert f'data-status="{state}"' not in panel

    only_open = _text(client.get("/my/listings?status=open"))
    assert "第二条技术需求：热管理" in only_open and "高强度碳纤维原丝工艺" not in only_open
    only_challenges = _text(client.get("/my/listings?status=challenge"))
    assert "高强度碳纤维原丝工艺" in only_challenges and "第二条技术需求" not in only_challenges
    everything = _text(client.get("/my/listings?status=nonsense"))
    assert "第二条技术需求：热管理" in everything and "高强度碳纤维原丝工艺" in everything


# --- 7 and 8: the audit log and the organisation history -----------------------------------------
@pytest.fixture
def audit_entries(db):
    bank = make_user("bank")
    firm = make_user("enterprise")
    firm_org = db.session.get(Organisation, firm.organisation_id)
    record_audit(
        actor=bank,
        action="finance_event.create",
        object_type="finance_event",
        object_id=None,
        after={
            "starts_at": "2027-02-04T01:30:00+00:00",
            "slot_minutes": 20,
            "organisation_id": firm.organisation_id,
            "mystery_field_name": "x",
        },
    )
    record_audit(
        actor=bank,
        action="lead.accept",
        object_type="lead",
        object_id=None,
        before={"status": "requested"},
        after={"status": "accepted", "firm_org_id": firm.organisation_id, "first_loan": True},
    )
    record_audit(
        actor=bank,
        action="event_meeting.outcome",
        object_type="event_meeting",
        object_id=None,
        after={"outcome": "follow_up"},
    )
    record_audit(
        actor=firm,
        action="organisation.register",
        object_type="organisation",
        object_id=firm.organisation_id,
    )
    db.session.commit()
    return firm_org


def test_audit_log_reads_as_words_in_chinese(client, login_as, audit_entries):
    login_as("admin")
    html = client.get("/admin/audit").get_data(as_text=True)
    changes = " ".join(re.findall(r'<td class="audit-values">(.*?)</td>', html, re.S))
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", changes))
    for raw in (
        "starts_at",
        "slot_minutes",
        "organisation_id",
        "firm_org_id",
        "first_loan",
        "mystery_field_name",
        "follow_up",
        "T01:30",
        "+00:00",
    ):
        assert raw not in text, raw
    assert "开始时间： 2027-02-04 09:30" in text  # China time
    assert "Mystery field name" in text  # an unknown key, humanised
    assert "继续沟通" in text  # the meeting outcome's label
    # A lead's states are the lead's: 待企业回复 → 已接受-like labels, never a listing's 已解决.
    lead_change = text.split("状态：", 1)[1][:30]
    assert "已解决" not in lead_change and "requested" not in lead_change
    # Ids are names, linked to the organisation's page.
    org = audit_entries
    assert f'<a href="/admin/organisations/{org.id}">{org.name}</a>' in changes
    assert "机构：21" not in text
    # No pre-wrap cell (the 50 px gaps) and no raw action code under the label.
    assert "audit-json" not in html
    assert "organisation.register" not in _text(client.get("/admin/audit"))


def test_audit_log_in_english_has_no_snake_case_keys(client, login_as, audit_entries):
    login_as("admin")
    _english(client)
    html = client.get("/admin/audit").get_data(as_text=True)
    keys = re.findall(r'data-key="[^"]+"><span class="text-body-secondary">([^<]*)</span>', html)
    assert keys and not [k for k in keys if re.search(r"[a-z]_[a-z]", k)], keys


def test_organisation_history_shows_action_labels(client, login_as, audit_entries):
    login_as("admin")
    text = _text(client.get(f"/admin/organisations/{audit_entries.id}"))
    assert "organisation.register" not in text
    assert "机构 · 注册" in text


# --- 13: notifications ---------------------------------------------------------------------------
def _note(user, kind, params):
    db.session.add(Notification(user_id=user.id, kind=kind, params=params))
    db.session.commit()


def test_notification_labels_follow_the_readers_language(client, login_as):
    user = login_as("university")
    _note(user, "trial.ended", {"title": "检测算法", "outcome_code": "pay", "end": "2026-11-16"})
    _note(user, "trial.ended", {"title": "旧通知", "outcome": "付费", "end": "2026-11-16"})
    _english(client)
    text = _text(client.get("/notifications/"))
    assert "付费" not in text  # neither the new row (a code) nor the old one (a Chinese label)


def test_rejection_notice_has_one_full_stop_and_one_instruction(client, login_as):
    user = login_as("enterprise")
    _note(
        user,
        "listing.rejected",
        {
            "title": "光学元件镀膜",
            "reason_label": "信息不全",
            "reason": "预期目标不清，请补充后重新提交。",
        },
    )
    text = _text(client.get("/notifications/"))
    assert "。。" not in text
    assert "请修改后重新提交" not in text.split("预期目标不清", 1)[1]


# --- 19: the milestone table on a phone ----------------------------------------------------------
@pytest.fixture
def deal_world(fields):
    """A challenge whose first applicant was selected (as tests/services/test_deals.py)."""
    w = challenge_world(fields)
    application = apply(w["uni_a"], w["challenge"])
    applications.shortlist_application(actor=w["owner"], application=application)
    challenges.tick(now=w["challenge"].deadline_at + timedelta(seconds=1))
    applications.select_application(
        actor=w["owner"], application=application, others_code="immature", others_reason="—"
    )
    db.session.commit()
    return {**w, "application": application}


def test_milestone_cells_carry_labels_for_the_stacked_phone_layout(client, deal_world):
    w = deal_world
    deal = deals.record_deal(actor=w["owner"], application=w["application"], terms=TERMS)
    deals.add_milestone(actor=w["owner"], deal=deal, title="中试线改造", due_on=date(2027, 3, 1))
    db.session.commit()
    log_in(client, w["uni_a"])
    html = client.get(f"/my/deals/{deal.id}").get_data(as_text=True)
    table = html.split('id="milestones"', 1)[0].rsplit("<table", 1)[1]
    assert "table-stack" in table
    row = html.split('id="milestones"', 1)[1].split("</tr>", 2)[1]
    for label in ("里程碑", "计划完成日期", "状态", "交付材料", "操作"):
        assert f'data-label="{label}"' in row, label


# --- 21: the deadline badge ----------------------------------------------------------------------
def test_a_deadline_is_urgent_only_within_a_week():
    now = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
    assert challenge_labels.countdown_style(now + timedelta(days=45), now) == "secondary"
    assert challenge_labels.countdown_style(now + timedelta(days=8), now) == "secondary"
    assert challenge_labels.countdown_style(now + timedelta(days=3), now) == "danger"


def test_challenge_page_badge_45_days_ahead_is_not_red(client, fields):
    world = challenge_world(fields, deadline_at=utcnow() + timedelta(days=45, hours=1))
    log_in(client, world["owner"])
    html = client.get(f"/my/challenges/{world['challenge'].id}").get_data(as_text=True)
    badges = re.findall(r'<span data-countdown class="badge ([^"]+)">([^<]+)<', html)
    assert badges and all("text-bg-danger" not in cls for cls, _ in badges), badges
