"""Anonymous visitors' public pages are cacheable by a shared cache (a reverse proxy): no cookie,
`Cache-Control: public, max-age=…`, `Vary: Cookie`. Signed-in pages, pages with a form that needs
a CSRF token, flashed messages and anything setting a cookie stay private."""

from __future__ import annotations

import pytest

from matchmaker.extensions import db
from matchmaker.web.hooks import PUBLIC_MAX_AGE
from tests.conftest import log_in
from tests.factories import make_user, publish_need, publish_result

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"


@pytest.fixture
def listed(db, fields):
    admin = make_user("admin")
    result = publish_result(
        make_user("university"), admin, fields, "碳纤维连续碳化技术", "连续碳化工艺"
    )
    need = publish_need(
        make_user("enterprise"), admin, fields, "锂电池隔膜涂覆工艺", "需要提升隔膜涂覆一致性" * 3
    )
    db.session.commit()
    return {"result": result, "need": need, "admin": admin}


def public_urls(listed) -> list[str]:
    return [
        "/",
        "/results",
        "/results?q=碳纤维",
        "/needs",
        "/challenges",
        "/scenarios",
        "/conversion",
        "/experts",
        "/brokers",
        f"/results/{listed['result'].id}",
        f"/needs/{listed['need'].id}",
        "/events",
        "/open-data/",
    ]


def assert_public(response, url: str) -> None:
    assert response.status_code == 200, url
    assert "Set-Cookie" not in response.headers, (url, response.headers.get("Set-Cookie"))
    expected = f"public, max-age={PUBLIC_MAX_AGE}"
    if url.startswith("/open-data/"):  # the open-data page chooses its own (longer) lifetime
        expected = "max-age=300, public"
    assert response.headers["Cache-Control"] == expected, url
    assert "cookie" in response.headers.get("Vary", "").lower(), url
    assert 'name="csrf_token"' not in response.get_data(as_text=True), url


def test_anonymous_public_pages_are_cacheable(csrf_client, listed):
    # CSRF on, as in production: a form built with a token would start a session
    for url in public_urls(listed):
        assert_public(csrf_client.get(url, headers={"User-Agent": BROWSER}), url)
    # the visitor's browser holds no cookie at all afterwards
    assert not list(csrf_client._cookies.values())  # noqa: SLF001


def test_signed_in_pages_are_private(client, listed):
    user = make_user("enterprise")
    db.session.commit()
    log_in(client, user)
    for url in [*public_urls(listed), "/dashboard"]:
        response = client.get(url, headers={"User-Agent": BROWSER})
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "private, no-store", url


@pytest.mark.parametrize("url", ["/auth/login", "/auth/register"])
def test_pages_with_a_csrf_form_are_not_public(csrf_client, db, url):
    response = csrf_client.get(url)
    assert response.status_code == 200
    assert "public" not in response.headers["Cache-Control"]
    assert response.headers["Cache-Control"] == "private"


def test_a_page_with_a_flashed_message_is_not_public(client, db):
    client.get("/dashboard")  # the login redirect flashes "请先登录。"
    response = client.get("/auth/login")
    assert "public" not in response.headers["Cache-Control"]
    assert "Set-Cookie" in response.headers  # the message was taken out of the session


def test_errors_and_json_are_not_public(client, db):
    assert client.get("/results/999999").headers["Cache-Control"] == "private"
    assert "public" not in client.get("/healthz").headers.get("Cache-Control", "")


def test_a_visitor_switches_language_without_a_session(client, listed):
    page = client.get("/results").get_data(as_text=True)
    assert 'method="get" action="/language"' in page
    assert '<input type="hidden" name="next" value="/results">' in page
    response = client.get("/language?locale=en&next=/results")
    assert response.status_code == 302 and response.headers["Location"] == "/results"
    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 1 and cookies[0].startswith("mm_locale=en;")
    english = client.get("/results")
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert english.headers["Cache-Control"].startswith("public")  # Vary: Cookie keeps it apart
    assert "Set-Cookie" not in english.headers
    back = client.get("/language?locale=zh_Hans_CN&next=/")
    assert back.headers["Location"] == "/"
    assert '<html lang="zh-CN">' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("url", "location"),
    [
        ("/language?locale=fr&next=/results", "/results"),
        ("/language?locale=en&next=https://evil.example/", "/"),
        ("/language?locale=en&next=//evil.example", "/"),
        ("/language", "/"),
    ],
)
def test_the_language_link_refuses_bad_values(client, db, url, location):
    response = client.get(url)
    assert response.status_code == 302 and response.headers["Location"] == location
    html = client.get("/").get_data(as_text=True)
    assert ('<html lang="en">' in html) == ("locale=en" in url)


def test_a_visitor_switches_text_size_without_a_token(csrf_client, db):
    page = csrf_client.get("/results").get_data(as_text=True)
    assert "/account/text-size" in page and 'name="csrf_token"' not in page
    response = csrf_client.post("/account/text-size", data={"size": "large", "next": "/results"})
    assert response.status_code == 302
    assert 'class="text-large"' in csrf_client.get("/results").get_data(as_text=True)


@pytest.fixture
def csrf_client(app):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        yield app.test_client()
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
