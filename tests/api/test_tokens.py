"""Personal access tokens: created on the account page and through POST /api/v1/tokens, shown
once, stored hashed, ended by revocation, expiry, a password change or a disabled account."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import ApiToken, AuditLog
from matchmaker.models.base import utcnow
from matchmaker.services.accounts import accounts, api_tokens, users
from matchmaker.services.platform.sealing import seal
from tests.factories import PASSWORD, make_user


def _me(client, secret):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})


def test_the_secret_is_shown_once_and_only_its_hash_is_stored(client, login_as):
    user = login_as("enterprise")
    page = client.post(
        "/account/tokens", data={"name": "成果库同步", "scope": "read", "expires_in_days": "30"}
    )
    assert page.status_code == 200
    token = db.session.scalars(sa.select(ApiToken)).one()
    html = page.get_data(as_text=True)
    secret = html.split('id="new-token" type="text" readonly value="')[1].split('"')[0]
    assert secret.startswith(api_tokens.SECRET_PREFIX) and len(secret) > 30
    assert token.token_hash == api_tokens.hash_secret(secret)
    assert token.prefix == secret[:8]
    assert token.scopes == ["read"]
    assert timedelta(days=29) < token.expires_at - utcnow() <= timedelta(days=30)
    # the secret is in no column of any row, and the list page no longer shows it
    dumped = db.session.execute(sa.select(ApiToken.__table__)).one()
    assert all(secret not in str(value) for value in dumped)
    listing = client.get("/account/tokens").get_data(as_text=True)
    assert secret not in listing and token.prefix in listing and "成果库同步" in listing
    assert _me(client, secret).get_json()["id"] == user.id


def test_a_role_without_publishing_rights_cannot_make_a_write_token(client, login_as):
    login_as("enterprise", verified=False)  # organisation not yet verified
    page = client.post(
        "/account/tokens", data={"name": "x", "scope": "write", "expires_in_days": "30"}
    )
    assert page.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0
    assert 'value="write"' not in page.get_data(as_text=True)


def test_bad_expiry_is_refused_next_to_the_field(client, login_as):
    login_as("university")
    page = client.post(
        "/account/tokens", data={"name": "x", "scope": "read", "expires_in_days": "400"}
    )
    assert page.status_code == 200
    assert 'aria-invalid="true"' in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_revoke_on_the_account_page_ends_the_token(client, login_as, token_for):
    user = login_as("enterprise")
    secret = token_for(user)
    token = db.session.scalars(sa.select(ApiToken)).one()
    assert _me(client, secret).status_code == 200
    answer = client.post(f"/account/tokens/{token.id}/revoke")
    assert answer.status_code == 302
    assert _me(client, secret).status_code == 401
    assert (
        db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "api_token.revoke"))
        is not None
    )
    assert "已撤销" in client.get("/account/tokens").get_data(as_text=True)


def test_another_users_token_cannot_be_revoked(client, login_as, token_for):
    """SECURITY.md row 15 (v5.0.0-8.2.2)."""
    other = make_user("enterprise")
    secret = token_for(other)
    token = db.session.scalars(sa.select(ApiToken)).one()
    login_as("enterprise")
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 404
    assert _me(client, secret).status_code == 200


def test_expired_token_is_refused(client, token_for):
    user = make_user("enterprise")
    secret = token_for(user, expires_in_days=1)
    token = db.session.scalars(sa.select(ApiToken)).one()
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    answer = _me(client, secret)
    assert answer.status_code == 401
    assert answer.get_json()["code"] == "invalid_token"
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_password_change_ends_tokens_made_before_it(client, token_for):
    user = make_user("enterprise")
    old = token_for(user)
    assert _me(client, old).status_code == 200
    accounts.change_password(user=user, current=PASSWORD, new="a-new-long-passphrase-42")
    db.session.commit()
    assert _me(client, old).status_code == 401
    new = token_for(user)  # made after the change: works
    assert _me(client, new).status_code == 200


def test_disabled_user_loses_its_tokens_for_good(client, token_for):
    admin = make_user("admin")
    user = make_user("enterprise")
    secret = token_for(user)
    users.set_user_active(actor=admin, user=user, active=False)
    db.session.commit()
    assert _me(client, secret).status_code == 401
    users.set_user_active(actor=admin, user=user, active=True)
    db.session.commit()
    assert _me(client, secret).status_code == 401  # reactivation does not revive it


def test_admin_ending_sessions_ends_tokens(client, token_for):
    admin = make_user("admin")
    user = make_user("university")
    secret = token_for(user)
    users.terminate_sessions(actor=admin, user=user)
    db.session.commit()
    assert _me(client, secret).status_code == 401


def test_last_used_is_recorded(client, token_for):
    user = make_user("bank")
    secret = token_for(user)
    assert db.session.scalars(sa.select(ApiToken)).one().last_used_at is None
    assert _me(client, secret).status_code == 200
    db.session.expire_all()
    assert db.session.scalars(sa.select(ApiToken)).one().last_used_at is not None


# --- POST /api/v1/tokens ------------------------------------------------------------------------
def test_post_tokens_returns_a_working_token(client):
    user = make_user("university")
    db.session.commit()
    answer = client.post(
        "/api/v1/tokens",
        json={
            "email": user.email,
            "password": PASSWORD,
            "name": "TTO",
            "scopes": ["read", "write"],
        },
    )
    assert answer.status_code == 201
    body = answer.get_json()
    assert body["scopes"] == ["read", "write"]
    assert _me(client, body["token"]).get_json()["scopes"] == ["read", "write"]
    assert db.session.scalars(sa.select(ApiToken)).one().name == "TTO"


def test_post_tokens_with_a_wrong_password_is_401_json(client):
    user = make_user("enterprise")
    db.session.commit()
    answer = client.post("/api/v1/tokens", json={"email": user.email, "password": "wrong"})
    assert answer.status_code == 401
    assert answer.get_json()["code"] == "invalid_credentials"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_post_tokens_refuses_a_scope_wider_than_the_role(client):
    user = make_user("enterprise", verified=False)
    db.session.commit()
    answer = client.post(
        "/api/v1/tokens", json={"email": user.email, "password": PASSWORD, "scopes": ["write"]}
    )
    assert answer.status_code == 422
    assert "scopes" in answer.get_json()["fields"]


def test_post_tokens_field_errors_are_422(client):
    answer = client.post("/api/v1/tokens", json={"password": "x", "expires_in_days": 9999})
    assert answer.status_code == 422
    fields = answer.get_json()["fields"]
    assert set(fields) >= {"email", "expires_in_days"}


def test_post_tokens_is_rate_limited_like_the_login_form(app, client):
    user = make_user("enterprise")
    db.session.commit()
    per_account = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])
    for _ in range(per_account):
        wrong = client.post("/api/v1/tokens", json={"email": user.email, "password": "nope"})
        assert wrong.status_code == 401
    limited = client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD})
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert limited.get_json()["code"] == "rate_limited"
    # the account's count is shared with the login form
    assert (
        client.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code
        == 429
    )


def test_a_session_cookie_does_not_authenticate_the_api(client, login_as):
    login_as("admin")
    answer = client.get("/api/v1/me")
    assert answer.status_code == 401
    assert answer.get_json()["code"] == "unauthenticated"


def test_a_malformed_authorization_header_is_401(client):
    for header in ("Basic abc", "Bearer ", "Bearer mm_notatoken"):
        answer = client.get("/api/v1/stats", headers={"Authorization": header})
        assert answer.status_code == 401


def test_service_refuses_unknown_scope():
    import pytest

    from matchmaker.services.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        api_tokens.create_token(user=make_user("admin"), name="x", scopes=["admin"])


def test_failed_web_logins_count_against_post_tokens(app, client):
    user = make_user("bank")
    db.session.commit()
    per_account = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])
    for _ in range(per_account):
        client.post("/auth/login", data={"email": user.email, "password": "nope"})
    answer = client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD})
    assert answer.status_code == 429


def test_the_token_list_stacks_on_phones(client, login_as):
    """Seven columns do not fit 390 px: the list uses the cards layout (.table-stack), which
    needs a label on every cell."""
    login_as("enterprise")
    client.post("/account/tokens", data={"name": "同步", "scope": "read", "expires_in_days": "30"})
    html = client.get("/account/tokens").get_data(as_text=True)
    table = html.split('id="token-list"')[1].split("</table>")[0]
    assert 'class="table table-sm align-middle table-stack"' in html
    cells = table.split("<tbody>")[1].count("<td")
    assert cells == 7 and table.count("<td data-label=") == cells


# --- per-area scopes ----------------------------------------------------------------------------
def test_grants_write_includes_read_and_bare_covers_every_area():
    grants = api_tokens.grants
    assert grants(["read"], "read", "deals") and not grants(["read"], "write", "deals")
    assert grants(["write"], "read", "finance") and grants(["write"], "write", "market")
    assert grants(["write:deals"], "read", "deals") and grants(["write:deals"], "write", "deals")
    assert not grants(["read:deals"], "write", "deals")
    assert not grants(["read:deals"], "read", "market")
    assert not grants(["write:deals"], "write", "market")
    # an operation about the caller (no area) takes any scope of its action
    assert grants(["read:connect"], "read", None) and grants(["write:connect"], "read", None)
    assert not grants(["read:connect"], "write", None)


def _area_route(app, action, area):
    """A GET /api/v1 route without path arguments that needs `action` in `area`."""
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if (
            rule.rule.startswith("/api/v1/")
            and "GET" in rule.methods
            and not rule.arguments
            and getattr(view, "_api_scope", None) == (action, area)
        ):
            return rule.rule
    raise AssertionError(f"no GET operation needs {action} on {area}")


def test_an_area_token_is_refused_on_another_area(app, client, bearer):
    user = make_user("university")  # has results (/my/results) and deals
    market, deals = _area_route(app, "read", "market"), _area_route(app, "read", "deals")
    only_deals = bearer(user, scopes=["read:deals"])
    refused = client.get(market, headers=only_deals)
    assert refused.status_code == 403
    assert refused.get_json()["code"] == "insufficient_scope"
    assert client.get(deals, headers=only_deals).status_code == 200
    assert client.get(market, headers=bearer(user, scopes=["write:market"])).status_code == 200
    assert client.get(market, headers=bearer(user, scopes=["read"])).status_code == 200


def test_a_bank_may_have_finance_a_university_may_not(client):
    bank, university = make_user("bank"), make_user("university")
    secret = pyotp.random_base32()
    bank.totp_secret, bank.totp_enabled_at = seal(secret), utcnow()  # bank: two-step
    db.session.commit()
    assert "finance" in api_tokens.allowed_areas(bank)
    assert "finance" not in api_tokens.allowed_areas(university)
    ask = {"password": PASSWORD, "scopes": ["read:finance"]}
    otp = pyotp.TOTP(secret).now()
    ok = client.post("/api/v1/tokens", json={"email": bank.email, "otp": otp, **ask})
    assert ok.status_code == 201 and ok.get_json()["scopes"] == ["read:finance"]
    refused = client.post("/api/v1/tokens", json={"email": university.email, **ask})
    assert refused.status_code == 422
    assert "scopes" in refused.get_json()["fields"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 1


def test_the_account_page_makes_an_area_token(client, login_as):
    user = login_as("enterprise")
    page = client.post(
        "/account/tokens",
        data={
            "name": "对接同步",
            "scope": "write",
            "area_mode": "some",
            "areas": ["connect", "deals"],
            "expires_in_days": "30",
        },
    )
    assert page.status_code == 200
    token = db.session.scalars(sa.select(ApiToken)).one()
    assert token.scopes == ["read:deals", "read:connect", "write:deals", "write:connect"]
    html = page.get_data(as_text=True)
    assert "读写：成交与里程碑、对接" in html  # the list names the areas
    # the areas are checkboxes in a fieldset with a legend, each with its label
    group = html.split('id="areas"')[1].split("</ul>")[0]
    # every area the role has (all but stats, the bureau's figures)
    assert group.count('type="checkbox"') == len(api_tokens.allowed_areas(user)) > 0
    assert html.count("<legend") >= 2 and 'for="areas-0"' in html


def test_the_account_page_makes_an_all_areas_token_by_default(client, login_as):
    login_as("university")
    page = client.post(
        "/account/tokens",
        data={"name": "x", "scope": "read", "areas": ["market"], "expires_in_days": "30"},
    )
    assert page.status_code == 200
    assert db.session.scalars(sa.select(ApiToken)).one().scopes == ["read"]
    assert "只读 · 所有领域" in page.get_data(as_text=True)


def test_the_account_page_offers_only_the_roles_areas(client, login_as):
    login_as("university")
    html = client.get("/account/tokens").get_data(as_text=True)
    assert 'value="market"' in html and 'value="finance"' not in html
    page = client.post(
        "/account/tokens",
        data={
            "name": "x",
            "scope": "read",
            "area_mode": "some",
            "areas": ["finance"],
            "expires_in_days": "30",
        },
    )
    assert page.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0
    assert 'id="areas-errors"' in page.get_data(as_text=True)


def test_chosen_areas_need_at_least_one(client, login_as):
    login_as("bank")
    page = client.post(
        "/account/tokens",
        data={"name": "x", "scope": "read", "area_mode": "some", "expires_in_days": "30"},
    )
    assert page.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0
    assert "请至少选择一个领域" in page.get_data(as_text=True)
