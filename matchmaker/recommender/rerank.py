"""Re-ranking factors on top of text similarity; each returns its own visible contribution."""

from __future__ import annotations

from dataclasses import dataclass

SECONDS_PER_DAY = 86_400.0
FACTORS = ("field", "maturity", "region", "budget", "freshness")


@dataclass(frozen=True)
class Meta:
    """What the re-ranker knows of a document besides its text."""

    kind: str
    field: str | None = None
    region: str | None = None
    trl: int | None = None
    amount: float | None = None
    updated_at: float | None = None


@dataclass(frozen=True)
class Weights:
    """Maximum contribution of each factor, in units of cosine similarity."""

    field: float = 0.05
    maturity: float = 0.02
    region: float = 0.02
    budget: float = 0.02
    freshness: float = 0.02
    half_life_days: float = 180.0


def _field(a: str | None, b: str | None) -> float:
    """1 for the same field, 0.5 when they share a part (碳纤维/新材料 vs 化工/新材料)."""
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    return 0.5 if set(a.split("/")) & set(b.split("/")) else 0.0


def _maturity(need_trl: int | None, result_trl: int | None) -> float:
    """Fit of a result's maturity (TRL 1-9) to what the need asks for, in [-1, 1]."""
    if result_trl is None:
        return 0.0
    if need_trl is None:
        # Enterprises adopt what is near production: a mild preference for mature results.
        return (result_trl - 1) / 8.0
    return 1.0 if result_trl >= need_trl else -(need_trl - result_trl) / 8.0


def _region(a: str | None, b: str | None) -> float:
    """1 for the same region, 0.5 when one contains the other (吉林省 vs 吉林省长春市)."""
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    return 0.5 if a.startswith(b) or b.startswith(a) else 0.0


def _budget(budget: float | None, price: float | None) -> float:
    """1 when the price fits the budget, falling to -1 at twice the budget; 0 for 面议."""
    if not budget or not price or budget <= 0 or price <= 0:
        return 0.0
    if price <= budget:
        return 1.0
    return max(-1.0, 1.0 - 2.0 * (price / budget - 1.0))


def _freshness(updated_at: float | None, now: float, half_life_days: float) -> float:
    """Exponential decay of the candidate's age; unknown age counts as neither fresh nor stale."""
    if updated_at is None:
        return 0.0
    age_days = max(0.0, (now - updated_at) / SECONDS_PER_DAY)
    return 0.5 ** (age_days / half_life_days)


def factors(source: Meta, candidate: Meta, weights: Weights, now: float) -> dict[str, float]:
    """Contribution of every factor for ``candidate`` matched against ``source``."""
    need, result = (source, candidate) if source.kind == "need" else (candidate, source)
    return {
        "field": round(weights.field * _field(source.field, candidate.field), 6),
        "maturity": round(weights.maturity * _maturity(need.trl, result.trl), 6),
        "region": round(weights.region * _region(source.region, candidate.region), 6),
        "budget": round(weights.budget * _budget(need.amount, result.amount), 6),
        "freshness": round(
            weights.freshness * _freshness(candidate.updated_at, now, weights.half_life_days), 6
        ),
    }


def factors_many(
    source: Meta, candidates: list[Meta], weights: Weights, now: float
) -> list[dict[str, float]]:
    """``factors`` of each candidate, computing each factor once per distinct attribute value.

    A page re-ranks ~100 candidates that share few fields, regions, TRLs and budgets; the
    values are exactly those of ``factors`` (the same functions, memoised per call).
    """
    field: dict[str | None, float] = {}
    region: dict[str | None, float] = {}
    maturity: dict[tuple[int | None, int | None], float] = {}
    budget: dict[tuple[float | None, float | None], float] = {}
    freshness: dict[float | None, float] = {}
    out = []
    for candidate in candidates:
        need, result = (source, candidate) if source.kind == "need" else (candidate, source)
        f = field.get(candidate.field)
        if f is None:
            f = field[candidate.field] = round(
                weights.field * _field(source.field, candidate.field), 6
            )
        m_key = (need.trl, result.trl)
        m = maturity.get(m_key)
        if m is None:
            m = maturity[m_key] = round(weights.maturity * _maturity(need.trl, result.trl), 6)
        r = region.get(candidate.region)
        if r is None:
            r = region[candidate.region] = round(
                weights.region * _region(source.region, candidate.region), 6
            )
        b_key = (need.amount, result.amount)
        b = budget.get(b_key)
        if b is None:
            b = budget[b_key] = round(weights.budget * _budget(need.amount, result.amount), 6)
        u = freshness.get(candidate.updated_at)
        if u is None:
            u = freshness[candidate.updated_at] = round(
                weights.freshness * _freshness(candidate.updated_at, now, weights.half_life_days),
                6,
            )
        out.append({"field": f, "maturity": m, "region": r, "budget": b, "freshness": u})
    return out
