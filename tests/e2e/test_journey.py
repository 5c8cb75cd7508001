"""The foundation journey in a real browser: register an enterprise, an admin verifies it, the
user sees the verified dashboard in Chinese and then in English."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

import matchmaker
from matchmaker.extensions import db
from matchmaker.models import Organisation, User
from matchmaker.services.accounts.credit_code import make_credit_code
from matchmaker.services.accounts.email_verification import make_verification_token
from tests.e2e.second_factor import pass_second_step
from tests.e2e.support import sync_api
from tests.factories import PDF_BYTES

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

    from tests.e2e.support import BrowserErrors, Credentials

expect = sync_api().expect

ENGLISH_CATALOG = (
    Path(matchmaker.__file__).parent / "translations" / "en" / "LC_MESSAGES" / "messages.mo"
)
PASSWORD = "north wind over changbai 2024"


def navbar(page: Page) -> Locator:
    """The top navigation bar (its accessible name changes with the language), once the
    page's scripts have run (see `journey.navbar`)."""
    page.wait_for_load_state("load")
    return page.locator("nav.navbar")


def register(page: Page, *, org_name: str, credit_code: str, name: str, email: str) -> None:
    """Fill the registration form for an enterprise in Changchun and submit it."""
    form = page.locator("main form")
    form.get_by_label("机构类型").select_option("enterprise")
    form.get_by_label("所在地区").select_option("changchun")
    form.get_by_label("机构名称").fill(org_name)
    form.get_by_label("统一社会信用代码").fill(credit_code)
    form.get_by_label("营业执照或事业单位法人证书扫描件").set_input_files(
        {"name": "营业执照.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}
    )
    form.get_by_label("姓名").fill(name)
    form.get_by_label("邮箱").fill(email)
    form.get_by_label("密码", exact=True).fill(PASSWORD)
    form.get_by_label("再次输入密码").fill(PASSWORD)
    form.get_by_role("button", name="注册").click()


def log_in(page: Page, email: str, password: str) -> None:
    navbar(page).get_by_role("link", name="登录").click()
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    form = page.locator("main form")
    form.get_by_label("邮箱").fill(email)
    form.get_by_label("密码").fill(password)
    form.get_by_role("button", name="登录").click()
    pass_second_step(page, email)
    expect(page).to_have_url(re.compile(r"/dashboard$"))


def log_out(page: Page, name: str) -> None:
    """Open the user's menu in the navbar and press 退出登录."""
    navbar(page).get_by_role("button", name=name).click()
    navbar(page).get_by_role("button", name="退出登录").click()
    expect(page.get_by_role("alert").filter(has_text="你已退出登录")).to_be_visible()
    expect(navbar(page).get_by_role("link", name="登录")).to_be_visible()


def test_enterprise_registers_is_verified_and_sees_dashboard_in_both_languages(
    page: Page,
    admin: Credentials,
    browser_errors: BrowserErrors,
    in_live_app: Callable[[], AbstractContextManager[None]],
) -> None:
    org_name = "长春光电测控技术有限公司"
    person = "李晓明"
    email = "li.xiaoming@cc-optics.example.com"

    # A visitor finds the platform in Chinese and registers an enterprise.
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page).to_have_title(re.compile("吉林科技成果对接平台"))
    expect(navbar(page).get_by_role("link", name="吉林科技成果对接平台")).to_be_visible()
    navbar(page).get_by_role("link", name="注册", exact=True).click()
    expect(page.get_by_role("heading", name="机构注册")).to_be_visible()
    register(
        page,
        org_name=org_name,
        credit_code=make_credit_code("91220101MA0Y3K7R2"),
        name=person,
        email=email,
    )

    # The same answer as for an address that already has an account: read the mail.
    expect(page).to_have_url(re.compile(r"/auth/register/sent$"))
    expect(page.get_by_role("heading", name="请查收邮件完成注册")).to_be_visible()
    expect(page.locator("main")).to_contain_text(email)

    # The link from the verification mail confirms the address, then the user logs in.
    with in_live_app():
        user = db.session.scalar(sa.select(User).filter_by(email=email))
        token = make_verification_token(user)
    page.goto(f"/auth/verify-email/{token}")
    expect(page.get_by_role("alert").filter(has_text="已验证")).to_be_visible()
    log_in(page, email, PASSWORD)
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    status = page.get_by_role("status")
    expect(status).to_contain_text("等待平台认证")
    expect(page.get_by_text(org_name)).to_be_visible()
    expect(page.get_by_role("button", name="重新发送验证邮件")).to_have_count(0)
    log_out(page, person)

    # The admin verifies the organisation.
    log_in(page, admin.email, admin.password)
    navbar(page).get_by_role("button", name="管理", exact=True).click()  # grouped
    navbar(page).get_by_role("link", name="机构认证").click()
    row = page.get_by_role("row").filter(has_text=org_name)
    expect(row).to_contain_text("待认证")
    row.get_by_role("link", name=org_name).click()
    expect(page.get_by_role("heading", name=org_name)).to_be_visible()
    page.get_by_role("button", name="通过认证").click()
    expect(page.get_by_role("alert").filter(has_text=f"已认证 {org_name}")).to_be_visible()
    expect(page.locator("main .badge")).to_have_text("已认证")
    expect(page.get_by_role("button", name="通过认证")).to_have_count(0)
    log_out(page, admin.name)

    # The user logs in again and sees the verified dashboard in Chinese ...
    log_in(page, email, PASSWORD)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(status).to_contain_text("已通过平台认证")

    # ... then switches to English with the navbar's language buttons and stays on the dashboard.
    navbar(page).get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    # The longer English bar is collapsed at 1280 px (issue 13): the button is in the closed menu.
    expect(
        navbar(page).get_by_role("button", name="English", include_hidden=True)
    ).to_have_attribute("aria-current", "true")
    if ENGLISH_CATALOG.exists():
        expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
        expect(status).not_to_contain_text("已通过平台认证")

    assert browser_errors == []


def test_registration_with_a_wrong_credit_code_shows_the_error_and_creates_nothing(
    page: Page,
    in_live_app: Callable[[], AbstractContextManager[None]],
    browser_errors: BrowserErrors,
) -> None:
    valid = make_credit_code("91220101MA0Y3K8Q3")
    wrong = valid[:-1] + ("0" if valid[-1] != "0" else "1")  # the check character is off
    email = "wang.fang@bad-code.example.com"
    org_name = "吉林省错码测试科技有限公司"

    page.goto("/auth/register")
    # CSRF protection is on for the live server: the browser submits the real token.
    expect(page.locator("main form input[name='csrf_token']")).to_have_value(re.compile(r".{20,}"))
    register(page, org_name=org_name, credit_code=wrong, name="王芳", email=email)

    expect(page).to_have_url(re.compile(r"/auth/register$"))
    code_input = page.get_by_label("统一社会信用代码")
    expect(code_input).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(code_input).to_have_value(wrong)
    # The message sits in the same field group as the input, right under it.
    group = page.locator("div.mb-3").filter(has=code_input)
    expect(group.locator(".invalid-feedback")).to_contain_text("统一社会信用代码无效")
    expect(page.get_by_label("机构名称")).to_have_value(org_name)
    expect(page.get_by_label("密码", exact=True)).to_have_value("")
    expect(navbar(page).get_by_role("link", name="登录")).to_be_visible()

    with in_live_app():
        user = db.session.scalar(sa.select(User.id).filter_by(email=email))
        organisation = db.session.scalar(sa.select(Organisation.id).filter_by(name=org_name))
    assert (user, organisation) == (None, None)

    assert browser_errors == []
