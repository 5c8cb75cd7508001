"""Saved searches and followed listings: new matches once, frequencies, failures, unsubscribe."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from matchmaker.extensions import db
from matchmaker.models import AlertDelivery, AlertFrequency, Notification, Subscription
from matchmaker.models.base import utcnow
from matchmaker.services.errors import NotFound
from matchmaker.services.market import alert_digests, alerts
from tests.factories import make_user, publish_need, publish_result

LINKS = alert_digests.AlertLinks(
    listing=lambda kind, listing_id: f"https://mm.example/{kind}s/{listing_id}",
    search=lambda kind, criteria: f"https://mm.example/{kind}s?q={criteria.get('q', '')}",
    unsubscribe=lambda token: f"https://mm.example/unsubscribe/{token}",
    manage="https://mm.example/subscriptions",
)
FIBRE = ("碳纤维热压成型工艺", "碳纤维复合材料热压成型新工艺。")


@pytest.fixture
def people(db, fields):
    uni = make_user("university")
    firm = make_user("enterprise")
    admin = make_user("admin")
    reader = make_user("bank", email="reader@example.com")
    db.session.commit()
    return uni, firm, admin, reader


def _alert_mails(outbox):
    return [m for m in outbox if "List-Unsubscribe" in (m.extra_headers or {})]


def _deliveries() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AlertDelivery))


def test_saved_search_sends_the_new_matching_listing_exactly_once(app, people, fields, outbox):
    uni, firm, admin, reader = people
    old = publish_result(uni, admin, fields, "碳纤维预浸料", "碳纤维预浸料的连续化生产工艺。")
    sub = alerts.save_search(
        actor=reader, kind="result", args={"q": "碳纤维", "sort": "price_asc"}, frequency="instant"
    )
    db.session.commit()
    new = publish_result(uni, admin, fields, *FIBRE)
    other = publish_result(
        uni, admin, fields, "稀土发光材料", "一种稀土掺杂的高效发光材料。", field="electronics"
    )
    outbox.clear()

    counts = alert_digests.send_due(links=LINKS)

    assert counts == {"subscriptions": 1, "matches": 1, "failed": 0}
    [mail] = _alert_mails(outbox)
    assert mail.recipients == ["reader@example.com"]
    assert new.title in mail.body
    assert f"https://mm.example/results/{new.id}" in mail.body
    assert old.title not in mail.body  # published before the search was saved
    assert other.title not in mail.body
    delivered = db.session.execute(sa.select(AlertDelivery.kind, AlertDelivery.listing_id)).all()
    assert delivered == [("result", new.id)]
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == reader.id))
    assert note is not None
    assert note.kind == "alerts.search"
    assert note.params["n"] == 1
    assert db.session.get(Subscription, sub.id).criteria == {"q": "碳纤维"}  # sort is not kept

    outbox.clear()
    assert alert_digests.send_due(links=LINKS)["matches"] == 0
    assert _alert_mails(outbox) == []


def test_digest_mail_carries_unsubscribe_link_and_rfc8058_headers(app, people, fields, outbox):
    uni, firm, admin, reader = people
    sub = alerts.save_search(actor=reader, kind="result", args={"q": "碳纤维"}, frequency="instant")
    db.session.commit()
    publish_result(uni, admin, fields, *FIBRE)
    outbox.clear()
    alert_digests.send_due(links=LINKS)
    [mail] = _alert_mails(outbox)
    token = alerts.unsubscribe_token(db.session.get(Subscription, sub.id))
    url = f"https://mm.example/unsubscribe/{token}"
    assert url in mail.body
    assert "https://mm.example/subscriptions" in mail.body
    raw = mail.as_string()
    assert f"List-Unsubscribe: <{url}>" in raw
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw
    # The database holds only the token's hash.
    stored = db.session.get(Subscription, sub.id)
    assert token not in (stored.token_hash, stored.token_nonce)


def test_digest_follows_the_readers_language(app, people, fields, outbox):
    uni, firm, admin, reader = people
    reader.locale = "en"
    alerts.save_search(actor=reader, kind="result", args={"q": "碳纤维"}, frequency="instant")
    db.session.commit()
    publish_result(uni, admin, fields, *FIBRE)
    outbox.clear()
    alert_digests.send_due(links=LINKS)
    [mail] = _alert_mails(outbox)
    assert "订阅" not in mail.subject
    assert "Unsubscribe" in mail.body


def test_daily_digest_waits_a_day(app, people, fields, outbox):
    uni, firm, admin, reader = people
    alerts.save_search(actor=reader, kind="result", args={"field": "materials"}, frequency="daily")
    db.session.commit()
    first = publish_result(uni, admin, fields, *FIBRE)
    start = utcnow()
    assert alert_digests.send_due(links=LINKS, now=start)["matches"] == 1
    second = publish_result(uni, admin, fields, "高强铝合金", "高强度铝合金的热处理工艺。")
    assert alert_digests.send_due(links=LINKS, now=start + timedelta(hours=3))["matches"] == 0
    daily = alert_digests.send_due(links=LINKS, now=start + timedelta(hours=23), frequency="daily")
    assert daily["matches"] == 0
    outbox.clear()
    assert alert_digests.send_due(links=LINKS, now=start + timedelta(hours=25))["matches"] == 1
    [mail] = _alert_mails(outbox)
    assert second.title in mail.body
    assert first.title not in mail.body


def test_frequency_option_selects_subscriptions(app, people, fields, outbox):
    uni, firm, admin, reader = people
    alerts.save_search(actor=reader, kind="result", args={}, frequency="weekly")
    db.session.commit()
    publish_result(uni, admin, fields, *FIBRE)
    assert alert_digests.send_due(links=LINKS, frequency="instant")["matches"] == 0
    assert alert_digests.send_due(links=LINKS, frequency="weekly")["matches"] == 1


def test_follow_sends_new_recommendations(app, people, fields, outbox):
    uni, firm, admin, reader = people
    need = publish_need(
        firm,
        admin,
        fields,
        "碳纤维复合材料成型",
        "需要高强度碳纤维复合材料的低成本热压成型工艺，拉伸强度大于3GPa。",
    )
    before = publish_result(uni, admin, fields, "碳纤维缠绕工艺", "碳纤维复合材料缠绕成型工艺。")
    sub = alerts.follow_listing(actor=reader, kind="need", listing_id=need.id, frequency="instant")
    db.session.commit()
    fibre = publish_result(
        uni,
        admin,
        fields,
        "碳纤维热压成型工艺",
        "碳纤维复合材料热压成型新工艺，拉伸强度3.5GPa，成本降低30%。",
    )
    outbox.clear()
    assert [p.listing_id for p in alert_digests.collect_matches(sub)] == [fibre.id]
    assert alert_digests.send_due(links=LINKS)["matches"] == 1
    [mail] = _alert_mails(outbox)
    assert fibre.title in mail.body
    assert before.title not in mail.body
    assert alert_digests.send_due(links=LINKS)["matches"] == 0


def test_follow_needs_a_public_listing(app, people, fields):
    uni, firm, admin, reader = people
    with pytest.raises(NotFound):
        alerts.follow_listing(actor=reader, kind="need", listing_id=999_999)


def test_mail_failure_records_nothing_and_the_next_run_sends(
    app, people, fields, outbox, monkeypatch
):
    uni, firm, admin, reader = people
    other = make_user("enterprise", email="other@example.com")
    db.session.commit()
    alerts.save_search(actor=reader, kind="result", args={"q": "碳纤维"}, frequency="instant")
    alerts.save_search(actor=other, kind="result", args={"q": "碳纤维"}, frequency="instant")
    db.session.commit()
    result = publish_result(uni, admin, fields, *FIBRE)
    outbox.clear()
    real_send = alert_digests.send_email

    def flaky(*, to, **kwargs):
        if to == "reader@example.com":
            raise ConnectionRefusedError("smtp down")
        real_send(to=to, **kwargs)

    monkeypatch.setattr(alert_digests, "send_email", flaky)
    counts = alert_digests.send_due(links=LINKS)
    assert counts == {"subscriptions": 1, "matches": 1, "failed": 1}
    # The other subscriber's digest went out and is recorded; the failed one left no trace.
    assert [m.recipients for m in _alert_mails(outbox)] == [["other@example.com"]]
    assert _deliveries() == 1
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.user_id == reader.id)
        )
        == 0
    )

    monkeypatch.setattr(alert_digests, "send_email", real_send)
    outbox.clear()
    assert alert_digests.send_due(links=LINKS) == {"subscriptions": 1, "matches": 1, "failed": 0}
    [mail] = _alert_mails(outbox)
    assert mail.recipients == ["reader@example.com"]
    assert result.title in mail.body
    assert _deliveries() == 2


def test_each_match_once_is_a_database_constraint(app, people):
    uni, firm, admin, reader = people
    sub = alerts.save_search(actor=reader, kind="need", args={})
    db.session.add_all(
        [
            AlertDelivery(subscription_id=sub.id, kind="need", listing_id=7),
            AlertDelivery(subscription_id=sub.id, kind="need", listing_id=7),
        ]
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_saved_search_is_cleaned_and_saved_once(app, people):
    uni, firm, admin, reader = people
    first = alerts.save_search(
        actor=reader,
        kind="result",
        args={"q": "  碳纤维   复合 ", "stage": "bogus", "price": "10_50", "org": "x", "page": "3"},
    )
    assert first.criteria == {"q": "碳纤维 复合", "price": "10_50"}
    again = alerts.save_search(
        actor=reader, kind="result", args={"q": "碳纤维 复合", "price": "10_50"}, frequency="weekly"
    )
    assert again.id == first.id
    assert again.frequency == AlertFrequency.WEEKLY


def test_users_manage_only_their_own(app, people):
    uni, firm, admin, reader = people
    sub = alerts.save_search(actor=reader, kind="result", args={"q": "碳纤维"})
    with pytest.raises(NotFound):
        alerts.get_own(actor=firm, subscription_id=sub.id)
    with pytest.raises(NotFound):
        alerts.delete_subscription(actor=firm, subscription=sub)
    assert alerts.get_own(actor=reader, subscription_id=sub.id) is sub


def test_unsubscribe_by_token(app, people, fields, outbox):
    uni, firm, admin, reader = people
    sub = alerts.save_search(actor=reader, kind="result", args={}, frequency="instant")
    db.session.commit()
    token = alerts.unsubscribe_token(sub)
    with pytest.raises(NotFound):
        alerts.unsubscribe(token=token[:-1] + ("0" if token[-1] != "0" else "1"))
    assert alerts.unsubscribe(token=token).is_active is False
    db.session.commit()
    publish_result(uni, admin, fields, *FIBRE)
    outbox.clear()
    assert alert_digests.send_due(links=LINKS)["matches"] == 0
    assert _alert_mails(outbox) == []
