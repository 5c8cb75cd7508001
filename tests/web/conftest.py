"""Fixtures of the web tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask, g, request_started


@pytest.fixture(autouse=True)
def _fresh_globals_per_request(app: Flask) -> Iterator[None]:
    """The session-wide app context shares `g` across requests; start each request clean, as
    a real request would (several requests in one test must not see each other's `g`)."""

    def clear(sender: Flask, **extra: object) -> None:
        for key in list(g):
            g.pop(key)

    request_started.connect(clear, app)
    yield
    request_started.disconnect(clear, app)
