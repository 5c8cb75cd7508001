"""Role x route expectations for the JSON API's connect operations (merged into
test_access_matrix; see access_api.py for how API routes are called).

Every operation needs a token (anon: 401). Enquiry 999999 is nobody's: 404 for every role
that gets past its scope; a step whose body has required fields answers 422 first (the matrix
sends no body). Every role here may hold a write:connect token (members of verified
organisations, admins, brokers). Only verified brokers have introductions (others: 403).
Object-level checks with real enquiries of other organisations: tests/api/test_enquiries.py.
"""

from __future__ import annotations

LOGIN = "login"
ROLES = ("anon", "enterprise", "university", "bank", "admin", "broker", "bureau")


def _all(status: int) -> dict[str, int | str]:
    return {**dict.fromkeys(ROLES, status), "anon": 401}


EXPECTED: dict[str, dict[str, int | str]] = {
    "api.list_enquiries": _all(200),
    "api.get_enquiry": _all(404),
    "api.create_enquiry": _all(422),
    "api.accept_enquiry": _all(404),
    "api.decline_enquiry": _all(422),
    "api.ask_enquiry_information": _all(422),
    "api.answer_enquiry_question": _all(422),
    "api.withdraw_enquiry": _all(404),
    "api.close_enquiry": _all(422),
    "api.consent_introduction": _all(404),
    "api.refuse_introduction": _all(422),
    "api.list_enquiry_messages": _all(404),
    "api.post_enquiry_message": _all(422),
    "api.report_enquiry_message": _all(422),
    "api.list_conversations": _all(200),
    "api.get_conversation": _all(404),
    "api.list_introductions": {**_all(403), "broker": 200, "bureau": 200},
}
