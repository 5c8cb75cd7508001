"""Shared pieces of the browser tests: the skip-or-fail rule, credentials, the error collector."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page


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


# --- accessibility: axe-core (issue 19) ---------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
# From the npm registry (package.json at the repository root, `npm ci` in `make test`); the tests
# read it from node_modules, the application never serves it.
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Evaluated rather than added as a <script> tag: the pages' CSP (script-src 'self') refuses inline
# scripts, and a CSP violation is itself a test failure.
AXE_RUN = """tags => axe.run(document, {
    runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
  .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map(n => n.target.join(' ') + (n.failureSummary ? ' | '
      + n.failureSummary.split('\\n').slice(1, 2).join('').trim() : ''))})))"""


def axe_source() -> str:
    """axe.min.js, or a skip (a failure in CI) when `npm ci` has not installed it."""
    if not AXE_JS.exists():
        unavailable(f"accessibility checks need axe-core at {AXE_JS} (run `npm ci`)")
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the page as it stands (WCAG 2.1 A and AA rules); its violations."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    result: list[dict[str, Any]] = page.evaluate(AXE_RUN, AXE_TAGS)
    return result


def axe_summary(where: str, violations: list[dict[str, Any]]) -> str:
    """A readable report: one block per rule with the page, the rule and the elements."""
    lines = []
    for violation in violations:
        lines.append(f"{where}: {violation['id']} ({violation['impact']}): {violation['help']}")
        targets = violation["targets"]
        lines.extend(f"    {target}" for target in targets[:8])
        if len(targets) > 8:
            lines.append(f"    … and {len(targets) - 8} more")
    return "\n".join(lines)
