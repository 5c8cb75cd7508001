"""The engine is pure: importing it loads neither Flask nor SQLAlchemy."""

from __future__ import annotations

import subprocess
import sys


def test_import_loads_no_web_or_database_framework() -> None:
    code = (
        "import sys, matchmaker.recommender, matchmaker.recommender.evaluate, "
        "matchmaker.recommender.bench; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', "
        "'flask_sqlalchemy', 'bm25s')))"
    )
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout
