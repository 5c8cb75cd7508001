"""Accessibility on the server side (issue 19): the skip link, autocomplete, errors tied to their
fields, lang="zh-CN" on Chinese user content in English pages, 大字模式 and the keep-alive that
the session-timeout warning calls. The browser checks are in tests/e2e/test_accessibility.py."""

from __future__ import annotations

import re

from markupsafe import Markup

from matchmaker.extensions import db
from matchmaker.models import User
from matchmaker.services.platform.taxonomy import active_fields, ensure_key_industries
from matchmaker.web.accessibility import user_text
from tests.factories import make_user, publish_result

TITLE = "长白山人参组培快繁技术"


def _english(client) -> None:
    client.post("/language", data={"locale": "en", "next": "/"})


def _publish(app) -> None:
    ensure_key_industries()
    fields = {f.code: f for f in active_fields()}
    reviewer = make_user("admin", email="reviewer@a11y-web.example.com")
    owner = make_user("university", email="owner@a11y-web.example.com")
    db.session.flush()
    publish_result(owner, reviewer, fields, TITLE, "组培快繁技术，成苗率 95%，已在抚松县推广应用。")
    db.session.commit()


def test_every_page_starts_with_a_skip_link_to_main(client):
    html = client.get("/").get_data(as_text=True)
    body = html[html.index("<body") :]
    first_link = re.search(r"<a [^>]*>", body)
    assert first_link is not None
    assert 'href="#main"' in first_link.group(0)
    assert 'class="skip-link"' in first_link.group(0)
    assert re.search(r'<main [^>]*id="main"[^>]*tabindex="-1"', html)


def test_login_and_registration_fields_say_what_they_autocomplete(client):
    login = client.get("/auth/login").get_data(as_text=True)
    assert re.search(r'<input[^>]*autocomplete="email"[^>]*name="email"', login)
    assert re.search(r'<input[^>]*autocomplete="current-password"[^>]*name="password"', login)
    register = client.get("/auth/register").get_data(as_text=True)
    for name, token in [
        ("name", "name"),
        ("email", "email"),
        ("phone", "tel"),
        ("password", "new-password"),
        ("confirm", "new-password"),
        ("org_name", "organization"),
    ]:
        assert re.search(rf'<input[^>]*autocomplete="{token}"[^>]*name="{name}"', register), name


def test_form_errors_are_tied_to_their_fields(client):
    html = client.post("/auth/login", data={"email": "not an address", "password": ""}).get_data(
        as_text=True
    )
    for name in ("email", "password"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
        assert tag is not None, name
        assert 'aria-invalid="true"' in tag.group(0), name
        described = re.search(r'aria-describedby="([^"]+)"', tag.group(0))
        assert described is not None, name
        for ref in described.group(1).split():
            assert re.search(rf'id="{ref}"[^>]*class="invalid-feedback', html), ref


def test_a_valid_field_is_not_marked_invalid(client):
    html = client.get("/auth/login").get_data(as_text=True)
    assert "aria-invalid" not in html


def test_user_text_marks_chinese_only_on_english_pages(app):
    with app.test_request_context("/"):
        assert user_text("碳纤维") == Markup("碳纤维")
    with app.test_request_context("/"):
        from flask import session
        from flask_babel import refresh

        session["locale"] = "en"
        refresh()
        assert user_text("碳纤维 <b>") == Markup('<span lang="zh-CN">碳纤维 &lt;b&gt;</span>')
        assert user_text("Carbon fibre") == Markup("Carbon fibre")
        assert user_text(Markup("<mark>碳</mark>")) == Markup(
            '<span lang="zh-CN"><mark>碳</mark></span>'
        )
        assert user_text(None) == Markup("")


def test_listing_titles_on_english_pages_carry_lang_zh(app, client):
    _publish(app)
    zh = client.get("/results").get_data(as_text=True)
    assert TITLE in zh and f'<span lang="zh-CN">{TITLE}</span>' not in zh
    _english(client)
    en = client.get("/results").get_data(as_text=True)
    assert '<html lang="en"' in en
    assert f'<span lang="zh-CN">{TITLE}</span>' in en


def test_large_text_is_remembered_in_a_cookie_for_visitors(client):
    html = client.get("/").get_data(as_text=True)
    assert 'class="text-large"' not in html
    assert 'aria-pressed="false"' in html
    response = client.post("/account/text-size", data={"size": "large", "next": "/results"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/results")
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN" class="text-large">' in html
    assert 'aria-pressed="true"' in html
    client.post("/account/text-size", data={"size": "normal", "next": "/"})
    assert 'class="text-large"' not in client.get("/").get_data(as_text=True)


def test_large_text_is_remembered_on_the_account(client, login_as):
    user = login_as("enterprise")
    client.post("/account/text-size", data={"size": "large", "next": "/dashboard"})
    assert db.session.get(User, user.id).large_text is True
    client.delete_cookie("mm_text_size")
    assert 'class="text-large"' in client.get("/dashboard").get_data(as_text=True)


def test_text_size_switch_refuses_an_outside_next(client):
    response = client.post(
        "/account/text-size", data={"size": "large", "next": "https://evil.example.com/"}
    )
    assert response.headers["Location"] in ("/", "http://localhost/")


def test_signed_in_pages_carry_the_session_timeout_and_keep_alive(app, client, login_as):
    anonymous = client.get("/").get_data(as_text=True)
    assert "data-session-idle" not in anonymous and "session.js" not in anonymous
    login_as("bank")
    html = client.get("/dashboard").get_data(as_text=True)
    idle = app.config["SESSION_IDLE_TIMEOUT"]
    assert f'data-session-idle="{idle}"' in html
    assert 'data-session-warn="120"' in html
    assert 'data-keep-alive-url="/account/keep-alive"' in html
    assert 'id="session-warning"' in html and "js/session.js" in html
    assert client.post("/account/keep-alive").status_code == 204


def test_keep_alive_needs_a_session(client):
    response = client.post("/account/keep-alive")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
