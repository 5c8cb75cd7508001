"""Role x route matrix: every endpoint in app.url_map has a declared status for every role."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from matchmaker import create_app
from matchmaker.config import TestConfig
from matchmaker.extensions import db as _db
from matchmaker.services.accounts import accounts
from matchmaker.web.policy import public
from tests.factories import OrganisationFactory, UserFactory, make_user
from tests.web import (
    access_api,
    access_api_challenges,
    access_api_connect,
    access_api_deals,
    access_api_directory,
    access_api_events,
    access_api_finance,
    access_api_stats,
    access_brokers,
    access_bureau,
    access_connect,
    access_events,
    access_files,
    access_finance_bank,
    access_finance_credit,
    access_finance_event,
    access_finance_profile,
    access_introductions,
    access_mfa,
    access_open_data,
    access_reports,
    access_scenarios,
    access_talent,
)

# "broker": a verified 技术经纪人 without organisation (tests/factories.py make_broker).
ROLES = ("anon", "enterprise", "university", "bank", "admin", "broker", "bureau")

# GET for routes that answer GET, else the write method (empty form or body, CSRF off).
# anon on a protected route is a redirect to the login page; anonymous-only routes send
# logged-in users to their dashboard (302); a role without the permission gets 403.
LOGIN = "login"  # 302 to the login page
HOME = "home"  # 302 anywhere but the login page (dashboard, index, form page)
EXPECTED: dict[str, dict[str, int | str]] = {
    "static": dict.fromkeys(ROLES, 200),
    "main.index": dict.fromkeys(ROLES, 200),
    "main.healthz": dict.fromkeys(ROLES, 200),
    "metrics.metrics_view": dict.fromkeys(ROLES, 200),  # from loopback; tests/web/test_metrics.py
    "main.set_language": dict.fromkeys(ROLES, HOME),
    "main.choose_language": dict.fromkeys(ROLES, HOME),  # a visitor's GET switch
    "main.dashboard": {
        "anon": LOGIN,
        "enterprise": 200,
        "university": 200,
        "bank": 200,
        "broker": 200,
        "bureau": 200,
        "admin": 200,
    },
    "auth.register": {
        "anon": 200,
        "enterprise": HOME,
        "university": HOME,
        "bank": HOME,
        "broker": HOME,
        "bureau": HOME,
        "admin": HOME,
    },
    "auth.join": {
        "anon": 200,
        "enterprise": HOME,
        "university": HOME,
        "bank": HOME,
        "broker": HOME,
        "bureau": HOME,
        "admin": HOME,
    },
    "auth.login": {
        "anon": 200,
        "enterprise": HOME,
        "university": HOME,
        "bank": HOME,
        "broker": HOME,
        "bureau": HOME,
        "admin": HOME,
    },
    "auth.logout": {
        "anon": LOGIN,
        "enterprise": HOME,
        "university": HOME,
        "bank": HOME,
        "broker": HOME,
        "bureau": HOME,
        "admin": HOME,
    },
    "auth.change_password": {
        "anon": LOGIN,
        "enterprise": 200,
        "university": 200,
        "bank": 200,
        "broker": 200,
        "bureau": 200,
        "admin": 200,
    },
    "auth.forgot_password": {
        "anon": 200,
        "enterprise": HOME,
        "university": HOME,
        "bank": HOME,
        "broker": HOME,
        "bureau": HOME,
        "admin": HOME,
    },
    "auth.reset_password": {
        "anon": 200,
        "enterprise": HOME,
        "university": HOME,
        "bank": HOME,
        "broker": HOME,
        "bureau": HOME,
        "admin": HOME,
    },
    "auth.terms": dict.fromkeys(ROLES, 200),
    # after a registration: read the mail (tests/web/test_enumeration.py)
    "auth.registered": {"anon": 200, **dict.fromkeys(ROLES[1:], HOME)},
    # An unknown token: back to the login page, or to the dashboard when logged in.
    "auth.verify_email": {"anon": LOGIN, **dict.fromkeys(ROLES[1:], HOME)},
    "auth.resend_verification": {"anon": LOGIN, **dict.fromkeys(ROLES[1:], HOME)},
    "org.mine": {
        "anon": LOGIN,
        "enterprise": 200,
        "university": 200,
        "bank": 200,
        "broker": 403,
        "bureau": 403,
        "admin": 403,
    },
    # An empty upload form comes back with its error; the scan of org 999999 is nobody's.
    "org.upload_document": {
        "anon": LOGIN,
        "enterprise": 400,
        "university": 400,
        "bank": 400,
        "broker": 403,
        "bureau": 403,
        "admin": 403,
    },
    "org.document": {"anon": LOGIN, **dict.fromkeys(ROLES[1:], 404)},
}
_ADMIN_ONLY_GET = {
    "anon": LOGIN,
    "enterprise": 403,
    "university": 403,
    "bank": 403,
    "broker": 403,
    "bureau": 403,
    "admin": 200,
}
_ADMIN_ONLY_POST = {
    "anon": LOGIN,
    "enterprise": 403,
    "university": 403,
    "bank": 403,
    "broker": 403,
    "bureau": 403,
    "admin": HOME,
}
for _endpoint in (
    "admin.list_organisations",
    "admin.show_organisation",
    "admin.list_users",
    "admin.audit_log",
    "admin.jobs",
    "admin.connect_overview",
):
    EXPECTED[_endpoint] = _ADMIN_ONLY_GET
for _endpoint in (
    "admin.verify_organisation",
    "admin.activate_user",
    "admin.deactivate_user",
    "admin.terminate_sessions",
):
    EXPECTED[_endpoint] = _ADMIN_ONLY_POST
# An empty reason re-renders the form with the error next to the field.
EXPECTED["admin.reject_organisation"] = {**_ADMIN_ONLY_POST, "admin": 400}
# No job 999999 to retry (tests/web/test_admin_jobs.py retries real ones).
EXPECTED["admin.retry_job"] = {**_ADMIN_ONLY_POST, "admin": 404}
# 全部重试 with nothing failed queues nothing and goes back to the jobs page.
EXPECTED["admin.retry_failed_jobs"] = _ADMIN_ONLY_POST

# Listing routes, requested for kinds="results" with ids that do not exist: this checks the role
# gate only (a role that passes it reaches the view, which answers 404). Object-level checks
# with real listings of another organisation belong to the listing tests.
_ALL = dict.fromkeys(ROLES, 200)
_MISSING = dict.fromkeys(ROLES, 404)
_RESULT_OWNER = {
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
EXPECTED.update(
    {
        "market.results": _ALL,
        "market.needs": _ALL,
        "market.result": _MISSING,
        "market.need": _MISSING,
        "market.organisation": _MISSING,
        "market.attachment": _MISSING,
        "market.recommended": _MISSING,  # no public result 999999 to open
        "listings.mine": {
            "anon": LOGIN,
            "enterprise": 200,
            "university": 200,
            "bank": 403,
            "broker": 403,
            "bureau": 403,
            "admin": 403,
        },
        "listings.new": {**_RESULT_OWNER, "university": 200},
        "listings.show": _RESULT_OWNER,
        "listings.edit": _RESULT_OWNER,
        "listings.act": _RESULT_OWNER,
        "listings.upload": _RESULT_OWNER,
        "listings.delete_attachment": _RESULT_OWNER,
        "review.queue": {**_REVIEWER, "admin": 200},
        "review.show": _REVIEWER,
        "review.approve": _REVIEWER,
        "review.reject": _REVIEWER,
        "review.show_challenge": _REVIEWER,
        "review.approve_challenge": _REVIEWER,
        "review.reject_challenge": _REVIEWER,
        "notifications.index": {"anon": LOGIN, **dict.fromkeys(ROLES[1:], 200)},
        "notifications.mark_read": {"anon": LOGIN, **dict.fromkeys(ROLES[1:], HOME)},
        "admin.fields": _ADMIN_ONLY_GET,
        "admin.edit_field": {**_ADMIN_ONLY_GET, "admin": 404},
        "excel.template": {**_RESULT_OWNER, "university": 200},
        "excel.import_listings": {**_RESULT_OWNER, "university": 200},
        "excel.download_report": {"anon": LOGIN, **dict.fromkeys(ROLES[1:], 404)},
        "excel.import_status": {"anon": LOGIN, **dict.fromkeys(ROLES[1:], 404)},
        "excel.import_status_json": {"anon": LOGIN, **dict.fromkeys(ROLES[1:], 404)},
        "excel.export": _ALL,
        # an empty post has no recommendation pair: 400 (a bad reason alone goes back, 302)
        "matching.feedback": {"anon": LOGIN, **dict.fromkeys(ROLES[1:], 400)},
        "matching.status": {**_REVIEWER, "admin": 200},
        "matching.rebuild": {**_REVIEWER, "admin": HOME},
        "matching.judgments": {**_REVIEWER, "admin": 200},
        "matching.job_status": _REVIEWER,
        "alerts.index": {"anon": LOGIN, **dict.fromkeys(ROLES[1:], 200)},
        "alerts.create": {"anon": LOGIN, **dict.fromkeys(ROLES[1:], HOME)},
        "alerts.update": {"anon": LOGIN, **dict.fromkeys(ROLES[1:], 404)},
        "alerts.unsubscribe_page": _MISSING,
        "alerts.unsubscribe": _MISSING,
        "account.notification_settings": {"anon": LOGIN, **dict.fromkeys(ROLES[1:], 200)},
        "account.set_text_size": dict.fromkeys(ROLES, HOME),
        "account.keep_alive": {"anon": LOGIN, **dict.fromkeys(ROLES[1:], 204)},
    }
)
# 揭榜挂帅 routes with ids that do not exist: the role gate only (object checks live in
# tests/web/test_challenges_web.py).
_APPLICANT = {
    "anon": LOGIN,
    "enterprise": 403,
    "university": 404,
    "bank": 403,
    "broker": 403,
    "bureau": 403,
    "admin": 403,
}
_ADOPTER = {
    "anon": LOGIN,
    "enterprise": 404,
    "university": 403,
    "bank": 403,
    "broker": 403,
    "bureau": 403,
    "admin": 403,
}
_MEMBER_404 = {"anon": LOGIN, **dict.fromkeys(ROLES[1:], 404)}
# 揭榜 itself: firms too, on 场景 only (permissions.APPLY_KINDS; tests/web/test_scenarios_web.py).
_SOLVER = {**_APPLICANT, "enterprise": 404}
EXPECTED.update(
    {
        "challenges.list_challenges": _ALL,
        "challenges.show_challenge": _MISSING,
        "challenges.list_offers": _ALL,
        "challenges.show_offer": _MISSING,
        "challenges.apply_challenge": _SOLVER,
        "challenges.autosave_draft": _SOLVER,
        "challenges.upload_application_attachment": _SOLVER,
        "challenges.delete_application_attachment": _SOLVER,
        "challenges.download_application_attachment": _MEMBER_404,
        "challenges.list_applications": {**_SOLVER, "university": 200, "enterprise": 200},
        "challenges.withdraw_application": _SOLVER,
        "challenges.adopt_offer": _ADOPTER,
        "challenges.list_adoptions": {**_ADOPTER, "enterprise": 200},
        "challenges.withdraw_adoption": _ADOPTER,
        "challenges.publish_challenge": {
            **_MEMBER_404,
            "university": 403,
            "bank": 403,
            "broker": 403,
            "bureau": 403,
        },
        "challenges.my_challenges": {**_ADOPTER, "enterprise": 200},
        "challenges.manage_challenge": _MEMBER_404,
        "challenges.invite_organisations": _MEMBER_404,
        "challenges.close_challenge": _MEMBER_404,
        "challenges.withdraw_challenge": _MEMBER_404,
        "challenges.publish_offer": _APPLICANT,
        "challenges.close_offer": _APPLICANT,
    }
)
# The owner's pipeline, panel scores and deals (login only; every view loads the object through
# a service that answers 404 to a non-party). Object-level checks: tests/web/test_pipeline_web.py.
_PARTY_404 = {"anon": LOGIN, **dict.fromkeys(ROLES[1:], 404)}
EXPECTED.update(
    {
        "pipeline.show": _PARTY_404,
        "pipeline.shortlist_application": _PARTY_404,
        "pipeline.promote_application": _PARTY_404,
        "pipeline.decline_application": _PARTY_404,
        "pipeline.select_application": _PARTY_404,
        "pipeline.review_application": _PARTY_404,
        "pipeline.add_member": _PARTY_404,
        # an unknown or tampered token: back to the dashboard with the reason
        "pipeline.panel_invitation": {"anon": LOGIN, **dict.fromkeys(ROLES[1:], HOME)},
        "pipeline.score_applications": _PARTY_404,
        "pipeline.decide_adoption": _PARTY_404,
        "pipeline.new_deal": _PARTY_404,
        "pipeline.new_enquiry_deal": _PARTY_404,
        "pipeline.list_deals": {"anon": LOGIN, **dict.fromkeys(ROLES[1:], 200)},
        "pipeline.show_deal": _PARTY_404,
        "pipeline.add_milestone": _PARTY_404,
        "pipeline.submit_evidence": _PARTY_404,
        "pipeline.download_evidence": _PARTY_404,
        "pipeline.accept_milestone": _PARTY_404,
        "pipeline.rework_milestone": _PARTY_404,
        "pipeline.terminate_deal": _PARTY_404,
        "pipeline.end_trial": _PARTY_404,
    }
)
# 科技金融 routes: one module per area (profile, bank, credit, events).
for _module in (
    access_finance_profile,
    access_finance_bank,
    access_finance_credit,
    access_finance_event,
    access_connect,
    access_talent,
    access_brokers,
    access_bureau,
    access_reports,
    access_events,
    access_scenarios,
    access_open_data,
    access_api_stats,
    access_api_events,
    access_introductions,
    access_api,
    access_api_challenges,
    access_api_deals,
    access_api_connect,
    access_api_directory,
    access_api_finance,
    access_files,
    access_mfa,
):
    EXPECTED.update(_module.EXPECTED)

# A 科技局 reader (bureau) holds no write scope and no member's or broker's permission: where a
# broker passes the gate (and meets a 404 or a 422 behind it), the reader is refused at it.
BUREAU_REFUSED = (
    "api.accept_deal_milestone",
    "api.accept_enquiry",
    "api.add_deal_milestone",
    "api.answer_enquiry_question",
    "api.apply_to_challenge",
    "api.approve_challenge",
    "api.approve_need",
    "api.approve_result",
    "api.ask_enquiry_information",
    "api.close_challenge",
    "api.close_enquiry",
    "api.confirm_need",
    "api.confirm_result",
    "api.consent_introduction",
    "api.create_challenge",
    "api.create_deal",
    "api.create_enquiry",
    "api.create_expert",
    "api.create_need",
    "api.create_result",
    "api.decline_application",
    "api.decline_enquiry",
    "api.end_deal_trial",
    "api.finalist_application",
    "api.invite_to_challenge",
    "api.list_introductions",
    "api.post_enquiry_message",
    "api.refuse_introduction",
    "api.reject_challenge",
    "api.reject_expert",
    "api.reject_need",
    "api.reject_result",
    "api.report_enquiry_message",
    "api.retract_expert",
    "api.retract_need",
    "api.retract_result",
    "api.rework_deal_milestone",
    "api.select_application",
    "api.shortlist_application",
    "api.submit_application",
    "api.submit_deal_evidence",
    "api.submit_expert",
    "api.submit_need",
    "api.submit_result",
    "api.terminate_deal",
    "api.transfer_result",
    "api.update_application",
    "api.update_challenge",
    "api.update_expert",
    "api.update_need",
    "api.update_result",
    "api.withdraw_application",
    "api.withdraw_challenge",
    "api.withdraw_enquiry",
    "api.withdraw_expert",
    "api.withdraw_need",
    "api.withdraw_result",
    "brokers.claim_need",
    "brokers.release_need",
    "connect.introduce",
    "connect.my_introductions",
)
for _endpoint in BUREAU_REFUSED:
    EXPECTED[_endpoint] = {**EXPECTED[_endpoint], "bureau": 403}

#: Values for URL parameters that the matrix does not create as real rows.
PLACEHOLDERS = {
    "listing_id": 999_999,
    "attachment_id": 999_999,
    "field_id": 999_999,
    "org_id": 999_999,
    "subscription_id": 999_999,
    "job_id": 999_999,
    "kinds": "results",
    "kind": "result",
    "fmt": "csv",
    "token": "no-such-report",
    "challenge_id": 999_999,
    "offer_id": 999_999,
    "application_id": 999_999,
    "request_id": 999_999,
    "need_id": 999_999,
    "result_id": 999_999,
    "adoption_id": 999_999,
    "deal_id": 999_999,
    "enquiry_id": 999_999,
    "milestone_id": 999_999,
    "message_id": 999_999,
    "evidence_id": 999_999,
    "firm_id": 999_999,
    "product_id": 999_999,
    "financing_need_id": 999_999,
    "lead_id": 999_999,
    "event_id": 999_999,
    "meeting_id": 999_999,
    "registration_id": 999_999,
    "version": 999_999,
    "expert_id": 999_999,
    "broker_id": 999_999,
    "assignment_id": 999_999,
    "action": "submit",
    "token_id": 999_999,
    "name": "listings_by_month",  # a figure of the bureau's dashboard (access_api_stats.py)
    "dataset": "deals_by_month",  # an open data set (access_open_data.py)
}


def _rules(app: Flask) -> dict[str, object]:
    return {rule.endpoint: rule for rule in app.url_map.iter_rules()}


def test_every_endpoint_has_a_declared_expectation(app):
    """SECURITY.md row 14 (v5.0.0-8.2.1, 8.1.1)."""
    endpoints = set(_rules(app))
    assert endpoints - set(EXPECTED) == set(), "routes without an entry in EXPECTED"
    assert set(EXPECTED) - endpoints == set(), "EXPECTED lists routes that no longer exist"


def test_every_row_names_every_role():
    """SECURITY.md row 14 (v5.0.0-8.1.1)."""
    assert all(set(row) == set(ROLES) for row in EXPECTED.values())


def _url_values(endpoint: str) -> dict[str, object]:
    """Real ids and tokens for the endpoint's URL parameters (rows created in the test)."""
    if endpoint == "static":
        return {"filename": "css/app.css"}
    if endpoint in (
        "admin.show_organisation",
        "admin.verify_organisation",
        "admin.reject_organisation",
    ):
        return {"org_id": OrganisationFactory(pending=True).id}
    if endpoint in (
        "admin.activate_user",
        "admin.deactivate_user",
        "admin.terminate_sessions",
        "admin.reset_mfa",
    ):
        target = UserFactory(is_active=endpoint != "admin.activate_user")
        return {"user_id": target.id}
    if endpoint == "auth.join":
        inviter = make_user("enterprise")
        token_box: list[str] = []
        accounts.invite_member(
            actor=inviter, email="invitee@example.com", link_for=lambda t: token_box.append(t) or t
        )
        return {"token": token_box[0]}
    if endpoint == "auth.reset_password":
        return {"token": accounts.make_reset_token(UserFactory(email="reset@example.com"))}
    return {}


