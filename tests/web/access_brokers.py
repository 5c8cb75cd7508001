"""Role x route expectations for the 技术经纪人 routes (merged into test_access_matrix).

Broker 999999, need 999999 and assignment 999999 do not exist: a role that passes the gate gets
404. The matrix's broker is a verified broker without organisation. Object-level checks (an
unverified broker, another broker's assignment, its own organisation's need):
tests/web/test_brokers_web.py.
"""

from __future__ import annotations

LOGIN = "login"
HOME = "home"
ROLES = ("anon", "enterprise", "university", "bank", "admin", "broker", "bureau")
_ALL = dict.fromkeys(ROLES, 200)
_MISSING = dict.fromkeys(ROLES, 404)
_BROKER = {**dict.fromkeys(ROLES, 403), "anon": LOGIN, "broker": 200}
_ADMIN = {**dict.fromkeys(ROLES, 403), "anon": LOGIN, "admin": 200}

EXPECTED: dict[str, dict[str, int | str]] = {
    "brokers.register": {**dict.fromkeys(ROLES, HOME), "anon": 200},
    "brokers.list_brokers": _ALL,
    "brokers.show_broker": _MISSING,
    "brokers.claimable_needs": _BROKER,
    "brokers.claim_need": {**_BROKER, "broker": 404, "bureau": 404},
    "brokers.release_need": {**_BROKER, "broker": 404, "bureau": 404},
    "brokers.admin_list": _ADMIN,
    "brokers.admin_show": {**_ADMIN, "admin": 404},
    "brokers.verify_broker": {**_ADMIN, "admin": 404},
    "brokers.reinstate_broker": {**_ADMIN, "admin": 404},
    "brokers.reject_broker": {**_ADMIN, "admin": 404},
    "brokers.suspend_broker": {**_ADMIN, "admin": 404},
    "brokers.assign_need": {**_ADMIN, "admin": 404},
    "brokers.end_assignment": {**_ADMIN, "admin": 404},
}
