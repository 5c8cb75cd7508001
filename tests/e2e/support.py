"""Shared pieces of the browser tests: the skip-or-fail rule, credentials, the error collector."""

from __future__ import annotations

import os
from dataclasses import dataclass
from types import ModuleType
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def unavailable(reason: str) -> NoReturn:
    """Skip locally; fail in CI, where a skipped browser test proves nothing."""
    if in_ci():
        pytest.fail(f"{reason}; CI=true, so the browser tests must run, not skip.", pytrace=False)
    pytest.skip(reason)


def sync_api() -> ModuleType:
    """playwright.sync_api, or a skip of the calling test module (a failure in CI)."""
    try:
        import playwright.sync_api as api
    except ImportError as error:
        if in_ci():
            raise
        pytest.skip(
            f"browser tests need Playwright's Python package ({error})", allow_module_level=True
        )
    return api


@dataclass(frozen=True)
class Credentials:
    email: str
    password: str
    name: str


class BrowserErrors(list):
    """Console errors, uncaught page errors and CSP violations seen by the pages of a test."""
