"""The listings state machine: every transition of results and needs, every illegal one, expiry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from matchmaker.extensions import db
from matchmaker.models import AuditLog, Mode, Notification, Publication, Result
from matchmaker.models.base import CHINA, utcnow
from matchmaker.services.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from matchmaker.services.market import listings
from matchmaker.services.market.listings import NeedData, ResultData
from matchmaker.services.platform import notifications
from tests.factories import make_user

SENTINEL_PHONE = "13812345678"
SENTINEL_EMAIL = "sentinel@contact.example"


# --- builders (shared with the other listing test modules) ------------------------------------
def result_data(fields: dict, **overrides: object) -> ResultData:
    """A complete, submittable result."""
    values: dict[str, object] = {
        "title": "高强高模碳纤维原丝干喷湿纺制备技术",
        "field_id": fields["materials"].id,
        "keywords": ("碳纤维", "原丝"),
        "region": "changchun",
        "contact_name": "李老师",
        "contact_phone": SENTINEL_PHONE,
        "contact_email": SENTINEL_EMAIL,
        "summary": "采用干喷湿纺工艺制备T800级碳纤维原丝，拉伸强度不低于5.5GPa，适用于航空航天。",
        "description": "技术指标：拉伸强度≥5.5GPa，模量≥294GPa。应用领域：压力容器、风电叶片。",
        "trl": 6,
        "modes": int(Mode.TRANSFER | Mode.LICENSE_NON_EXCLUSIVE),
        "price_wan": Decimal("300"),
        "team": "张三、李四",
    }
    values.update(overrides)
    return ResultData(**values)  # type: ignore[arg-type]


def need_data(fields: dict, **overrides: object) -> NeedData:
    """A complete, submittable need (deadline 90 days ahead)."""
    values: dict[str, object] = {
        "title": "汽车轻量化碳纤维复合材料部件成型工艺需求",
        "field_id": fields["automotive"].id,
        "keywords": ("轻量化", "复合材料"),
        "region": "changchun",
        "contact_name": "王工",
        "contact_phone": SENTINEL_PHONE,
        "contact_email": SENTINEL_EMAIL,
        "description": "需要适合年产十万件的碳纤维复合材料车身部件快速成型工艺，节拍小于5分钟。",
        "targets": "节拍≤5分钟，成本下降30%。",
        "existing_base": "已有热压罐一台。",
        "budget_wan": Decimal("80"),
        "deadline": datetime.now(CHINA).date() + timedelta(days=90),
    }
    values.update(overrides)
    return NeedData(**values)  # type: ignore[arg-type]


def owner_for(kind: str, *, verified: bool = True, **kwargs: object):
    """A user who may create listings of the kind."""
    return make_user(
        "university" if kind == "result" else "enterprise", verified=verified, **kwargs
    )


def data_for(kind: str, fields: dict, **overrides: object) -> ResultData | NeedData:
    return (result_data if kind == "result" else need_data)(fields, **overrides)


def listed(
    kind: str, fields: dict, owner, admin, *, now: datetime | None = None, **overrides: object
):
    """A listing approved through the services (listed result / open need)."""
    listing = listings.create_listing(actor=owner, data=data_for(kind, fields, **overrides))
    listings.submit_listing(actor=owner, listing=listing)
    listings.approve_listing(actor=admin, listing=listing, now=now)
    db.session.flush()
    return listing


PUBLIC = {"result": "listed", "need": "open"}


def bring_to(kind: str, state: str, fields: dict, owner, admin):
    """A listing of the kind in the given state, reached through the services where possible."""
    listing = listings.create_listing(actor=owner, data=data_for(kind, fields))
    if state == "draft":
        return listing
    if state == "awarded":  # the challenge states belong to another workflow: set them directly
        listing.status = "awarded"
        db.session.flush()
        return listing
    listings.submit_listing(actor=owner, listing=listing)
    if state == "pending_review":
        return listing
    listings.approve_listing(actor=admin, listing=listing)
    if state == PUBLIC[kind]:
        return listing
    if state == "withdrawn":
        listings.withdraw_listing(actor=owner, listing=listing)
    elif state == "transferred":
        listings.mark_transferred(actor=owner, listing=listing)
    elif state == "expired":
        listings.expire_listings(now=listing.expires_at + timedelta(seconds=1))
    assert listing.status == state
    return listing


def last_audit(listing) -> AuditLog:
    return db.session.scalars(
        sa.select(AuditLog)
        .where(AuditLog.object_type == listing.KIND, AuditLog.object_id == str(listing.id))
        .order_by(AuditLog.id.desc())
    ).first()


def notifications_of(user, kind: str | None = None) -> list[Notification]:
    stmt = sa.select(Notification).where(Notification.user_id == user.id)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    return list(db.session.scalars(stmt.order_by(Notification.id)))


# --- the transition matrix --------------------------------------------------------------------
ACTIONS: dict[str, Callable] = {
    "submit": lambda o, a, x, f: listings.submit_listing(actor=o, listing=x),
    "retract": lambda o, a, x, f: listings.retract_submission(actor=o, listing=x),
    "withdraw": lambda o, a, x, f: listings.withdraw_listing(actor=o, listing=x),
    "transfer": lambda o, a, x, f: listings.mark_transferred(actor=o, listing=x),
    "confirm": lambda o, a, x, f: listings.confirm_listing(actor=o, listing=x),
    "approve": lambda o, a, x, f: listings.approve_listing(actor=a, listing=x),
    "reject": lambda o, a, x, f: listings.reject_listing(
        actor=a, listing=x, code="unclear", reason="请说明技术指标"
    ),
    "edit": lambda o, a, x, f: listings.update_listing(
        actor=o, listing=x, data=data_for(x.KIND, f, title="修改后的标题：大丝束碳纤维")
    ),
}
#: (kind, state, action) -> the status after a legal transition; every other combination is illegal.
LEGAL = {
    **{
        (k, s, "submit"): "pending_review"
        for k in ("result", "need")
        for s in ("draft", "withdrawn", "expired")
    },
    **{(k, "pending_review", "retract"): "draft" for k in ("result", "need")},
    # a draft or a first submission has nothing public to take down (see test_owner_pages)
    **{(k, PUBLIC[k], "withdraw"): "withdrawn" for k in ("result", "need")},
    ("result", "listed", "transfer"): "transferred",
    **{(k, PUBLIC[k], "confirm"): PUBLIC[k] for k in ("result", "need")},
    **{(k, "pending_review", "approve"): PUBLIC[k] for k in ("result", "need")},
    **{(k, "pending_review", "reject"): "draft" for k in ("result", "need")},
    **{
        (k, s, "edit"): s
        for k in ("result", "need")
        for s in ("draft", "pending_review", "withdrawn", "expired")
    },
    **{(k, PUBLIC[k], "edit"): "pending_review" for k in ("result", "need")},
}
STATES = {
    "result": ("draft", "pending_review", "listed", "withdrawn", "transferred", "expired"),
    "need": ("draft", "pending_review", "open", "withdrawn", "expired", "awarded"),
}
AUDIT_ACTION = {"edit": "update"}
CASES = [(k, s, a) for k in ("result", "need") for s in STATES[k] for a in ACTIONS]


@pytest.mark.parametrize(
    ("kind", "state", "action"),
    [c for c in CASES if c in LEGAL],
    ids=["-".join(c) for c in CASES if c in LEGAL],
)
def test_legal_transition_changes_status_and_is_audited(fields, kind, state, action):
    owner, admin = owner_for(kind), make_user("admin")
    listing = bring_to(kind, state, fields, owner, admin)
    audits_before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog))

    ACTIONS[action](owner, admin, listing, fields)
    db.session.commit()

    assert listing.status == LEGAL[(kind, state, action)]
    entry = last_audit(listing)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == audits_before + 1
    assert entry.action == f"{kind}.{AUDIT_ACTION.get(action, action)}"
    actor = admin if action in ("approve", "reject") else owner
    assert entry.actor_id == actor.id
    if action == "confirm":
        assert (
            set(entry.before) == {"expires_at"}
            and entry.after["expires_at"] == listing.expires_at.isoformat()
        )
    else:
        assert entry.before == {"status": state}
        assert entry.after["status"] == listing.status


@pytest.mark.parametrize(
    ("kind", "state", "action"),
    [c for c in CASES if c not in LEGAL],
    ids=["-".join(c) for c in CASES if c not in LEGAL],
)
def test_illegal_transition_raises_and_changes_nothing(fields, kind, state, action):
    owner, admin = owner_for(kind), make_user("admin")
    listing = bring_to(kind, state, fields, owner, admin)
    db.session.commit()
    audits_before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog))
    had_publication = listing.publication is not None

    with pytest.raises(InvalidTransition) as raised:
        ACTIONS[action](owner, admin, listing, fields)
    assert str(raised.value)  # the reason the UI shows
    db.session.rollback()

    assert listing.status == state
    assert (listing.publication is not None) == had_publication
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == audits_before


def test_the_matrix_covers_every_result_state():
    declared = {str(s) for s in Result.__mapper__.columns["status"].type.enums}
    assert declared == set(STATES["result"])


# --- the happy path in detail -----------------------------------------------------------------
@pytest.mark.parametrize("kind", ["result", "need"])
def test_draft_to_review_to_public(fields, kind):
    owner, admin = owner_for(kind), make_user("admin")
    listing = listings.create_listing(actor=owner, data=data_for(kind, fields))
    db.session.commit()
    assert listing.status == "draft" and listing.organisation_id == owner.organisation_id
    assert listing.publication is None

    listings.submit_listing(actor=owner, listing=listing)
    db.session.commit()
    assert listing.status == "pending_review" and listing.submitted_at is not None
    assert notifications_of(admin) == []  # no message per item: the queue and a daily digest
    assert listing.publication is None

    now = utcnow()
    listings.approve_listing(actor=admin, listing=listing, now=now)
    db.session.commit()
    assert listing.status == PUBLIC[kind]
    assert (
        listing.published_at == now and listing.confirmed_at == now and listing.reviewed_at == now
    )
    pub = listing.publication
    assert pub is not None and pub.kind == kind and pub.title == listing.title
    assert pub.expires_at == listing.expires_at
    assert [n.kind for n in notifications_of(owner)] == ["listing.approved"]
    if kind == "result":
        assert listing.expires_at == now + timedelta(days=365)


@pytest.mark.parametrize("kind", ["result", "need"])
def test_reject_returns_to_draft_with_code_and_reason(fields, kind, outbox):
    owner, admin = owner_for(kind), make_user("admin")
    listing = bring_to(kind, "pending_review", fields, owner, admin)
    listings.reject_listing(
        actor=admin, listing=listing, code="incomplete", reason="  请补充专利号  "
    )
    db.session.commit()
    assert listing.status == "draft"
    assert (listing.review_reason_code, listing.review_reason) == ("incomplete", "请补充专利号")
    entry = last_audit(listing)
    assert entry.action == f"{kind}.reject" and entry.reason == "incomplete: 请补充专利号"
    note = notifications_of(owner, "listing.rejected")[0]
    assert note.params["reason"] == "请补充专利号" and note.params["reason_code"] == "incomplete"
    assert "reason_label" not in note.params  # the code is stored, the label shown when read
    with force_locale("zh_Hans_CN"):
        assert "（信息不全）" in notifications.render(note.kind, note.params)[1]
    with force_locale("en"):
        assert "(Incomplete information)" in notifications.render(note.kind, note.params)[1]
    assert any("请补充专利号" in m.body and m.recipients == [owner.email] for m in outbox)

    # Fixed and resubmitted: the approval clears the reviewer's reason.
    listings.submit_listing(actor=owner, listing=listing)
    listings.approve_listing(actor=admin, listing=listing)
    assert listing.review_reason_code is None and listing.review_reason is None


@pytest.mark.parametrize(
    ("code", "reason", "key"), [("bogus", "理由", "code"), ("other", "   ", "reason")]
)
def test_reject_needs_a_known_code_and_a_reason(fields, code, reason, key):
    owner, admin = owner_for("result"), make_user("admin")
    listing = bring_to("result", "pending_review", fields, owner, admin)
    with pytest.raises(ValidationFailed) as raised:
        listings.reject_listing(actor=admin, listing=listing, code=code, reason=reason)
    assert key in raised.value.errors
    assert listing.status == "pending_review"


@pytest.mark.parametrize("state", ["listed"])  # a draft has nothing public (test_owner_pages)
def test_withdraw_removes_the_public_version(fields, state):
    owner, admin = owner_for("result"), make_user("admin")
    listing = bring_to("result", state, fields, owner, admin)
    listings.withdraw_listing(actor=owner, listing=listing, reason="已与企业签约")
    db.session.commit()
    assert listing.status == "withdrawn" and listing.publication is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Publication)) == 0
    assert last_audit(listing).reason == "已与企业签约"


def test_transfer_removes_the_public_version(fields):
    owner, admin = owner_for("result"), make_user("admin")
    listing = bring_to("result", "listed", fields, owner, admin)
    listings.mark_transferred(actor=owner, listing=listing)
    db.session.commit()
    assert listing.status == "transferred"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Publication)) == 0


def test_transferred_result_cannot_be_edited_or_resubmitted(fields):
    owner, admin = owner_for("result"), make_user("admin")
    listing = bring_to("result", "transferred", fields, owner, admin)
    with pytest.raises(InvalidTransition):
        listings.update_listing(
            actor=owner, listing=listing, data=result_data(fields, title="新标题")
        )
    with pytest.raises(InvalidTransition):
        listings.submit_listing(actor=owner, listing=listing)
    assert listing.title == "高强高模碳纤维原丝干喷湿纺制备技术"


def test_a_need_cannot_be_transferred(fields):
    owner, admin = owner_for("need"), make_user("admin")
    need = bring_to("need", "open", fields, owner, admin)
    with pytest.raises(InvalidTransition):
        listings.mark_transferred(actor=owner, listing=need)
    assert need.status == "open" and need.publication is not None


# --- re-editing a published listing -----------------------------------------------------------
@pytest.mark.parametrize("kind", ["result", "need"])
def test_editing_substance_sends_back_to_review_and_public_keeps_old_version(fields, kind):
    owner, admin = owner_for(kind), make_user("admin")
    listing = listed(kind, fields, owner, admin)
    old_title = listing.title
    db.session.commit()

    changed = listings.update_listing(
        actor=owner, listing=listing, data=data_for(kind, fields, title="全新标题：第二版")
    )
    db.session.commit()
    assert changed == {"title"}
    assert listing.status == "pending_review"
    pub = db.session.scalar(sa.select(Publication))
    assert pub.title == old_title  # the public still sees the approved version
    entry = last_audit(listing)
    assert entry.action == f"{kind}.update"
    assert entry.before == {"status": PUBLIC[kind]} and entry.after["status"] == "pending_review"
    assert entry.after["fields"] == ["title"]
    assert "listing.review_needed" not in [n.kind for n in notifications_of(admin)]

    listings.approve_listing(actor=admin, listing=listing)
    db.session.commit()
    assert listing.status == PUBLIC[kind]
    assert db.session.scalar(sa.select(Publication.title)) == "全新标题：第二版"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Publication)) == 1


def test_editing_only_contact_details_keeps_the_listing_public(fields):
    owner, admin = owner_for("result"), make_user("admin")
    listing = listed("result", fields, owner, admin)
    changed = listings.update_listing(
        actor=owner, listing=listing, data=result_data(fields, contact_phone="13900001111")
    )
    assert changed == {"contact_phone"}
    assert listing.status == "listed"


def test_unchanged_edit_records_nothing(fields):
    owner, admin = owner_for("result"), make_user("admin")
    listing = listed("result", fields, owner, admin)
    db.session.commit()
    before = last_audit(listing).id
    assert listings.update_listing(actor=owner, listing=listing, data=result_data(fields)) == set()
    assert listing.status == "listed" and last_audit(listing).id == before


def test_approving_a_re_edit_keeps_first_publication_date(fields):
    owner, admin = owner_for("result"), make_user("admin")
    first = utcnow() - timedelta(days=30)
    listing = listed("result", fields, owner, admin, now=first)
    listings.update_listing(actor=owner, listing=listing, data=result_data(fields, title="第二版"))
    later = utcnow()
    listings.approve_listing(actor=admin, listing=listing, now=later)
    db.session.commit()
    assert listing.published_at == first
    assert listing.publication.published_at == first and listing.publication.approved_at == later
    assert listing.expires_at == later + timedelta(days=365)


# --- permissions ------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["result", "need"])
def test_unverified_organisation_may_draft_but_not_submit(fields, kind):
    owner = owner_for(kind, verified=False)
    listing = listings.create_listing(actor=owner, data=data_for(kind, fields))
    with pytest.raises(PermissionDenied) as raised:
        listings.submit_listing(actor=owner, listing=listing)
    assert "认证" in str(raised.value)
    assert listing.status == "draft"


@pytest.mark.parametrize(
    ("role", "kind"),
    [
        ("enterprise", "result"),
        ("university", "need"),
        ("bank", "result"),
        ("bank", "need"),
        ("admin", "result"),
    ],
)
def test_roles_that_cannot_create_the_kind(fields, role, kind):
    with pytest.raises(PermissionDenied):
        listings.create_listing(actor=make_user(role), data=data_for(kind, fields))


@pytest.mark.parametrize("action", ["submit", "retract", "withdraw", "transfer", "confirm", "edit"])
def test_other_organisation_gets_not_found(fields, action):
    owner, admin = owner_for("result"), make_user("admin")
    stranger = owner_for("result")
    listing = bring_to(
        "result",
        "listed"
        if action in ("transfer", "confirm", "edit")
        else "pending_review"
        if action == "retract"
        else "draft",
        fields,
        owner,
        admin,
    )
    with pytest.raises(NotFound):
        ACTIONS[action](stranger, admin, listing, fields)
    with pytest.raises(NotFound):
        listings.get_owned(actor=stranger, kind="result", listing_id=listing.id)
    assert listings.get_owned(actor=owner, kind="result", listing_id=listing.id) is listing


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_only_reviewers_approve_or_reject(fields, action):
    owner = owner_for("result")
    listing = bring_to("result", "pending_review", fields, owner, None)
    with pytest.raises(PermissionDenied):
        ACTIONS[action](owner, owner, listing, fields)
    assert listing.status == "pending_review"


# --- validation -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"title": "  "}, "title"),
        ({"region": "atlantis"}, "region"),
        ({"field_id": 987654}, "field_id"),
        ({"trl": 10}, "trl"),
        ({"price_wan": Decimal("-1")}, "price_wan"),
        ({"modes": 128}, "modes"),
    ],
)
def test_create_validates_result_fields(fields, overrides, key):
    with pytest.raises(ValidationFailed) as raised:
        listings.create_listing(actor=owner_for("result"), data=result_data(fields, **overrides))
    assert key in raised.value.errors
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Result)) == 0


def test_need_budget_cannot_be_negative(fields):
    with pytest.raises(ValidationFailed) as raised:
        listings.create_listing(
            actor=owner_for("need"), data=need_data(fields, budget_wan=Decimal("-5"))
        )
    assert "budget_wan" in raised.value.errors


@pytest.mark.parametrize(
    ("kind", "overrides", "key"),
    [
        ("result", {"summary": "太短"}, "summary"),
        ("result", {"trl": None}, "trl"),
        ("result", {"modes": 0}, "modes"),
        ("result", {"field_id": None}, "field_id"),
        ("result", {"contact_phone": "", "contact_email": ""}, "contact_name"),
        ("need", {"deadline": None}, "deadline"),
        ("need", {"deadline": date(2000, 1, 1)}, "deadline"),
        ("need", {"description": "太短"}, "description"),
    ],
)
def test_incomplete_listing_cannot_be_submitted(fields, kind, overrides, key):
    owner = owner_for(kind)
    listing = listings.create_listing(actor=owner, data=data_for(kind, fields, **overrides))
    with pytest.raises(ValidationFailed) as raised:
        listings.submit_listing(actor=owner, listing=listing)
    assert key in raised.value.errors
    assert listing.status == "draft"


def test_keywords_are_normalised():
    assert listings.normalise_keywords("碳纤维，原丝、 碳纤维;LiFePO4；lifepo4\n航空") == (
        "碳纤维",
        "原丝",
        "LiFePO4",
        "航空",
    )


# --- confirm and the clock --------------------------------------------------------------------
def test_remind_once_then_confirm_extends_and_resets_the_reminder(fields, outbox):
    owner, admin = owner_for("result"), make_user("admin")
    approved = utcnow() - timedelta(days=355)
    listing = listed("result", fields, owner, admin, now=approved)
    db.session.commit()
    expires = listing.expires_at
    assert expires == approved + timedelta(days=365)  # 10 days from now
    outbox.clear()

    assert listings.expire_listings() == {"reminded": 1, "expired": 0}
    db.session.commit()
    assert listing.reminded_at is not None
    assert len(notifications_of(owner, "listing.expiring")) == 1
    assert [m.recipients for m in outbox] == [[owner.email]]
    assert "到期" in outbox[0].subject

    assert listings.expire_listings() == {"reminded": 0, "expired": 0}  # only once
    assert len(notifications_of(owner, "listing.expiring")) == 1 and len(outbox) == 1

    now = utcnow()
    new_end = listings.confirm_listing(actor=owner, listing=listing, now=now)
    db.session.commit()
    assert new_end == now + timedelta(days=365) == listing.expires_at
    assert listing.confirmed_at == now and listing.reminded_at is None
    assert listing.publication.expires_at == listing.expires_at
    entry = last_audit(listing)
    assert entry.action == "result.confirm" and entry.before == {"expires_at": expires.isoformat()}

    # After the extension the reminder fires again, 14 days before the new end.
    assert listings.expire_listings(now=listing.expires_at - timedelta(days=15))["reminded"] == 0
    assert listings.expire_listings(now=listing.expires_at - timedelta(days=13))["reminded"] == 1


def test_reminder_window_is_fourteen_days(fields):
    owner, admin = owner_for("result"), make_user("admin")
    listing = listed("result", fields, owner, admin)
    db.session.commit()
    assert listings.expire_listings(now=listing.expires_at - timedelta(days=14, seconds=1)) == {
        "reminded": 0,
        "expired": 0,
    }
    assert listings.expire_listings(now=listing.expires_at - timedelta(days=14)) == {
        "reminded": 1,
        "expired": 0,
    }


def test_expiry_unpublishes_notifies_and_is_idempotent(fields, outbox):
    owner, admin = owner_for("result"), make_user("admin")
    listing = listed("result", fields, owner, admin)
    db.session.commit()
    outbox.clear()
    after_end = listing.expires_at + timedelta(minutes=1)

    assert listings.expire_listings(now=listing.expires_at - timedelta(seconds=1))["expired"] == 0
    counts = listings.expire_listings(now=after_end)
    db.session.commit()
    assert counts["expired"] == 1
    assert listing.status == "expired" and listing.publication is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Publication)) == 0
    assert len(notifications_of(owner, "listing.expired")) == 1
    assert any("下架" in m.subject for m in outbox)
    entry = last_audit(listing)
    assert entry.action == "result.expire" and entry.actor_id is None
    assert entry.before == {"status": "listed"} and entry.after == {"status": "expired"}

    snapshot = (
        db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)),
        db.session.scalar(sa.select(sa.func.count()).select_from(Notification)),
        len(outbox),
    )
    assert listings.expire_listings(now=after_end) == {"reminded": 0, "expired": 0}
    assert listings.expire_listings(now=after_end + timedelta(days=400)) == {
        "reminded": 0,
        "expired": 0,
    }
    db.session.commit()
    assert snapshot == (
        db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)),
        db.session.scalar(sa.select(sa.func.count()).select_from(Notification)),
        len(outbox),
    )
    assert listing.status == "expired"


def test_expired_listing_can_be_resubmitted(fields):
    owner, admin = owner_for("result"), make_user("admin")
    listing = bring_to("result", "expired", fields, owner, admin)
    listings.submit_listing(actor=owner, listing=listing)
    listings.approve_listing(actor=admin, listing=listing)
    assert listing.status == "listed" and listing.publication is not None


def test_need_expires_at_its_deadline(fields):
    owner, admin = owner_for("need"), make_user("admin")
    deadline = datetime.now(CHINA).date() + timedelta(days=30)
    need = listed("need", fields, owner, admin, deadline=deadline)
    db.session.commit()
    end_of_day = datetime.combine(deadline, time.max, CHINA).astimezone(UTC)
    assert need.expires_at == end_of_day
    assert need.publication.deadline == deadline

    assert listings.expire_listings(now=end_of_day - timedelta(days=13)) == {
        "reminded": 1,
        "expired": 0,
    }
    assert listings.expire_listings(now=end_of_day - timedelta(seconds=1)) == {
        "reminded": 0,
        "expired": 0,
    }
    assert listings.expire_listings(now=end_of_day) == {"reminded": 0, "expired": 1}
    assert need.status == "expired" and need.publication is None


def test_need_without_far_deadline_is_capped_at_a_year(fields):
    owner, admin = owner_for("need"), make_user("admin")
    now = utcnow()
    need = listed(
        "need",
        fields,
        owner,
        admin,
        now=now,
        deadline=datetime.now(CHINA).date() + timedelta(days=800),
    )
    assert need.expires_at == now + timedelta(days=365)


def test_expiry_of_a_listing_under_re_review_hides_its_old_version(fields):
    owner, admin = owner_for("result"), make_user("admin")
    listing = listed("result", fields, owner, admin)
    listings.update_listing(actor=owner, listing=listing, data=result_data(fields, title="第二版"))
    db.session.commit()
    assert listing.status == "pending_review" and listing.publication is not None

    assert listings.expire_listings(now=listing.expires_at + timedelta(seconds=1))["expired"] == 1
    assert listing.status == "pending_review"  # the reviewer still decides on the new version
    assert listing.publication is None
    assert listings.expire_listings(now=listing.expires_at + timedelta(seconds=1))["expired"] == 0

    listings.approve_listing(actor=admin, listing=listing)
    assert listing.status == "listed" and listing.publication.title == "第二版"


def test_confirm_allowed_while_a_public_version_is_under_review(fields):
    owner, admin = owner_for("result"), make_user("admin")
    listing = listed("result", fields, owner, admin)
    listings.update_listing(actor=owner, listing=listing, data=result_data(fields, title="第二版"))
    listings.confirm_listing(actor=owner, listing=listing)
    assert listing.status == "pending_review"


def test_expire_leaves_other_listings_alone(fields):
    owner, admin = owner_for("result"), make_user("admin")
    old = listed("result", fields, owner, admin, now=utcnow() - timedelta(days=400))
    fresh = listed("result", fields, owner, admin, title="新成果")
    draft = listings.create_listing(actor=owner, data=result_data(fields, title="草稿"))
    db.session.commit()
    assert listings.expire_listings() == {"reminded": 0, "expired": 1}
    assert (old.status, fresh.status, draft.status) == ("expired", "listed", "draft")


def test_owner_overview_counts_and_expiring(fields):
    owner, admin = owner_for("result"), make_user("admin")
    listed("result", fields, owner, admin, now=utcnow() - timedelta(days=360))
    listed("result", fields, owner, admin, title="新成果")
    listings.create_listing(actor=owner, data=result_data(fields, title="草稿"))
    db.session.commit()
    overview = listings.owner_overview(organisation_id=owner.organisation_id, kind="result")
    assert overview["counts"] == {"listed": 2, "draft": 1}
    assert [r.title for r in overview["expiring"]] == ["高强高模碳纤维原丝干喷湿纺制备技术"]


def test_review_queue_is_oldest_first_across_kinds(fields):
    uni, ent, admin = owner_for("result"), owner_for("need"), make_user("admin")
    first = bring_to("need", "pending_review", fields, ent, admin)
    second = bring_to("result", "pending_review", fields, uni, admin)
    first.submitted_at = utcnow() - timedelta(hours=2)
    second.submitted_at = utcnow() - timedelta(hours=1)
    bring_to("result", "draft", fields, uni, admin)
    db.session.commit()
    assert listings.review_queue_query() == [first, second]
    assert listings.review_queue_size() == 2
