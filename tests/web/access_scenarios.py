"""Role x route expectations for 场景清单 (merged into test_access_matrix).

Challenge 999999 does not exist: /scenarios/<id> answers 404 to everyone. Publishing a scenario
(新建场景) is the admins' (Permission.SCENARIO_PUBLISH); the read-only 科技局 reader is refused.
Object-level checks (a scenario under review, a challenge that is not a scenario):
tests/web/test_scenarios_web.py.
"""

from __future__ import annotations

LOGIN = "login"
ROLES = ("anon", "enterprise", "university", "bank", "admin", "broker", "bureau")

EXPECTED: dict[str, dict[str, int | str]] = {
    "challenges.list_scenarios": dict.fromkeys(ROLES, 200),
    "challenges.show_scenario": dict.fromkeys(ROLES, 404),
    "challenges.new_scenario": {**dict.fromkeys(ROLES, 403), "anon": LOGIN, "admin": 200},
    # 修改后重新提交 of a sent-back scenario: the admins' (challenge 999999: 404)
    "challenges.edit_scenario": {**dict.fromkeys(ROLES, 403), "anon": LOGIN, "admin": 404},
}
