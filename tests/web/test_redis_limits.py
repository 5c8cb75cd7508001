"""Rate limits in Redis: spent through one instance of the app, they hold in another (every
worker and host counts together); with Redis down, pages and login still work, the limits
count in each process's memory instead, and /healthz says so but stays 200."""

from __future__ import annotations

from redis import Redis

from tests.factories import PASSWORD, make_user
from tests.services.test_redis_apps import (  # noqa: F401 - the shared fixtures
    DOWN_URL,
    REDIS_URL,
    make_app,
    needs_redis,
    redis_prefix,
)

LIMITS = {"LOGIN_LIMIT_PER_IP": "3 per minute", "LOGIN_LIMIT_PER_ACCOUNT": "100 per minute"}
WRONG = {"email": "nobody@example.com", "password": "wrong password"}


@needs_redis
def test_a_limit_spent_through_one_instance_holds_in_another(make_app, redis_prefix):  # noqa: F811
    first = make_app(**LIMITS)
    with first.app_context():
        browser = first.test_client()
        for _ in range(3):
            assert browser.post("/auth/login", data=WRONG).status_code == 200
    # Another worker or host, started after the attempts: it has counted nothing itself.
    second = make_app(**LIMITS)
    with second.app_context():
        assert second.test_client().post("/auth/login", data=WRONG).status_code == 429
    assert list(Redis.from_url(REDIS_URL).scan_iter(f"{redis_prefix}:limits*"))


def test_with_redis_down_pages_login_and_limits_still_work(make_app, db):  # noqa: F811
    user = make_user("enterprise")
    db.session.commit()
    down = make_app(DOWN_URL, **LIMITS)
    with down.app_context():
        browser = down.test_client()
        health = browser.get("/healthz")
        assert health.status_code == 200
        assert health.get_json()["redis"] == "error" and health.get_json()["database"] == "ok"
        assert browser.get("/results").status_code == 200
        assert browser.get("/needs").status_code == 200
        response = browser.post("/auth/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302
        browser.post("/auth/logout")
        # The limits fall back to this process's memory: still enforced, never locking out.
        for _ in range(3):
            assert browser.post("/auth/login", data=WRONG).status_code == 200
        assert browser.post("/auth/login", data=WRONG).status_code == 429
        other = down.test_client()
        response = other.post(
            "/auth/login",
            data={"email": user.email, "password": PASSWORD},
            environ_base={"REMOTE_ADDR": "10.1.2.3"},
        )
        assert response.status_code == 302
