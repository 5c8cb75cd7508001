"""Out-of-range and junk ids and page numbers in query strings and forms (issue 17, point 5).

Each URL below answered 500 before (the number reached the database: SQLite refuses an integer
above 2**63 - 1, PostgreSQL one above 2**31 - 1 for an INTEGER column); now the page gives its
normal "bad request" or "not found" answer, with a message in the user's language, and stores
nothing. The one parser is matchmaker/web/ids.py.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Base, Notification
from matchmaker.services.platform.notifications import notify
from matchmaker.web.ids import MAX_ID, MAX_PAGE, id_coerce, page_arg, to_id, whole_number
from tests.conftest import log_in
from tests.factories import make_user
from tests.services.challenge_helpers import challenge_world

HUGE = "99999999999999999999"  # above 2**63 - 1: SQLite's OverflowError
JUST_ABOVE = str(MAX_ID + 1)  # PostgreSQL's "integer out of range"


def row_counts() -> dict[str, int]:
    db.session.expire_all()
    return {
        t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t))
        for t in Base.metadata.sorted_tables
    }


def html_of(response) -> str:  # noqa: ANN001
    return response.get_data(as_text=True)


# --- the parser ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", 1),
        (" 42 ", 42),
        ("+7", 7),
        (str(MAX_ID), MAX_ID),
        (JUST_ABOVE, None),
        (HUGE, None),
        ("0", None),
        ("-1", None),
        ("", None),
        ("abc", None),
        ("1.5", None),
        ("1e3", None),
        ("0x10", None),
        ("١٢", None),  # Arabic-Indic digits: int() reads them, an id never has them
        ("1\x00", None),
        (None, None),
        (True, None),
        (12, 12),
    ],
)
def test_to_id_takes_only_whole_numbers_that_fit_an_id_column(raw, expected):
    assert to_id(raw) == expected


def test_whole_number_refuses_overlong_digit_strings():
    assert whole_number("1" * 30) == int("1" * 30)
    assert whole_number("1" * 31) is None  # no int() of a megabyte of digits


def test_id_coerce_raises_value_error_with_the_message(app):
    assert id_coerce("5") == 5
    with app.test_request_context(), pytest.raises(ValueError, match="编号无效"):
        id_coerce(HUGE)


@pytest.mark.parametrize(("query", "page"), [("", 1), ("page=", 1), ("page=abc", 1), ("page=3", 3)])
def test_page_arg_reads_blank_and_text_as_the_first_page(app, query, page):
    with app.test_request_context(f"/results?{query}"):
        assert page_arg() == page


@pytest.mark.parametrize("raw", ["0", "-1", str(MAX_PAGE + 1), HUGE])
def test_page_arg_refuses_numbers_out_of_range(app, raw):
    from matchmaker.services.errors import ValidationFailed

    with app.test_request_context(f"/results?page={raw}"), pytest.raises(ValidationFailed):
        page_arg()


# --- the URLs that answered 500 -----------------------------------------------------------------
@pytest.mark.parametrize("path", ["/results", "/needs"])
@pytest.mark.parametrize("raw", [HUGE, JUST_ABOVE + "0" * 10, "-99999999999999999999"])
def test_market_page_out_of_range_is_a_bad_request(client, db, path, raw):
    """SECURITY.md row 30 (v5.0.0-2.2.1): GET /results?page=99999999999999999999 (anonymous)
    and /needs?page=... answered 500; now 400 with the reason."""
    response = client.get(f"{path}?page={raw}")
    assert response.status_code == 400
    assert "页码应为 1 到 100000 之间的整数。" in html_of(response)


def test_results_page_huge_is_400(client, db):
    """SECURITY.md row 30 (v5.0.0-2.2.1): /results?page=99999999999999999999 answered 500."""
    assert client.get(f"/results?page={HUGE}").status_code == 400


def test_needs_page_huge_is_400(client, db):
    """SECURITY.md row 30 (v5.0.0-2.2.1): /needs?page=99999999999999999999 answered 500."""
    assert client.get(f"/needs?page={HUGE}").status_code == 400


def test_market_page_junk_is_still_the_first_page(client, db):
    assert client.get("/results?page=abc").status_code == 200
    assert client.get("/results?page=").status_code == 200


def test_notifications_page_huge_is_400(client, login_as):
    """SECURITY.md row 30 (v5.0.0-2.2.1): /notifications/?page=99999999999999999999 answered
    500 (db.paginate's OFFSET); now 400 with the reason."""
    login_as("enterprise")
    response = client.get(f"/notifications/?page={HUGE}")
    assert response.status_code == 400
    assert "页码应为" in html_of(response)


@pytest.mark.parametrize("raw", [HUGE, JUST_ABOVE, "-3", "0", "abc", "1.0"])
def test_notifications_read_with_a_bad_id_is_404_and_marks_nothing(client, login_as, raw):
    """SECURITY.md row 30 (v5.0.0-2.2.1): POST /notifications/read id=99999999999999999999
    answered 500; junk marked every notification read. Now 404 and nothing changes."""
    user = login_as("enterprise")
    notify(users=[user], kind="listing.approved", params={"title": "x"}, email=False)
    db.session.commit()
    response = client.post("/notifications/read", data={"id": raw})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.scalar(sa.select(Notification.read_at)) is None


def test_notifications_read_without_id_still_marks_all(client, login_as):
    user = login_as("enterprise")
    notify(users=[user], kind="listing.approved", params={"title": "x"}, email=False)
    db.session.commit()
    assert client.post("/notifications/read", data={}).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(Notification.read_at)) is not None


