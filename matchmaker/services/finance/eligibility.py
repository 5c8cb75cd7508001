"""Loan product ↔ firm eligibility: each rule checked and explained, and a fit for ranking.

Pure functions over already-loaded rows (no queries), so the firm browser, the product pages,
the financing-need matches and the event scheduler all judge a pair the same way.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

from matchmaker.models import (
    Collateral,
    FinancingNeed,
    FirmProfile,
    LoanProduct,
    SpecialisedLevel,
)
from matchmaker.recommender.text import tokenize
from matchmaker.services.platform.amounts import format_money

if TYPE_CHECKING:  # a firm as a bank may judge it
    from matchmaker.services.finance.scope_rules import ConsentedProfile


@dataclass(frozen=True)
class Check:
    """One eligibility rule of a product, applied to one firm (and its financing need)."""

    rule: str  # industry | score | high_tech | specialised | amount | term | collateral
    ok: bool
    label: object  # a lazy string, rendered in the reader's language


#: The weights of the fit (匹配度): rules passed, and the text of product and financing need.
RULES_WEIGHT = 0.7
TEXT_WEIGHT = 0.3


@dataclass(frozen=True)
class Eligibility:
    """The verdict on a product for a firm: every rule, and a fit in [0, 1] to rank by."""

    checks: list[Check] = field(default_factory=list)
    text_similarity: float = 0.0

    @property
    def eligible(self) -> bool:
        """All rules pass (a product with no rules fits everyone)."""
        return all(c.ok for c in self.checks)

    @property
    def failed(self) -> list[Check]:
        """The rules that did not pass."""
        return [c for c in self.checks if not c.ok]

    @property
    def rules_share(self) -> float:
        """Share of the product's rules passed (1 for a product with no rules)."""
        return sum(c.ok for c in self.checks) / len(self.checks) if self.checks else 1.0

    @property
    def fit(self) -> float:
        """Share of rules passed (RULES_WEIGHT) plus text similarity of product and need
        (TEXT_WEIGHT)."""
        return round(RULES_WEIGHT * self.rules_share + TEXT_WEIGHT * self.text_similarity, 4)

    @property
    def rank_key(self) -> tuple[bool, float]:
        """Sort key, descending: every eligible match before any ineligible one, then fit."""
        return self.eligible, self.fit


def _plain(value: Decimal | int) -> str:
    """A number without trailing zeros: 50.00 → "50", 3.50 → "3.5"."""
    return f"{Decimal(value).normalize():f}"


def _certified(flag: bool, expires_on: date | None, today: date) -> bool:
    return bool(flag) and (expires_on is None or expires_on >= today)


def _vector(text: str) -> Counter[str]:
    return Counter(tokenize(text))


def text_similarity(a: str, b: str) -> float:
    """Cosine of term counts, with the recommender's analyzer (0 when either side is empty)."""
    va, vb = _vector(a), _vector(b)
    if not va or not vb:
        return 0.0
    dot = sum(count * vb[term] for term, count in va.items())
    norm = math.sqrt(sum(c * c for c in va.values())) * math.sqrt(sum(c * c for c in vb.values()))
    return dot / norm if norm else 0.0


def product_text(product: LoanProduct) -> str:
    """The text of a product that needs are compared with."""
    return f"{product.name}\n{product.description}"


def need_text(need: FinancingNeed) -> str:
    """The text of a financing need that products are compared with."""
    return f"{need.title}\n{need.purpose}"


def check(
    product: LoanProduct,
    profile: FirmProfile | ConsentedProfile | None,
    need: FinancingNeed | None = None,
    *,
    today: date | None = None,
) -> Eligibility:
    """Apply every rule the product sets. Firm rules need a profile (none = not met);
    amount, term and collateral rules apply only when a financing need is given."""
    today = today or date.today()
    checks: list[Check] = []
    if product.field_ids:
        ok = profile is not None and profile.field_id in set(product.field_ids)
        checks.append(Check("industry", ok, _l("行业在产品支持范围内")))
    if product.min_score is not None:
        score = profile.score if profile is not None else None
        ok = score is not None and Decimal(score) >= Decimal(product.min_score)
        checks.append(
            Check("score", ok, _l("创新积分不低于 %(score)s", score=_plain(product.min_score)))
        )
    if product.requires_high_tech:
        ok = profile is not None and _certified(
            profile.high_tech, profile.high_tech_expires_on, today
        )
        checks.append(Check("high_tech", ok, _l("高新技术企业（证书在有效期内）")))
    if product.requires_specialised:
        ok = profile is not None and _certified(
            profile.specialised != SpecialisedLevel.NONE, profile.specialised_expires_on, today
        )
        checks.append(Check("specialised", ok, _l("专精特新企业（证书在有效期内）")))
    similarity = 0.0
    if need is not None:
        ok = product.amount_min_wan <= need.amount_wan <= product.amount_max_wan
        checks.append(
            Check(
                "amount",
                ok,
                _l(
                    "金额在 %(range)s之间",
                    range=format_money(
                        product.amount_min_wan, product.amount_max_wan, negotiable=False
                    ),
                ),
            )
        )
        ok = product.term_min_months <= need.term_months <= product.term_max_months
        checks.append(
            Check(
                "term",
                ok,
                _l(
                    "期限在 %(low)s–%(high)s 个月之间",
                    low=product.term_min_months,
                    high=product.term_max_months,
                ),
            )
        )
        ok = bool(Collateral(need.collateral) & Collateral(product.collateral))
        checks.append(Check("collateral", ok, _l("担保方式为产品所接受")))
        similarity = text_similarity(product_text(product), need_text(need))
    return Eligibility(checks=checks, text_similarity=similarity)
