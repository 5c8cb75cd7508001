"""相似企业 from the engine over firm documents (public listings + consented profile text):
consenting firms only, never the firm itself, never a firm with nothing in common."""

from __future__ import annotations

import pytest

from matchmaker.extensions import db as _db
from matchmaker.models import ConsentScope
from matchmaker.recommender import floor
from matchmaker.services import matching
from matchmaker.services.finance import consent, firm_browser
from tests.factories import make_user, publish_need
from tests.finance_factories import make_firm

BASIC = int(ConsentScope.BASIC)
FIBRE = "需要碳纤维复合材料热压成型工艺，用于汽车轻量化零部件的批量生产，降低成本。"


@pytest.fixture(autouse=True)
def calibrated_floor(monkeypatch):
    """A floor above what two firms sharing only 需要/工艺/生产 score (the engine's calibrated
    value is pinned in tests/recommender; this keeps the page logic under test here)."""
    monkeypatch.setattr(floor, "RELEVANCE_FLOOR", 0.12)


@pytest.fixture
def world(db, fields):
    admin = make_user("admin")
    me = make_firm(scopes=BASIC)
    twin = make_firm(scopes=BASIC)
    shy = make_firm(scopes=None)  # similar, but does not consent
    other = make_firm(scopes=BASIC, key_products="人参皂苷提取物、保健食品原料")
    publish_need(me, admin, fields, "碳纤维复合材料成型工艺", FIBRE)
    publish_need(twin, admin, fields, "碳纤维复合材料热压成型", FIBRE + "要求拉伸强度稳定。")
    publish_need(shy, admin, fields, "碳纤维热压成型工艺需求", FIBRE)
    ginseng = "需要人参皂苷的高效提取与纯化技术，用于保健食品原料的规模化生产。"
    publish_need(other, admin, fields, "人参皂苷提取工艺", ginseng, field="biomedicine")
    _db.session.commit()
    return {"me": me, "twin": twin, "shy": shy, "other": other}


def test_similar_firms_come_from_the_engine_without_a_listing_index(world):
    """Firm documents are fitted in-process: no rebuilt listing index is needed."""
    found = firm_browser.similar_firms(world["me"].organisation_id)
    assert [s.organisation.id for s in found] == [world["twin"].organisation_id]


def test_similar_consenting_firms_share_content(world):
    matching.rebuild_index()
    _db.session.commit()
    found = firm_browser.similar_firms(world["me"].organisation_id)
    assert [s.organisation.id for s in found] == [world["twin"].organisation_id]
    assert all(s.match.text_score >= floor.RELEVANCE_FLOOR and s.match.terms for s in found)
    # Shown with a reason: whole shared terms, and a 0–100 score.
    assert any("碳纤维" in term for term in found[0].why.terms)
    assert 0 < found[0].percent <= 100
    # The ginseng firm shares no technical content: absent, however few firms there are.
    assert world["other"].organisation_id not in {s.organisation.id for s in found}
    consent.revoke(actor=world["twin"])
    assert firm_browser.similar_firms(world["me"].organisation_id) == []


def test_a_firm_with_nothing_to_compare_has_no_similar_firms(world):
    lonely = make_firm(scopes=BASIC, key_products="")
    assert firm_browser.similar_firms(lonely.organisation_id) == []


def test_a_firm_without_consent_has_no_similar_firms(world):
    assert firm_browser.similar_firms(world["shy"].organisation_id) == []
