"""The whole journey through the API alone (issue 15, "done when"): a university lists a result
and an admin token approves it; an enterprise posts a need, gets its matches and sends an
enquiry; the university accepts; the enterprise records the deal. No service call, no web page:
every step is an HTTP call with a bearer token, starting from the accounts' e-mail and password.
"""

from __future__ import annotations

from datetime import timedelta

import pyotp
from flask.testing import FlaskClient

from matchmaker.extensions import db
from matchmaker.models.base import utcnow
from matchmaker.services.platform.sealing import seal
from tests.factories import PASSWORD, make_user


def _token(client: FlaskClient, email: str, otp: str | None = None) -> dict[str, str]:
    body = {"email": email, "password": PASSWORD, "name": "journey", "scopes": ["read", "write"]}
    answer = client.post("/api/v1/tokens", json={**body, **({"otp": otp} if otp else {})})
    assert answer.status_code == 201, answer.get_json()
    return {"Authorization": f"Bearer {answer.get_json()['token']}"}


def _ok(answer, status: int = 200) -> dict:  # noqa: ANN001
    assert answer.status_code == status, answer.get_json()
    return answer.get_json()


def test_result_need_match_enquiry_accept_deal(client: FlaskClient, fields):  # noqa: ANN001
    people = {role: make_user(role) for role in ("university", "enterprise", "admin")}
    # An admin account has two-step verification: its token needs a current code too.
    secret = pyotp.random_base32()
    people["admin"].totp_secret = seal(secret)
    people["admin"].totp_enabled_at = utcnow()
    db.session.commit()
    uni, firm = (_token(client, people[r].email) for r in ("university", "enterprise"))
    admin = _token(client, people["admin"].email, otp=pyotp.TOTP(secret).now())
    field_id = fields["materials"].id

    # A university lists a result; the admin finds it in the queue and approves it.
    result = _ok(
        client.post(
            "/api/v1/results",
            headers=uni,
            json={
                "title": "碳纤维复合材料汽车轻量化车身技术",
                "summary": "高强度碳纤维复合材料用于汽车车身轻量化，"
                "整车减重百分之三十，已完成中试验证。",
                "region": "changchun",
                "field_id": field_id,
                "trl": 6,
                "modes": ["transfer"],
                "price_wan": "120",
                "contact_name": "王老师",
                "contact_phone": "13900000001",
            },
        ),
        201,
    )
    assert result["status"] == "draft"
    assert client.get(f"/api/v1/results/{result['id']}").status_code == 404  # not public yet
    _ok(client.post(f"/api/v1/results/{result['id']}/submit", headers=uni))
    queue = _ok(client.get("/api/v1/review/listings", headers=admin))
    assert result["id"] in {item["id"] for item in queue["items"]}
    _ok(client.post(f"/api/v1/results/{result['id']}/approve", headers=admin))
    public = _ok(client.get(f"/api/v1/results/{result['id']}"))
    assert public["title"] == "碳纤维复合材料汽车轻量化车身技术"

    # An enterprise posts a need (approved the same way) and gets its matches.
    need = _ok(
        client.post(
            "/api/v1/needs",
            headers=firm,
            json={
                "title": "汽车车身碳纤维复合材料轻量化需求",
                "description": "寻求碳纤维复合材料车身轻量化方案，降低整车重量并保持强度。",
                "region": "changchun",
                "field_id": field_id,
                "budget_wan": "100",
                "deadline": (utcnow() + timedelta(days=60)).date().isoformat(),
                "contact_name": "李工",
                "contact_email": "li@example.com",
            },
        ),
        201,
    )
    _ok(client.post(f"/api/v1/needs/{need['id']}/submit", headers=firm))
    _ok(client.post(f"/api/v1/needs/{need['id']}/approve", headers=admin))
    matches = _ok(client.get(f"/api/v1/needs/{need['id']}/matches", headers=firm))["items"]
    assert matches and matches[0]["listing"]["id"] == result["id"]
    assert matches[0]["score"] > 0 and matches[0]["terms"]

    # The enterprise sends a contact request about the best match; the university accepts.
    enquiry = _ok(
        client.post(
            "/api/v1/enquiries",
            headers=firm,
            json={
                "kind": "result",
                "target_id": matches[0]["listing"]["id"],
                "intent": "transfer",
                "message": "我们希望受让该技术用于新车型车身，请联系。",
            },
        ),
        201,
    )
    inbox = _ok(client.get("/api/v1/enquiries", headers=uni))["items"]
    assert enquiry["id"] in {item["id"] for item in inbox}
    _ok(client.post(f"/api/v1/enquiries/{enquiry['id']}/accept", headers=uni))
    assert _ok(client.get(f"/api/v1/enquiries/{enquiry['id']}", headers=firm))["status"] == (
        "accepted"
    )

    # The enterprise records the deal from the accepted enquiry; both parties see it.
    deal = _ok(
        client.post(
            "/api/v1/deals",
            headers=firm,
            json={
                "enquiry_id": enquiry["id"],
                "mode": "transfer",
                "amount_wan": "110",
                "payment_form": "lump_sum",
            },
        ),
        201,
    )
    for side in (firm, uni):
        seen = _ok(client.get(f"/api/v1/deals/{deal['id']}", headers=side))
        assert seen["amount_wan"] in ("110", "110.00")
    listed = _ok(client.get("/api/v1/deals", headers=uni))["items"]
    assert [d["id"] for d in listed] == [deal["id"]]
