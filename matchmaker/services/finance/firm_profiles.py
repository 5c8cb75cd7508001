"""企业画像: the profile an enterprise declares, its completeness, and the consent reminder.

Declared (save_profile): industry, size, certifications with their certificates, patents,
awards, key products, contacts and several financial years. What the platform itself counts
about a firm is in services/finance/firm_activity.py. Saving recomputes the 创新积分
(services/finance/innovation_score.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import (
    ConsentGrant,
    FirmFinancialYear,
    FirmProfile,
    FirmSize,
    Organisation,
    SpecialisedLevel,
    TechField,
    User,
)
from matchmaker.models.base import utcnow
from matchmaker.permissions import can_manage_firm_profile
from matchmaker.services.challenges.challenge_states import local_date, members
from matchmaker.services.errors import PermissionDenied, ValidationFailed
from matchmaker.services.finance import innovation_score
from matchmaker.services.platform.audit import record_audit
from matchmaker.services.platform.notifications import notify

#: Numeric(14, 2) holds less than this (万元).
MAX_WAN = Decimal("999999999999")
#: The first financial year a firm may declare.
FIRST_YEAR = 1990
#: Days before expiry when the consent.expiring reminder goes out.
REMIND_DAYS = 7


@dataclass(frozen=True)
class YearData:
    """One declared financial year (万元)."""

    year: int
    revenue_wan: Decimal
    rd_spend_wan: Decimal


@dataclass(frozen=True)
class ProfileData:
    """What an enterprise declares about itself (the form hands this to save_profile)."""

    field_id: int | None = None
    size: FirmSize | str | None = None
    employees: int | None = None
    founded_year: int | None = None
    high_tech: bool = False
    high_tech_cert_no: str = ""
    high_tech_expires_on: date | None = None
    specialised: SpecialisedLevel | str = SpecialisedLevel.NONE
    specialised_cert_no: str = ""
    specialised_expires_on: date | None = None
    patents_invention: int = 0
    patents_utility: int = 0
    patents_design: int = 0
    software_copyrights: int = 0
    awards: str = ""
    key_products: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    years: list[YearData] = field(default_factory=list)


def profile_of(organisation_id: int | None) -> FirmProfile | None:
    """The organisation's profile, if it has declared one."""
    if organisation_id is None:
        return None
    return db.session.scalar(
        sa.select(FirmProfile).where(FirmProfile.organisation_id == organisation_id)
    )


# --- saving the declared profile -------------------------------------------------------------


def _text(value: str | None) -> str:
    return (value or "").strip()


def _not_negative(errors: dict[str, list[str]], name: str, value: object) -> None:
    if value is not None and value < 0:  # type: ignore[operator]
        errors.setdefault(name, []).append(_("不能为负数。"))


def _validate_certificates(data: ProfileData, errors: dict[str, list[str]]) -> None:
    if data.high_tech:
        if not _text(data.high_tech_cert_no):
            errors.setdefault("high_tech_cert_no", []).append(
                _("勾选高新技术企业时请填写证书编号。")
            )
        if data.high_tech_expires_on is None:
            errors.setdefault("high_tech_expires_on", []).append(
                _("勾选高新技术企业时请填写证书有效期。")
            )
    if str(data.specialised) not in {s.value for s in SpecialisedLevel}:
        errors.setdefault("specialised", []).append(_("请选择专精特新认定级别。"))
    elif str(data.specialised) != SpecialisedLevel.NONE:
        if not _text(data.specialised_cert_no):
            errors.setdefault("specialised_cert_no", []).append(
                _("选择专精特新认定时请填写证书（文件）编号。")
            )
        if data.specialised_expires_on is None:
            errors.setdefault("specialised_expires_on", []).append(
                _("选择专精特新认定时请填写有效期。")
            )


def _validate_years(data: ProfileData, errors: dict[str, list[str]]) -> None:
    this_year = date.today().year
    seen: set[int] = set()
    for row in data.years:
        label = _("%(year)s 年：", year=row.year)
        if not FIRST_YEAR <= row.year <= this_year:
            errors.setdefault("years", []).append(
                _("年度须在 %(first)s 至 %(last)s 之间。", first=FIRST_YEAR, last=this_year)
            )
            continue
        if row.year in seen:
            errors.setdefault("years", []).append(label + _("同一年度只能填写一次。"))
        seen.add(row.year)
        if data.founded_year and row.year < data.founded_year:
            errors.setdefault("years", []).append(label + _("早于企业成立年份。"))
        for value in (row.revenue_wan, row.rd_spend_wan):
            if value is None or not Decimal(value).is_finite() or not 0 <= value <= MAX_WAN:
                errors.setdefault("years", []).append(
                    label + _("营业收入和研发投入须为不小于 0 的金额。")
                )
                break


def _validate(data: ProfileData) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if data.size not in (None, "") and str(data.size) not in {s.value for s in FirmSize}:
        errors["size"] = [_("请选择企业规模。")]
    if data.field_id is not None and db.session.get(TechField, data.field_id) is None:
        errors["field_id"] = [_("请选择所属行业。")]
    _not_negative(errors, "employees", data.employees)
    if data.founded_year is not None and not 1900 <= data.founded_year <= date.today().year:
        errors["founded_year"] = [_("请填写真实的成立年份。")]
    for name in ("patents_invention", "patents_utility", "patents_design", "software_copyrights"):
        value = getattr(data, name)
        if value is None:
            errors.setdefault(name, []).append(_("请填写数量（没有请填 0）。"))
        else:
            _not_negative(errors, name, value)
    _validate_certificates(data, errors)
    _validate_years(data, errors)
    return errors


