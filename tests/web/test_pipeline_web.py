"""The owner's pipeline, the panel's scores and deals through the web pages."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from matchmaker.extensions import db
from matchmaker.models import Deal, Mode
from matchmaker.services.challenges import challenges, conversion
from tests.conftest import log_in
from tests.factories import make_user, publish_result
from tests.services.challenge_helpers import apply, challenge_world

PDF = b"%PDF-1.4 test evidence\n%%EOF\n"


def _post(client, url, data=None, **kwargs):
    return client.post(url, data=data or {}, **kwargs)


@pytest.fixture
def race(fields):
    w = challenge_world(fields)
    w["a"] = apply(w["uni_a"], w["challenge"])
    w["b"] = apply(w["uni_b"], w["challenge"])
    db.session.commit()
    return w


def _invitation_path(body: str) -> str:
    """The path of the panel invitation link in a mail."""
    match = re.search(r"https?://[^/\s]+(/my/panel-invitations/\S+)", body)
    assert match, body
    return match.group(1)


def _decline(prefix: str, code: str, reason: str) -> dict[str, str]:
    return {f"{prefix}-code": code, f"{prefix}-reason": reason}


def test_owner_walks_the_pipeline_to_a_solved_challenge(client, race, outbox):
    w = race
    a, b, challenge = w["a"], w["b"], w["challenge"]
    log_in(client, w["owner"])
    page = client.get(f"/my/challenges/{challenge.id}/pipeline")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert a.organisation.name in html and b.organisation.name in html
    for app in (a, b):
        assert _post(client, f"/my/applications/{app.id}/shortlist").status_code == 302
    # Shortlisting twice is an illegal transition: the page again, with the reason.
    again = _post(client, f"/my/applications/{a.id}/shortlist")
    assert again.status_code == 409
    assert a.organisation.name in again.get_data(as_text=True)
    for app in (a, b):
        assert _post(client, f"/my/applications/{app.id}/finalist").status_code == 302
    assert a.status == "finalist" and b.status == "finalist"
    assert client.get(f"/my/applications/{a.id}/review").status_code == 200

    # The panel: a colleague of the owner and an outside expert; an applicant is refused.
    colleague = make_user("enterprise", organisation=w["owner"].organisation)
    expert = make_user("university")
    db.session.commit()
    panel_url = f"/my/challenges/{challenge.id}/panel"
    assert _post(client, panel_url, {"user_id": colleague.id}).status_code == 302
    # By e-mail it is an invitation, accepted by the expert through the mailed link
    # (tests/web/test_panel_invitations.py); an applicant's member accepting is refused.
    assert _post(client, panel_url, {"email": expert.email}).status_code == 302
    assert _post(client, panel_url, {"email": w["uni_a"].email}).status_code == 302
    links = {
        m.recipients[0]: _invitation_path(m.body)
        for m in outbox
        if "/my/panel-invitations/" in m.body
    }
    log_in(client, w["uni_a"])
    refused = _post(client, links[w["uni_a"].email])
    assert refused.status_code == 403
    assert "利益冲突" in refused.get_data(as_text=True)
    log_in(client, expert)
    assert _post(client, links[expert.email]).status_code == 302
    assert len(challenge.panel_members) == 2

    scores = {
        colleague: {a: (9, 8, 7, 8), b: (6, 6, 8, 5)},
        expert: {a: (8, 8, 6, 9), b: (5, 7, 7, 6)},
    }
    for member, by_app in scores.items():
        log_in(client, member)
        for app, (f, m, p, t) in by_app.items():
            prefix = f"score-{app.id}"
            response = _post(
                client,
                f"/my/challenges/{challenge.id}/scores",
                {
                    "application": app.id,
                    f"{prefix}-application_id": app.id,
                    f"{prefix}-feasibility": f,
                    f"{prefix}-maturity": m,
                    f"{prefix}-price": p,
                    f"{prefix}-team": t,
                },
            )
            assert response.status_code == 302, response.get_data(as_text=True)
    # Out of range is a form error, not a stored score.
    bad = _post(
        client,
        f"/my/challenges/{challenge.id}/scores",
        {
            "application": a.id,
            f"score-{a.id}-application_id": a.id,
            f"score-{a.id}-feasibility": 11,
        },
    )
    assert bad.status_code == 400

    log_in(client, w["owner"])
    table = client.get(f"/my/challenges/{challenge.id}/scores").get_data(as_text=True)
    # Weights 30/25/20/25: a = (8.5*30 + 8*25 + 6.5*20 + 8.5*25) / 100 = 7.97(5), b = 6.15.
    assert 'value="7.97"' in table and 'value="6.15"' in table
    assert table.index("7.97") < table.index("6.15")  # best first

    # Selecting is refused while applications are open; then the window closes.
    early = _post(
        client, f"/my/applications/{a.id}/select", _decline(f"select-{a.id}", "immature", "x")
    )
    assert early.status_code == 409
    challenges.close_applications(actor=w["owner"], challenge=challenge)
    db.session.commit()
    missing = _post(client, f"/my/applications/{a.id}/select", {f"select-{a.id}-code": "other"})
    assert missing.status_code == 400
    selected = _post(
        client,
        f"/my/applications/{a.id}/select",
        _decline(f"select-{a.id}", "price_too_high", "报价高于预算 30%"),
    )
    assert selected.status_code == 302
    assert a.status == "selected" and challenge.status == "awarded"
    assert b.status == "declined"
    assert (b.decline_reason_code, b.decline_reason) == ("price_too_high", "报价高于预算 30%")
    # Declining the winner afterwards is illegal.
    late = _post(
        client, f"/my/applications/{a.id}/decline", _decline(f"decline-{a.id}", "other", "改主意")
    )
    assert late.status_code == 409

    # The deal, with two milestones.
    assert client.get(f"/my/deals/new?application={a.id}").status_code == 200
    recorded = _post(
        client,
        f"/my/deals/new?application={a.id}",
        {
            "mode": "cooperation",
            "amount_wan": "90",
            "payment_form": "instalments",
            "contract_number": "2201012026000999",
            "signed_on": "2026-12-01",
        },
    )
    assert recorded.status_code == 302
    deal = db.session.query(Deal).one()
    assert recorded.headers["Location"].endswith(f"/my/deals/{deal.id}")
    twice = _post(
        client,
        f"/my/deals/new?application={a.id}",
        {"mode": "cooperation", "amount_wan": "90", "payment_form": "instalments"},
    )
    assert twice.status_code == 409
    for title, due in (("中试线改造", "2027-03-01"), ("批量验证", "2027-06-01")):
        added = _post(client, f"/my/deals/{deal.id}/milestones", {"title": title, "due_on": due})
        assert added.status_code == 302
    first, second = deal.milestones
    # Accepting a milestone with nothing delivered is illegal.
    assert _post(client, f"/my/deals/{deal.id}/milestones/{first.id}/accept").status_code == 409

    def deliver(milestone):
        log_in(client, w["uni_a"])
        prefix = f"evidence-{milestone.id}"
        response = _post(
            client,
            f"/my/deals/{deal.id}/milestones/{milestone.id}/evidence",
            {f"{prefix}-file": (io.BytesIO(PDF), "验收报告.pdf"), f"{prefix}-note": "已完成"},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        log_in(client, w["owner"])

    log_in(client, w["uni_a"])
    fake = _post(
        client,
        f"/my/deals/{deal.id}/milestones/{first.id}/evidence",
        {f"evidence-{first.id}-file": (io.BytesIO(b"MZ\x90\x00"), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert fake.status_code == 400 and first.status == "pending"
    deliver(first)
    assert first.status == "submitted" and challenge.status == "in_progress"
    evidence = first.evidence[0]
    download = client.get(f"/my/deals/{deal.id}/evidence/{evidence.id}")
    assert download.status_code == 200 and download.data == PDF
    download.close()
    rework = _post(
        client,
        f"/my/deals/{deal.id}/milestones/{first.id}/rework",
        {f"rework-{first.id}-reason": "检测报告缺少第三方盖章"},
    )
    assert rework.status_code == 302 and first.status == "rework"
    deliver(first)
    for milestone in (first, second):
        if milestone is second:
            deliver(second)
        accepted = _post(client, f"/my/deals/{deal.id}/milestones/{milestone.id}/accept")
        assert accepted.status_code == 302
    assert deal.status == "completed"
    assert challenge.status == "accepted" and challenge.solved_at is not None
    assert client.get(f"/my/deals/{deal.id}").status_code == 200
    # Terminating a completed deal is illegal.
    ended = _post(client, f"/my/deals/{deal.id}/terminate", {"terminate-reason": "不再需要"})
    assert ended.status_code == 409
    listing = client.get("/my/deals").get_data(as_text=True)
    assert f"/my/deals/{deal.id}" in listing

    # Another organisation sees none of it.
    log_in(client, make_user("enterprise"))
    db.session.commit()
    for url in (
        f"/my/challenges/{challenge.id}/pipeline",
        f"/my/challenges/{challenge.id}/scores",
        f"/my/applications/{a.id}/review",
        f"/my/deals/{deal.id}",
        f"/my/deals/{deal.id}/evidence/{evidence.id}",
        f"/my/deals/new?application={a.id}",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/my/applications/{b.id}/shortlist",
        f"/my/deals/{deal.id}/milestones",
        f"/my/deals/{deal.id}/terminate",
    ):
        assert _post(client, url).status_code == 404, url


def test_decline_needs_a_reason_code_and_text(client, race):
    w = race
    log_in(client, w["owner"])
    url = f"/my/applications/{w['b'].id}/decline"
    prefix = f"decline-{w['b'].id}"
    assert _post(client, url, {f"{prefix}-code": "unclear"}).status_code == 400
    assert w["b"].status == "submitted"
    done = _post(client, url, _decline(prefix, "unclear", "技术路线描述不完整"))
    assert done.status_code == 302
    assert (w["b"].status, w["b"].decline_reason_code) == ("declined", "unclear")
    # Applicants cannot run the owner's pipeline on their own application.
    log_in(client, w["uni_a"])
    assert _post(client, f"/my/applications/{w['a'].id}/shortlist").status_code == 404
    assert client.get(f"/my/challenges/{w['challenge'].id}/pipeline").status_code == 404


@pytest.fixture
def offer(fields):
    admin = make_user("admin")
    uni = make_user("university")
    firm = make_user("enterprise")
    result = publish_result(uni, admin, fields, "人参皂苷提取新工艺", "超临界萃取，收率提高三成")
    offer = conversion.publish_conversion_offer(
        actor=uni,
        result=result,
        terms=conversion.OfferTerms(
            modes=Mode.LICENSE_NON_EXCLUSIVE | Mode.USE_FIRST_PAY_LATER,
            price_wan=Decimal(30),
            trial_months=6,
            trial_terms="试用 6 个月，满意后付费。",
        ),
    )
    request = conversion.request_adoption(
        actor=firm, offer=offer, intended_use="保健品生产线", scale="年产 10 吨", wants_trial=True
    )
    db.session.commit()
    return {"uni": uni, "firm": firm, "offer": offer, "request": request}


def test_use_first_pay_later_adoption_ends_in_pay(client, offer):
    t = offer
    request = t["request"]
    log_in(client, t["firm"])
    # Only the result's owner decides.
    assert client.get(f"/my/adoptions/{request.id}/decide").status_code == 404
    log_in(client, t["uni"])
    assert client.get(f"/my/adoptions/{request.id}/decide").status_code == 200
    decided = _post(client, f"/my/adoptions/{request.id}/decide", {"decision": "accept"})
    assert decided.status_code == 302 and request.status == "accepted"
    again = _post(client, f"/my/adoptions/{request.id}/decide", {"decision": "accept"})
    assert again.status_code == 409
    log_in(client, t["firm"])
    start = date.today()
    url = f"/my/deals/new?adoption={request.id}"
    terms = {
        "mode": "use_first_pay_later",
        "amount_wan": "30",
        "payment_form": "use_first_pay_later",
        "trial_start": start.isoformat(),
    }
    no_end = _post(client, url, terms)
    assert no_end.status_code == 400
    recorded = _post(client, url, {**terms, "trial_end": (start + timedelta(days=30)).isoformat()})
    assert recorded.status_code == 302
    deal = db.session.query(Deal).one()
    page = client.get(f"/my/deals/{deal.id}").get_data(as_text=True)
    assert "30" in page and 'id="trial"' in page
    # Extending needs a later date; then the client pays.
    short = _post(client, f"/my/deals/{deal.id}/trial", {"outcome": "extend", "new_end": start})
    assert short.status_code == 400
    new_end = (start + timedelta(days=60)).isoformat()
    extended = _post(
        client, f"/my/deals/{deal.id}/trial", {"outcome": "extend", "new_end": new_end}
    )
    assert extended.status_code == 302 and deal.trial_end == start + timedelta(days=60)
    # The provider cannot end the trial.
    log_in(client, t["uni"])
    assert _post(client, f"/my/deals/{deal.id}/trial", {"outcome": "pay"}).status_code == 403
    log_in(client, t["firm"])
    paid = _post(client, f"/my/deals/{deal.id}/trial", {"outcome": "pay"})
    assert paid.status_code == 302
    assert deal.status == "completed" and deal.trial_outcome == "pay"
    assert _post(client, f"/my/deals/{deal.id}/trial", {"outcome": "return"}).status_code == 409


def test_every_link_the_challenge_services_put_in_notifications_is_a_real_page(app):
    """Notification links are built without url_for: they must match a route."""
    adapter = app.url_map.bind("localhost")
    for path in (
        "/my/applications",
        "/my/adoptions",
        "/my/adoptions/1/decide",
        "/my/deals/1",
        "/challenges/1",
        "/my/challenges/1/pipeline",
    ):
        endpoint, _args = adapter.match(path)
        assert endpoint, path
