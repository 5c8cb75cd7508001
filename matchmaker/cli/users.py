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
    from flask import current_app

    from matchmaker.services.accounts.accounts import make_reset_token
    from matchmaker.services.accounts.users import create_bureau_user
    from matchmaker.services.platform.links import external_url

    try:
        user = create_bureau_user(actor=None, email=email, name=name)
    except ValidationFailed as error:
        raise click.ClickException("; ".join(" ".join(m) for m in error.errors.values())) from error
    link = external_url("auth.reset_password", token=make_reset_token(user))  # PUBLIC_URL's
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    click.echo(f"Created bureau reader {user.email} (id {user.id}).")
    click.echo(f"Set-password link (valid {minutes} minutes; later use 'forgot password'):")
    click.echo(link)


@users_group.command("reset-two-step")
@click.argument("email")
@click.option("--reason", required=True, help="Why (kept in the audit log, mailed to the user).")
@transactional
def reset_two_step_command(email: str, reason: str) -> None:
    """Remove a user's second factor (a lost phone, e.g. the only admin's): audited, the
    user's sessions end, the user is mailed and sets it up again at the next login."""
    from matchmaker.services.accounts.accounts import find_user_by_email
    from matchmaker.services.accounts.mfa import reset_by_admin
    from matchmaker.services.errors import DomainError

    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account {email}.")
    try:
        reset_by_admin(actor=None, user=user, reason=reason)
    except ValidationFailed as error:
        raise click.ClickException("; ".join(" ".join(m) for m in error.errors.values())) from error
    except DomainError as error:
        raise click.ClickException(str(error) or type(error).__name__) from error
    click.echo(f"Two-step verification of {user.email} reset; their sessions ended.")


@users_group.command("new-sealing-key")
def new_sealing_key_command() -> None:
    """Print a new key for MATCHMAKER_SEALING_KEYS (the TOTP seeds' sealing key). To rotate,
    put it first in the list, keep the old ones after it, then run `users reseal-two-step`."""
    from cryptography.fernet import Fernet

    click.echo(Fernet.generate_key().decode())


@users_group.command("reseal-two-step")
@transactional
def reseal_two_step_command() -> None:
    """Seal every stored TOTP seed again with the first sealing key (after a rotation)."""
    from matchmaker.services.accounts.mfa import reseal_secrets

    resealed, unreadable = reseal_secrets()
    click.echo(f"Resealed {resealed} two-step secret(s) with the first sealing key.")
    if unreadable:
        click.echo(
            f"{unreadable} secret(s) no configured key opens: those users' codes are refused "
            "until an admin resets their two-step verification (users reset-two-step).",
            err=True,
        )
