"""Role x route expectations for 管理 → 待检文件 (merged into test_access_matrix).

The kind placeholder ("result") names no table of stored files: a role that passes the gate
reaches the view, which answers 404 (tests/web/test_upload_scanning.py uses real files).
"""

from __future__ import annotations

LOGIN = "login"
ROLES = ("anon", "enterprise", "university", "bank", "admin", "broker", "bureau")
_GATE = {"anon": LOGIN, **dict.fromkeys(ROLES[1:], 403)}

EXPECTED: dict[str, dict[str, int | str]] = {
    "admin.quarantine_list": {**_GATE, "admin": 200},
    "admin.download_held_file": {**_GATE, "admin": 404},
    "admin.release_file": {**_GATE, "admin": 404},
    "admin.delete_file": {**_GATE, "admin": 404},
}
