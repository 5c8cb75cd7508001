"""创新积分: a documented, versioned score of a firm's innovation (docs/innovation-score.md).

Eight indicators in three groups, after 企业创新积分制 (技术创新 / 成长经营 / 平台活动). Each
indicator has a raw value (rounded to 0.01), a stated transform onto 0-100 (rounded to 0.01)
and a weight; its points are normalised x weight / 100 (rounded to 0.01) and the score is the
sum of the points. Weights live in versioned ScoreFormula rows: an admin's edit creates a new
version and marks every profile stale; stale scores are recomputed by the `finance.rescore`
job and by `matchmaker finance rescore`. Every stored score names its formula version.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.engine import CursorResult

from matchmaker.extensions import db
from matchmaker.models import FirmProfile, Job, JobStatus, ScoreFormula, SpecialisedLevel, User
from matchmaker.models.base import utcnow
from matchmaker.permissions import Permission, has_permission
from matchmaker.services.errors import PermissionDenied, ValidationFailed
from matchmaker.services.finance import firm_activity
from matchmaker.services.platform import jobs
from matchmaker.services.platform.audit import record_audit

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Indicator:
    """One indicator: its key, group and the unit of its raw value."""

    key: str
    group: str  # innovation | growth | activity
    unit: str  # percent | count | points | hours


INDICATORS: tuple[Indicator, ...] = (
    Indicator("rd_intensity", "innovation", "percent"),
    Indicator("patents", "innovation", "points"),
    Indicator("certifications", "innovation", "points"),
    Indicator("awards", "innovation", "count"),
    Indicator("rd_growth", "growth", "percent"),
    Indicator("revenue_growth", "growth", "percent"),
    Indicator("platform_activity", "activity", "points"),
    Indicator("responsiveness", "activity", "hours"),
)
KEYS = tuple(i.key for i in INDICATORS)

#: Formula v1, created when no formula exists (sums to 100).
DEFAULT_WEIGHTS: dict[str, int] = {
    "rd_intensity": 20,
    "patents": 20,
    "certifications": 15,
    "awards": 5,
    "rd_growth": 10,
    "revenue_growth": 10,
    "platform_activity": 15,
    "responsiveness": 5,
}

# Transform constants (see docs/innovation-score.md).
RD_INTENSITY_FULL = Decimal(10)  # R&D / revenue of 10 % or more scores 100
GROWTH_FULL = Decimal(30)  # growth of 30 % or more scores 100
PATENT_WEIGHTS = {"invention": 5, "utility": 2, "design": 1, "software": 1}
PATENTS_FULL = 100  # log scale: 100 weighted patents score 100
CERT_POINTS = {"high_tech": 50, SpecialisedLevel.SME: 30, SpecialisedLevel.LITTLE_GIANT: 50}
AWARD_POINTS = 20  # per award, 5 awards score 100
ACTIVITY_POINTS = {
    "needs_posted": 1,
    "challenges_won": 5,
    "challenges_solved": 3,
    "results_adopted": 3,
    "deals": 4,
    "milestones_accepted": 2,
}
DEAL_AMOUNT_STEP = Decimal(50)  # one point per full 50 万元 of deals ...
DEAL_AMOUNT_CAP = 20  # ... at most 20 points
ACTIVITY_FULL = 50  # log scale: 50 activity points score 100
RESPONSE_FAST = Decimal(24)  # a median decision within a day scores 100
RESPONSE_SLOW = Decimal(168)  # a week or more scores 0


def _round(value: Decimal | float | int) -> Decimal:
    if isinstance(value, float):
        value = Decimal(repr(value))
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _clamp(value: Decimal) -> Decimal:
    return min(HUNDRED, max(Decimal(0), value))


def _log_scale(points: Decimal | int, full: int) -> Decimal:
    """100 x ln(1 + points) / ln(1 + full), capped at 100."""
    return _clamp(Decimal(repr(100 * math.log1p(float(points)) / math.log1p(full))))


def _growth(latest: Decimal, previous: Decimal) -> Decimal | None:
    if previous <= 0:
        return None
    return _round((latest / previous - 1) * HUNDRED)


def award_count(awards: str | None) -> int:
    """Awards are declared one per line."""
    return sum(1 for line in (awards or "").splitlines() if line.strip())


def rd_intensity(profile: FirmProfile) -> Decimal | None:
    """研发投入强度 in %, to 0.01: R&D spend ÷ revenue × 100 of the latest declared year; None
    without a year or when that year's revenue is 0. The one definition: the score's raw value
    and what a bank sees on the firm's page."""
    latest = max(profile.years, key=lambda y: y.year, default=None)
    if latest is None or not latest.revenue_wan > 0:
        return None
    return _round(Decimal(latest.rd_spend_wan) / Decimal(latest.revenue_wan) * HUNDRED)


