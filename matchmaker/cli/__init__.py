"""The `matchmaker` console script: a FlaskGroup over create_app with the project's groups.

One module per group; every command that changes data runs as one unit of work
(`transactional`: commit at its end, or roll back).
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup

from matchmaker import create_app
from matchmaker.cli.alerts import alerts_group
from matchmaker.cli.backup import backup_group
from matchmaker.cli.challenges import challenges_group
from matchmaker.cli.connect import connect_group
from matchmaker.cli.finance import finance_group
from matchmaker.cli.jobs import jobs_group
from matchmaker.cli.listings import listings_group
from matchmaker.cli.recommender import recommender_group
from matchmaker.cli.reports import reports_group
from matchmaker.cli.security import security_check
from matchmaker.cli.seed import seed_group
from matchmaker.cli.transaction import transactional
from matchmaker.cli.translate import translate_group
from matchmaker.cli.users import users_group

__all__ = ["GROUPS", "cli", "register", "transactional"]


@click.group(cls=FlaskGroup, create_app=lambda: create_app())
def cli() -> None:
    """matchmaker: Jilin technology market platform."""


GROUPS = (
    seed_group,
    users_group,
    listings_group,
    translate_group,
    recommender_group,
    alerts_group,
    jobs_group,
    challenges_group,
    finance_group,
    connect_group,
    reports_group,
    backup_group,
    security_check,  # a command, not a group; needs no app (it checks what would start one)
)
for _group in GROUPS:
    # On the console script itself, so commands that need no app (recommender, translate)
    # run even where the app cannot start (no secret key yet).
    cli.add_command(_group)


def register(app: Flask) -> None:
    """Attach the groups to the app too (so `flask --app wsgi ...` has them)."""
    for group in GROUPS:
        app.cli.add_command(group)
