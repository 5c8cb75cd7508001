"""Fixtures of the API tests: a clean `g` per request, and tokens made through the service."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask, g, request_started

from matchmaker.extensions import db as _db
from matchmaker.services.accounts import api_tokens
from tests.factories import make_user


@pytest.fixture(autouse=True)
def _fresh_globals_per_request(app: Flask) -> Iterator[None]:
    """The session-wide app context shares `g`: start each request clean, as a real one would."""

    def clear(sender: Flask, **extra: object) -> None:
        for key in list(g):
            g.pop(key)

    request_started.connect(clear, app)
    yield
    request_started.disconnect(clear, app)


@pytest.fixture
def token_for(db: object) -> Callable[..., str]:
    """token_for(user, scopes=["read"]) -> the bearer secret of a new token (committed)."""

    def _make(user, scopes=("read",), **kwargs) -> str:  # noqa: ANN001
        made = api_tokens.create_token(user=user, name="test", scopes=list(scopes), **kwargs)
        _db.session.commit()
        return made.secret

    return _make


@pytest.fixture
def bearer(token_for: Callable[..., str]) -> Callable[..., dict[str, str]]:
    """bearer(role_or_user, scopes=...) -> the Authorization header of a fresh token."""

    def _headers(who, scopes=("read",)) -> dict[str, str]:  # noqa: ANN001
        user = make_user(who) if isinstance(who, str) else who
        return {"Authorization": f"Bearer {token_for(user, scopes)}"}

    return _headers
