"""Per-user e-mail preferences: opted-out groups are not e-mailed, in-app notices always are."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Notification
from matchmaker.services.accounts import accounts
from matchmaker.services.market import alert_digests, alerts
from matchmaker.services.platform import notifications
from tests.factories import make_user, publish_result
from tests.services.test_alerts import FIBRE, LINKS

TITLE = {"title": "碳纤维热压成型工艺", "expires": "2027-01-01"}


@pytest.fixture
def user(db):
    user = make_user("enterprise", email="member@example.com")
    db.session.commit()
    return user


def _notes(user, kind: str) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.kind == kind)
    )


def test_every_message_kind_belongs_to_an_optional_group():
    unclaimed = [k for k in notifications.MESSAGES if notifications.email_group(k) == "account"]
    assert unclaimed == []
    assert notifications.email_group("listing.approved") == "listings"
    assert notifications.email_group("panel.added") == "challenges"
    assert notifications.email_group("application.selected") == "challenges"
    assert notifications.email_group("milestone.rework") == "deals"
    assert notifications.email_group("trial.ending") == "deals"
    assert notifications.email_group("adoption.requested") == "deals"
    assert notifications.email_group("alerts.search") == "alerts"
    assert notifications.email_group("something.new") == "account"
    assert "account" not in notifications.OPTIONAL_GROUPS


def test_new_users_get_every_email(user, outbox):
    assert user.email_opt_out == []
    notifications.notify(users=[user], kind="listing.approved", params=TITLE)
    assert [m.recipients for m in outbox] == [["member@example.com"]]


def test_opted_out_group_is_not_emailed_but_still_notified_in_app(user, outbox):
    notifications.set_email_opt_out(user=user, groups=["listings"])
    db.session.commit()

    notifications.notify(users=[user], kind="listing.approved", params=TITLE)

    assert outbox == []
    assert _notes(user, "listing.approved") == 1


def test_other_groups_are_still_emailed(user, outbox):
    notifications.set_email_opt_out(user=user, groups=["listings"])
    db.session.commit()

    notifications.notify(
        users=[user], kind="milestone.accepted", params={"title": "合同", "milestone": "样机"}
    )

    assert len(outbox) == 1
    assert outbox[0].recipients == ["member@example.com"]


def test_preference_is_per_user(db, outbox):
    quiet = make_user("enterprise", email="quiet@example.com")
    loud = make_user("enterprise", email="loud@example.com")
    notifications.set_email_opt_out(user=quiet, groups=["challenges"])
    db.session.commit()

    notifications.notify(users=[quiet, loud], kind="panel.added", params={"title": "榜单"})

    assert [m.recipients for m in outbox] == [["loud@example.com"]]
    assert _notes(quiet, "panel.added") == 1


def test_account_group_and_unknown_codes_cannot_be_opted_out(user):
    stored = notifications.set_email_opt_out(user=user, groups=["account", "bogus", "deals"])
    assert stored == ["deals"]
    assert user.email_opt_out == ["deals"]


def test_account_mails_are_never_suppressed(user, outbox):
    notifications.set_email_opt_out(user=user, groups=notifications.OPTIONAL_GROUPS)
    user.email_opt_out = [*user.email_opt_out, "account"]  # even if it were stored somehow
    db.session.commit()

    accounts.request_password_reset(
        email="member@example.com", link_for=lambda token: f"https://mm.example/reset/{token}"
    )
    accounts.invite_member(
        actor=user, email="new@example.com", link_for=lambda token: f"https://mm.example/j/{token}"
    )

    assert sorted(m.recipients[0] for m in outbox) == ["member@example.com", "new@example.com"]
    assert notifications.wants_email(user, "account.anything")


def test_alert_digest_respects_the_preference_but_still_records(app, db, fields, outbox):
    uni = make_user("university")
    admin = make_user("admin")
    reader = make_user("bank", email="reader@example.com")
    db.session.commit()
    alerts.save_search(actor=reader, kind="result", args={"q": "碳纤维"}, frequency="instant")
    notifications.set_email_opt_out(user=reader, groups=["alerts"])
    db.session.commit()
    publish_result(uni, admin, fields, *FIBRE)
    outbox.clear()

    counts = alert_digests.send_due(links=LINKS)

    assert counts == {"subscriptions": 1, "matches": 1, "failed": 0}
    assert [m for m in outbox if "reader@example.com" in m.recipients] == []
    assert _notes(reader, "alerts.search") == 1
    assert alert_digests.send_due(links=LINKS)["matches"] == 0  # delivered: not sent again


def test_alert_digest_is_emailed_when_only_other_groups_are_off(app, db, fields, outbox):
    uni = make_user("university")
    admin = make_user("admin")
    reader = make_user("bank", email="reader@example.com")
    db.session.commit()
    alerts.save_search(actor=reader, kind="result", args={"q": "碳纤维"}, frequency="instant")
    notifications.set_email_opt_out(user=reader, groups=["listings", "deals"])
    db.session.commit()
    publish_result(uni, admin, fields, *FIBRE)
    outbox.clear()

    alert_digests.send_due(links=LINKS)

    assert [m.recipients for m in outbox] == [["reader@example.com"]]
