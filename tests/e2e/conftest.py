"""Browser test harness: a live server on its own database, driven by headless Chromium.

The live server's database is a SQLite file, or, when MATCHMAKER_TEST_DATABASE_URL names
PostgreSQL, a fresh PostgreSQL database `<test database>_e2e_<server name>` created for the
server and dropped after it.

Every test in this folder is marked `e2e`. Without Chromium (or Playwright) the tests skip with
the reason; with CI=true they fail instead, because a skipped journey proves nothing.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
from flask import Flask, Response, got_request_exception, request, request_finished
from werkzeug.serving import WSGIRequestHandler, make_server

from matchmaker import create_app
from matchmaker.config import TestConfig
from matchmaker.extensions import db
from matchmaker.services.accounts.users import create_admin
from tests.e2e.support import (
    BrowserErrors,
    Credentials,
    axe_source,
    axe_summary,
    axe_violations,
    unavailable,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, Route

E2E_DIR = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Generous: a loaded 2-core CI machine can take seconds per page; waits end as soon as they can.
TIMEOUT_MS = 20_000
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
_PHONE_OPTIONS: dict[str, Any] = {
    "viewport": PHONE,
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}

ADMIN_EMAIL = "admin@e2e.example.com"
ADMIN_PASSWORD = "songhua river ice lantern 1957"
ADMIN_NAME = "平台管理员"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder `e2e` (before `-m` deselects anything)."""
    for item in items:
        if item.path.is_relative_to(E2E_DIR):
            item.add_marker(pytest.mark.e2e)


# --- the live server ----------------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    """No access log lines for every page and asset the browser loads; errors are still logged."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@dataclass(frozen=True)
class PageView:
    """One HTML page the live server sent: what axe-core scans after the test (issue 19)."""

    key: tuple[str, ...]  # endpoint, method, status, role, locale: one scan per key and session
    url: str
    html: bytes
    headers: tuple[tuple[str, str], ...]


@dataclass
class LiveServer:
    """The running application: its base URL, the app object, its server errors (5xx) and the
    HTML pages it sent during the current test."""

    url: str
    app: Flask
    errors: list[str]
    pages: list[PageView] = field(default_factory=list)

    @contextmanager
    def app_context(self) -> Iterator[None]:
        """Work on the live server's database from the test (a fresh session, removed after)."""
        with self.app.app_context():
            try:
                yield
            finally:
                db.session.remove()


def _postgresql_admin(url: sa.URL) -> sa.Engine:
    """A connection to the cluster's maintenance database, for CREATE and DROP DATABASE."""
    return sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")


def _create_postgresql_database(name: str) -> str | None:
    """A fresh, empty PostgreSQL database for the live server `name` when the suite runs on
    PostgreSQL (its URL), else None. Named after the suite's database, so parallel runs on
    other databases of the same cluster do not collide; any leftover of a killed run is
    dropped first."""
    test_url = os.environ.get("MATCHMAKER_TEST_DATABASE_URL", "")
    if not test_url.startswith("postgresql"):
        return None
    url = sa.make_url(test_url)
    database = f"{url.database}_e2e_{name}"
    admin = _postgresql_admin(url)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
    finally:
        admin.dispose()
    return url.set(database=database).render_as_string(hide_password=False)


def _drop_postgresql_database(database_url: str) -> None:
    url = sa.make_url(database_url)
    admin = _postgresql_admin(url)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


def serve(tmp: Path, name: str, prepare: Callable[[], None] | None = None) -> Iterator[LiveServer]:
    """The app served on 127.0.0.1 (a free port) from a thread, CSRF on, on its own database: a
    SQLite file in `tmp`, or a fresh PostgreSQL database when the suite runs on PostgreSQL
    (dropped when the server stops); `prepare` fills it first (in an app context). Server
    errors and the HTML pages served are recorded on the LiveServer."""
    postgresql_url = _create_postgresql_database(name)
    try:
        yield from _serve(tmp, name, postgresql_url, prepare)
    finally:
        if postgresql_url is not None:
            _drop_postgresql_database(postgresql_url)


