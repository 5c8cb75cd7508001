"""The public lists' facet counts through the Redis cache: the second request for the same
filter counts nothing in the database, and a listing published or withdrawn changes the counts
on the next request (the commit invalidates them, matching.record_change)."""

from __future__ import annotations

import sqlalchemy as sa

from matchmaker.extensions import db as _db
from matchmaker.models import Publication, Result, User
from matchmaker.services.market import listings
from tests.factories import make_user
from tests.services.test_listings import listed
from tests.services.test_redis_apps import (  # noqa: F401 - the shared fixtures
    DOWN_URL,
    count_statements,
    make_app,
    needs_redis,
    redis_prefix,
)
from tests.web.test_market import facet_badges, text_of

GROUPED_COUNT = "GROUP BY"


@needs_redis
def test_facet_counts_are_cached_until_a_publication_changes(make_app, fields):  # noqa: F811
    web, other = make_app(), make_app()  # two instances: the counts and their invalidation shared
    with web.app_context():
        admin, owner = make_user("admin"), make_user("university")
        listed("result", fields, owner, admin, title="长春碳纤维原丝", region="changchun")
        _db.session.commit()
        browser = web.test_client()
        statements = count_statements(web)
        assert facet_badges(text_of(browser.get("/results")))["长春市"] == 1
        assert statements.touching(GROUPED_COUNT)  # a miss: counted
        statements.seen.clear()
        assert facet_badges(text_of(browser.get("/results")))["长春市"] == 1
        assert statements.touching(GROUPED_COUNT) == []  # a hit: nothing counted
        # Another filter is another entry.
        browser.get("/results?region=jilin")
        assert statements.touching(GROUPED_COUNT)
    with other.app_context():
        admin, owner = make_user("admin"), make_user("university")
        second = listed("result", fields, owner, admin, title="长春换热器", region="changchun")
        _db.session.commit()
        second_id, owner_id = second.id, owner.id
        # The other instance answers from the shared entry… now invalidated by the publication.
        assert facet_badges(text_of(other.test_client().get("/results")))["长春市"] == 2
    with web.app_context():
        assert facet_badges(text_of(browser.get("/results")))["长春市"] == 2
        listings.withdraw_listing(
            actor=_db.session.get(User, owner_id), listing=_db.session.get(Result, second_id)
        )
        _db.session.commit()
        assert facet_badges(text_of(browser.get("/results")))["长春市"] == 1
        assert _db.session.scalar(sa.select(sa.func.count()).select_from(Publication)) == 1


def test_with_redis_down_the_counts_come_from_the_database(make_app, fields):  # noqa: F811
    down = make_app(DOWN_URL)
    with down.app_context():
        admin, owner = make_user("admin"), make_user("university")
        listed("result", fields, owner, admin, title="长春碳纤维原丝", region="changchun")
        _db.session.commit()
        browser = down.test_client()
        assert facet_badges(text_of(browser.get("/results")))["长春市"] == 1
        listed("result", fields, owner, admin, title="长春换热器", region="changchun")
        _db.session.commit()
        assert facet_badges(text_of(browser.get("/results")))["长春市"] == 2


@needs_redis
def test_a_search_order_is_kept_until_a_publication_changes(make_app, fields):  # noqa: F811
    """The matching ids of a search are read once (one LIKE scan) and kept with the facet
    counts: the next page view of the same search reads a page of rows by primary key only; a
    publication invalidates the order with the counts. (Visitors' whole pages are kept too,
    web/page_cache.py: off here, so that the order's own cache is what answers.)"""
    web, other = make_app(PAGE_CACHE_SECONDS=0), make_app(PAGE_CACHE_SECONDS=0)
    with web.app_context():
        admin, owner = make_user("admin"), make_user("university")
        listed("result", fields, owner, admin, title="碳纤维原丝甲")
        listed("result", fields, owner, admin, title="碳纤维原丝乙")
        _db.session.commit()
        browser = web.test_client()
        statements = count_statements(web)
        first = text_of(browser.get("/results?q=碳纤维"))
        assert "碳纤维原丝甲" in first and "碳纤维原丝乙" in first
        assert statements.touching("LIKE")  # a miss: the text searched
        statements.seen.clear()
        again = text_of(browser.get("/results?q=碳纤维"))
        assert "碳纤维原丝甲" in again and "碳纤维原丝乙" in again
        assert statements.touching("LIKE") == []  # a hit: no text searched, rows read by id
    with other.app_context():
        admin, owner = make_user("admin"), make_user("university")
        listed("result", fields, owner, admin, title="碳纤维原丝丙")
        _db.session.commit()
    with web.app_context():
        # The other instance's publication invalidated the kept order: the new one is found.
        assert "碳纤维原丝丙" in text_of(browser.get("/results?q=碳纤维"))


@needs_redis
def test_the_home_page_counts_are_kept_until_a_publication_changes(make_app, fields):  # noqa: F811
    web = make_app(PAGE_CACHE_SECONDS=0)
    with web.app_context():
        admin, owner = make_user("admin"), make_user("university")
        listed("result", fields, owner, admin, title="碳纤维原丝甲")
        _db.session.commit()
        browser = web.test_client()
        statements = count_statements(web)
        browser.get("/")
        assert statements.touching("GROUP BY publications.kind")  # a miss: counted
        statements.seen.clear()
        browser.get("/")
        assert statements.touching("GROUP BY publications.kind") == []  # a hit
        listed("result", fields, owner, admin, title="碳纤维原丝乙")
        _db.session.commit()
        statements.seen.clear()
        browser.get("/")
        assert statements.touching("GROUP BY publications.kind")  # invalidated: counted again
