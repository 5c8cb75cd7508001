"""The notification settings page: choose which e-mail groups to receive."""

from __future__ import annotations

import re

from matchmaker.extensions import db
from matchmaker.models import User


def _checked(html: str) -> dict[str, bool]:
    """Each group checkbox's id and whether it is checked."""
    boxes = re.findall(r'<input[^>]*type="checkbox"[^>]*>', html)
    return {
        re.search(r'id="([^"]+)"', box).group(1): bool(re.search(r"\bchecked\b", box))
        for box in boxes
    }


def test_anonymous_is_sent_to_login(client):
    response = client.get("/account/notifications")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_page_shows_every_group_checked_by_default(client, login_as):
    login_as("enterprise")
    html = client.get("/account/notifications").get_data(as_text=True)
    assert _checked(html) == {
        "listings": True,
        "experts": True,
        "brokers": True,
        "challenges": True,
        "deals": True,
        "finance": True,
        "connect": True,
        "alerts": True,
        "group-account": True,  # shown, disabled: account mails cannot be turned off
    }
    assert re.search(r'<input[^>]*id="group-account"[^>]*disabled', html)


def test_saving_stores_and_shows_the_choice(client, login_as):
    user = login_as("university")

    response = client.post(
        "/account/notifications",
        data={
            "listings": "y",
            "experts": "y",
            "brokers": "y",
            "challenges": "y",
            "deals": "y",
            "finance": "y",
            "connect": "y",
        },
        follow_redirects=True,
    )

    assert response.status_code == 200
    assert db.session.get(User, user.id).email_opt_out == ["alerts"]
    html = response.get_data(as_text=True)
    boxes = _checked(html)
    assert boxes["alerts"] is False
    assert boxes["listings"] is boxes["challenges"] is boxes["deals"] is True


def test_unchecking_everything_keeps_account_mails(client, login_as):
    user = login_as("bank")
    client.post("/account/notifications", data={})
    db.session.expire_all()
    assert db.session.get(User, user.id).email_opt_out == [
        "listings",
        "experts",
        "brokers",
        "challenges",
        "deals",
        "finance",
        "connect",
        "alerts",
    ]


def test_nav_links_to_the_settings_page(client, login_as):
    login_as("enterprise")
    html = client.get("/").get_data(as_text=True)
    assert 'href="/account/notifications"' in html
