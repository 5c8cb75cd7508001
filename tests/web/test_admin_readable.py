"""Issue 13, points 8 and 9: what the admin reads is formatted for people; the queue is a digest."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import AuditLog, Notification, Result
from matchmaker.services.platform import audit, stats
from tests.conftest import log_in
from tests.factories import make_user
from tests.web.test_listing_flow import RESULT_FORM, _create_result


def _pending_result(client, fields) -> tuple[int, object]:
    owner = make_user("university")
    admin = make_user("admin")
    db.session.commit()
    log_in(client, owner)
    result_id = _create_result(client, fields)
    client.post(f"/my/results/{result_id}/action", data={"action": "submit"})
    assert db.session.get(Result, result_id).status == "pending_review"
    log_in(client, admin)
    return result_id, admin


def _cell(html: str, key: str) -> str:
    match = re.search(rf'data-key="{key}">(.*?)</td>', html, re.S)
    assert match, key
    return match.group(1)


def test_review_page_shows_values_formatted_for_people(client, fields):
    result_id, _admin = _pending_result(client, fields)
    html = client.get(f"/admin/review/results/{result_id}").get_data(as_text=True)
    keywords = _cell(html, "keywords")
    assert "[&#39;" not in keywords and "['" not in keywords
    assert keywords.count("badge") == 3 and "干喷湿纺</ins>" in keywords
    assert "长春市" in _cell(html, "region") and "changchun" not in _cell(html, "region")
    amount = _cell(html, "amount")
    assert "300 万元" in amount and "300.00" not in amount
    assert "普通许可" in _cell(html, "modes")
    assert "TRL 6" in _cell(html, "trl")
    assert html.count("模量≥294GPa") == 1  # the description once


def test_review_page_shows_a_rewritten_text_before_and_after(client, fields):
    result_id, _admin = _pending_result(client, fields)
    client.post(f"/admin/review/results/{result_id}/approve")
    result = db.session.get(Result, result_id)
    log_in(client, result.organisation.members[0])
    form_page = client.get(f"/my/results/{result_id}/edit")
    assert form_page.status_code == 200
    # a small edit reads as an inline diff; a rewrite as the old and the new text, each once
    data = {
        **RESULT_FORM,
        "field_id": str(fields["materials"].id),
        "description": "完全不同的一段新介绍文字，讲述另外一种工艺路线和应用场景。",
    }
    assert client.post(f"/my/results/{result_id}/edit", data=data).status_code == 302
    log_in(client, make_user("admin", email="second-admin@example.com"))
    db.session.commit()
    html = client.get(f"/admin/review/results/{result_id}").get_data(as_text=True)
    cell = _cell(html, "description")
    assert "原内容" in cell and "修改后" in cell
    assert cell.count("模量≥294GPa") == 1 and cell.count("另外一种工艺路线") == 1


def test_audit_log_reads_as_people_write(client, fields):
    result_id, _admin = _pending_result(client, fields)
    response = client.post(
        f"/admin/review/results/{result_id}/reject",
        data={"code": "incomplete", "reason": "请补充专利号"},
    )
    assert response.status_code == 302
    html = client.get("/admin/audit").get_data(as_text=True)
    rows = html.split("<tbody>")[1].split("</tbody>")[0]
    visible = re.sub(r"<[^>]+>", " ", rows)
    # action codes are labels; the record is its title with a link; values are decoded
    assert "result.reject" not in visible and "科技成果 · 驳回" in visible
    assert "result:" not in visible
    assert f'href="/results/{result_id}"' in rows and "高强高模碳纤维" in visible
    assert "\\u" not in rows and "{&#34;" not in rows and '{"' not in rows
    assert "待审核" in visible and "草稿" in visible and "状态" in visible
    # the reason's code is its label
    assert "incomplete" not in visible and "信息不全：请补充专利号" in visible

    # the filter: labels grouped by the kind of record, the code only as the value
    select = html.split('name="action"')[1].split("</select>")[0]
    assert '<optgroup label="科技成果">' in select
    assert re.search(r'<option value="result\.reject">\s*驳回\s*</option>', select)
    assert ">result.reject<" not in select
    assert '<option selected value="">全部</option>' in select or 'value="">全部' in select
    # the date inputs are dates, with room for a whole date
    for name in ("since", "until"):
        assert re.search(rf'<div class="col-sm-6 col-lg-3">[^\n]*name="{name}" type="date"', html)
    # filtering by a label's code still works
    filtered = client.get("/admin/audit", query_string={"action": "result.reject"})
    assert "科技成果 · 驳回" in filtered.get_data(as_text=True)


def test_unknown_action_codes_and_values_fall_back_to_themselves(db):
    assert audit.action_label("nothing.like.this") == "nothing.like.this"
    assert audit.action_label("organisation.verify") == "机构 · 认证通过"
    assert audit.reason_text("something: free text") == "something: free text"
    assert audit.reason_text("not_a_fit") == "需求与成果不匹配"
    entry = AuditLog(action="x.y", object_type="x", before={"k": ["科", "技"]}, after={"k": None})
    (change,) = audit.value_changes(entry)
    assert (change.label, change.before_text, change.after_text) == ("k", "科、技", "—")


def test_submissions_do_not_notify_admins_one_by_one_but_in_a_daily_digest(
    client, fields, runner, outbox
):
    result_id, admin = _pending_result(client, fields)
    other_admin = make_user("admin", email="other-admin@example.com")
    db.session.commit()

    def digests(user) -> list[Notification]:
        stmt = sa.select(Notification).where(Notification.user_id == user.id)
        return list(db.session.scalars(stmt))

    assert digests(admin) == []  # no message per submission
    result = runner.invoke(args=["listings", "review-digest"])
    assert result.exit_code == 0, result.output
    assert "2 admin" in result.output
    for user in (admin, other_admin):
        (note,) = digests(user)
        assert note.kind == "listing.review_digest"
        assert note.params["n"] == 1 and note.params["oldest"].startswith("高强高模碳纤维")
        assert note.link == "/admin/review/"
    assert sorted(m.recipients[0] for m in outbox) == sorted([admin.email, other_admin.email])
    assert "1 条内容待审核" in outbox[0].subject

    # once a day: running it again the same day sends nothing more
    assert "0 admin" in runner.invoke(args=["listings", "review-digest"]).output
    assert len(digests(admin)) == 1

    # an empty queue sends nothing
    client.post(f"/admin/review/results/{result_id}/approve")
    db.session.execute(sa.delete(Notification))
    db.session.commit()
    assert "0 admin" in runner.invoke(args=["listings", "review-digest"]).output


def test_goal_bars_show_figures_and_mark_past_targets(client, login_as):
    rows = stats.conversion_targets(10, today=date(2026, 3, 1))
    assert [r["year"] for r in rows] == [2027, 2030, 2025]
    assert [r["is_past"] for r in rows] == [False, False, True]
    login_as("admin")
    html = client.get("/dashboard").get_data(as_text=True)
    goal = html.split('data-year="2025"')[1].split("</progress>")[0]
    assert "0 / 350" in goal and "已过期" in goal
    assert html.index('data-year="2027"') < html.index('data-year="2025"')
    assert "0 / 440" in html.split('data-year="2027"')[1].split("</progress>")[0]


def test_funnel_labels_keep_off_the_card_edge(client, login_as):
    login_as("admin")
    html = client.get("/dashboard").get_data(as_text=True)
    boxes = re.findall(r'class="w-100 funnel-chart" viewBox="(-?\d+) 0 (\d+) ', html)
    assert boxes
    for left, width in boxes:
        # a margin on the left of the labels, and room on the right for "1234 · 100%"
        assert int(left) < 0 and int(left) + int(width) >= 440
