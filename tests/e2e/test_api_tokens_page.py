"""The API token page on a phone (issue 15): the area choice is a labelled fieldset of
checkboxes, nothing overflows 390 px, and an area-scoped token is made (axe-core scans the page
at 1280 and 390 px through the autouse fixture)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import ApiToken, User
from matchmaker.permissions import Role
from tests.e2e.second_factor import pass_second_step
from tests.e2e.support import sync_api
from tests.factories import PASSWORD, make_user

if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import AbstractContextManager

    from playwright.sync_api import Page

expect = sync_api().expect
EMAIL = "tokens.bank@e2e-tokens.example.com"
HORIZONTAL_OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


def test_an_area_token_on_a_phone(
    phone_page: Page, in_live_app: Callable[[], AbstractContextManager[None]]
) -> None:
    with in_live_app():
        make_user(Role.BANK, email=EMAIL, name="科创银行令牌")
        db.session.commit()
    page = phone_page
    page.goto("/auth/login")
    form = page.locator("main form")
    form.get_by_label("邮箱").fill(EMAIL)
    form.get_by_label("密码").fill(PASSWORD)
    form.get_by_role("button", name="登录").click()
    pass_second_step(page, EMAIL)
    page.goto("/account/tokens")
    page.get_by_label("令牌名称").fill("授信系统")
    page.get_by_label("只限下面选定的领域").check()
    areas = page.get_by_role("group", name="选定的领域")
    areas.get_by_label("科技金融").check()
    areas.get_by_label("对接").check()
    assert page.evaluate(HORIZONTAL_OVERFLOW) <= 0
    page.get_by_role("button", name="创建令牌").click()
    expect(page.get_by_text("令牌已创建")).to_be_visible()
    expect(page.locator("#token-list")).to_contain_text("只读：对接、科技金融")
    assert page.evaluate(HORIZONTAL_OVERFLOW) <= 0
    with in_live_app():
        user = db.session.scalar(sa.select(User).where(User.email == EMAIL))
        token = db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id)).one()
        assert token.scopes == ["read:connect", "read:finance"]