def _apply_years(profile: FirmProfile, years: list[YearData]) -> None:
    wanted = {row.year: row for row in years}
    for existing in list(profile.years):
        if existing.year not in wanted:
            profile.years.remove(existing)
    db.session.flush()  # deletes first, so a year moved between rows never collides
    by_year = {row.year: row for row in profile.years}
    for year, row in sorted(wanted.items()):
        target = by_year.get(year)
        if target is None:
            target = FirmFinancialYear(year=year)
            profile.years.append(target)
        target.revenue_wan = row.revenue_wan
        target.rd_spend_wan = row.rd_spend_wan


def save_profile(*, actor: User, data: ProfileData) -> FirmProfile:
    """Create or update the actor's firm profile, then recompute its 创新积分."""
    org_id = actor.organisation_id
    if not can_manage_firm_profile(actor, org_id):
        raise PermissionDenied(_("只有企业成员可以维护企业画像。"))
    errors = _validate(data)
    if errors:
        raise ValidationFailed(errors)
    profile = profile_of(org_id)
    created = profile is None
    if profile is None:
        profile = FirmProfile(organisation_id=org_id)
        db.session.add(profile)
    before = None if created else {"score": str(profile.score) if profile.score else None}
    specialised = SpecialisedLevel(str(data.specialised))
    profile.field_id = data.field_id
    profile.size = FirmSize(str(data.size)) if data.size else None
    profile.employees = data.employees
    profile.founded_year = data.founded_year
    profile.high_tech = bool(data.high_tech)
    profile.high_tech_cert_no = _text(data.high_tech_cert_no) if data.high_tech else None
    profile.high_tech_expires_on = data.high_tech_expires_on if data.high_tech else None
    profile.specialised = specialised
    held = specialised != SpecialisedLevel.NONE
    profile.specialised_cert_no = _text(data.specialised_cert_no) if held else None
    profile.specialised_expires_on = data.specialised_expires_on if held else None
    profile.patents_invention = data.patents_invention
    profile.patents_utility = data.patents_utility
    profile.patents_design = data.patents_design
    profile.software_copyrights = data.software_copyrights
    profile.awards = _text(data.awards)
    profile.key_products = _text(data.key_products)
    profile.contact_name = _text(data.contact_name) or None
    profile.contact_phone = _text(data.contact_phone) or None
    profile.contact_email = _text(data.contact_email) or None
    db.session.flush()
    _apply_years(profile, data.years)
    db.session.flush()
    innovation_score.compute_score(profile)
    record_audit(
        actor=actor,
        action="firm_profile.create" if created else "firm_profile.update",
        object_type="organisation",
        object_id=org_id,
        before=before,
        after={"score": str(profile.score), "version": profile.score_version},
    )
    return profile


def data_of(profile: FirmProfile | None) -> ProfileData:
    """A profile's declared values as ProfileData (to prefill the edit form)."""
    if profile is None:
        return ProfileData()
    return ProfileData(
        field_id=profile.field_id,
        size=profile.size,
        employees=profile.employees,
        founded_year=profile.founded_year,
        high_tech=profile.high_tech,
        high_tech_cert_no=profile.high_tech_cert_no or "",
        high_tech_expires_on=profile.high_tech_expires_on,
        specialised=profile.specialised,
        specialised_cert_no=profile.specialised_cert_no or "",
        specialised_expires_on=profile.specialised_expires_on,
        patents_invention=profile.patents_invention,
        patents_utility=profile.patents_utility,
        patents_design=profile.patents_design,
        software_copyrights=profile.software_copyrights,
        awards=profile.awards,
        key_products=profile.key_products,
        contact_name=profile.contact_name or "",
        contact_phone=profile.contact_phone or "",
        contact_email=profile.contact_email or "",
        years=[YearData(y.year, y.revenue_wan, y.rd_spend_wan) for y in profile.years],
    )


#: What "complete" means for the dashboard's completeness bar.
COMPLETENESS_CHECKS = (
    "field_id",
    "size",
    "employees",
    "founded_year",
    "key_products",
    "contact_name",
    "contact_phone",
    "years",
    "two_years",
)


def completeness(profile: FirmProfile | None) -> int:
    """How complete the declared profile is, in percent (0 without a profile)."""
    if profile is None:
        return 0
    done = 0
    for check in COMPLETENESS_CHECKS:
        if check == "years":
            done += bool(profile.years)
        elif check == "two_years":
            done += len(profile.years) >= 2
        else:
            done += getattr(profile, check) not in (None, "")
    return round(100 * done / len(COMPLETENESS_CHECKS))


# --- the consent.expiring reminder ----------------------------------------------------------


def remind_expiring_consents(*, now: datetime | None = None) -> int:
    """Tell each firm once, REMIND_DAYS before its live consent expires; returns the count."""
    now = now or utcnow()
    grants = db.session.scalars(
        sa.select(ConsentGrant)
        .where(
            ConsentGrant.revoked_at.is_(None),
            ConsentGrant.reminded_at.is_(None),
            ConsentGrant.expires_at > now,
            ConsentGrant.expires_at <= now + timedelta(days=REMIND_DAYS),
        )
        .order_by(ConsentGrant.id)
    ).all()
    for grant in grants:
        org = db.session.get(Organisation, grant.organisation_id)
        if org is not None:
            notify(
                users=members(org),
                kind="consent.expiring",
                params={"when": local_date(grant.expires_at)},
                link="/finance/consent",
            )
        grant.reminded_at = now
    db.session.flush()
    return len(grants)