@pytest.mark.parametrize("name", ["application", "adoption"])
@pytest.mark.parametrize("raw", [HUGE, JUST_ABOVE, "-1", "abc"])
def test_new_deal_with_a_bad_source_id_is_404(client, login_as, name, raw):
    """SECURITY.md row 30 (v5.0.0-2.2.1): GET /my/deals/new?application=99999999999999999999
    answered 500; now 404, like an application that does not exist."""
    login_as("enterprise")
    before = row_counts()
    assert client.get(f"/my/deals/new?{name}={raw}").status_code == 404
    assert client.post(f"/my/deals/new?{name}={raw}", data={}).status_code == 404
    assert row_counts() == before


@pytest.mark.parametrize("raw", [HUGE, JUST_ABOVE, "-1", "zz"])
def test_apply_with_a_bad_result_id_is_404(client, fields, raw):
    """SECURITY.md row 30 (v5.0.0-2.2.1): GET /challenges/1/apply?result=99999999999999999999
    answered 500; now 404, like a result that is not one's own."""
    world = challenge_world(fields)
    log_in(client, world["uni_a"])
    url = f"/challenges/{world['challenge'].id}/apply"
    assert client.get(url).status_code == 200
    assert client.get(f"{url}?result={raw}").status_code == 404


def _feedback_as_owner(client, fields, **changes: str) -> dict[str, str]:  # noqa: ANN001
    """A need owner logged in, and the feedback form of its need's recommended result."""
    world = challenge_world(fields)
    log_in(client, world["owner"])
    return {
        "source_kind": "need",
        "source_id": str(world["need"].id),
        "target_kind": "result",
        "target_id": str(world["result"].id),
        "useful": "1",
        "next": "/dashboard",
        **changes,
    }


@pytest.mark.parametrize("field", ["source_id", "target_id"])
@pytest.mark.parametrize("raw", [HUGE, JUST_ABOVE, "-1", "0", "abc"])
def test_recommendation_feedback_with_a_bad_id_stores_nothing(client, fields, field, raw):
    """SECURITY.md row 30 (v5.0.0-2.2.1): POST /recommendations/feedback
    source_id=99999999999999999999 answered 500; now 400 naming the problem ("反馈没有保存"),
    and nothing stored."""
    data = _feedback_as_owner(client, fields, **{field: raw})
    before = row_counts()
    response = client.post("/recommendations/feedback", data=data)
    assert response.status_code == 400
    assert "反馈没有保存：推荐的条目无效。" in response.get_data(as_text=True)
    assert row_counts() == before


def test_recommendation_feedback_with_a_too_long_reason_goes_back_with_a_message(client, fields):
    """The reason is the user's own typing: back to the page, told why, nothing stored."""
    data = _feedback_as_owner(client, fields, useful="0", reason="太" * 501)
    before = row_counts()
    response = client.post("/recommendations/feedback", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard")
    assert row_counts() == before
    with client.session_transaction() as session:
        assert ("warning", "反馈没有保存：内容不完整。") in session["_flashes"]


@pytest.mark.parametrize("raw", [HUGE, JUST_ABOVE, "-1", "0", "abc"])
def test_challenge_invite_with_a_bad_organisation_id_is_400(client, fields, raw):
    """SECURITY.md row 30 (v5.0.0-2.2.1): POST /my/challenges/<id>/invite
    organisation_ids=99999999999999999999 answered 500; now 400 with the reason, no invitation."""
    world = challenge_world(fields)
    log_in(client, world["owner"])
    other = make_user("university").organisation
    db.session.commit()
    before = row_counts()
    response = client.post(
        f"/my/challenges/{world['challenge'].id}/invite",
        data={"organisation_ids": [str(other.id), raw]},
    )
    assert response.status_code == 400
    assert "编号无效，请重新选择。" in html_of(response)
    assert row_counts() == before


def test_challenge_invite_with_good_ids_still_invites(client, fields):
    world = challenge_world(fields)
    log_in(client, world["owner"])
    other = make_user("university").organisation
    db.session.commit()
    response = client.post(
        f"/my/challenges/{world['challenge'].id}/invite", data={"organisation_ids": [other.id]}
    )
    assert response.status_code == 302
    assert len(world["challenge"].invitations) == 1


@pytest.mark.parametrize(
    "query",
    [f"org={HUGE}", f"mode={HUGE}", f"funnel_field={HUGE}"],
)
def test_optional_id_filters_out_of_range_are_ignored(client, db, query):
    """An optional filter that names nothing is dropped, as "abc" always was."""
    for path in ("/results", "/needs", "/conversion", "/experts"):
        assert client.get(f"{path}?{query}").status_code == 200, path


def test_conversion_mode_huge_was_a_500(client, db):
    """SECURITY.md row 30 (v5.0.0-2.2.1): /conversion?mode=99999999999999999999 reached SQL."""
    assert client.get(f"/conversion?mode={HUGE}").status_code == 200


def test_connect_new_enquiry_with_a_bad_listing_id_is_404(client, login_as):
    """SECURITY.md row 30 (v5.0.0-2.2.1): /connect/new?kind=result&id=<huge> reached the
    database."""
    login_as("enterprise")
    from flask import url_for

    with client.application.test_request_context():
        url = url_for("connect.new_enquiry", kind="result", id=HUGE)
    assert client.get(url).status_code == 404
