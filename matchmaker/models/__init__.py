"""All models, imported here so Alembic and create_all() see every table."""

from matchmaker.models.audit import AuditLog
from matchmaker.models.base import Base
from matchmaker.models.organisation import CREDIT_CODE_REQUIRED, Organisation, OrgKind, OrgStatus
from matchmaker.models.user import Invitation, User

__all__ = [
    "CREDIT_CODE_REQUIRED",
    "AuditLog",
    "Base",
    "Invitation",
    "OrgKind",
    "OrgStatus",
    "Organisation",
    "User",
]
