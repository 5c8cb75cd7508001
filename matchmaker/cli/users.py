"""`matchmaker users`: accounts made from the command line."""

from __future__ import annotations

import os

import click

from matchmaker.cli.transaction import transactional
from matchmaker.services.errors import ValidationFailed


@click.group("users")
def users_group() -> None:
    """Accounts."""


@users_group.command("create-admin")
@click.argument("email")
@click.option("--name", default="", help="Display name (defaults to the e-mail address).")
@transactional
def create_admin_command(email: str, name: str) -> None:
    """Create an administrator; the password comes from MATCHMAKER_ADMIN_PASSWORD or a prompt."""
    from matchmaker.services.accounts.users import create_admin

    password = os.environ.get("MATCHMAKER_ADMIN_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    try:
        user = create_admin(email=email, password=password, name=name)
    except ValidationFailed as error:
        raise click.ClickException("; ".join(" ".join(m) for m in error.errors.values())) from error
    click.echo(f"Created administrator {user.email} (id {user.id}).")
