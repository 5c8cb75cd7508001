"""Hostile query strings and forms on every web route (SECURITY.md rows 26 and 30, v5.0.0-2.2.1,
2.2.3, 15.2.2): never a 5xx, and a refused request (4xx) changes no row in any table.

For every rule of app.url_map (GET and POST; static and the JSON API aside: the API has
tests/api/test_fuzz_ids.py), the parameters a view reads are sent with arbitrary unicode, huge,
negative and malformed numbers, empty strings, repeated values and files where text is expected,
as an anonymous visitor and as a user of every role, on a small world of real rows (so the
views get past their 404s):

- query parameters: QUERY_ARGS, one entry per endpoint, read off the views' source (and what
  `_discovered` finds mechanically: `args.get("x")`, `id_arg("x")`, `page_arg()`, forms bound
  to `request.args`); a new route without an entry, or a view reading a parameter its entry does
  not list, fails `test_every_route_has_a_query_entry` / `test_the_table_lists_what_views_read`;
- form fields: every field of the form classes a view (or a helper of web/ it calls) builds,
  found mechanically.

Each route gets two fixed requests (every parameter a huge number, as a role that passes the
route's gate in tests/web/test_access_matrix.py; every id in the path above the id range) and a
few hypothesis examples (settings: few examples, derandomized, no deadline).
"""

from __future__ import annotations

import inspect
import io
import re
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.routing import Rule
from wtforms import BooleanField, DecimalField, IntegerField
from wtforms.fields.core import UnboundField
from wtforms.validators import AnyOf

from matchmaker.extensions import db as _db
from matchmaker.models import Base, User
from matchmaker.services.platform.taxonomy import active_fields, ensure_key_industries
from matchmaker.web.ids import id_coerce
from tests.conftest import log_in, wipe_tables
from tests.factories import make_user
from tests.services.challenge_helpers import apply, challenge_world
from tests.web.test_access_matrix import EXPECTED, HOME, PLACEHOLDERS, ROLES

HUGE = "99999999999999999999"
NUMBERS = [
    HUGE,
    str(2**31),
    str(2**63),
    "-1",
    "0",
    "-" + HUGE,
    "1.5",
    "1e9",
    "0x1F",
    "+1",
    " 7 ",
    "\u0663",  # an Arabic-Indic digit
    "NaN",
    "Infinity",
    "1" * 400,
]
FILE = object()  # a file upload where the view expects text

_value = st.one_of(
    st.sampled_from(NUMBERS),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.text(max_size=20),
    st.just(""),
)
QUERY_VALUES = st.one_of(_value, st.lists(_value, min_size=2, max_size=3))
FORM_VALUES = st.one_of(QUERY_VALUES, st.just(FILE))

