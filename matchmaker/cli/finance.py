"""`matchmaker finance`: 科技金融 rescoring and consent reminders."""

from __future__ import annotations

import click

from matchmaker.cli.transaction import transactional


@click.group("finance")
def finance_group() -> None:
    """科技金融: firm profiles, the 创新积分, consent reminders."""


@finance_group.command("rescore")
@click.option("--all", "all_profiles", is_flag=True, help="Recompute every score, not only stale.")
@transactional
def finance_rescore(all_profiles: bool) -> None:
    """Recompute the stale 创新积分 (stale inputs, a new formula, an expired certificate)."""
    from matchmaker.services.finance import innovation_score

    count = innovation_score.rescore(all_profiles=all_profiles)
    click.echo(f"Rescored {count} firm profiles.")


@finance_group.command("remind")
@transactional
def finance_remind() -> None:
    """Remind firms whose consent to banks expires within 7 days (once per grant; cron)."""
    from matchmaker.services.finance import firm_profiles

    count = firm_profiles.remind_expiring_consents()
    click.echo(f"Reminded {count} firms of expiring consent.")
