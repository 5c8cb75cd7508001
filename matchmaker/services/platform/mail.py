"""Outgoing e-mail through the outbox: a mail is a job row, sent by a worker after the commit.

`send_email` only queues: the message is stored in the job table in the same transaction as
the change that caused it, so a change that rolls back sends nothing, a request never waits on
the SMTP server, and a mail server that is down delays mail instead of failing the change. The
`mail.send` job (matchmaker/jobs/tasks.py) calls `deliver`, retried with back-off; after the
last attempt the job is failed and an admin can queue it again (管理 → 后台任务).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import current_app
from flask_mail import Message

from matchmaker.extensions import mail
from matchmaker.services.platform import jobs

log = logging.getLogger("matchmaker.mail")
JOB_NAME = "mail.send"
#: 30 s, 1, 2, 4, 8, 16, 32 min and 1 h apart: about two hours before a mail is given up.
MAX_ATTEMPTS = 9
_suppressed: ContextVar[bool] = ContextVar("mail_suppressed", default=False)


@contextmanager
def suppressed() -> Iterator[None]:
    """Queue no e-mail inside the block (demo data: its people and addresses are made up)."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def send_email(
    *, to: str | list[str], subject: str, body: str, headers: dict[str, str] | None = None
) -> None:
    """Queue a plain-text e-mail; it is sent once the caller's transaction commits."""
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients or _suppressed.get():
        return
    jobs.enqueue(
        JOB_NAME,
        max_attempts=MAX_ATTEMPTS,
        to=recipients,
        subject=subject,
        body=body,
        headers=dict(headers or {}),
    )


def deliver(
    *, to: list[str], subject: str, body: str, headers: dict[str, str] | None = None
) -> bool:
    """Hand one message to the SMTP server; raises when it cannot be delivered.

    Without MAIL_SERVER (development) the message is written to the log instead and False is
    returned; in production that is an error in the log.
    """
    if not current_app.config.get("MAIL_SERVER"):
        if current_app.config.get("ENV_NAME") != "production":
            log.info("mail (not sent, no MAIL_SERVER) to=%s subject=%s\n%s", to, subject, body)
        else:
            log.error(
                "mail not sent: MATCHMAKER_MAIL_SERVER is not configured (subject=%s)", subject
            )
        return False
    recipients: list[str | tuple[str, str]] = [*to]  # Message's list is invariant
    mail.send(
        Message(subject=subject, recipients=recipients, body=body, extra_headers=headers or None)
    )
    return True
