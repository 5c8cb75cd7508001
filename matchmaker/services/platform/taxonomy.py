"""The field taxonomy: key industries seeded by the migration, editable by admins."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import TechField, User
from matchmaker.permissions import Permission, has_permission
from matchmaker.services.errors import PermissionDenied, ValidationFailed
from matchmaker.services.platform.audit import record_audit

#: Seeded by the migration (code, Chinese, English); admins may rename, reorder, add or hide.
KEY_INDUSTRIES: tuple[tuple[str, str, str], ...] = (
    ("chemicals", "化工", "Chemicals"),
    ("metallurgy", "冶金", "Metallurgy"),
    ("materials", "碳纤维/新材料", "Carbon fibre & new materials"),
    ("electronics", "电子信息/光电", "Electronics & photonics"),
    ("automotive", "汽车/装备制造", "Automotive & equipment"),
    ("agrifood", "人参/农业食品", "Ginseng, agriculture & food"),
    ("biomedicine", "生物医药", "Biomedicine"),
    ("energy", "新能源/绿色能源", "New & green energy"),
    ("low_altitude", "低空经济", "Low-altitude economy"),
    ("ai_software", "人工智能/软件", "AI & software"),
    ("other", "其他", "Other"),
)


def active_fields() -> list[TechField]:
    """Fields offered in forms and facets, in the admin's order."""
    return list(
        db.session.scalars(
            sa.select(TechField)
            .where(TechField.is_active)
            .order_by(TechField.position, TechField.id)
        )
    )


def all_fields() -> list[TechField]:
    """Every field, hidden ones included (admin list)."""
    return list(db.session.scalars(sa.select(TechField).order_by(TechField.position, TechField.id)))


def field_choices(locale: str) -> list[tuple[int, str]]:
    """(id, label) pairs for a select field."""
    return [(f.id, f.label(locale)) for f in active_fields()]


def field_by_code(code: str) -> TechField | None:
    """A field by its stable code."""
    return db.session.scalar(sa.select(TechField).where(TechField.code == code))


def save_field(
    *,
    actor: User,
    code: str,
    name: str,
    name_en: str,
    position: int,
    is_active: bool,
    field: TechField | None = None,
) -> TechField:
    """Create or change a field of the taxonomy."""
    if not has_permission(actor, Permission.TAXONOMY_MANAGE):
        raise PermissionDenied
    code = code.strip().lower()
    clash = field_by_code(code)
    if clash is not None and clash is not field:
        raise ValidationFailed({"code": _("这个代码已被其他领域使用。")})
    before = None if field is None else _snapshot(field)
    if field is None:
        field = TechField(code=code)
        db.session.add(field)
    field.code, field.name, field.name_en = code, name.strip(), name_en.strip()
    field.position, field.is_active = position, is_active
    db.session.flush()
    record_audit(
        actor=actor,
        action="field.create" if before is None else "field.update",
        object_type="field",
        object_id=field.id,
        before=before,
        after=_snapshot(field),
    )
    return field


def _snapshot(field: TechField) -> dict[str, object]:
    return {
        "code": field.code,
        "name": field.name,
        "name_en": field.name_en,
        "position": field.position,
        "is_active": field.is_active,
    }


def ensure_key_industries() -> int:
    """Insert the key industries that are missing (tests and empty databases); returns how many."""
    existing = set(db.session.scalars(sa.select(TechField.code)))
    added = 0
    for position, (code, name, name_en) in enumerate(KEY_INDUSTRIES):
        if code not in existing:
            db.session.add(TechField(code=code, name=name, name_en=name_en, position=position * 10))
            added += 1
    db.session.flush()
    return added
