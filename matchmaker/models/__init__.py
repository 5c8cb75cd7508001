"""All models, imported here so Alembic and create_all() see every table."""

from matchmaker.models.alert import AlertDelivery, AlertFrequency, Subscription, SubscriptionKind
from matchmaker.models.attachment import Attachment
from matchmaker.models.audit import AuditLog
from matchmaker.models.base import Base
from matchmaker.models.challenge import (
    LIVE_APPLICATION_STATES,
    AdoptionRequest,
    AdoptionStatus,
    Application,
    ApplicationAttachment,
    ApplicationStatus,
    Challenge,
    ChallengeInvitation,
    ConversionOffer,
    DeclineReason,
    IpOwnership,
    LicenceKind,
    OfferStatus,
    PanelMember,
    Score,
    Visibility,
)
from matchmaker.models.deal import (
    Deal,
    DealMode,
    DealStatus,
    Milestone,
    MilestoneEvidence,
    MilestoneStatus,
    PaymentForm,
    TrialOutcome,
)
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
    "LIVE_APPLICATION_STATES",
    "MODE_GROUPS",
    "STAGE_TRL",
    "AdoptionRequest",
    "AdoptionStatus",
    "AlertDelivery",
    "AlertFrequency",
    "Application",
    "ApplicationAttachment",
    "ApplicationStatus",
    "Attachment",
    "AuditLog",
    "Base",
    "Challenge",
    "ChallengeInvitation",
    "ConversionOffer",
    "Deal",
    "DealMode",
    "DealStatus",
    "DeclineReason",
    "IndexChange",
    "Invitation",
    "IpOwnership",
    "Job",
    "JobStatus",
    "LicenceKind",
    "Listing",
    "Milestone",
    "MilestoneEvidence",
    "MilestoneStatus",
    "Mode",
    "Need",
    "NeedStatus",
    "Notification",
    "OfferStatus",
    "OrgKind",
    "OrgStatus",
    "Organisation",
    "PanelMember",
    "PaymentForm",
    "Publication",
    "RecommendationFeedback",
    "RecommenderState",
    "Result",
    "ResultStatus",
    "ReviewReason",
    "Score",
    "Stage",
    "Subscription",
    "SubscriptionKind",
    "TechField",
    "TrialOutcome",
    "User",
    "Visibility",
    "stage_for_trl",
]
