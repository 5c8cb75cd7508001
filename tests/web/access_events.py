"""Role x route expectations for the event pages (/events), merged into test_access_matrix.

Object routes get the placeholder id 999999: a logged-in role reaches the view, which answers
404. Object-level checks with real events (the organiser only, others 403):
tests/web/test_events_web.py.
"""

from __future__ import annotations

LOGIN = "login"
ROLES = ("anon", "enterprise", "university", "bank", "admin", "broker", "bureau")

_ALL = dict.fromkeys(ROLES, 200)
_MISSING = dict.fromkeys(ROLES, 404)
_LOGGED_IN_404 = {**dict.fromkeys(ROLES, 404), "anon": LOGIN}
_CREATOR = {
    "anon": LOGIN,
    "enterprise": 403,
    "university": 403,
    "bank": 200,  # 银企对接 events of its own
    "broker": 403,
    "bureau": 403,
    "admin": 200,
}

EXPECTED: dict[str, dict[str, int | str]] = {
    "events.list_events": _ALL,
    "events.show_event": _MISSING,
    "events.register": _LOGGED_IN_404,
    "events.withdraw": _LOGGED_IN_404,
    "events.managed": _CREATOR,
    "events.new_event": _CREATOR,
    "events.manage": _LOGGED_IN_404,
    "events.edit_event": _LOGGED_IN_404,
    "events.publish": _LOGGED_IN_404,
    "events.finish": _LOGGED_IN_404,
    "events.cancel": _LOGGED_IN_404,
    "events.check_in": _LOGGED_IN_404,
    "events.undo_check_in": _LOGGED_IN_404,
    "events.add_feature": _LOGGED_IN_404,
    "events.remove_feature": _LOGGED_IN_404,
    "events.add_outcome": _LOGGED_IN_404,
    "events.delete_outcome": _LOGGED_IN_404,
    "events.save_summary": _LOGGED_IN_404,
}
