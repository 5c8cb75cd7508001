"""Notifications store a reason's code and show its label in each reader's language."""

from __future__ import annotations

import html
import re

from matchmaker.extensions import db
from matchmaker.models import Notification
from matchmaker.services.market import listings
from tests.conftest import log_in
from tests.factories import make_user, publish_result


def _text(response) -> str:
    assert response.status_code == 200
    return html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def _rejected_for(owner, admin, fields, title):
    listing = publish_result(
        owner, admin, fields, title, "一种用于测试通知语言的技术成果。", approve=False
    )
    listings.reject_listing(actor=admin, listing=listing, code="duplicate", reason="与已有成果重复")
    db.session.commit()
    return listing


def test_rejection_reason_is_shown_in_each_readers_language(app, client, fields):
    english = make_user("university", locale="en")
    chinese = make_user("university")
    admin = make_user("admin")
    db.session.commit()
    _rejected_for(english, admin, fields, "英文读者的成果")
    _rejected_for(chinese, admin, fields, "中文读者的成果")
    stored = db.session.query(Notification).filter_by(kind="listing.rejected").all()
    assert {n.params["reason_code"] for n in stored} == {"duplicate"}
    assert not any("reason_label" in n.params for n in stored)

    log_in(client, english)
    text = _text(client.get("/notifications/"))
    assert "(Possible duplicate)" in text and "疑似重复" not in text

    with client.session_transaction() as session:
        session.clear()
    log_in(client, chinese)
    text = _text(client.get("/notifications/"))
    assert "（疑似重复）" in text and "Possible duplicate" not in text


def test_an_old_notification_with_a_stored_chinese_label_reads_in_english(app, client, fields):
    english = make_user("university", locale="en")
    db.session.add(
        Notification(
            user_id=english.id,
            kind="listing.rejected",
            params={"title": "旧成果", "reason_label": "疑似重复", "reason": "重复"},
        )
    )
    db.session.commit()
    log_in(client, english)
    assert "(Possible duplicate)" in _text(client.get("/notifications/"))
