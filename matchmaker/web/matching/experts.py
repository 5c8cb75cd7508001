"""推荐专家 and an expert's recommended needs and challenges, for the pages that show them.

The partials (templates/matching/_expert_recs.html, _expert_opportunities.html) ask these
template globals, so a page includes them without its view knowing; the dashboards read
`expert_panel`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from matchmaker.models import ExpertProfile, Need
from matchmaker.permissions import Permission, has_permission
from matchmaker.services import matching


def recommended_experts(listing: Any) -> list[matching.ExpertRecommendation]:
    """推荐专家 for a need's page (nothing for a result)."""
    if not isinstance(listing, Need):
        return []
    return matching.recommend_experts_for(listing, k=5)


def expert_opportunities(expert: Any) -> matching.ExpertOpportunities:
    """The needs and open challenges recommended to a profile (its keepers' page)."""
    if not isinstance(expert, ExpertProfile):
        return matching.ExpertOpportunities()
    return matching.recommend_for_expert(expert)


def register(bp: Blueprint) -> None:
    """Make the partials' globals available to every template."""
    bp.add_app_template_global(recommended_experts)
    bp.add_app_template_global(expert_opportunities)


def expert_panel(user: Any) -> dict[str, Any]:
    """The dashboard's 推荐专家 (an enterprise: experts for its open needs) or, for a
    researcher with a profile, the needs and challenges recommended to it (empty: no panel)."""
    if not getattr(user, "is_authenticated", False):
        return {}
    if has_permission(user, Permission.NEED_CREATE) and user.organisation_id:
        return {
            "expert_recs": matching.recommend_experts_for_organisation(
                organisation_id=user.organisation_id
            )
        }
    if has_permission(user, Permission.RESULT_CREATE):
        mine = matching.recommend_for_researcher(user.id)
        return {"researcher_recs": mine} if mine else {}
    return {}
