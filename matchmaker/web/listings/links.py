"""Absolute links to a listing's owner page, for the e-mails the listing services send."""

from __future__ import annotations

from matchmaker.models import Listing
from matchmaker.services.platform.links import external_url


def link_for(listing: Listing) -> str:
    """The owner's page of a listing, as a link for e-mails on the configured public URL."""
    return external_url("listings.show", kinds=f"{listing.KIND}s", listing_id=listing.id)