def _serve(
    tmp: Path, name: str, database_url: str | None, prepare: Callable[[], None] | None
) -> Iterator[LiveServer]:
    app = create_app(
        TestConfig,
        instance_path=str(tmp),
        SQLALCHEMY_DATABASE_URI=database_url or f"sqlite:///{tmp / f'{name}.sqlite3'}",
        WTF_CSRF_ENABLED=True,
    )
    with app.app_context():
        db.create_all()
        if prepare is not None:
            prepare()
            db.session.commit()
        db.session.remove()

    errors: list[str] = []
    pages: list[PageView] = []

    def record_exception(sender: Flask, exception: BaseException, **_: object) -> None:
        errors.append(f"{request.method} {request.full_path}: {exception!r}")

    def record_server_error(sender: Flask, response: Response, **_: object) -> None:
        # The app's own handler turns exceptions into a 500 page, so watch the responses too.
        if response.status_code >= 500:
            errors.append(f"{request.method} {request.full_path} -> {response.status}")
        elif response.mimetype == "text/html" and not response.is_streamed:
            pages.append(_page_view(response))

    got_request_exception.connect(record_exception, app, weak=False)
    request_finished.connect(record_server_error, app, weak=False)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_URL"] = url  # the links its mails carry (services/platform/links.py)
    thread = threading.Thread(target=server.serve_forever, name=f"e2e-{name}", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=url, app=app, errors=errors, pages=pages)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        got_request_exception.disconnect(record_exception, app)
        request_finished.disconnect(record_server_error, app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app served on 127.0.0.1 (a free port) from a thread, CSRF on, on its own database."""
    yield from serve(tmp_path_factory.mktemp("e2e"), "e2e")


def _page_view(response: Response) -> PageView:
    from flask_babel import get_locale
    from flask_login import current_user

    role = str(current_user.role) if current_user.is_authenticated else "visitor"
    status = str(response.status_code)
    key = (str(request.endpoint), request.method, status, role, str(get_locale()))
    headers = tuple(
        (name, value)
        for name, value in response.headers.items()
        if name.lower() in {"content-type", "content-security-policy"}
    )
    return PageView(key=key, url=request.url, html=response.get_data(), headers=headers)


@pytest.fixture(autouse=True)
def _no_server_errors(live_server: LiveServer) -> Iterator[None]:
    """A test fails when the live server answered any of its requests with a server error."""
    live_server.errors.clear()
    live_server.pages.clear()
    yield
    assert not live_server.errors, f"the live server failed: {live_server.errors}"


_SCANNED: set[tuple[str, ...]] = set()


@pytest.fixture(autouse=True)
def _axe_every_page(request: pytest.FixtureRequest, live_server: LiveServer) -> Iterator[None]:
    """After each browser test, axe-core scans every kind of page the test was sent (WCAG 2.1 A
    and AA) at 1280 px and at 390 px, and the test fails on any violation (issue 19).

    The server records each HTML response; the scan replays it in a fresh page at each width
    (its CSS, scripts and images load from the live server), so the journey's timing does not
    matter. Each endpoint × method × status × role × language is scanned once per session.
    """
    yield
    views = []
    for view in live_server.pages:
        if view.key not in _SCANNED:
            _SCANNED.add(view.key)
            views.append(view)
    live_server.pages.clear()
    if not views or "browser" not in request.fixturenames:
        return
    browser: Browser = request.getfixturevalue("browser")
    source = axe_source()
    reports = []
    for width, options in (("1280 px", {"viewport": DESKTOP}), ("390 px", _PHONE_OPTIONS)):
        context = browser.new_context(base_url=live_server.url, **options)
        context.add_init_script(source)
        try:
            page = context.new_page()
            for view in views:
                reports.extend(_scan_view(page, view, width))
        finally:
            context.close()
    assert not reports, "axe-core found WCAG 2.1 A/AA violations:\n" + "\n".join(reports)


def _scan_view(page: Page, view: PageView, width: str) -> list[str]:
    def replay(route: Route) -> None:
        route.fulfill(status=200, headers=dict(view.headers), body=view.html)

    def same(url: str) -> bool:
        return url == view.url

    page.route(same, replay)
    try:
        page.goto(view.url)
        violations = axe_violations(page)
    finally:
        page.unroute(same, replay)
    path = view.url.split("/", 3)[-1]
    where = f"/{path} [{' '.join(view.key)}, {width}]"
    return [axe_summary(where, violations)] if violations else []


@pytest.fixture(scope="session")
def admin(live_server: LiveServer) -> Credentials:
    """A platform administrator on the live server (there are no default accounts)."""
    with live_server.app_context():
        create_admin(email=ADMIN_EMAIL, password=ADMIN_PASSWORD, name=ADMIN_NAME)
        db.session.commit()
    return Credentials(ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_NAME)


# --- the browser --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium from Debian's `chromium` package, driven by Playwright's sync API."""
    if not CHROMIUM.exists():
        unavailable(
            f"browser tests need Chromium at {CHROMIUM} "
            "(apt-get install chromium fonts-wqy-microhei)"
        )
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import expect, sync_playwright
    except ImportError as error:
        unavailable(f"browser tests need Playwright's Python package ({error})")
    expect.set_options(timeout=TIMEOUT_MS)  # assertions wait as long as actions
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
        except PlaywrightError as error:
            unavailable(f"Chromium at {CHROMIUM} did not start: {error.message.splitlines()[0]}")
        yield chromium
        chromium.close()


@pytest.fixture
def browser_errors() -> BrowserErrors:
    return BrowserErrors()


def _open_page(
    browser: Browser, live_server: LiveServer, errors: BrowserErrors, **options: Any
) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **options)
    context.set_default_timeout(TIMEOUT_MS)
    # CSP violations also reach the console, but the event names the directive explicitly.
    context.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    page = context.new_page()

    def on_console(message: ConsoleMessage) -> None:
        url = message.location.get("url", "")
        # The app has no favicon yet; Chromium's automatic /favicon.ico request is not a page error.
        if message.type == "error" and not url.endswith("/favicon.ico"):
            errors.append(f"console: {message.text} ({url})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def page(
    browser: Browser, live_server: LiveServer, browser_errors: BrowserErrors
) -> Iterator[Page]:
    """A desktop page in a fresh context (no cookies), Chinese browser locale."""
    yield from _open_page(browser, live_server, browser_errors, viewport=DESKTOP)


@pytest.fixture
def phone_page(
    browser: Browser, live_server: LiveServer, browser_errors: BrowserErrors
) -> Iterator[Page]:
    """A phone-sized touch page in a fresh context."""
    yield from _open_page(
        browser,
        live_server,
        browser_errors,
        viewport=PHONE,
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
    )


@pytest.fixture
def in_live_app(live_server: LiveServer) -> Callable[[], AbstractContextManager[None]]:
    """`with in_live_app(): ...` queries the live server's database."""
    return live_server.app_context
