"""Ranking, re-ranking factors, explanations, side index and edge cases."""

from __future__ import annotations

import pytest

from matchmaker.recommender import Document, Match, Recommender
from tests.recommender.conftest import NOW, corpus


def test_need_finds_its_obvious_results(fitted: Recommender) -> None:
    top = fitted.rank("N-cf", target_kind="result", k=3, now=NOW)
    assert top[0].id == "R-cf1"
    assert {m.id for m in top[:2]} == {"R-cf1", "R-cf2"}
    assert all(m.kind == "result" for m in top)


def test_result_finds_needs(fitted: Recommender) -> None:
    top = fitted.rank("R-bat", target_kind="need", k=2, now=NOW)
    assert top[0].id == "N-bat"
    assert all(m.kind == "need" for m in top)


def test_traditional_result_meets_simplified_need(fitted: Recommender) -> None:
    assert fitted.rank("N-gin", target_kind="result", k=1, now=NOW)[0].id == "R-gin"


def test_english_result_meets_chinese_need(fitted: Recommender) -> None:
    ids = [m.id for m in fitted.rank("N-bat", target_kind="result", k=3, now=NOW)]
    assert "R-bat-en" in ids[:2]


def test_inactive_documents_never_appear(fitted: Recommender) -> None:
    ids = {m.id for m in fitted.rank("N-cf", target_kind="result", k=10, now=NOW)}
    assert "R-closed" not in ids
    assert "R-closed" not in {m.id for m in fitted.search("碳纤维复合材料汽车部件", k=10)}


def test_exclude_ids_and_predicate(fitted: Recommender) -> None:
    ids = [m.id for m in fitted.rank("N-cf", target_kind="result", exclude_ids={"R-cf1"})]
    assert "R-cf1" not in ids
    ids = [
        m.id for m in fitted.rank("N-cf", target_kind="result", predicate=lambda i: i != "R-cf2")
    ]
    assert "R-cf2" not in ids


def test_explanation_has_readable_terms_and_factors(fitted: Recommender) -> None:
    match = fitted.rank("N-cf", target_kind="result", k=1, now=NOW)[0]
    assert isinstance(match, Match)
    assert "碳纤维" in " ".join(match.terms)
    assert "碳纤" not in match.terms  # merged back into the word
    assert set(match.factors) == {"field", "maturity", "region", "budget", "freshness"}
    assert match.factors["field"] > 0
    assert match.factors["region"] > 0
    assert match.factors["budget"] > 0  # 300k price within a 500k budget
    assert match.score == pytest.approx(match.text_score + sum(match.factors.values()), abs=1e-5)


def test_explanation_from_a_document_merges_adjacent_bigrams(fitted: Recommender) -> None:
    need = Document("q", "need", "汽车轻量化结构件", field="碳纤维/新材料")
    match = fitted.rank(need, target_kind="result", k=1, now=NOW)[0]
    assert match.id == "R-cf1"
    assert any("轻量化" in t for t in match.terms)


def test_freshness_prefers_recent_listings(fitted: Recommender) -> None:
    top = {m.id: m for m in fitted.rank("N-cf", target_kind="result", k=5, now=NOW)}
    assert top["R-cf1"].factors["freshness"] > top["R-cf2"].factors["freshness"] > 0


def test_ranking_is_deterministic_and_ties_break_by_id() -> None:
    docs = [Document(f"r{i}", "result", "相同的标题 碳纤维") for i in (3, 1, 2)]
    docs.append(Document("n", "need", "碳纤维"))
    first = Recommender().fit(docs).rank("n", target_kind="result", now=NOW)
    again = Recommender().fit(list(reversed(docs))).rank("n", target_kind="result", now=NOW)
    assert [m.id for m in first] == ["r1", "r2", "r3"]
    assert first == again
    assert len({m.score for m in first}) == 1


def test_search_pages_with_offset(fitted: Recommender) -> None:
    everything = fitted.search("碳纤维", k=10)
    assert [m.id for m in fitted.search("碳纤维", k=1, offset=1)] == [everything[1].id]
    assert {m.kind for m in fitted.search("碳纤维", kind="need")} == {"need"}


def test_added_document_is_rankable_immediately() -> None:
    model = Recommender().fit(corpus())
    before = len(model)
    new = Document("R-new", "result", "碳纤维汽车轻量化部件快速成型", field="碳纤维/新材料")
    model.add(new)
    assert len(model) == before + 1
    assert "R-new" in model
    assert "R-new" in {m.id for m in model.rank("N-cf", target_kind="result", now=NOW)}
    assert model.rank("R-new", target_kind="need", k=1, now=NOW)[0].id == "N-cf"


def test_update_replaces_and_remove_forgets() -> None:
    model = Recommender().fit(corpus())
    model.update(Document("R-cf1", "result", "人参皂苷提取", field="人参/农业食品"))
    assert len(model) == len(corpus())
    assert "R-cf1" not in {m.id for m in model.rank("N-cf", target_kind="result", k=2, now=NOW)}
    assert model.rank("N-gin", target_kind="result", k=2, now=NOW)[1].id in {"R-cf1", "R-gin"}
    assert model.remove("R-cf1") is True
    assert "R-cf1" not in model
    assert model.remove("R-cf1") is False
    assert "R-cf2" in model
    model.remove("R-cf2")
    assert "R-cf2" not in {m.id for m in model.rank("N-cf", target_kind="result", now=NOW)}
    with pytest.raises(KeyError):
        model.rank("R-cf2", target_kind="need")


def test_similar_finds_near_duplicates_of_the_same_kind() -> None:
    model = Recommender().fit(corpus())
    copy = Document(
        "R-copy",
        "result",
        "T800级碳纤维预浸料及汽车结构件成型技术",
        "本发明公开了一种碳纤维预浸料快速固化成型方法，用于汽车轻量化结构件。",
    )
    dupes = model.similar(copy, threshold=0.8)
    assert [m.id for m in dupes] == ["R-cf1"]
    assert dupes[0].score > 0.95
    assert model.similar(Document("x", "result", "人参皂苷"), threshold=0.9) == []


def test_empty_corpus() -> None:
    model = Recommender().fit([])
    assert len(model) == 0
    assert model.rank(Document("n", "need", "碳纤维"), target_kind="result") == []
    assert model.search("碳纤维") == []


def test_unfitted_model_and_bad_input() -> None:
    with pytest.raises(RuntimeError, match="not fitted"):
        Recommender().search("x")
    with pytest.raises(ValueError, match="unique"):
        Recommender().fit([Document("a", "need", "x"), Document("a", "result", "y")])
    with pytest.raises(ValueError, match="kind"):
        Document("a", "patent", "x")
    with pytest.raises(ValueError, match="trl"):
        Document("a", "result", "x", trl=12)


def test_search_without_explanations_keeps_the_order_and_scores(fitted: Recommender) -> None:
    """explain=False (the supermarket's relevance sort) gives the same matches, unexplained."""
    explained = fitted.search("碳纤维复合材料", k=10)
    plain = fitted.search("碳纤维复合材料", k=10, explain=False)
    assert explained and [(m.id, m.score) for m in plain] == [(m.id, m.score) for m in explained]
    assert any(m.terms for m in explained)
    assert all(m.terms == () and m.pairs == () for m in plain)
