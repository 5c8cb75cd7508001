"""E-mail goes out through a real SMTP conversation (a local aiosmtpd server)."""

from __future__ import annotations

from email import message_from_bytes
from email.header import decode_header, make_header

import pytest

from matchmaker.services.accounts.accounts import request_password_reset
from tests.factories import make_user
from tests.smtp import SmtpServer, deliver_mail


@pytest.fixture
def smtp(app):
    server = SmtpServer()
    server.start()
    server.configure(app)
    try:
        yield server
    finally:
        server.stop()
        server.unconfigure(app)


def test_password_reset_mail_is_delivered_over_smtp(app, db, smtp):
    user = make_user("enterprise", email="engineer@example.com")
    db.session.commit()
    with app.test_request_context():
        request_password_reset(
            email="ENGINEER@example.com", link_for=lambda t: f"https://mm.example/r/{t}"
        )
    db.session.commit()
    assert deliver_mail() == 1
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
    db.session.commit()
    assert deliver_mail() == 0
    assert smtp.messages == []
