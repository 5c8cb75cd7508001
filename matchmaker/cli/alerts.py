"""`matchmaker alerts`: the digests of saved searches and followed listings."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import click
from flask import current_app
from flask.cli import with_appcontext

if TYPE_CHECKING:
    from matchmaker.services.market.alert_digests import AlertLinks


@click.group("alerts")
def alerts_group() -> None:
    """Saved searches and followed listings: the digests of new matches."""


def alert_links() -> AlertLinks:
    """Absolute links for digests, on the configured public URL (MATCHMAKER_PUBLIC_URL)."""
    from matchmaker.services.market.alert_digests import AlertLinks
    from matchmaker.services.platform.links import external_url

    def search(kind: str, criteria: Mapping[str, Any]) -> str:
        endpoint = "market.results" if kind == "result" else "market.needs"
        return external_url(endpoint, **criteria, sort="newest")

    return AlertLinks(
        listing=lambda kind, listing_id: external_url(
            "market.result" if kind == "result" else "market.need", listing_id=listing_id
        ),
        search=search,
        unsubscribe=lambda token: external_url("alerts.unsubscribe_page", token=token),
        manage=external_url("alerts.index"),
    )


@alerts_group.command("send")
@click.option(
    "--frequency",
    type=click.Choice(["instant", "daily", "weekly", "all"]),
    default="all",
    show_default=True,
    help="Only this frequency (daily and weekly still wait their period).",
)
@with_appcontext
def alerts_send(frequency: str) -> None:
    """Send every due digest of new matches, each match once (safe to run from cron)."""
    from matchmaker.services.market.alert_digests import send_due
    from matchmaker.services.platform import uow

    # links on PUBLIC_URL (create_app refuses production without it); the exit code comes
    # after the commit
    with current_app.test_request_context(), uow.scope():
        counts = send_due(links=alert_links(), frequency=frequency)
    click.echo(
        f"Sent {counts['subscriptions']} digests with {counts['matches']} matches; "
        f"{counts['failed']} failed (retried next run)."
    )
    if counts["failed"]:
        sys.exit(1)