#: The query parameters each endpoint's view reads (the views' source; checked against what
#: `_discovered` finds). A new route needs an entry here, even an empty one.
QUERY_ARGS: dict[str, tuple[str, ...]] = {
    "account.api_tokens_page": (),
    "account.mfa_disable": (),
    "account.mfa_recovery_codes": (),
    "account.mfa_settings": (),
    "account.mfa_setup": (),
    "account.keep_alive": (),
    "account.notification_settings": (),
    "account.revoke_api_token": (),
    "account.set_text_size": (),
    "admin.activate_user": (),
    "admin.audit_log": (
        "action",
        "actor_email",
        "object_id",
        "object_type",
        "page",
        "since",
        "until",
    ),
    "admin.connect_overview": ("status",),
    "admin.create_bureau_user": ("active", "page", "q", "role"),
    "admin.deactivate_user": (),
    "admin.delete_file": (),
    "admin.download_held_file": (),
    "admin.edit_field": (),
    "admin.fields": (),
    "admin.jobs": ("status",),
    "admin.list_organisations": ("kind", "page", "q", "status"),
    "admin.list_users": ("active", "page", "q", "role"),
    "admin.quarantine_list": (),
    "admin.reject_organisation": (),
    "admin.release_file": (),
    "admin.retry_failed_jobs": (),
    "admin.reset_mfa": (),
    "admin.retry_job": (),
    "admin.show_organisation": (),
    "admin.terminate_sessions": (),
    "admin.verify_organisation": (),
    "alerts.create": (),
    "alerts.index": (),
    "alerts.unsubscribe": (),
    "alerts.unsubscribe_page": (),
    "alerts.update": (),
    "auth.change_password": (),
    "auth.forgot_password": (),
    "auth.join": (),
    "auth.login": ("next",),
    "auth.logout": (),
    "auth.mfa_code": (),
    "auth.mfa_enrol": (),
    "auth.register": (),
    "auth.registered": (),
    "auth.resend_verification": (),
    "auth.reset_password": (),
    "auth.sign_in_link": ("next",),
    "auth.terms": (),
    "auth.verify_email": (),
    "brokers.admin_list": ("page", "q", "status"),
    "brokers.admin_show": (),
    "brokers.assign_need": (),
    "brokers.claim_need": (),
    "brokers.claimable_needs": ("field", "page", "q"),
    "brokers.end_assignment": (),
    "brokers.list_brokers": ("page",),
    "brokers.register": (),
    "brokers.reinstate_broker": (),
    "brokers.reject_broker": (),
    "brokers.release_need": (),
    "brokers.show_broker": (),
    "brokers.suspend_broker": (),
    "brokers.verify_broker": (),
    "bureau.dashboard": ("end", "field", "org_kind", "region", "start"),
    "bureau.figure_download": ("end", "field", "org_kind", "region", "start"),
    "bureau.figures_workbook": ("end", "field", "org_kind", "region", "start"),
    "bureau.monthly_report": ("month",),
    "bureau.monthly_report_xlsx": ("month",),
    "bureau.records": ("end", "field", "org_kind", "region", "start"),
    "bureau.records_csv": ("end", "field", "org_kind", "region", "start"),
    "bureau.targets": (),
    "challenges.adopt_offer": (),
    "challenges.apply_challenge": ("result",),
    "challenges.autosave_draft": (),
    "challenges.close_challenge": ("q",),
    "challenges.close_offer": (),
    "challenges.delete_application_attachment": (),
    "challenges.download_application_attachment": (),
    "challenges.edit_scenario": (),
    "challenges.invite_organisations": ("q",),
    "challenges.list_adoptions": (),
    "challenges.list_applications": (),
    "challenges.list_challenges": ("band", "field", "region", "status"),
    "challenges.list_offers": ("field", "mode", "region"),
    "challenges.list_scenarios": ("field", "page", "region", "status"),
    "challenges.manage_challenge": ("q",),
    "challenges.my_challenges": (),
    "challenges.new_scenario": (),
    "challenges.publish_challenge": (),
    "challenges.publish_offer": (),
    "challenges.show_challenge": (),
    "challenges.show_offer": (),
    "challenges.show_scenario": (),
    "challenges.upload_application_attachment": (),
    "challenges.withdraw_adoption": (),
    "challenges.withdraw_application": (),
    "challenges.withdraw_challenge": ("q",),
    "connect.accept": (),
    "connect.ask_info": (),
    "connect.block": (),
    "connect.close": (),
    "connect.consent_introduction": (),
    "connect.decline": (),
    "connect.download": (),
    "connect.inbox": ("box", "status"),
    "connect.introduce": (),
    "connect.my_introductions": (),
    "connect.new_enquiry": ("box", "id", "kind", "offer", "source", "status"),
    "connect.post_message": (),
    "connect.provide_info": (),
    "connect.refuse_introduction": (),
    "connect.report": (),
    "connect.show": (),
    "connect.unblock": (),
    "connect.withdraw": (),
    "events.add_feature": ("find", "q"),
    "events.add_outcome": ("find", "q"),
    "events.cancel": ("find", "q"),
    "events.check_in": ("find", "q"),
    "events.delete_outcome": ("find", "q"),
    "events.edit_event": (),
    "events.finish": ("find", "q"),
    "events.list_events": ("kind", "status"),
    "events.manage": ("find", "q"),
    "events.managed": ("kind",),
    "events.new_event": ("kind",),
    "events.publish": ("find", "q"),
    "events.register": (),
    "events.remove_feature": ("find", "q"),
    "events.save_summary": ("find", "q"),
    "events.show_event": (),
    "events.undo_check_in": ("find", "q"),
    "events.withdraw": (),
    "excel.download_report": (),
    "excel.export": ("field", "mode", "org", "price", "q", "region", "sort", "stage"),
    "excel.import_listings": (),
    "excel.import_status": (),
    "excel.import_status_json": (),
    "excel.template": (),
    "finance.answer_lead": (),
    "finance.approve_lead": (),
    "finance.cancel_event": (),
    "finance.cancel_meeting": (),
    "finance.close_financing_need": (),
    "finance.confirm_meeting": (),
    "finance.consent_page": (),
    "finance.contact_lead": (),
    "finance.disburse_lead": (),
    "finance.edit_event": (),
    "finance.edit_financing_need": (),
    "finance.edit_product": (),
    "finance.edit_profile": (),
    "finance.export_firms": (
        "active",
        "band",
        "field",
        "high_tech",
        "need_max",
        "need_min",
        "product",
        "region",
        "sort",
        "specialised",
    ),
    "finance.export_shortlist": (),
    "finance.financing_need": (),
    "finance.financing_needs": (),
    "finance.finish_event": (),
    "finance.lead": (),
    "finance.leads": ("status",),
    "finance.list_events": ("status",),
    "finance.list_firms": (
        "active",
        "band",
        "field",
        "high_tech",
        "need_max",
        "need_min",
        "page",
        "product",
        "region",
        "sort",
        "specialised",
    ),
    "finance.list_shortlist": (),
    "finance.manage_event": (),
    "finance.managed_events": (),
    "finance.my_products": (),
    "finance.my_schedule": (),
    "finance.my_score": (),
    "finance.new_event": (),
    "finance.new_financing_need": (),
    "finance.new_lead": ("meeting", "need", "product"),
    "finance.new_product": (),
    "finance.new_score_formula": (),
    "finance.product": (),
    "finance.products": ("bank", "kind"),
    "finance.profile": (),
    "finance.publish_event": (),
    "finance.publish_product": (),
    "finance.recompute_score": (),
    "finance.record_outcome": (),
    "finance.reject_lead": (),
    "finance.remove_from_shortlist": (),
    "finance.revoke_consent": (),
    "finance.schedule_event": (),
    "finance.score_formula_explained": (),
    "finance.score_formulas": (),
    "finance.shortlist_firm": (),
    "finance.show_event": (),
    "finance.show_firm": (),
    "finance.stats": (),
    "finance.update_shortlist_note": (),
    "finance.views_log": (),
    "finance.withdraw_lead": (),
    "finance.withdraw_product": (),
    "listings.act": (),
    "listings.delete_attachment": (),
    "listings.edit": (),
    "listings.mine": ("status",),
    "listings.new": (),
    "listings.show": (),
    "listings.upload": (),
    "main.choose_language": ("locale", "next"),
    "main.dashboard": ("funnel_field", "funnel_from", "funnel_to"),
    "main.healthz": (),
    "main.index": (),
    "main.set_language": (),
    "market.attachment": (),
    "market.need": ("preview",),
    "market.needs": ("field", "mode", "org", "page", "price", "q", "region", "sort", "stage"),
    "market.organisation": (),
    "market.recommended": (),
    "market.result": ("preview",),
    "market.results": ("field", "mode", "org", "page", "price", "q", "region", "sort", "stage"),
    "matching.feedback": (),
    "matching.job_status": (),
    "matching.judgments": (),
    "matching.rebuild": (),
    "matching.status": (),
    "metrics.metrics_view": (),
    "notifications.index": ("page",),
    "notifications.mark_read": (),
    "open_data.download": (),
    "open_data.download_all": (),
    "open_data.index": (),
    "org.document": (),
    "org.mine": (),
    "org.upload_document": (),
    "pipeline.accept_milestone": (),
    "pipeline.add_member": (),
    "pipeline.add_milestone": (),
    "pipeline.decide_adoption": (),
    "pipeline.decline_application": (),
    "pipeline.download_evidence": (),
    "pipeline.end_trial": (),
    "pipeline.list_deals": (),
    "pipeline.new_deal": ("adoption", "application"),
    "pipeline.new_enquiry_deal": (),
    "pipeline.panel_invitation": (),
    "pipeline.promote_application": (),
    "pipeline.review_application": (),
    "pipeline.rework_milestone": (),
    "pipeline.score_applications": (),
    "pipeline.select_application": (),
    "pipeline.shortlist_application": (),
    "pipeline.show": (),
    "pipeline.show_deal": (),
    "pipeline.submit_evidence": (),
    "pipeline.terminate_deal": (),
    "review.approve": (),
    "review.approve_challenge": (),
    "review.queue": (),
    "review.reject": (),
    "review.reject_challenge": (),
    "review.show": (),
    "review.show_challenge": (),
    "talent.act": (),
    "talent.approve_expert": (),
    "talent.edit_expert": (),
    "talent.expert_template": (),
    "talent.import_experts": (),
    "talent.list_experts": ("field", "offer", "org", "page", "q"),
    "talent.my_experts": (),
    "talent.new_expert": (),
    "talent.reject_expert": (),
    "talent.review_expert": (),
    "talent.show_expert": (),
    "talent.show_mine": (),
}

