"""Role x route expectations for the 人才 routes (merged into test_access_matrix).

Expert id 999999 does not exist: a role that passes the gate gets 404. Object-level checks
with real profiles of another organisation: tests/web/test_experts.py.
"""

from __future__ import annotations

LOGIN = "login"
_ALL = dict.fromkeys(("anon", "enterprise", "university", "bank", "admin", "broker", "bureau"), 200)
_KEEPER = {
    "anon": LOGIN,
    "enterprise": 403,
    "university": 404,
    "bank": 403,
    "broker": 403,
    "bureau": 403,
    "admin": 403,
}
_REVIEWER = {
    "anon": LOGIN,
    "enterprise": 403,
    "university": 403,
    "bank": 403,
    "broker": 403,
    "bureau": 403,
    "admin": 404,
}

EXPECTED: dict[str, dict[str, int | str]] = {
    "talent.list_experts": _ALL,
    "talent.show_expert": dict.fromkeys(_ALL, 404),
    "talent.my_experts": {**_KEEPER, "university": 200},
    "talent.new_expert": {**_KEEPER, "university": 200},
    "talent.show_mine": _KEEPER,
    "talent.edit_expert": _KEEPER,
    "talent.act": _KEEPER,
    # bulk import of profiles (the job's status pages are excel.import_status)
    "talent.import_experts": {**_KEEPER, "university": 200},
    "talent.expert_template": {**_KEEPER, "university": 200},
    "talent.review_expert": _REVIEWER,
    "talent.approve_expert": _REVIEWER,
    "talent.reject_expert": _REVIEWER,
}
