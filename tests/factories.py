"""factory_boy factories for the models, with traits for states."""

from __future__ import annotations

import factory
from factory.alchemy import SQLAlchemyModelFactory

from matchmaker.extensions import db
from matchmaker.models import Organisation, OrganisationDocument, OrgKind, OrgStatus, User
from matchmaker.models.base import utcnow
from matchmaker.permissions import Role
from matchmaker.services.accounts.credit_code import make_credit_code
from matchmaker.services.accounts.passwords import hash_password

PASSWORD = "correct horse battery staple"


class _Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class OrganisationFactory(_Base):
    """A verified enterprise unless told otherwise."""

    class Meta:
        model = Organisation

    kind = OrgKind.ENTERPRISE
    name = factory.Sequence(lambda n: f"测试企业{n}有限公司")
    region = "changchun"
    credit_code = factory.Sequence(lambda n: make_credit_code(f"91220101MA{n:07d}"))
    status = OrgStatus.VERIFIED
    verified_at = factory.LazyFunction(utcnow)

    @factory.post_generation
    def evidence(obj, create, extracted, **kwargs):  # noqa: N805
        """A licence scan row (no file on disk) unless evidence=False; none for government."""
        if not create or extracted is False or obj.kind == OrgKind.GOVERNMENT:
            return
        db.session.add(
            OrganisationDocument(
                organisation=obj,
                original_name="营业执照.pdf",
                stored_name=f"factory-{obj.id}",
                content_type="application/pdf",
                size=1024,
                sha256="0" * 64,
            )
        )

    class Params:
        pending = factory.Trait(status=OrgStatus.PENDING, verified_at=None)
        university = factory.Trait(
            kind=OrgKind.UNIVERSITY, name=factory.Sequence(lambda n: f"测试大学{n}")
        )
        bank = factory.Trait(kind=OrgKind.BANK, name=factory.Sequence(lambda n: f"测试银行{n}"))
        government = factory.Trait(
            kind=OrgKind.GOVERNMENT, credit_code=None, name=factory.Sequence(lambda n: f"科技局{n}")
        )


class UserFactory(_Base):
    """An active enterprise user with the known test password."""

    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Sequence(lambda n: f"用户{n}")
    password_hash = factory.LazyFunction(lambda: hash_password(PASSWORD))
    role = Role.ENTERPRISE
    organisation = factory.SubFactory(OrganisationFactory)
    password_changed_at = factory.LazyFunction(utcnow)
    email_verified_at = factory.LazyFunction(utcnow)


ORG_TRAITS = {
    Role.ENTERPRISE: {},
    Role.UNIVERSITY: {"university": True},
    Role.BANK: {"bank": True},
}


def make_user(role: Role | str, *, verified: bool = True, **kwargs: object) -> User:
    """A user of the given role in a fresh organisation of the matching kind."""
    role = Role(role)
    if role in (Role.ADMIN, Role.BUREAU):  # a 科技局 reader is a member of no organisation
        kwargs.setdefault("organisation", None)
        return UserFactory(role=role, **kwargs)
    if role == Role.BROKER:
        return make_broker(verified=verified, **kwargs).user
    if "organisation" not in kwargs:
        kwargs["organisation"] = OrganisationFactory(pending=not verified, **ORG_TRAITS[role])
    return UserFactory(role=role, **kwargs)


def make_broker(
    *, verified: bool = True, broker_organisation: Organisation | None = None, **kwargs: object
):
    """A 技术经纪人: a user of role broker (a member of no organisation) and its licence profile,
    verified unless told otherwise; `broker_organisation` is the organisation it works for."""
    from matchmaker.models import BrokerProfile, BrokerStatus

    kwargs.setdefault("organisation", None)
    user = UserFactory(role=Role.BROKER, **kwargs)
    profile = BrokerProfile(
        user=user,
        organisation=broker_organisation,
        licence_number=f"JL-TB-{user.id:06d}",
        issuing_body="吉林省科学技术厅",
        fields_text="新材料、装备制造",
        biography="",
        status=BrokerStatus.VERIFIED if verified else BrokerStatus.PENDING,
        verified_at=utcnow() if verified else None,
    )
    db.session.add(profile)
    db.session.flush()
    return profile


def publish_result(
    owner, admin, fields, title, summary, *, field="materials", price=50, approve=True
):
    """Create, submit and (by default) approve a result through the services; committed."""
    from decimal import Decimal

    from matchmaker.services.market import listings

    if len(summary) < 20:
        summary += "本成果已完成验证，具备推广应用条件。"
    result = listings.create_listing(
        actor=owner,
        data=listings.ResultData(
            title=title,
            field_id=fields[field].id,
            keywords=(),
            region="changchun",
            contact_name="联系人",
            contact_phone="13900000000",
            summary=summary,
            trl=6,
            modes=1,
            price_wan=Decimal(price),
        ),
    )
    listings.submit_listing(actor=owner, listing=result)
    if approve:
        listings.approve_listing(actor=admin, listing=result)
    db.session.commit()
    return result


def publish_need(owner, admin, fields, title, description, *, field="materials"):
    """Create, submit and approve a need through the services; committed."""
    from datetime import timedelta
    from decimal import Decimal

    from matchmaker.services.market import listings

    need = listings.create_listing(
        actor=owner,
        data=listings.NeedData(
            title=title,
            field_id=fields[field].id,
            keywords=(),
            region="changchun",
            contact_name="联系人",
            contact_email="need@example.com",
            description=description,
            deadline=(utcnow() + timedelta(days=90)).date(),
            budget_wan=Decimal(80),
        ),
    )
    listings.submit_listing(actor=owner, listing=need)
    listings.approve_listing(actor=admin, listing=need)
    db.session.commit()
    return need


#: The first bytes of real scans, enough for the content check (services/accounts/evidence.py).
PDF_BYTES = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _png(width: int = 40, height: int = 24) -> bytes:
    """A real (blue) PNG image, so pages can be looked at with it."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + bytes([30, 90, 200]) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PNG_BYTES = _png()


def scan_upload(content: bytes = PDF_BYTES, filename: str = "营业执照.pdf"):
    """A licence scan as the registration service takes it."""
    import io

    from matchmaker.services.accounts.evidence import DocumentUpload

    return DocumentUpload(stream=io.BytesIO(content), filename=filename)
