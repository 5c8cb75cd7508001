"""E-mail goes out through a real SMTP conversation (a local aiosmtpd server)."""

from __future__ import annotations

import socket
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink

from matchmaker.services.accounts import request_password_reset
from tests.factories import make_user


class Collector(Sink):
    """Keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app):
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    app.extensions["mail"].server = "127.0.0.1"
    app.extensions["mail"].port = controller.port
    try:
        yield handler
    finally:
        controller.stop()
        app.config.update(MAIL_SERVER=None, MAIL_PORT=25)
        app.extensions["mail"].server = None
        app.extensions["mail"].port = 25


def test_password_reset_mail_is_delivered_over_smtp(app, db, smtp):
    user = make_user("enterprise", email="engineer@example.com")
    db.session.commit()
    with app.test_request_context():
        request_password_reset(
            email="ENGINEER@example.com", link_for=lambda t: f"https://mm.example/r/{t}"
        )
    assert len(smtp.messages) == 1
    recipients, raw = smtp.messages[0]
    assert recipients == [user.email]
    message = message_from_bytes(raw)
    assert "matchmaker" in str(make_header(decode_header(message["Subject"])))
    body = message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")
    assert "https://mm.example/r/" in body


def test_unknown_address_sends_nothing(app, db, smtp):
    with app.test_request_context():
        request_password_reset(email="nobody@example.com", link_for=lambda t: t)
    assert smtp.messages == []
