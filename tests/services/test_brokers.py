"""技术经纪人 rules: registration, the admin's review, following needs, and the figures."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    AuditLog,
    BrokerAssignment,
    BrokerProfile,
    BrokerStatus,
    EnquiryStatus,
    Job,
    Notification,
    User,
)
from matchmaker.permissions import Role, can_see_contact
from matchmaker.services.accounts.accounts import PersonData
from matchmaker.services.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from matchmaker.services.talent import broker_assignments, broker_stats, brokers
from tests.connect.helpers import make_world
from tests.factories import OrganisationFactory, make_broker, make_user
from tests.talent.broker_helpers import introduce, record_deal

PERSON = PersonData(name="王经纪", email="wang@example.com", password="a long pass phrase 2026")
LICENCE = brokers.BrokerData(licence_number="JL-2026-000123", issuing_body="吉林省科学技术厅")


def _count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def _actions(object_id: int) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditLog.action)
            .where(AuditLog.object_type == "broker", AuditLog.object_id == str(object_id))
            .order_by(AuditLog.id)
        )
    )


# --- registration ---------------------------------------------------------------------------
def test_registration_creates_a_pending_broker_in_no_organisation(db):
    user = brokers.register_broker(
        person=PERSON, broker=LICENCE, verify_link_for=lambda token: f"/verify/{token}"
    )
    profile = brokers.broker_of(user)
    assert user.role == Role.BROKER
    assert user.organisation_id is None
    assert profile is not None
    assert profile.status == BrokerStatus.PENDING
    assert profile.licence_number == "JL-2026-000123"
    assert profile.organisation_id is None
    assert _actions(profile.id) == ["broker.register"]
    # e-mail verification applies as for everyone: the mail is queued in the outbox
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 1
    assert user.email_verified_at is None


def test_licence_is_normalised_and_organisation_found_by_credit_code(db):
    org = OrganisationFactory()
    user = brokers.register_broker(
        person=PERSON,
        broker=brokers.BrokerData(
            licence_number=" ｊｌ－２０２６－０００９ ",
            issuing_body="吉林省科学技术厅",
            organisation=org.credit_code.lower(),
        ),
    )
    profile = brokers.broker_of(user)
    assert profile.licence_number == "JL-2026-0009"
    assert profile.organisation_id == org.id
    assert user.organisation_id is None  # attached on the profile, not as a member


def test_every_problem_is_reported_at_once_and_nothing_is_stored(db):
    make_broker()  # licence JL-TB-…; a different one is taken below
    taken = db.session.scalar(sa.select(BrokerProfile.licence_number))
    users_before = _count(User)
    with pytest.raises(ValidationFailed) as refused:
        brokers.register_broker(
            person=PersonData(name="", email="x@example.com", password="short"),
            broker=brokers.BrokerData(
                licence_number=taken.lower(),
                issuing_body="",
                organisation="没有这个机构",
                biography="长" * 2001,
            ),
        )
    errors = refused.value.errors
    assert set(errors) == {
        "name",
        "password",
        "licence_number",
        "issuing_body",
        "organisation",
        "biography",
    }
    assert "已经登记过" in errors["licence_number"][0]
    assert _count(User) == users_before
    assert _count(BrokerProfile) == 1


@pytest.mark.parametrize("licence", ["AB", "中文证书号码", "-ABC123", "AB 12 !!", "A" * 41])
def test_malformed_licence_numbers_are_refused(db, licence):
    problems = brokers.registration_problems(
        person=PERSON, broker=brokers.BrokerData(licence_number=licence, issuing_body="科技厅")
    )
    assert "格式不正确" in problems["licence_number"][0]


def test_an_unverified_organisation_cannot_be_named(db):
    org = OrganisationFactory(pending=True)
    problems = brokers.registration_problems(
        person=PERSON,
        broker=brokers.BrokerData(
            licence_number="JL-1234567", issuing_body="科技厅", organisation=org.name
        ),
    )
    assert "organisation" in problems


# --- the admin's review ---------------------------------------------------------------------
def test_verify_and_reject_are_audited_and_told(db):
    admin = make_user("admin")
    first = make_broker(verified=False)
    second = make_broker(verified=False)
    brokers.verify_broker(actor=admin, broker=first)
    brokers.reject_broker(actor=admin, broker=second, reason="证书编号与发证机构记录不符")
    assert first.status == BrokerStatus.VERIFIED and first.verified_by_id == admin.id
    assert second.status == BrokerStatus.REJECTED
    assert second.review_reason == "证书编号与发证机构记录不符"
    assert _actions(first.id) == ["broker.verify"]
    assert _actions(second.id) == ["broker.reject"]
    kinds = dict(db.session.execute(sa.select(Notification.user_id, Notification.kind)).all())
    assert kinds == {first.user_id: "broker.verified", second.user_id: "broker.rejected"}


def test_reject_needs_a_reason_and_only_an_admin_reviews(db):
    admin = make_user("admin")
    broker = make_broker(verified=False)
    with pytest.raises(ValidationFailed):
        brokers.reject_broker(actor=admin, broker=broker, reason="  ")
    with pytest.raises(PermissionDenied):
        brokers.verify_broker(actor=make_user("enterprise"), broker=broker)
    assert broker.status == BrokerStatus.PENDING


def test_suspend_and_reinstate(db):
    admin = make_user("admin")
    broker = make_broker()
    brokers.suspend_broker(actor=admin, broker=broker, reason="投诉核实中")
    assert broker.status == BrokerStatus.SUSPENDED
    with pytest.raises(PermissionDenied, match="核验"):
        brokers.acting_broker(broker.user)
    with pytest.raises(InvalidTransition):
        brokers.suspend_broker(actor=admin, broker=broker, reason="再次")
    brokers.reinstate_broker(actor=admin, broker=broker)
    assert brokers.acting_broker(broker.user) is broker
    assert _actions(broker.id) == ["broker.suspend", "broker.reinstate"]


def test_contact_disclosure_for_a_verified_broker_only(db):
    verified = make_broker()
    pending = make_broker(verified=False)
    assert can_see_contact(verified.user) is True
    assert can_see_contact(pending.user) is False


# --- following needs ------------------------------------------------------------------------
def test_an_unverified_broker_cannot_claim(db, fields):
    world = make_world(fields)
    broker = make_broker(verified=False)
    with pytest.raises(PermissionDenied, match="管理员核验"):
        broker_assignments.claim_need(actor=broker.user, need_id=world.need.id)
    assert _count(BrokerAssignment) == 0


def test_a_broker_cannot_claim_its_own_organisations_need(db, fields):
    world = make_world(fields)
    broker = make_broker(broker_organisation=world.ent.organisation)
    with pytest.raises(PermissionDenied, match="本机构"):
        broker_assignments.claim_need(actor=broker.user, need_id=world.need.id)
    own = broker_assignments.claimable_needs_query(broker)
    assert world.need.id not in {p.need_id for p in db.session.scalars(own)}


def test_claim_release_and_claim_again(db, fields):
    world = make_world(fields)
    broker = make_broker()
    claimable = broker_assignments.claimable_needs_query(broker)
    assert [p.need_id for p in db.session.scalars(claimable)] == [world.need.id]
    broker_assignments.claim_need(actor=broker.user, need_id=world.need.id)
    assert brokers.follows(broker, world.need)
    assert list(db.session.scalars(broker_assignments.claimable_needs_query(broker))) == []
    with pytest.raises(InvalidTransition):
        broker_assignments.claim_need(actor=broker.user, need_id=world.need.id)
    broker_assignments.release_need(actor=broker.user, need_id=world.need.id)
    assert not brokers.follows(broker, world.need)
    broker_assignments.claim_need(actor=broker.user, need_id=world.need.id)
    assert _actions(broker.id) == ["broker.claim", "broker.release", "broker.claim"]


def test_a_need_that_is_not_public_cannot_be_claimed(db, fields):
    make_world(fields)
    broker = make_broker()
    with pytest.raises(NotFound):
        broker_assignments.claim_need(actor=broker.user, need_id=999_999)


def test_admin_assigns_and_ends(db, fields):
    world = make_world(fields)
    broker = make_broker()
    assignment = broker_assignments.assign_need(
        actor=world.admin, broker=broker, need_id=world.need.id
    )
    assert assignment.source == "assigned" and assignment.assigned_by_id == world.admin.id
    broker_assignments.end_assignment(actor=world.admin, assignment=assignment)
    assert assignment.ended_at is not None
    with pytest.raises(InvalidTransition):
        broker_assignments.end_assignment(actor=world.admin, assignment=assignment)
    kinds = list(
        db.session.scalars(
            sa.select(Notification.kind)
            .where(Notification.user_id == broker.user_id)
            .order_by(Notification.id)
        )
    )
    assert kinds == ["broker.assigned", "broker.unassigned"]
    pending = make_broker(verified=False)
    with pytest.raises(InvalidTransition):
        broker_assignments.assign_need(actor=world.admin, broker=pending, need_id=world.need.id)


def test_need_activity_counts_enquiries_by_state(db, fields):
    world = make_world(fields)
    broker = make_broker()
    introduce(
        broker, world.need, owner=world.uni, admin=world.admin, fields=fields,
        status=EnquiryStatus.PROPOSED,
    )  # fmt: skip
    introduce(
        broker, world.need, owner=world.uni, admin=world.admin, fields=fields,
        status=EnquiryStatus.ACCEPTED,
    )  # fmt: skip
    activity = broker_assignments.need_activity([world.need.id])[world.need.id]
    assert activity.by_status == {"proposed": 1, "accepted": 1}
    assert activity.total == 2
    assert activity.last_activity is not None


# --- figures --------------------------------------------------------------------------------
def test_stats_come_from_the_rows(db, fields):
    world = make_world(fields)
    broker = make_broker()
    other = make_broker()

    def made(status: EnquiryStatus, who=broker):
        return introduce(
            who, world.need, owner=world.uni, admin=world.admin, fields=fields, status=status
        )

    accepted = made(EnquiryStatus.ACCEPTED)
    closed = made(EnquiryStatus.CLOSED)
    made(EnquiryStatus.DECLINED)
    made(EnquiryStatus.OPEN)
    made(EnquiryStatus.PROPOSED)  # not decided: outside the rate
    made(EnquiryStatus.WITHDRAWN)  # taken back: outside the rate
    made(EnquiryStatus.ACCEPTED, who=other)  # another broker's
    record_deal(accepted, amount=120, fee=6)
    record_deal(closed, amount=80, fee=None)
    terminated = made(EnquiryStatus.CLOSED)
    record_deal(terminated, amount=1000, fee=50, status="terminated")  # not live: not counted
    broker_assignments.assign_need(actor=world.admin, broker=broker, need_id=world.need.id)

    stats = broker_stats.broker_stats(broker)
    assert stats.introductions == 7
    assert stats.accepted == 3  # accepted, closed, closed (terminated deal)
    assert stats.decided == 5  # accepted, closed ×2, declined, open
    assert stats.acceptance_rate == pytest.approx(3 / 5)
    assert stats.deals == 2
    assert stats.deal_amount_wan == Decimal(200)
    assert stats.fee_wan == Decimal(6)
    assert stats.needs_followed == 1
    assert broker_stats.broker_stats(other).introductions == 1
    recent = broker_stats.recent_introductions(broker)
    # public: only introductions both sides went ahead with (not proposed, declined, withdrawn)
    assert len(recent) == 3
    assert {line.status for line in recent} == {"accepted", "closed"}
    assert {line.need_title for line in recent} == {world.need.title}


def test_no_decided_introduction_has_no_rate(db):
    stats = broker_stats.broker_stats(make_broker())
    assert stats.introductions == 0
    assert stats.acceptance_rate is None


def test_activity_panel_lists_verified_brokers_and_counts_pending(db):
    verified = make_broker()
    make_broker(verified=False)
    make_broker(verified=False)
    panel = broker_stats.activity_panel()
    assert [row.broker.id for row in panel["rows"]] == [verified.id]
    assert panel["pending"] == 2
