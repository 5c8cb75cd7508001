"""Absolute links to a listing's owner page, for the e-mails the listing services send."""

from __future__ import annotations

from flask import url_for

from matchmaker.models import Listing


def link_for(listing: Listing) -> str:
    """The owner's page of a listing, as an absolute link for e-mails."""
    return url_for("listings.show", kinds=f"{listing.KIND}s", listing_id=listing.id, _external=True)
