"""Matching service: new listings matchable at once, workers follow rebuilds, fallbacks."""

from __future__ import annotations

import gc
from datetime import timedelta

import pytest
from sqlalchemy.orm import close_all_sessions

from matchmaker import create_app
from matchmaker.config import TestConfig
from matchmaker.extensions import db
from matchmaker.models import Publication, RecommenderState
from matchmaker.models.base import utcnow
from matchmaker.services import matching
from matchmaker.services.market import feedback, listings
from tests.factories import make_user, publish_need, publish_result

_result = publish_result
_need = publish_need


@pytest.fixture
def people(db, fields):
    uni = make_user("university")
    firm = make_user("enterprise")
    admin = make_user("admin")
    db.session.commit()
    return uni, firm, admin


def test_empty_corpus_recommends_nothing(app, people, fields):
    uni, firm, admin = people
    need = _need(
        firm, admin, fields, "碳纤维复合材料", "需要高强度碳纤维复合材料的低成本成型工艺。"
    )
    assert [r.publication.kind for r in matching.recommend_for(need)] == []


def test_new_result_is_matchable_at_once_with_explanation(app, people, fields):
    uni, firm, admin = people
    need = _need(
        firm,
        admin,
        fields,
        "碳纤维复合材料成型",
        "需要高强度碳纤维复合材料的低成本热压成型工艺，拉伸强度大于3GPa。",
    )
    matching.engine()  # the worker fits now, before the result exists
    _result(
        uni,
        admin,
        fields,
        "稀土发光材料",
        "一种稀土掺杂的高效发光材料，用于白光LED照明。",
        field="electronics",
    )
    fibre = _result(
        uni,
        admin,
        fields,
        "碳纤维热压成型工艺",
        "碳纤维复合材料热压成型新工艺，拉伸强度3.5GPa，成本降低30%。",
    )
    recs = matching.recommend_for(need)
    assert recs and recs[0].publication.result_id == fibre.id
    assert any("碳纤维" in term for term in recs[0].match.terms)
    assert recs[0].match.factors.get("field", 0) > 0


def test_withdrawn_and_expired_results_never_appear(app, people, fields):
    uni, firm, admin = people
    need = _need(
        firm,
        admin,
        fields,
        "碳纤维复合材料成型",
        "需要碳纤维复合材料的热压成型工艺，用于汽车轻量化零部件批量生产。",
    )
    gone = _result(
        uni, admin, fields, "碳纤维热压成型工艺", "碳纤维复合材料热压成型新工艺，成本降低30%。"
    )
    stale = _result(
        uni, admin, fields, "碳纤维模压工艺", "碳纤维复合材料模压成型工艺，适合批量生产汽车部件。"
    )
    assert {r.publication.result_id for r in matching.recommend_for(need)} == {gone.id, stale.id}
    listings.withdraw_listing(actor=uni, listing=gone)
    stale.publication.expires_at = utcnow() - timedelta(minutes=1)  # cron has not run yet
    db.session.commit()
    assert matching.recommend_for(need) == []


def test_rebuild_writes_a_versioned_artifact_and_bumps_the_generation(app, people, fields):
    uni, firm, admin = people
    _result(uni, admin, fields, "碳纤维热压成型工艺", "碳纤维复合材料热压成型新工艺，成本降低30%。")
    first = matching.rebuild_index()
    db.session.commit()
    first_generation, first_artifact = first.generation, first.artifact
    second = matching.rebuild_index()
    db.session.commit()
    assert second.generation == first_generation + 1 == 2
    assert second.artifact != first_artifact
    assert (matching.artifact_dir() / second.artifact).is_file()
    assert second.documents == 1


def test_a_second_worker_serves_a_listing_created_through_the_first(app, people, fields, tmp_path):
    """Two app instances on one database: create through one, the other serves it next check."""
    uni, firm, admin = people
    need = _need(
        firm,
        admin,
        fields,
        "碳纤维复合材料成型",
        "需要碳纤维复合材料的热压成型工艺，用于汽车轻量化零部件批量生产。",
    )
    matching.rebuild_index()
    db.session.commit()
    other = create_app(
        TestConfig,
        instance_path=app.instance_path,
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
    )
    with other.app_context():
        from matchmaker.models import Need

        assert matching.recommend_for(db.session.get(Need, need.id)) == []
        db.session.remove()
    fibre = _result(
        uni, admin, fields, "碳纤维热压成型工艺", "碳纤维复合材料热压成型新工艺，成本降低30%。"
    )
    with other.app_context():
        from matchmaker.models import Need

        recs = matching.recommend_for(db.session.get(Need, need.id))
        assert [r.publication.result_id for r in recs] == [fibre.id]
        assert other.extensions["matchmaker_engine"].generation == 1
        # The second app's sessions live in the shared scoped registry: close them all so
        # its pool gets every connection back, then close the pool.
        close_all_sessions()
        for engine in db.engines.values():
            engine.dispose()
    del other
    gc.collect()  # a connection the second app leaked would be reported here, not later


