"""Links to a listing's owner page, for the notifications the listing services send."""

from __future__ import annotations

from flask import url_for

from matchmaker.models import Listing


def link_for(listing: Listing) -> str:
    """The owner's page of a listing, as a site path: the in-app notification links to it on
    whatever host the reader uses, and its e-mail carries it on the configured public URL
    (`notifications.notify` → `links.absolute`, never the request's Host)."""
    return url_for("listings.show", kinds=f"{listing.KIND}s", listing_id=listing.id)
