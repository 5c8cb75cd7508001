"""Import direction: services know nothing of HTTP, models know nothing of services.

(That the recommender imports neither Flask nor SQLAlchemy is tested in tests/recommender.)
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "matchmaker"
REQUEST_STATE = {"request", "session", "g", "flash", "current_user", "url_for"}


def _imports(path: Path) -> list[tuple[str, str]]:
    """(module, name) for every import in a file, including those inside functions."""
    found: list[tuple[str, str]] = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                parent = path.relative_to(PACKAGE.parent).with_suffix("").parts[: -node.level]
                module = ".".join([*parent, module]) if module else ".".join(parent)
            found.extend((module, alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend((alias.name, "") for alias in node.names)
    return found


def _files(folder: str) -> list[Path]:
    files = sorted((PACKAGE / folder).rglob("*.py"))
    assert files, folder
    return files


@pytest.mark.parametrize("path", _files("services"), ids=lambda p: p.name)
def test_services_do_not_touch_request_state(path):
    bad = [
        f"{module}.{name}"
        for module, name in _imports(path)
        if (module.split(".")[0] in ("flask", "flask_login") and name in REQUEST_STATE)
        or module.startswith("matchmaker.web")
        or (module in ("flask", "flask_login") and name == "")
    ]
    assert bad == [], f"{path.name} imports request-bound names"


@pytest.mark.parametrize("path", _files("models"), ids=lambda p: p.name)
def test_models_do_not_import_services_or_web(path):
    bad = [
        module
        for module, _name in _imports(path)
        if module.startswith(("matchmaker.services", "matchmaker.web", "flask"))
        and module != "flask_login"
    ]
    assert bad == [], f"{path.name} imports upwards"


def test_the_checker_sees_a_violation(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import flask\nfrom flask import request, current_app\n"
        "def f():\n    from flask_login import current_user\n"
    )
    assert set(_imports(probe)) == {
        ("flask", ""),
        ("flask", "request"),
        ("flask", "current_app"),
        ("flask_login", "current_user"),
    }
