"""Outgoing e-mail: SMTP through Flask-Mail, or the log when no server is configured."""

from __future__ import annotations

import logging

from flask import current_app
from flask_mail import Message

from matchmaker.extensions import mail

log = logging.getLogger("matchmaker.mail")


def send_email(
    *, to: str | list[str], subject: str, body: str, headers: dict[str, str] | None = None
) -> None:
    """Send a plain-text e-mail; in development without MAIL_SERVER it is written to the log."""
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients:
        return
    if not current_app.config.get("MAIL_SERVER"):
        if current_app.config.get("ENV_NAME") != "production":
            log.info(
                "mail (not sent, no MAIL_SERVER) to=%s subject=%s\n%s", recipients, subject, body
            )
        else:
            log.error(
                "mail not sent: MATCHMAKER_MAIL_SERVER is not configured (subject=%s)", subject
            )
        return
    mail.send(Message(subject=subject, recipients=recipients, body=body, extra_headers=headers))
