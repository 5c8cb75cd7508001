"""Declarative base, constraint naming convention and reusable column types."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, mapped_column, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: The platform's local time: deadlines, "today" and calendar days are counted in China.
CHINA = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (a callable default, evaluated per row)."""
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware, on SQLite too."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def enum_column(enum_cls: type[enum.StrEnum], name: str, **kwargs: Any) -> sa.Enum:
    """A portable VARCHAR + CHECK enum storing the StrEnum's values."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
        **kwargs,
    )


class Base(DeclarativeBase):
    """Base class of every model."""

    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


# Every column says how sensitive it is (models/classification.py): these two say it once.
intpk = Annotated[int, mapped_column(primary_key=True, info={"pii": "none"})]
created_at = Annotated[
    datetime, mapped_column(UTCDateTime(), default=utcnow, nullable=False, info={"pii": "none"})
]
str255 = Annotated[str, mapped_column(sa.String(255))]


#: Indexes that only the migrations create, on PostgreSQL (a pg_trgm GIN index has no SQLite
#: equivalent): alembic's comparison of the models with the database leaves them out.
POSTGRESQL_ONLY_INDEXES = frozenset(
    {"ix_publications_search_text_trgm", "ix_publications_search_pairs_trgm"}
)


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """alembic's include_object hook: everything but POSTGRESQL_ONLY_INDEXES."""
    return not (type_ == "index" and name in POSTGRESQL_ONLY_INDEXES)