_QUERY_PATTERNS = (
    r"\bargs\.get(?:list)?\(\s*\"(\w+)\"",
    r"\bargs\[\s*\"(\w+)\"\s*\]",
    r"\b(?:_int_arg|id_arg)\(\s*\"(\w+)\"\s*\)",
)
_FORM_PATTERNS = (
    r"\bform\.get(?:list)?\(\s*\"(\w+)\"",
    r"\bid_arg\(\s*\"(\w+)\",\s*request\.form",
)


#: A form class's construction: its name and its arguments (one level of parentheses inside).
_CALL = r"\b([A-Z]\w*Form)\(((?:[^()]|\([^()]*\))*)\)"


def _sources(view: Callable[..., Any]) -> Iterator[tuple[Callable[..., Any], str]]:
    """The view's source and that of the web/ functions it calls, and theirs (a closure)."""
    seen: set[Callable[..., Any]] = set()
    todo = [inspect.unwrap(view)]
    while todo:
        func = todo.pop()
        if func in seen:
            continue
        seen.add(func)
        try:
            source = inspect.getsource(func)
        except (OSError, TypeError):
            continue
        yield func, source
        for name in set(re.findall(r"\b([A-Za-z_]\w*)\(", source)):
            called = func.__globals__.get(name)
            if inspect.isfunction(called) and called.__module__.startswith("matchmaker.web"):
                todo.append(called)


