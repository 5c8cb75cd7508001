"""Reminders after 3 and 7 working days, and the owner's response rate and median time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from matchmaker.extensions import db
from matchmaker.models import Enquiry
from matchmaker.models.base import CHINA
from matchmaker.services.connect import enquiries
from matchmaker.services.connect.responsiveness import add_working_days, response_stats
from tests.connect.helpers import kinds_for, make_world, send
from tests.factories import make_user

#: Friday 2026-03-06, 10:00 in China.
FRIDAY = datetime(2026, 3, 6, 10, 0, tzinfo=CHINA)


@pytest.fixture
def world(db, fields):
    return make_world(fields)


def china(value: datetime) -> tuple[int, int, int, int]:
    local = value.astimezone(CHINA)
    return local.month, local.day, local.hour, local.weekday()


def test_working_days_skip_the_weekend():
    assert china(add_working_days(FRIDAY, 1)) == (3, 9, 10, 0)  # Monday
    assert china(add_working_days(FRIDAY, 3)) == (3, 11, 10, 2)  # Wednesday
    assert china(add_working_days(FRIDAY, 7)) == (3, 17, 10, 1)  # Tuesday after next
    saturday = FRIDAY + timedelta(days=1)
    assert china(add_working_days(saturday, 3)) == (3, 12, 0, 3)  # from Monday 00:00
    assert add_working_days(FRIDAY.astimezone(UTC), 0) == FRIDAY


def _sent_on(world, when: datetime) -> Enquiry:
    enquiry = send(world.ent, world.result)
    enquiry.created_at = when  # sent earlier than the listing: only the clock matters here
    db.session.commit()
    return enquiry


def test_reminders_after_3_and_7_working_days_once_each(world):
    enquiry = _sent_on(world, FRIDAY)

    assert enquiries.remind_unanswered(now=FRIDAY + timedelta(days=4)) == 0  # Tuesday
    assert enquiries.remind_unanswered(now=add_working_days(FRIDAY, 3)) == 1  # Wednesday 10:00
    assert enquiry.reminders_sent == 1
    assert enquiries.remind_unanswered(now=add_working_days(FRIDAY, 5)) == 0  # once only
    assert enquiries.remind_unanswered(now=add_working_days(FRIDAY, 7)) == 1
    assert enquiries.remind_unanswered(now=FRIDAY + timedelta(days=60)) == 0  # no third one
    assert enquiry.reminders_sent == 2
    assert kinds_for(world.uni) == ["enquiry.received", "enquiry.reminder", "enquiry.reminder"]


def test_a_late_run_sends_only_the_latest_reminder(world):
    enquiry = _sent_on(world, FRIDAY)
    assert enquiries.remind_unanswered(now=FRIDAY + timedelta(days=30)) == 1
    assert enquiry.reminders_sent == 2
    assert kinds_for(world.uni).count("enquiry.reminder") == 1


def test_answered_or_withdrawn_enquiries_are_not_reminded(world):
    asked = _sent_on(world, FRIDAY)
    enquiries.ask_for_information(actor=world.uni, enquiry=asked, question="请说明用量。")
    other = send(world.third, world.result)
    other.created_at = FRIDAY
    enquiries.withdraw_enquiry(actor=world.third, enquiry=other)
    db.session.commit()
    assert enquiries.remind_unanswered(now=FRIDAY + timedelta(days=30)) == 0


def test_the_cli_reminds(world, runner):
    _sent_on(world, datetime.now(UTC) - timedelta(days=10))
    result = runner.invoke(args=["connect", "remind"])
    assert result.exit_code == 0, result.output
    assert "Reminded 1 unanswered enquiries." in result.output
    assert kinds_for(world.uni).count("enquiry.reminder") == 1
    assert "Reminded 0" in runner.invoke(args=["connect", "remind"]).output


def test_response_stats_wait_for_a_month_of_activity(world, fields):
    start = datetime(2026, 1, 5, 9, 0, tzinfo=CHINA)  # a Monday
    senders = [world.ent, world.third] + [make_user("enterprise") for _ in range(3)]
    hours = [2, 10, 30]
    for n, sender in enumerate(senders):
        enquiry = send(sender, world.result)
        enquiry.created_at = start + timedelta(days=n)
        if n < len(hours):
            enquiries.accept_enquiry(
                actor=world.uni, enquiry=enquiry, now=enquiry.created_at + timedelta(hours=hours[n])
            )
        elif n == 3:
            enquiries.withdraw_enquiry(actor=sender, enquiry=enquiry)  # unanswered: not counted
    db.session.commit()
    owner = world.uni.organisation_id

    assert response_stats(owner, now=start + timedelta(days=29)) is None
    stats = response_stats(owner, now=start + timedelta(days=31))
    assert stats is not None
    assert (stats.received, stats.answered) == (4, 3)  # the unanswered 5th counts, old enough
    assert stats.rate == 0.75 and stats.rate_percent == 75
    assert stats.median_hours == 10.0
    assert response_stats(world.ent.organisation_id, now=start + timedelta(days=31)) is None


def test_a_fresh_unanswered_enquiry_does_not_lower_the_rate(world):
    start = datetime(2026, 1, 5, 9, 0, tzinfo=CHINA)
    old = send(world.ent, world.result)
    old.created_at = start
    enquiries.accept_enquiry(actor=world.uni, enquiry=old, now=start + timedelta(hours=1))
    fresh = send(world.third, world.result)
    now = start + timedelta(days=40)
    fresh.created_at = now - timedelta(hours=5)
    db.session.commit()
    stats = response_stats(world.uni.organisation_id, now=now)
    assert stats is not None and (stats.received, stats.rate, stats.median_hours) == (1, 1.0, 1.0)
