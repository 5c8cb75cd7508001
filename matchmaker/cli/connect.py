"""`matchmaker connect`: the clock of 对接 (reminders of unanswered enquiries)."""

from __future__ import annotations

import click

from matchmaker.cli.transaction import transactional


@click.group("connect")
def connect_group() -> None:
    """对接 enquiries and conversations."""


@connect_group.command("remind")
@transactional
def connect_remind() -> None:
    """Remind owners of enquiries unanswered for 3 and 7 working days (safe to run from cron)."""
    from matchmaker.services.connect.enquiries import remind_unanswered

    click.echo(f"Reminded {remind_unanswered()} unanswered enquiries.")
