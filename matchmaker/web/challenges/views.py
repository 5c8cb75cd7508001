"""揭榜挂帅 public pages: the challenge list and a challenge, the conversion list and an offer."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from matchmaker.models import Challenge, ConversionOffer
from matchmaker.models.base import utcnow
from matchmaker.permissions import Permission, has_permission
from matchmaker.services.challenges import challenges, conversion
from matchmaker.services.platform import taxonomy
from matchmaker.services.platform.regions import region_choices
from matchmaker.web.challenges.blueprint import bp
from matchmaker.web.ids import to_id
from matchmaker.web.policy import public


@bp.get("/challenges")
@public
def list_challenges() -> str:
    """企业技术需求榜单 as challenges: open or closed ones with filters, and the showcase."""
    args = request.args
    status = "closed" if args.get("status") == "closed" else "open"
    field = taxonomy.field_by_code(args.get("field", "")) if args.get("field") else None
    items = challenges.public_challenges(
        field_id=field.id if field else None,
        region=args.get("region", "")[:32],
        band=args.get("band", ""),
        status=status,
    )
    return render_template(
        "challenges/list.html",
        items=items,
        showcase=challenges.showcase_challenges(),
        status=status,
        fields=taxonomy.active_fields(),
        regions=region_choices(),
        now=utcnow(),
    )


@bp.get("/challenges/<int:challenge_id>")
@public
def show_challenge(challenge_id: int) -> str:
    """A challenge's public page (invite-only ones: invitees, the owner and admins)."""
    challenge = challenges.get_visible_challenge(user=current_user, challenge_id=challenge_id)
    return render_challenge(challenge)


def render_challenge(challenge: Challenge) -> str:
    """A challenge's public page, with the organisation's own application and results."""
    mine, my_results = None, []
    if has_permission(current_user, Permission.CHALLENGE_APPLY):
        org_id = current_user.organisation_id
        mine = challenges.organisation_application(challenge=challenge, organisation_id=org_id)
        my_results = challenges.listed_results(organisation_id=org_id)
    return render_template(
        "challenges/show.html",
        challenge=challenge,
        need=challenge.need,
        accepting=challenge.is_accepting(utcnow()),
        mine=mine,
        my_results=my_results,
        now=utcnow(),
    )


@bp.get("/conversion")
@public
def list_offers() -> str:
    """高校科研院所成果转化榜单: open offers with their terms."""
    args = request.args
    field = taxonomy.field_by_code(args.get("field", "")) if args.get("field") else None
    offers = conversion.open_offers(
        field_id=field.id if field else None,
        region=args.get("region", "")[:32],
        mode=to_id(args.get("mode")) or 0,
    )
    return render_template(
        "challenges/offers.html",
        offers=offers,
        fields=taxonomy.active_fields(),
        regions=region_choices(),
    )


@bp.get("/conversion/<int:offer_id>")
@public
def show_offer(offer_id: int) -> str:
    """An offer's public page with 申请采用 for enterprises."""
    return _render_offer(conversion.get_public_offer(offer_id=offer_id))


def _render_offer(offer: ConversionOffer) -> str:
    mine = None
    if has_permission(current_user, Permission.ADOPTION_REQUEST):
        mine = conversion.organisation_adoption(
            offer=offer, organisation_id=current_user.organisation_id
        )
    return render_template(
        "challenges/offer.html", offer=offer, result=offer.result, mine=mine, form=None
    )
