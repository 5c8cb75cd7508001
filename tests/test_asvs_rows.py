"""Source checks for SECURITY.md rows that a grep rule shows best (issue 17, docs/security.md).

Each check reads the code, so it fails the moment someone adds a construct the row forbids:
a bare primary-key load in a view (row 15), HTML marked safe (row 23), SQL built from strings
(row 24). A reviewed exception is listed here with the reason it is safe.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "matchmaker"
TEMPLATES = ROOT / "templates"

#: (module, function) -> why a primary-key load without an ownership filter is safe there.
#: A view loads foreign objects through a service (`get_owned`, `downloadable`, ...) that
#: answers NotFound; a bare `db.get_or_404` / `db.session.get` must be one of these.
REVIEWED_LOADS: dict[tuple[str, str], str] = {
    ("api/applications.py", "apply_to_challenge"): "prefill_from_result refuses a foreign result",
    ("api/challenges.py", "invite_to_challenge"): "invitees are any verified organisation",
    ("api/listing_writes.py", "_viewable"): "can_view_listing, else NotFound",
    ("api/listings.py", "_matches"): "_public() answered 404 first for a non-public listing",
    ("api/stats.py", "filters_of"): "a technology field of the public taxonomy",
    ("web/admin/views.py", "show_organisation"): "admin-only blueprint",
    ("web/admin/views.py", "verify_organisation"): "admin-only blueprint",
    ("web/admin/views.py", "reject_organisation"): "admin-only blueprint",
    ("web/admin/views.py", "_user_action"): "admin-only blueprint",
    ("web/admin/views.py", "edit_field"): "admin-only blueprint",
    ("web/admin/views.py", "reset_mfa"): "admin-only blueprint (USER_MANAGE)",
    ("web/auth/mfa_views.py", "_pending_user"): "the uid the password step put in the session",
    ("web/brokers/admin_views.py", "admin_show"): "admin-only (BROKER_REVIEW)",
    ("web/brokers/admin_views.py", "verify_broker"): "admin-only (BROKER_REVIEW)",
    ("web/brokers/admin_views.py", "reinstate_broker"): "admin-only (BROKER_REVIEW)",
    ("web/brokers/admin_views.py", "_with_reason"): "admin-only (BROKER_REVIEW)",
    ("web/brokers/admin_views.py", "assign_need"): "admin-only (BROKER_REVIEW)",
    ("web/brokers/admin_views.py", "end_assignment"): "admin-only (BROKER_REVIEW)",
    ("web/challenges/application_views.py", "delete_application_attachment"): (
        "404 unless the attachment belongs to the caller's own application"
    ),
    ("web/challenges/publish_views.py", "invite_organisations"): "invitees, not data read",
    ("web/challenges/scenario_views.py", "show_scenario"): "redirects to the checked page",
    ("web/challenges/scenario_views.py", "edit_scenario"): "returned_scenario: owner or 404",
    ("web/excel/views.py", "_my_import"): "404 unless the job is the caller's import",
    ("web/hooks.py", "load_user"): "the session's own user (with its session_version)",
    ("web/listings/views.py", "delete_attachment"): "404 unless in the caller's owned listing",
    ("web/market/views.py", "_detail"): "public version, else can_view_listing or 404",
    ("web/market/views.py", "organisation"): "public page; 404 for an unverified one",
    ("web/matching/views.py", "feedback"): "record_feedback: NotFound unless visible",
    ("web/matching/views.py", "job_status"): "LISTING_REVIEW (admins)",
    ("web/pipeline/views.py", "_scored"): "404 unless manager or panel member",
    ("web/review/challenge_views.py", "show_challenge"): "reviewers only",
    ("web/review/challenge_views.py", "approve_challenge"): "reviewers only",
    ("web/review/challenge_views.py", "reject_challenge"): "reviewers only",
    ("web/review/views.py", "show"): "reviewers only",
    ("web/review/views.py", "approve"): "reviewers only",
    ("web/review/views.py", "reject"): "reviewers only",
}

#: (module, function) -> why SQL text built from a non-literal is safe there.
REVIEWED_SQL: dict[tuple[str, str], str] = {
    ("services/platform/backup.py", "_clear_database"): (
        "a schema name quoted by the dialect's identifier preparer (operator's restore)"
    ),
    ("services/platform/worker.py", "__init__"): "LISTEN on a module constant channel name",
}

#: Modules that build Markup from parts they escape themselves.
REVIEWED_MARKUP = {
    "web/admin/forms.py": "a widget joining two parts WTForms escaped",
    "web/accessibility.py": "Markup(...) % escaped user text",
    "web/market/highlight.py": "<mark> around escaped search terms",
    "web/mfa_display.py": "the QR code's SVG drawn from our own URI, its label escaped",
}

LOADS = re.compile(r"^(db\.get_or_404|db\.session\.get|db\.first_or_404|.*\.query\.get(_or_404)?)$")
SQL_CALLS = re.compile(r"^(sa\.text|sqlalchemy\.text|.*\.exec_driver_sql|.*\.execute)$")


def _calls(path: Path) -> list[tuple[str, ast.Call]]:
    """(enclosing function, call) of every call in a module."""
    found: list[tuple[str, ast.Call]] = []

    def walk(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = function
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = child.name
            if isinstance(child, ast.Call):
                found.append((name, child))
            walk(child, name)

    walk(ast.parse(path.read_text("utf-8")), "<module>")
    return found


def _modules(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (PACKAGE / folder).rglob("*.py"))


def _bare_loads(paths: list[Path], base: Path = PACKAGE) -> set[tuple[str, str]]:
    return {
        (path.relative_to(base).as_posix(), function)
        for path in paths
        for function, call in _calls(path)
        if LOADS.match(ast.unparse(call.func))
    }


def _built_sql(paths: list[Path], base: Path = PACKAGE) -> set[tuple[str, str]]:
    """Calls of sa.text / execute whose SQL is an f-string, a concatenation or .format()."""
    out = set()
    for path in paths:
        for function, call in _calls(path):
            if not SQL_CALLS.match(ast.unparse(call.func)) or not call.args:
                continue
            first = call.args[0]
            built = isinstance(first, (ast.JoinedStr, ast.BinOp)) or (
                isinstance(first, ast.Call)
                and isinstance(first.func, ast.Attribute)
                and first.func.attr == "format"
            )
            if built:
                out.add((path.relative_to(base).as_posix(), function))
    return out


def test_views_load_objects_only_where_reviewed():
    """SECURITY.md row 15 (v5.0.0-8.2.2): no bare `Model.query.get(id)` in views — every
    primary-key load in web/ and api/ is a reviewed one (the object-level check is next to it),
    so a new view must go through a scoped service (`get_owned`, `downloadable`, ...)."""
    found = _bare_loads(_modules("web", "api"))
    assert found - set(REVIEWED_LOADS) == set(), "unreviewed primary-key loads in views"
    assert set(REVIEWED_LOADS) - found == set(), "REVIEWED_LOADS lists loads that are gone"


def test_the_load_checker_sees_a_bare_load(tmp_path):
    """SECURITY.md row 15 (v5.0.0-8.2.2): the checker above is not vacuous."""
    view = tmp_path / "views.py"
    view.write_text("def show(i):\n    return db.get_or_404(Need, i)\n", "utf-8")
    assert _bare_loads([view], base=tmp_path) == {("views.py", "show")}
    assert LOADS.match("Need.query.get") and not LOADS.match("listings.get_owned")


def test_sql_is_never_built_from_strings():
    """SECURITY.md row 24 (v5.0.0-1.2.4): SQL goes through the ORM or bound parameters; no
    f-string, concatenation or .format() reaches sa.text or execute (Bandit B608's concern)."""
    found = _built_sql(_modules("."))
    assert found - set(REVIEWED_SQL) == set(), "SQL built from strings"
    assert set(REVIEWED_SQL) - found == set(), "REVIEWED_SQL lists code that is gone"


def test_the_sql_checker_sees_an_f_string(tmp_path):
    """SECURITY.md row 24 (v5.0.0-1.2.4): the checker above is not vacuous."""
    module = tmp_path / "m.py"
    module.write_text(
        "def find(q):\n    return db.session.execute(sa.text(f\"SELECT * WHERE t = '{q}'\"))\n",
        "utf-8",
    )
    assert _built_sql([module], base=tmp_path) == {("m.py", "find")}
    module.write_text('def find(q):\n    return sa.text("SELECT 1 WHERE t = :q")\n', "utf-8")
    assert _built_sql([module], base=tmp_path) == set()


def test_no_template_marks_user_data_safe():
    """SECURITY.md row 23 (v5.0.0-1.2.1, 1.3.1): Jinja autoescapes every page; no template
    uses `|safe` or turns autoescaping off, and Markup is built only in reviewed helpers."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in TEMPLATES.rglob("*.html")
        if re.search(r"\|\s*safe\b|autoescape\s+false", path.read_text("utf-8"))
    ]
    assert offenders == []
    markup = {
        path.relative_to(PACKAGE).as_posix()
        for path in _modules(".")
        for _function, call in _calls(path)
        if ast.unparse(call.func) in ("Markup", "markupsafe.Markup")
    }
    assert markup <= set(REVIEWED_MARKUP), markup - set(REVIEWED_MARKUP)


@pytest.mark.parametrize("name", ["page.html", "mail.txt.html", "x.htm", "y.xml"])
def test_autoescape_is_on_for_html_templates(app, name):
    """SECURITY.md row 23 (v5.0.0-1.2.1): Flask turns autoescaping on for these names."""
    assert app.select_jinja_autoescape(name)


def test_migrations_create_no_accounts():
    """SECURITY.md row 6 (v5.0.0-6.3.2): a fresh database (`flask db upgrade`) has no users —
    the only rows a migration adds are reference data (the technology fields); a backfill may
    update existing rows (publications.search_pairs) but adds none. The first admin comes from
    `matchmaker users create-admin` (tests/test_cli.py)."""
    written: set[str] = set()
    for path in sorted((ROOT / "migrations" / "versions").glob("*.py")):
        text = path.read_text("utf-8")
        tables = set(re.findall(r"sa\.table\(\s*['\"](\w+)['\"]", text))
        # a table a migration names only to update its rows adds none
        if re.search(r"bulk_insert\(|\.insert\(", text) or not re.search(r"\.update\(", text):
            written |= tables
        written |= set(re.findall(r"INSERT\s+INTO\s+\"?(\w+)", text, re.IGNORECASE))
    assert "tech_fields" in written  # the check reads the migrations
    assert written <= {"tech_fields"}