class Field(NamedTuple):
    """A form field as the fuzz sends it: whether it holds a number, and a plausible value."""

    numeric: bool
    baseline: str


_NUMERIC_COERCE = (int, id_coerce)


def _baseline(unbound: UnboundField) -> str:
    """A value the field accepts when it can tell: its first choice, its AnyOf's first value."""
    choices = unbound.kwargs.get("choices") or (unbound.args[1] if len(unbound.args) > 1 else None)
    if isinstance(choices, (list, tuple)) and choices:
        first = choices[0]
        return str(first[0] if isinstance(first, (list, tuple)) else first)
    for validator in unbound.kwargs.get("validators") or ():
        if isinstance(validator, AnyOf) and validator.values:
            return str(list(validator.values)[0])
    if issubclass(unbound.field_class, BooleanField):
        return "y"
    return "1"


def _form_fields(form: type[FlaskForm]) -> dict[str, Field]:
    fields: dict[str, Field] = {}
    for klass in reversed(form.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, UnboundField):
                numeric = (
                    issubclass(value.field_class, (IntegerField, DecimalField))
                    or value.kwargs.get("coerce") in _NUMERIC_COERCE
                    or name == "id"
                    or name.endswith(("_id", "_ids"))
                )
                fields[name] = Field(numeric, _baseline(value))
    return fields


def _discovered(view: Callable[..., Any]) -> tuple[set[str], dict[str, Field]]:
    """(query parameters, form fields) the view reads, found in its source."""
    query: set[str] = set()
    form: dict[str, Field] = {}
    for func, source in _sources(view):
        for pattern in _QUERY_PATTERNS:
            query.update(re.findall(pattern, source))
        if "page_arg()" in source:
            query.add("page")
        for pattern in _FORM_PATTERNS:
            form.update(dict.fromkeys(re.findall(pattern, source), Field(True, "1")))
        for name, arguments in re.findall(_CALL, source):
            klass = func.__globals__.get(name)
            if not (isinstance(klass, type) and issubclass(klass, FlaskForm)):
                continue
            fields = _form_fields(klass)
            if re.match(r"\s*(?:formdata=)?request\.args", arguments):
                query.update(fields)
                continue
            form.update(fields)
            prefix = re.search(r"prefix=f?\"([^\"]*)\"", arguments)
            if prefix:  # "feature", or f"score-{application.id}": the world's ids are 1
                start = re.sub(r"\{[^}]*\}", "1", prefix.group(1))
                form.update({f"{start}-{n}": field for n, field in fields.items()})
    return query, form


def _web_rules(app: Flask) -> dict[str, list[Rule]]:
    rules: dict[str, list[Rule]] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static" and not rule.endpoint.startswith("api."):
            rules.setdefault(rule.endpoint, []).append(rule)
    return rules


def test_every_route_has_a_query_entry(app):
    endpoints = set(_web_rules(app))
    assert endpoints - set(QUERY_ARGS) == set(), "routes without an entry in QUERY_ARGS"
    assert set(QUERY_ARGS) - endpoints == set(), "QUERY_ARGS lists routes that no longer exist"


