"""The public market: the results supermarket, the needs list, detail and organisation pages."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response

from matchmaker.extensions import db
from matchmaker.models import Need, Organisation, Result
from matchmaker.permissions import can_see_contact, can_view_listing
from matchmaker.services import matching
from matchmaker.services.connect import enquiries
from matchmaker.services.market import attachments, browsing, publication
from matchmaker.web.downloads import send_stored_file
from matchmaker.web.ids import page_arg, to_id
from matchmaker.web.market.highlight import highlight_terms
from matchmaker.web.policy import public
from matchmaker.web.tracking import record_click, record_impressions, record_view

bp = Blueprint("market", __name__)
PER_PAGE = 20


def _filter(kind: str) -> browsing.BrowseFilter:
    args = request.args
    return browsing.BrowseFilter(
        kind=kind,
        q=args.get("q", ""),
        field=args.get("field", ""),
        stage=args.get("stage", ""),
        mode=args.get("mode", ""),
        price=args.get("price", ""),
        region=args.get("region", ""),
        org=to_id(args.get("org")),
        sort=args.get("sort", ""),
    ).cleaned()


def _browse(kind: str, template: str) -> Response | str:
    criteria = _filter(kind)
    page = browsing.browse_page(criteria, page=page_arg(), per_page=PER_PAGE)
    if page.page > page.pages and page.total:
        # a page past the end (an old link, a hand-typed number): the last page instead
        args = {**request.args.to_dict(), "page": page.pages}
        return redirect(url_for(request.endpoint or "market.results", **args))
    return render_template(
        template,
        page=page,
        criteria=criteria,
        facets=browsing.cached_facet_counts(criteria),
        highlight_terms=[*criteria.q.split(), *criteria.terms],
    )


@bp.app_template_filter("highlight")
def highlight(text: str | None, terms: list[str]) -> Markup:
    """`text` escaped, with each case-insensitive occurrence of a search term in <mark>."""
    return highlight_terms(text or "", terms)


@bp.get("/results")
@public
def results() -> Response | str:
    """科技成果超市: every listed result, with facets and search."""
    return _browse("result", "market/results.html")


@bp.get("/needs")
@public
def needs() -> Response | str:
    """企业技术需求榜单: every open need, with facets and search."""
    return _browse("need", "market/needs.html")


def _detail(kind: str, model: type[Result] | type[Need], listing_id: int) -> str:
    pub = publication.public_publication(kind, listing_id)
    listing = db.get_or_404(model, listing_id)
    preview = pub is None or request.args.get("preview") == "1"
    if preview and not can_view_listing(current_user, listing):
        abort(404)
    recommendations = matching.recommend_for(listing, k=6)
    if not preview:
        record_view(listing)
        record_impressions(rec.publication for rec in recommendations)
    return render_template(
        f"market/{kind}.html",
        item=publication.detail_view(listing, None if preview else pub),
        listing=listing,
        preview=preview,
        show_contact=can_see_contact(current_user) and not preview,
        recommendations=recommendations,
    )


@bp.get("/results/<int:listing_id>")
@public
def result(listing_id: int) -> str:
    """A result's public page (or its owner's preview of the working copy)."""
    return _detail("result", Result, listing_id)


@bp.get("/needs/<int:listing_id>")
@public
def need(listing_id: int) -> str:
    """A need's public page (or its owner's preview of the working copy)."""
    return _detail("need", Need, listing_id)


@bp.get("/r/<any(result, need):kind>/<int:listing_id>")
@public
def recommended(kind: str, listing_id: int) -> Response:
    """A recommendation card's link: count the click, then open the public listing page."""
    pub = publication.public_publication(kind, listing_id)
    if pub is None:
        abort(404)
    record_click(pub)
    return redirect(url_for(f"market.{kind}", listing_id=listing_id))


@bp.get("/orgs/<int:org_id>")
@public
def organisation(org_id: int) -> str:
    """An organisation's public page with its public listings."""
    org = db.get_or_404(Organisation, org_id)
    pubs = publication.organisation_publications(org.id)
    if not pubs and not org.is_verified:
        abort(404)
    return render_template(
        "market/organisation.html",
        org=org,
        results=[p for p in pubs if p.kind == "result"],
        needs=[p for p in pubs if p.kind == "need"],
        response=enquiries.response_stats(org.id),
    )


@bp.get("/attachments/<int:attachment_id>")
@public
def attachment(attachment_id: int) -> Response:
    """Download an attachment through the listing's access check."""
    item, path = attachments.downloadable(user=current_user, attachment_id=attachment_id)
    return send_stored_file(path, content_type=item.content_type, name=item.original_name)
