"""相似企业 from the recommender's index: consenting firms only, never the firm itself."""

from __future__ import annotations

import pytest

from matchmaker.extensions import db as _db
from matchmaker.models import ConsentScope
from matchmaker.services import matching
from matchmaker.services.finance import consent, firm_browser
from tests.factories import make_user, publish_need
from tests.finance_factories import make_firm

BASIC = int(ConsentScope.BASIC)
FIBRE = "需要碳纤维复合材料热压成型工艺，用于汽车轻量化零部件的批量生产，降低成本。"


@pytest.fixture
def world(db, fields):
    admin = make_user("admin")
    me = make_firm(scopes=BASIC)
    twin = make_firm(scopes=BASIC)
    shy = make_firm(scopes=None)  # similar, but does not consent
    other = make_firm(scopes=BASIC)
    publish_need(me, admin, fields, "碳纤维复合材料成型工艺", FIBRE)
    publish_need(twin, admin, fields, "碳纤维复合材料热压成型", FIBRE + "要求拉伸强度稳定。")
    publish_need(shy, admin, fields, "碳纤维热压成型工艺需求", FIBRE)
    ginseng = "需要人参皂苷的高效提取与纯化技术，用于保健食品原料的规模化生产。"
    publish_need(other, admin, fields, "人参皂苷提取工艺", ginseng, field="biomedicine")
    _db.session.commit()
    return {"me": me, "twin": twin, "shy": shy, "other": other}


def test_without_an_index_there_are_no_similar_firms(world):
    assert firm_browser.similar_firms(world["me"].organisation_id) == []


def test_similar_consenting_firms_come_from_the_index(world):
    matching.rebuild_index()
    _db.session.commit()
    found = [s.organisation.id for s in firm_browser.similar_firms(world["me"].organisation_id)]
    assert found == [world["twin"].organisation_id]
    consent.revoke(actor=world["twin"])
    assert firm_browser.similar_firms(world["me"].organisation_id) == []


def test_a_firm_without_public_listings_has_no_similar_firms(world):
    matching.rebuild_index()
    lonely = make_firm(scopes=BASIC)
    assert firm_browser.similar_firms(lonely.organisation_id) == []
