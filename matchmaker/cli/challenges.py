"""`matchmaker challenges`: the clock of 揭榜挂帅 challenges and deals."""

from __future__ import annotations

import click

from matchmaker.cli.transaction import transactional


@click.group("challenges")
def challenges_group() -> None:
    """揭榜挂帅 challenges and deals."""


@challenges_group.command("tick")
@transactional
def challenges_tick() -> None:
    """Close due application windows, remind and flag trials (safe to run from cron)."""
    from matchmaker.services.challenges.challenges import tick

    counts = tick()
    click.echo(
        f"Closed {counts['closed']} challenges; reminded {counts['trial_reminded']} trials, "
        f"flagged {counts['trial_overdue']} overdue."
    )