def raw_values(
    profile: FirmProfile, activity: firm_activity.PlatformActivity, today: date
) -> dict[str, Decimal | None]:
    """The raw value of every indicator (None: no data, which normalises to 0)."""
    years = sorted(profile.years, key=lambda y: y.year)
    latest = years[-1] if years else None
    previous = next((y for y in years if latest and y.year == latest.year - 1), None)
    raw: dict[str, Decimal | None] = dict.fromkeys(KEYS)
    raw["rd_intensity"] = rd_intensity(profile)
    if latest is not None and previous is not None:
        raw["rd_growth"] = _growth(Decimal(latest.rd_spend_wan), Decimal(previous.rd_spend_wan))
        raw["revenue_growth"] = _growth(Decimal(latest.revenue_wan), Decimal(previous.revenue_wan))
    raw["patents"] = Decimal(
        PATENT_WEIGHTS["invention"] * (profile.patents_invention or 0)
        + PATENT_WEIGHTS["utility"] * (profile.patents_utility or 0)
        + PATENT_WEIGHTS["design"] * (profile.patents_design or 0)
        + PATENT_WEIGHTS["software"] * (profile.software_copyrights or 0)
    )
    cert = 0
    if profile.high_tech and firm_activity.certificate_valid(profile.high_tech_expires_on, today):
        cert += CERT_POINTS["high_tech"]
    if profile.specialised != SpecialisedLevel.NONE and firm_activity.certificate_valid(
        profile.specialised_expires_on, today
    ):
        cert += CERT_POINTS[SpecialisedLevel(profile.specialised)]
    raw["certifications"] = Decimal(cert)
    raw["awards"] = Decimal(award_count(profile.awards))
    points = sum(getattr(activity, name) * w for name, w in ACTIVITY_POINTS.items())
    points += min(DEAL_AMOUNT_CAP, int(Decimal(activity.deal_amount_wan) // DEAL_AMOUNT_STEP))
    raw["platform_activity"] = Decimal(points)
    if activity.median_response_hours is not None:
        raw["responsiveness"] = _round(activity.median_response_hours)
    return raw


def normalise(key: str, raw: Decimal | None) -> Decimal:
    """The stated transform of one indicator onto 0-100 (rounded to 0.01)."""
    if raw is None:
        return Decimal("0.00")
    if key == "rd_intensity":
        value = raw * HUNDRED / RD_INTENSITY_FULL
    elif key in ("rd_growth", "revenue_growth"):
        value = raw * HUNDRED / GROWTH_FULL
    elif key == "patents":
        value = _log_scale(raw, PATENTS_FULL)
    elif key == "certifications":
        value = raw
    elif key == "awards":
        value = raw * AWARD_POINTS
    elif key == "platform_activity":
        value = _log_scale(raw, ACTIVITY_FULL)
    elif key == "responsiveness":
        value = (RESPONSE_SLOW - raw) * HUNDRED / (RESPONSE_SLOW - RESPONSE_FAST)
    else:
        raise KeyError(key)
    return _round(_clamp(value))


def _json_number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def breakdown(
    raw: Mapping[str, Decimal | None], weights: Mapping[str, Any], version: int
) -> tuple[Decimal, dict[str, Any]]:
    """(score, breakdown JSON) from raw values and one formula's weights."""
    rows = []
    total = Decimal(0)
    for indicator in INDICATORS:
        weight = int(weights.get(indicator.key, 0))
        normalised = normalise(indicator.key, raw.get(indicator.key))
        points = _round(normalised * weight / HUNDRED)
        total += points
        rows.append(
            {
                "key": indicator.key,
                "group": indicator.group,
                "unit": indicator.unit,
                "raw": _json_number(raw.get(indicator.key)),
                "normalised": float(normalised),
                "weight": weight,
                "points": float(points),
            }
        )
    total = _round(total)
    return total, {"version": version, "total": float(total), "indicators": rows}


# --- formulas -------------------------------------------------------------------------------


def current_formula(*, persist: bool = False) -> ScoreFormula:
    """The formula in force (the highest version).

    With no formula stored yet this is v1 with DEFAULT_WEIGHTS, written to the database only
    with `persist` (by whatever computes or edits scores: pages that merely show it write nothing).
    """
    formula = db.session.scalar(
        sa.select(ScoreFormula).order_by(ScoreFormula.version.desc()).limit(1)
    )
    if formula is None:
        formula = ScoreFormula(
            version=1, weights=dict(DEFAULT_WEIGHTS), note=_("默认权重（第 1 版）")
        )
        if persist:
            db.session.add(formula)
            db.session.flush()
    return formula


def formulas() -> list[ScoreFormula]:
    """Every formula version, newest first (the unsaved default v1 when none is stored)."""
    stored = list(db.session.scalars(sa.select(ScoreFormula).order_by(ScoreFormula.version.desc())))
    return stored or [current_formula()]


def validate_weights(weights: Mapping[str, Any]) -> dict[str, int]:
    """Whole numbers 0-100 for exactly the known indicators, summing to exactly 100."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, int] = {}
    unknown = set(weights) - set(KEYS)
    if unknown:
        errors["weights"] = [_("未知指标：%(keys)s", keys=", ".join(sorted(unknown)))]
    for key in KEYS:
        value = weights.get(key)
        try:
            number = Decimal(str(value).strip()) if value is not None else None
        except ArithmeticError:
            number = None
        if number is None or number != number.to_integral_value() or not 0 <= number <= 100:
            errors[key] = [_("权重须为 0 到 100 之间的整数。")]
        else:
            clean[key] = int(number)
    if not errors and sum(clean.values()) != 100:
        errors["weights"] = [
            _("各项权重之和须恰好为 100（现在是 %(sum)s）。", sum=sum(clean.values()))
        ]
    if errors:
        raise ValidationFailed(errors)
    return clean


def save_formula(*, actor: User, weights: Mapping[str, Any], note: str = "") -> ScoreFormula:
    """A new formula version; every profile becomes stale and a rescore job is queued."""
    if not has_permission(actor, Permission.SCORE_FORMULA):
        raise PermissionDenied(_("只有管理员可以修改积分公式。"))
    clean = validate_weights(weights)
    previous = current_formula(persist=True)
    formula = ScoreFormula(
        version=previous.version + 1,
        weights=clean,
        note=(note or "").strip(),
        created_by_id=actor.id,
    )
    db.session.add(formula)
    db.session.flush()
    db.session.execute(sa.update(FirmProfile).values(score_stale=True))
    jobs.enqueue("finance.rescore", actor=actor)
    record_audit(
        actor=actor,
        action="score_formula.create",
        object_type="score_formula",
        object_id=formula.id,
        before={"version": previous.version, "weights": previous.weights},
        after={"version": formula.version, "weights": clean},
        reason=formula.note or None,
    )
    return formula


# --- computing ------------------------------------------------------------------------------


def compute_score(
    profile: FirmProfile,
    *,
    formula: ScoreFormula | None = None,
    activity: firm_activity.PlatformActivity | None = None,
    today: date | None = None,
) -> Decimal:
    """Compute and store the profile's score with the formula in force; returns the score."""
    formula = formula or current_formula(persist=True)
    if activity is None:
        activity = firm_activity.platform_activity(profile.organisation_id)
    raw = raw_values(profile, activity, today or date.today())
    total, rows = breakdown(raw, formula.weights, formula.version)
    profile.score = total
    profile.score_version = formula.version
    profile.score_breakdown = rows
    profile.score_computed_at = utcnow()
    profile.score_stale = False
    db.session.flush()
    return total


#: How long a rescore job waits, so that a burst of changes is scored once.
RESCORE_DELAY = timedelta(minutes=1)


def mark_stale(*organisation_ids: int | None) -> None:
    """The platform inputs of these firms changed: mark their scores stale and make sure a
    rescore job is queued (one at a time; the job worker runs it a minute later)."""
    ids = [i for i in organisation_ids if i is not None]
    if not ids:
        return
    result = db.session.execute(
        sa.update(FirmProfile).where(FirmProfile.organisation_id.in_(ids)).values(score_stale=True)
    )
    changed = cast("CursorResult[Any]", result).rowcount  # an UPDATE's result has a cursor
    queued = db.session.scalar(
        sa.select(sa.func.count(Job.id)).where(
            Job.name == "finance.rescore", Job.status == JobStatus.QUEUED
        )
    )
    if changed and not queued:
        jobs.enqueue("finance.rescore", delay=RESCORE_DELAY)


def _expired_since_scored(profile: FirmProfile, today: date) -> bool:
    """A counted certificate expired after the score was computed."""
    if profile.score_computed_at is None:
        return True
    scored_on = profile.score_computed_at.date()
    return any(
        expires is not None and scored_on <= expires < today
        for expires in (profile.high_tech_expires_on, profile.specialised_expires_on)
    )


def needs_rescore(
    profile: FirmProfile, today: date | None = None, *, version: int | None = None
) -> bool:
    """Stale, never scored, scored with an old formula, or a certificate has expired since."""
    today = today or date.today()
    return (
        profile.score_stale
        or profile.score is None
        or profile.score_version != (version or current_formula().version)
        or _expired_since_scored(profile, today)
    )


def rescore(*, all_profiles: bool = False, today: date | None = None) -> int:
    """Recompute the scores that need it (or every score); returns how many were computed."""
    today = today or date.today()
    formula = current_formula(persist=True)
    done = 0
    for profile in db.session.scalars(sa.select(FirmProfile).order_by(FirmProfile.id)):
        if all_profiles or needs_rescore(profile, today, version=formula.version):
            compute_score(profile, formula=formula, today=today)
            done += 1
    return done
