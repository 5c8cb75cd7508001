"""Saved searches and alerts on the web: subscribe, manage, one-click unsubscribe, the CLI."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import AlertDelivery, AlertFrequency, Subscription, SubscriptionKind
from matchmaker.services.market import alerts
from tests.factories import make_user
from tests.services.test_alerts import FIBRE, publish_need, publish_result

FIBRE_NEED = ("碳纤维复合材料成型", "需要碳纤维复合材料的低成本热压成型工艺。")


@pytest.fixture
def market(db, fields):
    uni = make_user("university")
    firm = make_user("enterprise")
    admin = make_user("admin")
    db.session.commit()
    return uni, firm, admin


def _subscriptions() -> list[Subscription]:
    return list(db.session.scalars(sa.select(Subscription).order_by(Subscription.id)))


def test_list_page_offers_save_search_to_members_only(client, login_as, market):
    assert "保存搜索 / 订阅提醒" not in client.get("/results").get_data(as_text=True)
    login_as("bank")
    page = client.get("/results?q=碳纤维&stage=pilot").get_data(as_text=True)
    assert "保存搜索 / 订阅提醒" in page
    assert 'name="alert-q" type="hidden" value="碳纤维"' in page
    assert "我的订阅" in page  # the nav link


def test_save_search_from_list_args(client, login_as, market):
    user = login_as("bank")
    response = client.post(
        "/subscriptions",
        data={
            "alert-kind": "search",
            "alert-target": "need",
            "alert-q": " 碳纤维 ",
            "alert-region": "changchun",
            "alert-stage": "nonsense",
            "alert-frequency": "weekly",
            "alert-next": "/needs?region=changchun",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/needs?region=changchun"
    [sub] = _subscriptions()
    assert (sub.user_id, sub.kind, sub.target_kind) == (user.id, SubscriptionKind.SEARCH, "need")
    assert sub.criteria == {"q": "碳纤维", "region": "changchun"}
    assert sub.frequency == AlertFrequency.WEEKLY


def test_unsafe_next_is_ignored(client, login_as, market):
    login_as("bank")
    response = client.post(
        "/subscriptions",
        data={
            "alert-kind": "search",
            "alert-target": "result",
            "alert-frequency": "daily",
            "alert-next": "//evil.example/",
        },
    )
    assert response.headers["Location"] == "/subscriptions"


def test_follow_a_listing_from_its_page(client, login_as, market, fields):
    uni, firm, admin = market
    need = publish_need(firm, admin, fields, *FIBRE_NEED)
    user = login_as("university")
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "关注匹配" in page
    response = client.post(
        "/subscriptions",
        data={
            "alert-kind": "follow",
            "alert-target": "need",
            "alert-listing_id": need.id,
            "alert-frequency": "instant",
            "alert-next": f"/needs/{need.id}",
        },
    )
    assert response.status_code == 302
    [sub] = _subscriptions()
    assert (sub.user_id, sub.kind, sub.listing_id) == (user.id, SubscriptionKind.FOLLOW, need.id)
    # A listing that is not public cannot be followed.
    assert (
        client.post(
            "/subscriptions",
            data={
                "alert-kind": "follow",
                "alert-target": "need",
                "alert-listing_id": 999_999,
                "alert-frequency": "daily",
            },
        ).status_code
        == 404
    )


def test_anonymous_visitors_see_no_follow_button(client, market, fields):
    uni, firm, admin = market
    need = publish_need(firm, admin, fields, *FIBRE_NEED)
    assert "关注匹配" not in client.get(f"/needs/{need.id}").get_data(as_text=True)


def test_manage_my_subscriptions(client, login_as, market):
    user = login_as("enterprise")
    sub = alerts.save_search(actor=user, kind="result", args={"q": "碳纤维"})
    db.session.commit()
    page = client.get("/subscriptions").get_data(as_text=True)
    assert "碳纤维" in page
    assert f"s{sub.id}-frequency" in page

    client.post(
        f"/subscriptions/{sub.id}",
        data={f"s{sub.id}-frequency": "instant", f"s{sub.id}-action": "save"},
    )
    db.session.refresh(sub)
    assert sub.frequency == AlertFrequency.INSTANT
    assert sub.is_active

    client.post(
        f"/subscriptions/{sub.id}",
        data={f"s{sub.id}-frequency": "instant", f"s{sub.id}-action": "pause"},
    )
    db.session.refresh(sub)
    assert not sub.is_active

    response = client.post(
        f"/subscriptions/{sub.id}",
        data={f"s{sub.id}-frequency": "daily", f"s{sub.id}-action": "delete"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert _subscriptions() == []


def test_other_users_subscriptions_are_404(client, login_as, market):
    """SECURITY.md row 15 (v5.0.0-8.2.2)."""
    owner = make_user("bank")
    db.session.commit()
    sub = alerts.save_search(actor=owner, kind="result", args={"q": "碳纤维"})
    db.session.commit()
    login_as("enterprise")
    for action in ("save", "pause", "delete"):
        response = client.post(
            f"/subscriptions/{sub.id}",
            data={
                f"s{sub.id}-frequency": "instant",
                f"s{sub.id}-action": action,
            },
        )
        assert response.status_code == 404
    assert "碳纤维" not in client.get("/subscriptions").get_data(as_text=True)
    db.session.refresh(sub)
    assert sub.is_active
    assert sub.frequency == AlertFrequency.DAILY


def _token_for(user) -> tuple[Subscription, str]:
    sub = alerts.save_search(actor=user, kind="result", args={"q": "碳纤维"})
    token = alerts.unsubscribe_token(sub)
    db.session.commit()
    return sub, token


def test_unsubscribe_get_shows_a_page_and_changes_nothing(client, market):
    uni, firm, admin = market
    sub, token = _token_for(firm)
    response = client.get(f"/unsubscribe/{token}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "确认退订" in page
    assert "碳纤维" in page
    assert response.headers["Cache-Control"] == "private, no-store"
    db.session.refresh(sub)
    assert sub.is_active


def test_unsubscribe_post_unsubscribes(client, market):
    uni, firm, admin = market
    sub, token = _token_for(firm)
    response = client.post(f"/unsubscribe/{token}")
    assert response.status_code == 200
    assert "已退订" in response.get_data(as_text=True)
    db.session.refresh(sub)
    assert not sub.is_active


def test_rfc8058_one_click_post_without_csrf(app, client, market, monkeypatch):
    uni, firm, admin = market
    sub, token = _token_for(firm)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    # CSRF is on for everything else ...
    assert client.post("/subscriptions", data={"alert-kind": "search"}).status_code == 400
    # ... but a mail client's one-click POST needs only the token.
    response = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    db.session.refresh(sub)
    assert not sub.is_active
    assert (
        client.post(f"/unsubscribe/{'0' * 48}", data={"List-Unsubscribe": "One-Click"}).status_code
        == 404
    )
    assert client.get(f"/unsubscribe/{'0' * 48}").status_code == 404


def test_csrf_still_guards_managing_subscriptions(app, client, login_as, market, monkeypatch):
    """SECURITY.md row 19 (v5.0.0-3.5.1)."""
    user = login_as("bank")
    sub = alerts.save_search(actor=user, kind="result", args={"q": "碳纤维"})
    db.session.commit()
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post(
        f"/subscriptions/{sub.id}",
        data={
            f"s{sub.id}-frequency": "instant",
            f"s{sub.id}-action": "delete",
        },
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert len(_subscriptions()) == 1


def test_cli_send_twice_is_idempotent(app, runner, market, fields, outbox):
    uni, firm, admin = market
    reader = make_user("bank", email="reader@example.com")
    db.session.commit()
    alerts.save_search(actor=reader, kind="result", args={"q": "碳纤维"}, frequency="instant")
    db.session.commit()
    result = publish_result(uni, admin, fields, *FIBRE)
    outbox.clear()

    first = runner.invoke(args=["alerts", "send"])
    assert first.exit_code == 0, first.output
    assert "Sent 1 digests with 1 matches" in first.output
    second = runner.invoke(args=["alerts", "send", "--frequency", "all"])
    assert second.exit_code == 0
    assert "Sent 0 digests" in second.output

    mails = [m for m in outbox if m.recipients == ["reader@example.com"]]
    assert len(mails) == 1
    assert f"/results/{result.id}" in mails[0].body
    assert "/unsubscribe/" in mails[0].extra_headers["List-Unsubscribe"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AlertDelivery)) == 1
