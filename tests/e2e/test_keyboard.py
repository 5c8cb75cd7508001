"""A keyboard-only journey (issue 19, WCAG 2.1.1 and 2.4.7): log in, search, open a result and
send an enquiry (对接) with key presses only, and at every Tab stop the focused element shows a
visible focus indicator (an outline or a focus ring).

The only pointer-free shortcut taken is the first `goto("/")`: the address bar.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from matchmaker.permissions import Role
from matchmaker.services.platform.taxonomy import active_fields, ensure_key_industries
from tests.e2e.journey import alert
from tests.e2e.support import sync_api
from tests.factories import PASSWORD, make_user, publish_result

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.e2e.conftest import LiveServer
    from tests.e2e.support import BrowserErrors

expect = sync_api().expect

RESULT_TITLE = "玉米秸秆纤维素乙醇连续发酵工艺"
RESULT_SUMMARY = (
    "以玉米秸秆为原料的纤维素乙醇连续发酵工艺，秸秆预处理能耗降低 30%，发酵周期缩短到 48 小时，"
    "已在 500 吨级中试线运行一年。"
)
ENQUIRY_TEXT = "我司有年处理 5 万吨玉米秸秆的产线，希望了解纤维素乙醇工艺的许可条件和改造投资。"
MAX_TABS = 80

# What the focused element is, and whether it shows a focus indicator: an outline of some
# width, or a box-shadow ring (Bootstrap's), on a box that is on screen.
FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  const r = el.getBoundingClientRect();
  const name = (el.getAttribute('aria-label') || el.labels?.[0]?.innerText || el.innerText
                || el.value || el.name || '').trim().replace(/\\s+/g, ' ').slice(0, 60);
  return {
    tag: el.tagName.toLowerCase(), type: el.type || '', name, id: el.id,
    outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
    ring: s.boxShadow !== 'none' && s.boxShadow !== '',
    onScreen: r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < innerHeight,
  };
}"""


class Keyboard:
    """Tab through a page, checking the focus indicator at every stop."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.stops = 0

    def focused(self) -> dict[str, Any]:
        info: dict[str, Any] | None = self.page.evaluate(FOCUS)
        assert info is not None, f"nothing has the focus on {self.page.url}"
        return info

    def check(self) -> dict[str, Any]:
        info = self.focused()
        # Bootstrap scrolls smoothly: let the focused element come in view; and on a loaded
        # machine the focus ring's style may be applied a frame after the focus moved.
        for _ in range(40):
            if info["onScreen"] and (info["outline"] or info["ring"]):
                break
            self.page.wait_for_timeout(50)
            info = self.focused()
        assert info["onScreen"], f"the focused element is off screen: {info} ({self.page.url})"
        assert info["outline"] or info["ring"], f"no visible focus indicator on {info}"
        self.stops += 1
        return info

    def tab_to(self, wanted: str | re.Pattern[str], *, field: str = "name") -> dict[str, Any]:
        """Press Tab until the focused element's name (or id) matches; check every stop."""
        for _ in range(MAX_TABS):
            self.page.keyboard.press("Tab")
            info = self.check()
            value = str(info[field])
            if (value == wanted) if isinstance(wanted, str) else wanted.search(value):
                return info
        raise AssertionError(f"{wanted!r} not reached in {MAX_TABS} Tab presses on {self.page.url}")


def test_log_in_search_open_and_enquire_with_the_keyboard_only(
    page: Page, live_server: LiveServer, browser_errors: BrowserErrors
) -> None:
    with live_server.app_context():
        from matchmaker.extensions import db

        ensure_key_industries()
        fields = {f.code: f for f in active_fields()}
        reviewer = make_user(Role.ADMIN, email="review@e2e-keys.example.com", name="审核员")
        uni = make_user(Role.UNIVERSITY, email="liu.yang@e2e-keys.example.edu.cn", name="刘洋")
        make_user(Role.ENTERPRISE, email="chen.jing@e2e-keys.example.com", name="陈静")
        db.session.flush()
        publish_result(uni, reviewer, fields, RESULT_TITLE, RESULT_SUMMARY, field="energy")
        db.session.commit()

    keys = Keyboard(page)
    press = page.keyboard.press
    page.goto("/")

    # The first Tab stop is the skip link, and it moves the focus to the main content.
    first = keys.tab_to(re.compile("."))
    assert first["name"] == "跳到主要内容", first
    press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    assert page.evaluate("document.activeElement.id") == "main"

    # 登录 from the navigation bar.
    page.goto("/")
    keys.tab_to("登录")
    press("Enter")
    expect(page.get_by_role("heading", name="登录", level=1)).to_be_visible()
    keys.tab_to("邮箱")
    page.keyboard.type("chen.jing@e2e-keys.example.com")
    keys.tab_to("密码")
    page.keyboard.type(PASSWORD)
    press("Enter")
    expect(page).to_have_url(re.compile(r"/dashboard$"))

    # 科技成果超市 from the navigation bar, then the search box.
    keys.tab_to("科技成果超市")
    press("Enter")
    expect(page).to_have_url(re.compile(r"/results"))
    keys.tab_to("q", field="id")
    page.keyboard.type("纤维素乙醇")
    press("Enter")
    expect(page).to_have_url(re.compile(r"q="))

    # Open the result.
    keys.tab_to(RESULT_TITLE)
    press("Enter")
    expect(page.get_by_role("heading", name=RESULT_TITLE, level=1)).to_be_visible()

    # 发起对接: choose 技术许可 with the arrow keys, write, ask for an NDA with Space, send.
    keys.tab_to("发起对接")
    press("Enter")
    expect(page.get_by_role("heading", name="发起对接", level=1)).to_be_visible()
    keys.tab_to(re.compile(r"^intent"), field="id")
    while not page.get_by_label("技术许可").is_checked():
        press("ArrowDown")
        keys.check()
    keys.tab_to("留言")
    page.keyboard.type(ENQUIRY_TEXT)
    keys.tab_to(re.compile("保密协议"))
    press("Space")
    expect(page.get_by_label(re.compile("保密协议"))).to_be_checked()
    keys.tab_to("发送对接请求")
    press("Enter")
    expect(alert(page, "对接请求已发送")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/connect/\d+$"))

    assert keys.stops > 10
    assert browser_errors == []