def test_the_table_lists_what_views_read(app):
    unlisted = {
        endpoint: sorted(_discovered(app.view_functions[endpoint])[0] - set(QUERY_ARGS[endpoint]))
        for endpoint in _web_rules(app)
        if endpoint in QUERY_ARGS
    }
    assert {e: names for e, names in unlisted.items() if names} == {}


def test_discovery_finds_forms_and_arguments(app):
    """The mechanical part finds what it should (so an empty table entry means something)."""
    query, form = _discovered(app.view_functions["market.results"])
    assert {"page", "org", "q"} <= query
    query, form = _discovered(app.view_functions["matching.feedback"])
    assert {"source_id", "target_id", "source_kind"} <= set(form)
    assert form["source_kind"].baseline == "need" and form["source_id"].numeric
    query, form = _discovered(app.view_functions["events.add_feature"])
    assert form["feature-listing_id"].numeric
    assert {"feature-listing_id", "listing_id"} <= set(form)
    query, form = _discovered(app.view_functions["pipeline.score_applications"])
    assert {"score-1-feasibility", "application"} <= set(form)
    query, form = _discovered(app.view_functions["finance.list_firms"])
    assert {"page", "product", "need_min"} <= query


# --- the world the requests meet ---------------------------------------------------------------
def row_counts() -> dict[str, int]:
    """Rows per table, in one statement (it runs twice per request)."""
    _db.session.expire_all()
    tables = Base.metadata.sorted_tables
    counts = [sa.select(sa.func.count()).select_from(t).scalar_subquery() for t in tables]
    row = _db.session.execute(sa.select(*counts)).one()
    return {t.name: count for t, count in zip(tables, row, strict=True)}


@pytest.fixture(scope="module")
def world(app: Flask) -> Iterator[dict[str, Any]]:
    """One user per role, a published need and result, a challenge with an application."""
    wipe_tables()
    ensure_key_industries()
    _db.session.commit()
    fields = {f.code: f for f in active_fields()}
    spare = make_user("enterprise")  # the user admin routes act on
    made = challenge_world(fields)
    application = apply(made["uni_a"], made["challenge"])
    users = {
        "enterprise": made["owner"],
        "university": made["uni_a"],
        "bank": make_user("bank"),
        "admin": made["admin"],
        "broker": make_user("broker"),
        "bureau": make_user("bureau"),
    }
    _db.session.commit()
    ids = {
        "user_id": spare.id,
        "org_id": made["owner"].organisation_id,
        "firm_id": made["owner"].organisation_id,
        "listing_id": made["result"].id,
        "result_id": made["result"].id,
        "need_id": made["need"].id,
        "challenge_id": made["challenge"].id,
        "application_id": application.id,
    }
    yield {"users": {role: user.id for role, user in users.items()}, "ids": ids}
    _db.session.remove()
    wipe_tables()


def _path_values(rule: Rule, ids: dict[str, int], number: object = None) -> dict[str, object]:
    values: dict[str, object] = {}
    for name, converter in rule._converters.items():
        if type(converter).__name__ == "IdConverter":
            values[name] = number if number is not None else ids.get(name, 1)
        else:
            values[name] = PLACEHOLDERS.get(name, "x")
    return values


def _url(app: Flask, rule: Rule, values: dict[str, object]) -> str:
    path = rule.rule
    for name, value in values.items():
        path = re.sub(r"<(?:[^:<>]+:)?" + name + r">", str(value), path)
    return path


def _client(app: Flask, world: dict[str, Any], role: str):  # noqa: ANN202
    client = app.test_client()
    if role != "anon":
        user = _db.session.get(User, world["users"][role])
        _db.session.refresh(user)  # a request may have ended its sessions (session_version)
        log_in(client, user)
    return client


def _form_value(value: object) -> object:
    if value is FILE:
        return (io.BytesIO(b"%PDF-1.4 not really"), "x.pdf")
    if isinstance(value, list):
        return [_form_value(v) for v in value]
    return value


