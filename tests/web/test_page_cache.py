"""Anonymous visitors' public pages kept in Redis (web/page_cache.py): the next visitor's page
comes from the shared cache without the view's SQL, on any instance; a change of a public
listing drops every kept page after its commit; members, other languages and a Redis that is down
never get someone else's page; and the 对接 funnel still counts every visitor of a kept page."""

from __future__ import annotations

import sqlalchemy as sa

from matchmaker.extensions import db as _db
from matchmaker.models import User
from matchmaker.models.enquiry import FunnelEvent, FunnelStep
from matchmaker.services.market import listings
from matchmaker.web.page_cache import HEADER
from tests.conftest import log_in
from tests.factories import make_user
from tests.services.test_listings import listed
from tests.services.test_redis_apps import (  # noqa: F401 - the shared fixtures
    DOWN_URL,
    count_statements,
    make_app,
    needs_redis,
    redis_prefix,
)
from tests.web.test_market import text_of

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0"}
OTHER_BROWSER = {"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Safari/604.1"}


def _funnel(step: FunnelStep, listing_id: int) -> int:
    return _db.session.scalar(
        sa.select(sa.func.count())
        .select_from(FunnelEvent)
        .where(FunnelEvent.step == step, FunnelEvent.listing_id == listing_id)
    )


@needs_redis
def test_a_visitors_search_page_is_kept_and_served_to_the_next_without_sql(make_app, fields):  # noqa: F811
    web, other = make_app(), make_app()  # two workers (or hosts) sharing one Redis
    with web.app_context():
        admin, owner = make_user("admin"), make_user("university")
        listed("result", fields, owner, admin, title="长春碳纤维原丝")
        _db.session.commit()
        first = web.test_client().get("/results?q=碳纤维", headers=BROWSER)
        assert first.status_code == 200 and first.headers[HEADER] == "miss"
        assert "长春碳纤维原丝" in text_of(first)
    with other.app_context():
        statements = count_statements(other)
        again = other.test_client().get("/results?q=碳纤维", headers=OTHER_BROWSER)
        assert again.status_code == 200 and again.headers[HEADER] == "hit"
        assert again.get_data(as_text=True) == first.get_data(as_text=True)
        assert statements.touching("publications") == []  # no search ran
        assert again.headers["Cache-Control"].startswith("public")
        # Another query is another page.
        assert other.test_client().get("/results?q=原丝").headers[HEADER] == "miss"


@needs_redis
def test_a_published_or_withdrawn_listing_drops_the_kept_pages(make_app, fields):  # noqa: F811
    web = make_app()
    with web.app_context():
        admin, owner = make_user("admin"), make_user("university")
        listed("result", fields, owner, admin, title="长春碳纤维原丝")
        _db.session.commit()
        browser = web.test_client()
        assert browser.get("/results?q=碳纤维").headers[HEADER] == "miss"
        assert browser.get("/results?q=碳纤维").headers[HEADER] == "hit"
        second = listed("result", fields, owner, admin, title="碳纤维增强换热器")
        _db.session.commit()
        page = browser.get("/results?q=碳纤维")
        assert page.headers[HEADER] == "miss"
        assert "碳纤维增强换热器" in text_of(page)
        listings.withdraw_listing(actor=_db.session.get(User, owner.id), listing=second)
        _db.session.commit()
        page = browser.get("/results?q=碳纤维")
        assert page.headers[HEADER] == "miss"
        assert "碳纤维增强换热器" not in text_of(page)


@needs_redis
def test_every_visitor_of_a_kept_listing_page_is_counted_in_the_funnel(make_app, fields):  # noqa: F811
    web = make_app()
    with web.app_context():
        admin, owner = make_user("admin"), make_user("university")
        result = listed("result", fields, owner, admin, title="长春碳纤维原丝")
        _db.session.commit()
        first = web.test_client().get(f"/results/{result.id}", headers=BROWSER)
        assert first.status_code == 200 and first.headers[HEADER] == "miss"
        kept = web.test_client().get(f"/results/{result.id}", headers=OTHER_BROWSER)
        assert kept.headers[HEADER] == "hit"
        # Two visitors (address + browser), two views; the same visitor again counts once a day.
        assert _funnel(FunnelStep.VIEW, result.id) == 2
        web.test_client().get(f"/results/{result.id}", headers=OTHER_BROWSER)
        assert _funnel(FunnelStep.VIEW, result.id) == 2


@needs_redis
def test_a_crawler_first_does_not_keep_a_page_that_would_count_nobody(make_app, fields):  # noqa: F811
    web = make_app()
    with web.app_context():
        admin, owner = make_user("admin"), make_user("university")
        result = listed("result", fields, owner, admin, title="长春碳纤维原丝")
        _db.session.commit()
        bot = {"User-Agent": "Googlebot/2.1 (+http://www.google.com/bot.html)"}
        assert web.test_client().get(f"/results/{result.id}", headers=bot).status_code == 200
        assert _funnel(FunnelStep.VIEW, result.id) == 0  # a bot is not counted
        person = web.test_client().get(f"/results/{result.id}", headers=BROWSER)
        assert person.headers[HEADER] == "hit"
        assert _funnel(FunnelStep.VIEW, result.id) == 1  # but the person served its page is


@needs_redis
def test_members_and_other_languages_never_get_a_kept_page(make_app, fields):  # noqa: F811
    web = make_app()
    with web.app_context():
        admin, owner = make_user("admin"), make_user("university")
        listed("result", fields, owner, admin, title="长春碳纤维原丝")
        _db.session.commit()
        assert web.test_client().get("/results").headers[HEADER] == "miss"
        english = web.test_client()
        english.set_cookie("mm_locale", "en")
        page = english.get("/results")
        assert page.headers[HEADER] == "miss"  # its own entry, in English
        assert "Results" in page.get_data(as_text=True)
        member = web.test_client()
        log_in(member, owner)
        page = member.get("/results")
        assert HEADER not in page.headers
        assert page.headers["Cache-Control"] == "private, no-store"


@needs_redis
def test_with_redis_down_every_page_is_rendered(make_app, fields):  # noqa: F811
    web = make_app(url=DOWN_URL)
    with web.app_context():
        admin, owner = make_user("admin"), make_user("university")
        listed("result", fields, owner, admin, title="长春碳纤维原丝")
        _db.session.commit()
        for _ in range(2):
            page = web.test_client().get("/results?q=碳纤维")
            assert page.status_code == 200 and HEADER not in page.headers
            assert "长春碳纤维原丝" in text_of(page)


def test_without_redis_nothing_is_kept(client, db, fields):
    admin, owner = make_user("admin"), make_user("university")
    listed("result", fields, owner, admin, title="长春碳纤维原丝")
    _db.session.commit()
    for _ in range(2):
        page = client.get("/results?q=碳纤维")
        assert page.status_code == 200 and HEADER not in page.headers
