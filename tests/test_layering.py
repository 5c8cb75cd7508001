"""Layering: import direction and who ends a transaction.

Services know nothing of HTTP; models know nothing of services; jobs, the seed and the CLI
never import the web layer; a blueprint never imports another blueprint's views; the
recommender imports neither Flask nor SQLAlchemy nor the app; and nothing under web/ calls
commit() or rollback() (the unit of work does, services/platform/uow.py).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "matchmaker"
REQUEST_STATE = {"request", "session", "g", "flash", "current_user", "url_for"}


def _imports(path: Path, root: Path = PACKAGE.parent) -> list[tuple[str, str]]:
    """(module, name) for every import in a file, including those inside functions.

    Relative imports are resolved against ``root``, the folder holding the package.
    """
    found: list[tuple[str, str]] = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                parent = path.relative_to(root).with_suffix("").parts[: -node.level]
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


#: What a model may take from Flask: UserMixin, and lazy strings to label its enum values
#: beside the enum (a lazy string holds no request state; it is translated when rendered).
MODEL_FLASK_IMPORTS = {("flask_login", "UserMixin"), ("flask_babel", "lazy_gettext")}


def _upward_imports(path: Path) -> list[str]:
    return [
        f"{module}.{name}" if name else module
        for module, name in _imports(path)
        if module.startswith(("matchmaker.services", "matchmaker.web", "flask"))
        and (module, name) not in MODEL_FLASK_IMPORTS
    ]


@pytest.mark.parametrize("path", _files("models"), ids=lambda p: p.name)
def test_models_do_not_import_services_or_web(path):
    assert _upward_imports(path) == [], f"{path.name} imports upwards"


def test_the_model_checker_allows_only_lazy_labels(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from flask_babel import lazy_gettext as _l\n"
        "from flask_babel import gettext\n"
        "import flask_babel\n"
        "from flask import current_app\n"
        "from flask_login import UserMixin, current_user\n"
        "from matchmaker.services.market import listings\n"
    )
    assert _upward_imports(probe) == [
        "flask_babel.gettext",
        "flask_babel",
        "flask.current_app",
        "flask_login.current_user",
        "matchmaker.services.market.listings",
    ]


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


# -- the unit of work: views never end a transaction ------------------------------------------


def _transaction_calls(path: Path) -> list[str]:
    """`line: .commit()` for every call of a method named commit or rollback in a file."""
    tree = ast.parse(path.read_text("utf-8"), str(path))
    return [
        f"{node.lineno}: .{node.func.attr}()"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("commit", "rollback")
    ]


@pytest.mark.parametrize("path", _files("web"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_web_never_commits_or_rolls_back(path):
    # The request hook ends the unit of work (services/platform/uow.py); a view that committed
    # would split a request into two transactions, one that rolled back would lose the other
    # half's side effects.
    assert _transaction_calls(path) == [], f"{path.name} ends the transaction itself"


def test_the_transaction_checker_sees_a_violation(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text(
        "def view():\n"
        "    db.session.commit()\n"
        "    if x:\n        session.rollback()\n"
        "    commit()\n"  # a bare name is not a session method
        "    form.commit_message = 1\n"
    )
    assert _transaction_calls(probe) == ["2: .commit()", "4: .rollback()"]


# -- who may import the web layer ---------------------------------------------------------------


def _web_imports(path: Path, root: Path = PACKAGE.parent) -> list[str]:
    """The matchmaker.web modules (and names from them) a file imports."""
    found = []
    for module, name in _imports(path, root):
        full = f"{module}.{name}" if name else module
        if full == "matchmaker.web" or full.startswith("matchmaker.web."):
            found.append(full)
    return found


def _outside_web() -> list[Path]:
    """The jobs, the seed and the CLI: they run without a request, so they never need the web."""
    cli = PACKAGE / "cli"
    files = [*_files("jobs"), *_files("seed")]
    files += sorted(cli.rglob("*.py")) if cli.is_dir() else [PACKAGE / "cli.py"]
    return files


@pytest.mark.parametrize("path", _outside_web(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_jobs_seed_and_cli_do_not_import_web(path):
    assert _web_imports(path) == [], f"{path.name} imports the web layer"


def test_the_web_import_checker_sees_a_violation(tmp_path):
    probe = tmp_path / "matchmaker" / "jobs" / "probe.py"
    probe.parent.mkdir(parents=True)
    probe.write_text(
        "import matchmaker.webhooks\n"  # a name that only starts alike is not the web layer
        "from matchmaker import web\n"
        "from ..web.labels import kind_label\n"
        "def f():\n    import matchmaker.web.forms\n"
    )
    assert _web_imports(probe, tmp_path) == [
        "matchmaker.web",
        "matchmaker.web.labels.kind_label",
        "matchmaker.web.forms",
    ]


# -- blueprints: each area keeps to its own views ------------------------------------------------


def _is_views(module: str) -> bool:
    """Whether a module path names a views module (views.py or *_views.py)."""
    last = module.rsplit(".", 1)[-1]
    return last == "views" or last.endswith("_views")


def _foreign_views(path: Path, root: Path = PACKAGE.parent) -> list[str]:
    """The views modules of other areas that a file of web/<area>/ imports.

    Shared web helpers (web/forms.py, refusals.py, policy.py, labels.py ...) and another area's
    forms or panels are fine; another area's views are not: move what both need to a helper.
    """
    area = path.relative_to(root / "matchmaker" / "web").parts[0]
    found = []
    for module, name in _imports(path, root):
        for full in (module, f"{module}.{name}" if name else module):
            parts = full.split(".")
            if (
                len(parts) >= 4
                and parts[:2] == ["matchmaker", "web"]
                and parts[2] != area
                and _is_views(".".join(parts[:4]))
            ):
                found.append(".".join(parts[:4]))
                break
    return found


def _blueprint_files() -> list[Path]:
    return [
        path
        for folder in sorted((PACKAGE / "web").iterdir())
        if (folder / "__init__.py").is_file()
        for path in sorted(folder.rglob("*.py"))
    ]


@pytest.mark.parametrize("path", _blueprint_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_blueprints_do_not_import_each_others_views(path):
    assert _foreign_views(path) == [], f"{path.name} imports another blueprint's views"


def test_the_blueprint_checker_sees_a_violation(tmp_path):
    probe = tmp_path / "matchmaker" / "web" / "review" / "views.py"
    probe.parent.mkdir(parents=True)
    probe.write_text(
        "from matchmaker.web.listings.views import link_for\n"
        "from ..finance import event_views\n"
        "from matchmaker.web.pipeline.deal_views import x\n"
        "from matchmaker.web.review.other_views import mine\n"  # its own area
        "from matchmaker.web.listings.forms import NeedForm\n"  # another area's forms: fine
        "from matchmaker.web.forms import form_errors\n"  # a shared helper
        "from matchmaker.web import refusals\n"
    )
    assert _foreign_views(probe, tmp_path) == [
        "matchmaker.web.listings.views",
        "matchmaker.web.finance.event_views",
        "matchmaker.web.pipeline.deal_views",
    ]


# -- the recommender stands alone ------------------------------------------------------------------


def _recommender_leaks(path: Path, root: Path = PACKAGE.parent) -> list[str]:
    """Imports of Flask, SQLAlchemy or the rest of the app from a recommender module."""
    return [
        module
        for module, _name in _imports(path, root)
        if module.split(".")[0] in ("flask", "sqlalchemy", "werkzeug")
        or module.startswith("flask_")
        or (module.startswith("matchmaker") and not module.startswith("matchmaker.recommender"))
    ]


@pytest.mark.parametrize("path", _files("recommender"), ids=lambda p: p.name)
def test_recommender_imports_neither_flask_nor_sqlalchemy_nor_the_app(path):
    # The same rule checked at run time (sys.modules) in tests/recommender/test_import.py.
    assert _recommender_leaks(path) == [], f"{path.name} depends on the app"


def test_the_recommender_checker_sees_a_violation(tmp_path):
    probe = tmp_path / "matchmaker" / "recommender" / "probe.py"
    probe.parent.mkdir(parents=True)
    probe.write_text(
        "import sqlalchemy as sa\n"
        "from flask import current_app\n"
        "from flask_babel import gettext\n"
        "from ..models import Result\n"
        "from .text import normalise\n"  # its own package: fine
        "import numpy\n"
    )
    assert _recommender_leaks(probe, tmp_path) == [
        "sqlalchemy",
        "flask",
        "flask_babel",
        "matchmaker.models",
    ]
