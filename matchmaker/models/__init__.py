"""All models, imported here so Alembic and create_all() see every table."""

from matchmaker.models.alert import AlertDelivery, AlertFrequency, Subscription, SubscriptionKind
from matchmaker.models.attachment import Attachment
from matchmaker.models.audit import AuditLog
from matchmaker.models.base import Base
from matchmaker.models.job import Job, JobStatus
from matchmaker.models.listing import (
    MODE_GROUPS,
    STAGE_TRL,
    Listing,
    Mode,
    Need,
    NeedStatus,
    Result,
    ResultStatus,
    ReviewReason,
    Stage,
    stage_for_trl,
)
from matchmaker.models.matching import IndexChange, RecommendationFeedback, RecommenderState
from matchmaker.models.notification import Notification
from matchmaker.models.organisation import CREDIT_CODE_REQUIRED, Organisation, OrgKind, OrgStatus
from matchmaker.models.publication import Publication
from matchmaker.models.taxonomy import TechField
from matchmaker.models.user import Invitation, User

__all__ = [
    "CREDIT_CODE_REQUIRED",
    "MODE_GROUPS",
    "STAGE_TRL",
    "AlertDelivery",
    "AlertFrequency",
    "Attachment",
    "AuditLog",
    "Base",
    "IndexChange",
    "Invitation",
    "Job",
    "JobStatus",
    "Listing",
    "Mode",
    "Need",
    "NeedStatus",
    "Notification",
    "OrgKind",
    "OrgStatus",
    "Organisation",
    "Publication",
    "RecommendationFeedback",
    "RecommenderState",
    "Result",
    "ResultStatus",
    "ReviewReason",
    "Stage",
    "Subscription",
    "SubscriptionKind",
    "TechField",
    "User",
    "stage_for_trl",
]
