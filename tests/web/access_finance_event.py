"""Role x route expectations for the 科技金融 event routes (merged into test_access_matrix).

Object routes get the placeholder id 999999: a role that passes the permission reaches the view,
which answers 404. Object-level checks with real events: tests/web/test_finance_events_web.py.
"""

from __future__ import annotations

LOGIN = "login"
_ALL = {
    "anon": 200,
    "enterprise": 200,
    "university": 200,
    "bank": 200,
    "broker": 200,
    "bureau": 200,
    "admin": 200,
}
_MISSING = {
    "anon": 404,
    "enterprise": 404,
    "university": 404,
    "bank": 404,
    "broker": 404,
    "bureau": 404,
    "admin": 404,
}
_ORGANISER = {
    "anon": LOGIN,
    "enterprise": 403,
    "university": 403,
    "bank": 200,
    "broker": 403,
    "bureau": 403,
    "admin": 200,
}
_ORGANISER_404 = {
    "anon": LOGIN,
    "enterprise": 403,
    "university": 403,
    "bank": 404,
    "broker": 403,
    "bureau": 403,
    "admin": 404,
}
_PARTICIPANT_404 = {
    "anon": LOGIN,
    "enterprise": 404,
    "university": 403,
    "bank": 404,
    "broker": 403,
    "bureau": 403,
    "admin": 403,
}
_MEMBER_404 = {
    "anon": LOGIN,
    "enterprise": 404,
    "university": 404,
    "bank": 404,
    "broker": 404,
    "bureau": 404,  # login only: the meeting 999999 is nobody's
    "admin": 404,
}

#: The old addresses of the list, an event's page and the organiser's forms redirect (301) to
#: the common event pages (/events); the rows of those are in access_events.py.
_MOVED = dict.fromkeys(_ALL, 301)
_MOVED_ORGANISER = {**_ORGANISER, "bank": 301, "admin": 301}

EXPECTED: dict[str, dict[str, int | str]] = {
    "finance.list_events": _MOVED,
    "finance.show_event": _MISSING,  # the redirect looks the event up first
    "finance.managed_events": _MOVED_ORGANISER,
    "finance.new_event": _MOVED_ORGANISER,
    "finance.manage_event": _ORGANISER_404,
    "finance.edit_event": _ORGANISER_404,
    "finance.publish_event": _ORGANISER_404,
    "finance.cancel_event": _ORGANISER_404,
    "finance.schedule_event": _ORGANISER_404,
    "finance.finish_event": _ORGANISER_404,
    "finance.confirm_meeting": _ORGANISER_404,
    "finance.cancel_meeting": _ORGANISER_404,
    "finance.my_schedule": _PARTICIPANT_404,
    "finance.record_outcome": _MEMBER_404,
}
