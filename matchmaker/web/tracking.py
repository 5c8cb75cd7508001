"""Recording the 对接 funnel from requests: who the visitor is (a keyed hash, never an address),
with crawlers and scripts left out (and no session started for them)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import g, request, session
from flask_login import current_user

from matchmaker.models import Listing
from matchmaker.models.enquiry import FunnelStep
from matchmaker.models.publication import Publication
from matchmaker.services.connect import funnel

#: The session entry holding an anonymous visitor's random id (only its hash is stored).
SESSION_KEY = "visitor_id"


def _own_org() -> int | None:
    return current_user.organisation_id if current_user.is_authenticated else None


def current_visitor() -> str | None:
    """The visitor's key for today's dedup, or None for a bot (which gets no session)."""
    if funnel.is_bot(request.headers.get("User-Agent")):
        return None
    if current_user.is_authenticated:
        return funnel.visitor_key(f"user:{current_user.id}")
    anonymous_id = session.get(SESSION_KEY)
    if isinstance(anonymous_id, str):
        return funnel.visitor_key(f"session:{anonymous_id}")
    # No session is started for a visitor (public pages stay cacheable: web/hooks.py): the key
    # is a keyed hash of the address and the browser, kept as a hash only.
    agent = request.headers.get("User-Agent", "")
    return funnel.visitor_key(f"anonymous:{request.remote_addr}:{agent}")


def record_view(listing: Listing | Publication) -> None:
    """A view of a public listing page (not by its own organisation, not by a bot)."""
    if listing.organisation_id == _own_org():
        return
    _keep_for_page(FunnelStep.VIEW, [funnel.target(listing)])
    visitor = current_visitor()
    if visitor is not None:
        funnel.record(FunnelStep.VIEW, listing, key=visitor, actor_org_id=_own_org())


def record_impressions(publications: Iterable[Publication]) -> None:
    """Recommendation cards shown to this visitor (one impression per card and day)."""
    targets = [funnel.target(p) for p in publications]
    _keep_for_page(FunnelStep.IMPRESSION, targets)
    visitor = current_visitor()
    if visitor is None:
        return
    funnel.record_targets(FunnelStep.IMPRESSION, targets, key=visitor, actor_org_id=_own_org())


def record_click(publication: Publication) -> None:
    """A recommendation card opened by this visitor."""
    visitor = current_visitor()
    if visitor is not None:
        funnel.record(FunnelStep.CLICK, publication, key=visitor, actor_org_id=_own_org())


def _keep_for_page(step: FunnelStep, targets: list[dict[str, Any]]) -> None:
    """Note what this page records, so that web/page_cache.py can record it again for every
    visitor the kept page is served to (whoever the first visitor was, a bot included)."""
    if targets:
        g.setdefault("page_tracking", []).append([step.value, targets])


def replay(kept: list[list[Any]]) -> None:
    """Record for this visitor what a kept page recorded when it was rendered (its view and the
    recommendation cards it shows); nothing for a bot. Only anonymous visitors get kept pages,
    so there is no own organisation to leave out."""
    visitor = current_visitor()
    if visitor is None:
        return
    for step, targets in kept:
        funnel.record_targets(FunnelStep(step), targets, key=visitor, actor_org_id=None)
