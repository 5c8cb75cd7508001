"""Shared set-up for the 对接 service tests: a small world of organisations and listings."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Enquiry, EnquiryMessage, Need, Notification, Result, User
from matchmaker.services.connect import enquiries
from tests.factories import make_user, publish_need, publish_result

PDF = b"%PDF-1.4\n% a tiny test document\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00 not a document"
DATA = enquiries.EnquiryData(
    intent="license", message="我们希望获得该技术的普通许可，用于电池隔膜生产线。"
)


@dataclass
class World:
    """A university with a listed result, an enterprise with an open need, and bystanders."""

    admin: User
    uni: User  # owns `result`
    ent: User  # owns `need`; sends enquiries on `result`
    third: User  # a third enterprise, no party
    bank: User
    result: Result
    need: Need


def make_world(fields) -> World:
    """Everything committed, listings approved through the services."""
    admin = make_user("admin")
    uni = make_user("university", email="uni@example.com", phone="13800000001")
    ent = make_user("enterprise", email="ent@example.com", phone="13900000002")
    third = make_user("enterprise", email="third@example.com")
    bank = make_user("bank", email="bank@example.com")
    db.session.commit()
    result = publish_result(uni, admin, fields, "碳纤维连续碳化技术", "连续碳化工艺，能耗降低两成")
    need = publish_need(ent, admin, fields, "锂电池隔膜涂覆工艺", "需要提升隔膜涂覆一致性" * 3)
    return World(admin, uni, ent, third, bank, result, need)


def upload(content: bytes = PDF, name: str = "方案.pdf") -> tuple[io.BytesIO, str]:
    """An upload as a view hands it to the services."""
    return io.BytesIO(content), name


def send(
    user: User,
    listing: Result | Need,
    data: enquiries.EnquiryData = DATA,
    *,
    now: datetime | None = None,
    **kwargs: object,
) -> Enquiry:
    """Create an enquiry on a listing (kind from the listing)."""
    return enquiries.create_enquiry(
        actor=user, kind=listing.KIND, listing_id=listing.id, data=data, now=now, **kwargs
    )


def count(model: type) -> int:
    """Rows of a model (pending changes are flushed first)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def kinds_for(user: User) -> list[str]:
    """The 对接 notification kinds a user received, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Notification.kind)
            .where(Notification.user_id == user.id, Notification.kind.startswith("enquiry."))
            .order_by(Notification.id)
        )
    )


def messages_of(enquiry: Enquiry) -> list[str]:
    """The bodies of an enquiry's messages."""
    return list(
        db.session.scalars(
            sa.select(EnquiryMessage.body)
            .where(EnquiryMessage.enquiry_id == enquiry.id)
            .order_by(EnquiryMessage.id)
        )
    )
