"""A real SMTP server for tests (aiosmtpd on 127.0.0.1) that can be stopped and started again."""

from __future__ import annotations

import socket
from datetime import datetime

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink


class Collector(Sink):
    """Keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def deliver_mail(now: datetime | None = None) -> int:
    """Run the queued mail jobs (the outbox), as `matchmaker jobs work` would; how many ran."""
    import matchmaker.jobs  # noqa: F401 - registers the handlers
    from matchmaker.services.platform import jobs, mail

    return jobs.run_pending(names=[mail.JOB_NAME], now=now)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    """aiosmtpd on a fixed port of 127.0.0.1; `stop()` and `start()` simulate an outage."""

    def __init__(self) -> None:
        self.handler = Collector()
        self.port = free_port()
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[tuple[list[str], bytes]]:
        return self.handler.messages

    def start(self) -> None:
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def configure(self, app) -> None:  # noqa: ANN001
        """Point the app's mail settings at this server."""
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=self.port)
        app.extensions["mail"].server = "127.0.0.1"
        app.extensions["mail"].port = self.port

    @staticmethod
    def unconfigure(app) -> None:  # noqa: ANN001
        app.config.update(MAIL_SERVER=None, MAIL_PORT=25)
        app.extensions["mail"].server = None
        app.extensions["mail"].port = 25
