"""Role x route expectations for the public statistics page (开放数据; merged into
test_access_matrix). Everything is public: the page, every dataset's CSV (the matrix asks for
PLACEHOLDERS["dataset"], a real one) and all.csv. What they hold: tests/web/test_open_data.py.
"""

from __future__ import annotations

LOGIN = "login"
ROLES = ("anon", "enterprise", "university", "bank", "admin", "broker", "bureau")

EXPECTED: dict[str, dict[str, int | str]] = {
    "open_data.index": dict.fromkeys(ROLES, 200),
    "open_data.download": dict.fromkeys(ROLES, 200),
    "open_data.download_all": dict.fromkeys(ROLES, 200),
}