def url_values(endpoint: str, arguments: set[str]) -> dict[str, object]:
    """Real rows where the matrix makes them, placeholders for the rest."""
    values = _url_values(endpoint)
    return {name: values.get(name, PLACEHOLDERS.get(name)) for name in arguments}


def _api_token(user) -> str:  # noqa: ANN001
    """A bearer secret with every scope the user's role allows (committed)."""
    from matchmaker.services.accounts import api_tokens

    scopes = list(api_tokens.allowed_scopes(user))
    secret = api_tokens.create_token(user=user, name="matrix", scopes=scopes).secret
    _db.session.commit()
    return secret


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(EXPECTED))
def test_access(app, client, login_as, endpoint, role):
    """SECURITY.md row 14 (v5.0.0-8.2.1)."""
    rule = _rules(app)[endpoint]
    with app.test_request_context():
        from flask import url_for

        values = url_values(endpoint, rule.arguments)
        _db.session.commit()
        url = url_for(endpoint, **values)
    headers = {}
    if role != "anon":
        user = login_as(role)
        if endpoint.startswith("api."):  # the JSON API: a bearer token, the cookie is ignored
            headers = {"Authorization": f"Bearer {_api_token(user)}"}
    # GET when the route answers it, else its write method (POST, PATCH, PUT, DELETE)
    method = next(m for m in ("GET", "POST", "PATCH", "PUT", "DELETE") if m in rule.methods)
    method = method.lower()
    response = getattr(client, method)(url, headers=headers)
    response.close()
    expected = EXPECTED[endpoint][role]
    location = response.headers.get("Location", "")
    if expected == LOGIN:
        assert response.status_code == 302
        assert location.startswith("/auth/login")
    elif expected == HOME:
        assert response.status_code == 302
        assert not location.startswith("/auth/login")
    else:
        assert response.status_code == expected


def test_view_without_policy_is_refused(tmp_path: Path):
    """SECURITY.md row 14 (v5.0.0-8.2.1)."""
    application = create_app(
        TestConfig,
        instance_path=str(tmp_path),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'x.sqlite3'}",
    )
    application.add_url_rule("/naked", "naked", lambda: "no policy here")
    application.add_url_rule("/open", "open", public(lambda: "declared public"))
    with application.app_context():
        _db.create_all()
        client = application.test_client()
        assert client.get("/naked").status_code == 403
        assert client.get("/open").status_code == 200
        _db.engine.dispose()
