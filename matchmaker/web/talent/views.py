"""The public 人才 page: published expert profiles, searched and filtered, and one profile."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from matchmaker.models.expert import OFFER_KEYS, OFFER_LABELS
from matchmaker.services.talent import expert_search, experts
from matchmaker.web.i18n import select_locale
from matchmaker.web.ids import page_arg, to_id
from matchmaker.web.policy import public

bp = Blueprint("talent", __name__)


def _int_arg(name: str) -> int | None:
    return to_id(request.args.get(name))


@bp.get("/experts")
@public
def list_experts() -> str:
    """Published profiles: text search, facets by field, offer and organisation, pages."""
    query = expert_search.ExpertQuery(
        q=request.args.get("q", "").strip()[:100],
        field_id=_int_arg("field"),
        offer=request.args.get("offer", ""),
        organisation_id=_int_arg("org"),
        page=page_arg(),
    )
    page, facets = expert_search.search_experts(query)  # page.items: public versions
    return render_template(
        "talent/list.html",
        page=page,
        facets=facets,
        query=query,
        offer_labels={key: OFFER_LABELS[bit] for key, bit in OFFER_KEYS.items()},
        locale=select_locale(),
    )


@bp.get("/experts/<int:expert_id>")
@public
def show_expert(expert_id: int) -> str:
    """A public profile (its approved version): results, offers and the staged contact.

    The contact reaches the page only for whom experts.can_see_expert_contact allows: a
    visitor's HTML never holds it.
    """
    profile = experts.get_public(expert_id)
    expert = experts.public_view(profile)
    return render_template(
        "talent/show.html",
        expert=expert,
        contact=experts.visible_contact(current_user, profile),
        contact_public=profile.contact_public,
        offers=[OFFER_LABELS[bit] for bit in OFFER_LABELS if expert.offer_flags & bit],
        results=[r for r in expert.results if r.has_public_version],
        locale=select_locale(),
    )