def test_corrupt_artifact_falls_back_without_error(app, people, fields):
    uni, firm, admin = people
    need = _need(
        firm,
        admin,
        fields,
        "碳纤维复合材料成型",
        "需要碳纤维复合材料的热压成型工艺，用于汽车轻量化零部件批量生产。",
    )
    fibre = _result(
        uni, admin, fields, "碳纤维热压成型工艺", "碳纤维复合材料热压成型新工艺，成本降低30%。"
    )
    state = matching.rebuild_index()
    db.session.commit()
    (matching.artifact_dir() / state.artifact).write_bytes(b"not an index")
    app.extensions.pop("matchmaker_engine", None)  # a fresh worker starting up
    recs = matching.recommend_for(need)
    assert [r.publication.result_id for r in recs] == [fibre.id]


def test_missing_artifact_with_a_last_good_engine_keeps_serving(app, people, fields):
    uni, firm, admin = people
    need = _need(
        firm,
        admin,
        fields,
        "碳纤维复合材料成型",
        "需要碳纤维复合材料的热压成型工艺，用于汽车轻量化零部件批量生产。",
    )
    fibre = _result(
        uni, admin, fields, "碳纤维热压成型工艺", "碳纤维复合材料热压成型新工艺，成本降低30%。"
    )
    assert matching.recommend_for(need)  # the worker has a good engine
    state = db.session.get(RecommenderState, 1) or RecommenderState(id=1)
    state.generation, state.artifact = 7, "index-000007.mmr"  # points at nothing
    db.session.add(state)
    db.session.commit()
    assert [r.publication.result_id for r in matching.recommend_for(need)] == [fibre.id]


def test_feedback_is_stored_counted_and_exported_as_judgments(app, people, fields):
    uni, firm, admin = people
    need = _need(
        firm,
        admin,
        fields,
        "碳纤维复合材料成型",
        "需要碳纤维复合材料的热压成型工艺，用于汽车轻量化零部件批量生产。",
    )
    fibre = _result(
        uni, admin, fields, "碳纤维热压成型工艺", "碳纤维复合材料热压成型新工艺，成本降低30%。"
    )
    feedback.record_feedback(
        actor=firm, source=need, target_kind="result", target_id=fibre.id, useful=False
    )
    feedback.record_feedback(
        actor=firm,
        source=need,
        target_kind="result",
        target_id=fibre.id,
        useful=True,
        reason="正是我们需要的",
    )
    feedback.record_feedback(
        actor=uni, source=fibre, target_kind="need", target_id=need.id, useful=True
    )
    db.session.commit()
    assert feedback.feedback_counts() == {"useful": 2, "not_useful": 0}
    lines = feedback.feedback_judgments().splitlines()
    assert lines == ["need_id\tresult_id\tgrade", f"need:{need.id}\tresult:{fibre.id}\t1"]


def test_search_order_comes_from_the_engine(app, people, fields):
    from matchmaker.services.market.browsing import BrowseFilter, browse_page

    uni, firm, admin = people
    body_only = _result(
        uni, admin, fields, "复合材料模压工艺", "适用于碳纤维的模压工艺，也可用于玻璃纤维和芳纶。"
    )
    strong = _result(
        uni,
        admin,
        fields,
        "碳纤维原丝碳纤维碳化工艺",
        "碳纤维原丝的预氧化与碳化工艺，碳纤维强度提升。",
    )
    page = browse_page(BrowseFilter(kind="result", q="碳纤维").cleaned(), page=1, per_page=10)
    assert [p.result_id for p in page.items] == [strong.id, body_only.id]
    assert page.total == 2


def test_cli_rebuild(app, runner, people, fields):
    uni, firm, admin = people
    _result(uni, admin, fields, "碳纤维热压成型工艺", "碳纤维复合材料热压成型新工艺，成本降低30%。")
    result = runner.invoke(args=["recommender", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "generation 1: 1 documents" in result.output
    assert db.session.get(RecommenderState, 1).documents == 1
    assert db.session.query(Publication).count() == 1
