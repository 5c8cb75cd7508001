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


@users_group.command("create-bureau")
@click.argument("email")
@click.option("--name", default="", help="Display name (defaults to the e-mail address).")
@transactional
def create_bureau_command(email: str, name: str) -> None:
    """Create a read-only 科技局 account and print the link where its owner sets a password."""
    from flask import current_app, url_for

    from matchmaker.services.accounts.accounts import make_reset_token
    from matchmaker.services.accounts.users import create_bureau_user

    try:
        user = create_bureau_user(actor=None, email=email, name=name)
    except ValidationFailed as error:
        raise click.ClickException("; ".join(" ".join(m) for m in error.errors.values())) from error
    with current_app.test_request_context():  # SERVER_NAME, when set, names the host
        link = url_for("auth.reset_password", token=make_reset_token(user), _external=True)
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    click.echo(f"Created bureau reader {user.email} (id {user.id}).")
    click.echo(f"Set-password link (valid {minutes} minutes; later use 'forgot password'):")
    click.echo(link)
