"""The login's second step in the browser (issue 17): admin and bank accounts set up two-step
verification at their first login (the secret is read from the page, the code made with pyotp)
and enter a code at every later one.

Call `pass_second_step(page, email)` right after pressing 登录 on a login that should succeed:
for an account without a second factor it only waits for the login to leave the form.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pyotp

from tests.e2e.support import sync_api

#: (site, e-mail) -> (secret, last time step used): the same site's account across tests.
_SECRETS: dict[tuple[str, str], tuple[str, int]] = {}


def _site(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _next_code(key: tuple[str, str]) -> str:
    """A code the server has not seen: a step after the last one used, the current step or
    the next (waiting for the clock when more logins fall in one 30 s step). Never the step
    before now: the server accepts ±1 step, and a boundary passed between making the code and
    checking it would put that one two steps back and refuse it."""
    secret, last = _SECRETS[key]
    while True:
        now = int(time.time()) // 30
        step = max(now, last + 1)
        if step <= now + 1:
            break
        time.sleep(1)
    _SECRETS[key] = (secret, step)
    return pyotp.TOTP(secret).at(step * 30)


def pass_second_step(page, email: str) -> None:  # noqa: ANN001 - a Playwright Page
    """Complete the second step when the login went on to it (enrolment or code)."""
    expect = sync_api().expect
    page.wait_for_url(lambda url: urlsplit(url).path != "/auth/login")
    path = urlsplit(page.url).path
    key = (_site(page.url), email.lower())
    if path == "/auth/login/setup":
        secret = page.locator("#mfa-secret").input_value()
        _SECRETS[key] = (secret, int(time.time()) // 30 - 2)
        page.locator("#code").fill(_next_code(key))
        page.locator("main form button[type=submit]").click()
        expect(page.locator("#recovery-codes li")).to_have_count(10)
        page.locator("#mfa-continue").click()
    elif path == "/auth/login/code":
        assert key in _SECRETS, f"{email} has a second factor this run did not set up"
        page.locator("#code").fill(_next_code(key))
        page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: not urlsplit(url).path.startswith("/auth/login"))
