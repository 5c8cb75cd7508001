"""Deals through the API: recorded from a selected application, an accepted enquiry or an
accepted adoption request; milestones and 验收; the parties-only rule (404 for everyone else);
scopes; mass assignment refused; illegal transitions as 409; messages in the caller's language."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Deal, EnquiryStatus, Milestone, MilestoneEvidence
from matchmaker.services.challenges import conversion, deals
from tests.connect.test_enquiry_deal import _enquiry, world  # noqa: F401 - shared fixture
from tests.factories import make_broker, make_user
from tests.services.test_deals import PDF, TERMS, awarded, trial  # noqa: F401 - shared fixtures
from tests.talent.broker_helpers import introduce

WRITE = ("read", "write")
BODY = {
    "mode": "cooperation",
    "amount_wan": "90",
    "payment_form": "instalments",
    "contract_number": "2201012026000555",
    "signed_on": "2026-12-01",
}


def _count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def _deliver(user, milestone_id: int) -> None:  # noqa: ANN001
    """Set-up: the provider delivers (through the service; the API path is tested below)."""
    milestone = db.session.get(Milestone, milestone_id)
    deals.submit_milestone_evidence(
        actor=user, milestone=milestone, files=[(io.BytesIO(PDF), "验收报告.pdf")], note="已完成"
    )
    db.session.commit()


def _recorded(w) -> Deal:  # noqa: ANN001
    deal = deals.record_deal(actor=w["owner"], application=w["application"], terms=TERMS)
    db.session.commit()
    return deal


# --- the whole path -----------------------------------------------------------------------------
def test_selected_application_to_accepted_milestone(client, bearer, awarded):  # noqa: F811
    w = awarded
    owner, solver = bearer(w["owner"], WRITE), bearer(w["uni_a"], WRITE)
    made = client.post(
        "/api/v1/deals", json={**BODY, "application_id": w["application"].id}, headers=owner
    )
    assert made.status_code == 201, made.get_json()
    deal = made.get_json()
    assert deal["status"] == "active" and deal["side"] == "client"
    assert deal["provider"]["id"] == w["uni_a"].organisation_id
    assert deal["client"]["id"] == w["owner"].organisation_id
    assert deal["source"] == {"kind": "application", "id": w["application"].id}
    assert deal["amount_wan"] == "90.00" and deal["milestones"] == []
    assert w["need"].status == "contracted"

    listed = client.get("/api/v1/deals", headers=solver).get_json()
    assert [(i["id"], i["side"]) for i in listed["items"]] == [(deal["id"], "provider")]

    url = f"/api/v1/deals/{deal['id']}"
    added = client.post(
        f"{url}/milestones", json={"title": "中试线改造", "due_on": "2027-03-01"}, headers=owner
    )
    assert added.status_code == 201
    milestone = added.get_json()
    assert milestone["status"] == "pending" and milestone["position"] == 1
    # only the client adds milestones (the web shows the form to the client only)
    refused = client.post(
        f"{url}/milestones", json={"title": "x", "due_on": "2027-03-01"}, headers=solver
    )
    assert refused.status_code == 403

    delivered = client.post(
        f"{url}/milestones/{milestone['id']}/evidence",
        data={"file": (io.BytesIO(PDF), "验收报告.pdf"), "note": "已完成中试"},
        headers=solver,
        content_type="multipart/form-data",
    )
    assert delivered.status_code == 200, delivered.get_json()
    assert delivered.get_json()["status"] == "submitted"
    assert delivered.get_json()["note"] == "已完成中试"
    shown = client.get(f"{url}/milestones", headers=solver).get_json()["items"]
    assert shown[0]["status"] == "submitted"
    assert shown[0]["evidence"][0]["name"] == "验收报告.pdf"
    assert shown[0]["evidence"][0]["content_type"] == "application/pdf"

    accept = f"{url}/milestones/{milestone['id']}/accept"
    assert client.post(accept, headers=solver).status_code == 403  # not one's own delivery
    accepted = client.post(accept, headers=owner)
    assert accepted.status_code == 200
    assert accepted.get_json()["status"] == "accepted"
    assert accepted.get_json()["accepted_at"] is not None
    again = client.post(accept, headers=owner)
    assert again.status_code == 409 and again.get_json()["code"] == "invalid_transition"

    detail = client.get(url, headers=solver)
    assert detail.get_json()["status"] == "completed"  # its only milestone is accepted
    assert detail.get_json()["closed_at"] is not None
    assert w["need"].status == "accepted"
    assert (
        client.get(url, headers={**solver, "If-None-Match": detail.headers["ETag"]}).status_code
        == 304
    )


def test_rework_needs_a_delivery_and_a_reason(client, bearer, awarded):  # noqa: F811
    w = awarded
    deal = _recorded(w)
    milestone = deals.add_milestone(
        actor=w["owner"], deal=deal, title="交付", due_on=date(2027, 1, 1)
    )
    db.session.commit()
    owner = bearer(w["owner"], WRITE)
    rework = f"/api/v1/deals/{deal.id}/milestones/{milestone.id}/rework"
    assert client.post(rework, json={"reason": "不合格"}, headers=owner).status_code == 409
    _deliver(w["uni_a"], milestone.id)
    blank = client.post(rework, json={"reason": "   "}, headers=owner)
    assert blank.status_code == 422 and "reason" in blank.get_json()["fields"]
    done = client.post(rework, json={"reason": "检测报告缺少第三方盖章"}, headers=owner)
    assert done.status_code == 200
    assert done.get_json()["status"] == "rework"
    assert done.get_json()["rework_reason"] == "检测报告缺少第三方盖章"


def _upload(client, url, headers, **data):  # noqa: ANN001, ANN202
    return client.post(url, data=data, headers=headers, content_type="multipart/form-data")


def test_evidence_is_the_providers_checked_by_content_and_nothing_else(
    client,
    bearer,
    awarded,  # noqa: F811
):
    w = awarded
    deal = _recorded(w)
    milestone = deals.add_milestone(
        actor=w["owner"], deal=deal, title="交付", due_on=date(2027, 1, 1)
    )
    db.session.commit()
    url = f"/api/v1/deals/{deal.id}/milestones/{milestone.id}/evidence"
    solver = bearer(w["uni_a"], WRITE)
    client_side = _upload(client, url, bearer(w["owner"], WRITE), file=(io.BytesIO(PDF), "a.pdf"))
    assert client_side.status_code == 403
    exe = _upload(client, url, solver, file=(io.BytesIO(b"MZ\x90"), "a.exe"))
    assert exe.status_code == 422 and "file" in exe.get_json()["fields"]
    assert _upload(client, url, solver, note="没有文件").status_code == 422
    text = _upload(client, url, solver, file="not a file")
    assert text.status_code == 422 and "file" in text.get_json()["fields"]
    extra = _upload(client, url, solver, file=(io.BytesIO(PDF), "a.pdf"), status="accepted")
    assert extra.status_code == 422 and set(extra.get_json()["fields"]) == {"status"}
    assert _count(MilestoneEvidence) == 0
    db.session.refresh(milestone)
    assert milestone.status == "pending"
    as_json = client.post(url, json={"note": "x"}, headers=solver)
    assert as_json.status_code == 422


def test_terminate_with_a_reason_and_not_twice(client, bearer, awarded):  # noqa: F811
    w = awarded
    deal = _recorded(w)
    owner = bearer(w["owner"], WRITE)
    url = f"/api/v1/deals/{deal.id}/terminate"
    assert client.post(url, json={}, headers=owner).status_code == 422
    assert (
        client.post(url, json={"reason": "x"}, headers=bearer(w["uni_a"], WRITE)).status_code == 403
    )
    ended = client.post(url, json={"reason": "对方无法履约"}, headers=owner)
    assert ended.status_code == 200
    assert ended.get_json()["status"] == "terminated"
    assert ended.get_json()["termination_reason"] == "对方无法履约"
    assert w["need"].status == "terminated"
    assert client.post(url, json={"reason": "再次终止"}, headers=owner).status_code == 409
    late = client.post(
        f"/api/v1/deals/{deal.id}/milestones",
        json={"title": "交付", "due_on": "2027-01-01"},
        headers=owner,
    )
    assert late.status_code == 409
    assert (
        client.post(
            f"/api/v1/deals/{deal.id}/trial", json={"outcome": "pay"}, headers=owner
        ).status_code
        == 409
    )  # no trial on this deal


def test_deal_from_an_accepted_enquiry(client, bearer, world):  # noqa: F811
    w = world
    enquiry = _enquiry(w["firm"], w["uni"], "result", w["result"])
    body = {
        "enquiry_id": enquiry.id,
        "mode": "transfer",
        "amount_wan": 120,
        "payment_form": "lump_sum",
    }
    assert (
        client.post("/api/v1/deals", json=body, headers=bearer(w["third"], WRITE)).status_code
        == 404
    )
    made = client.post("/api/v1/deals", json=body, headers=bearer(w["firm"], WRITE))
    assert made.status_code == 201, made.get_json()
    deal = made.get_json()
    assert deal["provider"]["id"] == w["uni"].organisation_id
    assert deal["client"]["id"] == w["firm"].organisation_id
    assert deal["source"] == {"kind": "enquiry", "id": enquiry.id}
    assert deal["title"] == w["result"].title and deal["broker"] is None
    twice = client.post("/api/v1/deals", json=body, headers=bearer(w["uni"], WRITE))
    assert twice.status_code == 409
    assert _count(Deal) == 1


def test_a_brokers_introduction_records_the_broker_and_its_fee(client, bearer, world, fields):  # noqa: F811
    w = world
    broker = make_broker()
    enquiry = introduce(
        broker,
        w["need"],
        owner=w["uni"],
        admin=make_user("admin"),
        fields=fields,
        status=EnquiryStatus.ACCEPTED,
    )
    db.session.commit()
    body = {
        "enquiry_id": enquiry.id,
        "mode": "license_non_exclusive",
        "amount_wan": "120",
        "payment_form": "lump_sum",
        "broker_fee_wan": "3.5",
    }
    made = client.post("/api/v1/deals", json=body, headers=bearer(w["firm"], WRITE))
    assert made.status_code == 201, made.get_json()
    deal = made.get_json()
    assert deal["broker"] == {
        "id": broker.id,
        "name": broker.user.name,
        "licence_number": broker.licence_number,
    }
    assert deal["broker_fee_wan"] == "3.50"
    # the web shows a deal to its two parties only, not to the broker who introduced it
    hidden = client.get(f"/api/v1/deals/{deal['id']}", headers=bearer(broker.user, WRITE))
    assert hidden.status_code == 404


def test_an_enquiry_not_yet_accepted_is_refused(client, bearer, world):  # noqa: F811
    w = world
    waiting = _enquiry(w["firm"], w["uni"], "result", w["result"], accept=False)
    body = {
        "enquiry_id": waiting.id,
        "mode": "transfer",
        "amount_wan": "1",
        "payment_form": "lump_sum",
    }
    assert (
        client.post("/api/v1/deals", json=body, headers=bearer(w["firm"], WRITE)).status_code == 409
    )
    assert _count(Deal) == 0


def test_adoption_with_a_trial_extended_then_paid(client, bearer, trial):  # noqa: F811
    t = trial
    request = conversion.request_adoption(
        actor=t["firm"], offer=t["offer"], intended_use="保健品生产线", wants_trial=True
    )
    conversion.decide_adoption(actor=t["uni"], request=request, accept=True)
    db.session.commit()
    firm = bearer(t["firm"], WRITE)
    body = {
        "adoption_id": request.id,
        "mode": "use_first_pay_later",
        "amount_wan": "30",
        "payment_form": "use_first_pay_later",
    }
    no_dates = client.post("/api/v1/deals", json=body, headers=firm)
    assert no_dates.status_code == 422 and "trial_end" in no_dates.get_json()["fields"]
    made = client.post(
        "/api/v1/deals",
        json={**body, "trial_start": "2026-12-01", "trial_end": "2027-06-01"},
        headers=firm,
    )
    assert made.status_code == 201
    url = f"/api/v1/deals/{made.get_json()['id']}/trial"
    short = client.post(url, json={"outcome": "extend", "new_end": "2027-01-01"}, headers=firm)
    assert short.status_code == 422 and "new_end" in short.get_json()["fields"]
    assert (
        client.post(url, json={"outcome": "pay"}, headers=bearer(t["uni"], WRITE)).status_code
        == 403
    )
    extended = client.post(url, json={"outcome": "extend", "new_end": "2027-09-01"}, headers=firm)
    assert extended.get_json()["trial_end"] == "2027-09-01"
    paid = client.post(url, json={"outcome": "pay"}, headers=firm)
    assert paid.status_code == 200
    assert paid.get_json()["status"] == "completed" and paid.get_json()["trial_outcome"] == "pay"
    assert client.post(url, json={"outcome": "return"}, headers=firm).status_code == 409


# --- what the caller may send -------------------------------------------------------------------
@pytest.mark.parametrize(
    "extra",
    [
        {"status": "completed"},
        {"provider_org_id": 1},
        {"client_org_id": 1},
        {"broker_id": 1},
        {"created_by_id": 1},
        {"id": 5},
        {"closed_at": "2026-12-01T00:00:00Z"},
    ],
)
def test_mass_assignment_is_refused_and_nothing_stored(client, bearer, awarded, extra):  # noqa: F811
    """SECURITY.md row 17 (v5.0.0-15.3.3)."""
    w = awarded
    body = {**BODY, "application_id": w["application"].id, **extra}
    answer = client.post("/api/v1/deals", json=body, headers=bearer(w["owner"], WRITE))
    assert answer.status_code == 422
    assert set(answer.get_json()["fields"]) == set(extra)
    assert _count(Deal) == 0
    assert w["need"].status != "contracted"


def test_milestone_and_reason_bodies_refuse_unknown_fields(client, bearer, awarded):  # noqa: F811
    w = awarded
    deal = _recorded(w)
    owner = bearer(w["owner"], WRITE)
    sneaky = client.post(
        f"/api/v1/deals/{deal.id}/milestones",
        json={"title": "交付", "due_on": "2027-01-01", "status": "accepted"},
        headers=owner,
    )
    assert sneaky.status_code == 422 and set(sneaky.get_json()["fields"]) == {"status"}
    assert _count(Milestone) == 0
    ended = client.post(
        f"/api/v1/deals/{deal.id}/terminate",
        json={"reason": "对方无法履约", "closed_at": "2026-01-01"},
        headers=owner,
    )
    assert ended.status_code == 422
    db.session.refresh(deal)
    assert deal.status == "active"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount_wan": "-1"}, "amount_wan"),
        ({"amount_wan": "1.234"}, "amount_wan"),
        ({"amount_wan": "NaN"}, "amount_wan"),
        ({"amount_wan": "1e400"}, "amount_wan"),
        ({"mode": "gift"}, "mode"),
        ({"payment_form": None}, "payment_form"),
        ({"signed_on": "2026-13-01"}, "signed_on"),
        ({"contract_number": "9" * 65}, "contract_number"),
        ({"contract_number": "a\x00b"}, "contract_number"),
        ({"broker_fee_wan": "1"}, "broker_fee_wan"),  # not from a broker's introduction
        ({"application_id": None}, "application_id"),  # no source
        ({"enquiry_id": 1}, "application_id"),  # two sources
        ({"application_id": 2**40}, "application_id"),
    ],
)
def test_bad_input_is_422_with_the_field(client, bearer, awarded, change, field):  # noqa: F811
    w = awarded
    body = {**BODY, "application_id": w["application"].id, **change}
    answer = client.post("/api/v1/deals", json=body, headers=bearer(w["owner"], WRITE))
    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["fields"]
    assert _count(Deal) == 0


def test_the_contract_number_is_unique(client, bearer, awarded, world):  # noqa: F811
    w = awarded
    _recorded(w)  # uses TERMS' contract number
    enquiry = _enquiry(world["firm"], world["uni"], "result", world["result"])
    body = {
        "enquiry_id": enquiry.id,
        "mode": "transfer",
        "amount_wan": "5",
        "payment_form": "lump_sum",
        "contract_number": TERMS.contract_number,
    }
    answer = client.post("/api/v1/deals", json=body, headers=bearer(world["firm"], WRITE))
    assert answer.status_code == 422 and "contract_number" in answer.get_json()["fields"]


# --- who may see and do what --------------------------------------------------------------------
def _every_operation(deal_id: int, milestone_id: int) -> list[tuple[str, str, dict | None]]:
    base = f"/api/v1/deals/{deal_id}"
    return [
        ("get", base, None),
        ("get", f"{base}/milestones", None),
        ("post", f"{base}/milestones", {"title": "交付", "due_on": "2027-01-01"}),
        ("post", f"{base}/milestones/{milestone_id}/accept", None),
        ("post", f"{base}/milestones/{milestone_id}/rework", {"reason": "不合格"}),
        ("post", f"{base}/terminate", {"reason": "不想做了"}),
        ("post", f"{base}/trial", {"outcome": "pay"}),
    ]


@pytest.mark.parametrize("outsider", ["other_applicant", "enterprise", "bank", "broker"])
def test_anyone_but_the_parties_gets_404_everywhere(client, bearer, awarded, outsider):  # noqa: F811
    """SECURITY.md row 15 (v5.0.0-8.2.2)."""
    w = awarded
    deal = _recorded(w)
    milestone = deals.add_milestone(
        actor=w["owner"], deal=deal, title="交付", due_on=date(2027, 1, 1)
    )
    db.session.commit()
    _deliver(w["uni_a"], milestone.id)
    who = {
        "other_applicant": lambda: w["uni_b"],
        "enterprise": lambda: make_user("enterprise"),
        "bank": lambda: make_user("bank"),
        "broker": lambda: make_broker().user,
    }[outsider]()
    headers = bearer(who, WRITE)
    for method, url, body in _every_operation(deal.id, milestone.id):
        answer = getattr(client, method)(url, json=body, headers=headers)
        assert answer.status_code == 404, (method, url, answer.get_json())
    evidence = f"/api/v1/deals/{deal.id}/milestones/{milestone.id}/evidence"
    assert _upload(client, evidence, headers, file=(io.BytesIO(PDF), "a.pdf")).status_code == 404
    made = client.post(
        "/api/v1/deals", json={**BODY, "application_id": w["other"].id}, headers=headers
    )
    assert made.status_code in (404, 409)  # never its own deal from another's application
    assert client.get("/api/v1/deals", headers=headers).get_json()["items"] == []
    db.session.refresh(milestone)
    db.session.refresh(deal)
    assert milestone.status == "submitted" and deal.status == "active"
    assert len(deal.milestones) == 1


def test_a_milestone_of_another_deal_is_404(client, bearer, awarded, world):  # noqa: F811
    w = awarded
    deal = _recorded(w)
    enquiry = _enquiry(world["firm"], world["uni"], "result", world["result"])
    other = deals.record_deal(
        actor=world["firm"],
        enquiry=enquiry,
        terms=deals.DealTerms(mode="transfer", amount_wan=Decimal(1), payment_form="lump_sum"),
    )
    foreign = deals.add_milestone(
        actor=world["firm"], deal=other, title="交付", due_on=date(2027, 1, 1)
    )
    db.session.commit()
    url = f"/api/v1/deals/{deal.id}/milestones/{foreign.id}/accept"
    assert client.post(url, headers=bearer(w["owner"], WRITE)).status_code == 404


def test_admin_reads_but_does_not_act(client, bearer, awarded):  # noqa: F811
    w = awarded
    deal = _recorded(w)
    admin = bearer(w["admin"], WRITE)
    assert client.get(f"/api/v1/deals/{deal.id}", headers=admin).get_json()["side"] is None
    refused = client.post(f"/api/v1/deals/{deal.id}/terminate", json={"reason": "x"}, headers=admin)
    assert refused.status_code == 403


def test_scopes(client, bearer, awarded):  # noqa: F811
    w = awarded
    deal = _recorded(w)
    url = f"/api/v1/deals/{deal.id}"
    assert client.get(url).status_code == 401
    assert client.get("/api/v1/deals").status_code == 401
    read_only = bearer(w["owner"], ("read",))
    assert client.get(url, headers=read_only).status_code == 200
    for method, path, body in _every_operation(deal.id, 1):
        if method == "post":
            answer = client.post(path, json=body, headers=read_only)
            assert answer.status_code == 403, path
            assert answer.get_json()["code"] == "insufficient_scope"
    upload = _upload(
        client,
        f"/api/v1/deals/{deal.id}/milestones/1/evidence",
        read_only,
        file=(io.BytesIO(PDF), "a.pdf"),
    )
    assert upload.status_code == 403
    create = client.post(
        "/api/v1/deals", json={**BODY, "application_id": w["application"].id}, headers=read_only
    )
    assert create.status_code == 403
    market = bearer(w["owner"], ("read:market",))
    assert client.get(url, headers=market).status_code == 403
    assert client.get("/api/v1/deals", headers=market).status_code == 403
    area = bearer(w["owner"], ("write:deals",))
    assert client.get(url, headers=area).status_code == 200
    ended = client.post(f"{url}/terminate", json={"reason": "对方无法履约"}, headers=area)
    assert ended.status_code == 200
    assert len(deal.milestones) == 0


def test_list_filters_and_pages(client, bearer, awarded):  # noqa: F811
    w = awarded
    first = _recorded(w)
    headers = bearer(w["owner"], ("read",))
    body = client.get("/api/v1/deals", headers=headers).get_json()
    assert [i["id"] for i in body["items"]] == [first.id] and body["total"] == 1
    assert (
        client.get(
            "/api/v1/deals", query_string={"status": "completed"}, headers=headers
        ).get_json()["items"]
        == []
    )
    assert (
        client.get("/api/v1/deals", query_string={"side": "provider"}, headers=headers).get_json()[
            "total"
        ]
        == 0
    )
    assert (
        client.get(
            "/api/v1/deals", query_string={"side": "client", "page_size": 1}, headers=headers
        ).get_json()["total"]
        == 1
    )
    bad = client.get("/api/v1/deals", query_string={"status": "open", "page": 0}, headers=headers)
    assert bad.status_code == 422 and set(bad.get_json()["fields"]) == {"status", "page"}


def test_messages_in_english(client, bearer, awarded):  # noqa: F811
    w = awarded
    deal = _recorded(w)
    milestone = deals.add_milestone(
        actor=w["owner"], deal=deal, title="交付", due_on=date(2027, 1, 1)
    )
    db.session.commit()
    owner = bearer(w["owner"], WRITE)
    accept = f"/api/v1/deals/{deal.id}/milestones/{milestone.id}/accept"
    zh = client.post(accept, headers=owner)
    en = client.post(accept, headers={**owner, "Accept-Language": "en"})
    assert zh.status_code == en.status_code == 409
    assert en.get_json()["message"].isascii() and en.get_json()["message"]
    assert en.get_json()["message"] != zh.get_json()["message"]
    missing = client.get("/api/v1/deals/999999", headers={**owner, "Accept-Language": "en"})
    assert missing.status_code == 404 and missing.get_json()["message"].isascii()
    bad = client.post(
        f"/api/v1/deals/{deal.id}/milestones",
        json={"due_on": "soon", "owner": 1},
        headers={**owner, "Accept-Language": "en"},
    )
    fields = bad.get_json()["fields"]
    assert set(fields) == {"title", "due_on", "owner"}
    assert all(m.isascii() for messages in fields.values() for m in messages)