def _send(
    app: Flask,
    world: dict[str, Any],
    role: str,
    method: str,
    url: str,
    query: dict[str, object],
    form: dict[str, object],
) -> None:
    """One request; never a 5xx, and a refused one (4xx) leaves every table as it was."""
    client = _client(app, world, role)
    before = row_counts()
    if method == "GET":
        response = client.get(url, query_string=query)
    else:
        data = {name: _form_value(value) for name, value in form.items()}
        response = client.post(
            url, query_string=query, data=data, content_type="multipart/form-data"
        )
    status = response.status_code
    response.close()
    where = f"{role} {method} {url} query={query!r:.300} form={form!r:.300}"
    assert status < 500, f"{status}: {where}"
    if 400 <= status < 500:
        assert row_counts() == before, f"{status} changed rows: {where}"


def _gate_role(endpoint: str) -> str:
    """A role that passes the route's gate (test_access_matrix's answer is not login or 403)."""
    row = EXPECTED.get(endpoint, {})
    for wanted in (
        lambda a: a in (200, 204),
        lambda a: a == HOME,
        lambda a: a not in ("login", 403),
    ):
        for role in ("enterprise", "university", "admin", "bank", "broker", "bureau", "anon"):
            if wanted(row.get(role, "login")):
                return role
    return "anon"


#: Plausible values of query parameters, by name, so that a view reads past them to the one
#: set to a huge number (the others are "1").
QUERY_BASELINE = {
    "kind": "result",
    "kinds": "results",
    "source": "listing",
    "box": "received",
    "find": "result",
    "status": "",
    "q": "",
    "next": "/",
    "locale": "zh",
}

_PARAMETERS: dict[str, tuple[list[str], dict[str, Field]]] = {}


def _parameters(app: Flask, endpoint: str) -> tuple[list[str], dict[str, Field]]:
    """(query parameters, form fields) to send to the endpoint."""
    if endpoint not in _PARAMETERS:
        query, form = _discovered(app.view_functions[endpoint])
        _PARAMETERS[endpoint] = (sorted(set(QUERY_ARGS.get(endpoint, ())) | query), form)
    return _PARAMETERS[endpoint]


def _methods(rule: Rule) -> list[str]:
    return [m for m in ("GET", "POST") if m in (rule.methods or ())]


# --- the requests -------------------------------------------------------------------------------
@pytest.mark.parametrize("endpoint", sorted(QUERY_ARGS))
def test_huge_numbers_everywhere(app, world, endpoint):
    """As a role past the route's gate: every query parameter and form field of a POST a huge
    number; each query parameter a huge number alone and among plausible values, each numeric
    form field among plausible values (so no other refusal hides it); every id in the path
    above the id range (no route matches: 404)."""
    role = _gate_role(endpoint)
    query_names, fields = _parameters(app, endpoint)
    base_query = {name: QUERY_BASELINE.get(name, "1") for name in query_names}
    base_form = {name: field.baseline for name, field in fields.items()}
    numeric = [name for name, field in fields.items() if field.numeric]
    for rule in _web_rules(app)[endpoint]:
        url = _url(app, rule, _path_values(rule, world["ids"]))
        methods = _methods(rule)
        if "POST" in methods:
            _send(
                app,
                world,
                role,
                "POST",
                url,
                dict.fromkeys(query_names, HUGE),
                dict.fromkeys(fields, HUGE),
            )
        first = methods[0]
        for name in query_names:  # among plausible values, and alone
            form = base_form if first == "POST" else {}
            _send(app, world, role, first, url, {**base_query, name: HUGE}, form)
            _send(app, world, role, first, url, {name: HUGE}, form)
        if "POST" in methods:
            for name in numeric:
                _send(app, world, role, "POST", url, base_query, {**base_form, name: HUGE})
        if any(type(c).__name__ == "IdConverter" for c in rule._converters.values()):
            out_of_range = _url(app, rule, _path_values(rule, world["ids"], HUGE))
            client = _client(app, world, role)
            for method in methods:
                assert client.open(out_of_range, method=method).status_code == 404


@pytest.mark.parametrize("endpoint", sorted(QUERY_ARGS))
@settings(
    max_examples=2,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
def test_arbitrary_input_never_fails(app, world, endpoint, data):
    """Arbitrary values in every parameter, as any role."""
    role = data.draw(st.sampled_from(ROLES), label="role")
    query_names, fields = _parameters(app, endpoint)
    for rule in _web_rules(app)[endpoint]:
        url = _url(app, rule, _path_values(rule, world["ids"]))
        for method in _methods(rule):
            query = {name: data.draw(QUERY_VALUES, label=name) for name in query_names}
            form = (
                {name: data.draw(FORM_VALUES, label=name) for name in fields}
                if method == "POST"
                else {}
            )
            _send(app, world, role, method, url, query, form)
