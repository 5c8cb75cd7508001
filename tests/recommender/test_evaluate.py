"""Evaluation on a tiny judged set, with and without the optional bm25s baseline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matchmaker.recommender import baseline, evaluate

ITEMS = [
    {"id": "n1", "side": "need", "title": "碳纤维汽车部件", "description": "轻量化碳纤维复合材料"},
    {"id": "n2", "side": "need", "title": "人参皂苷提取", "description": "提高皂苷提取率"},
    {"id": "n3", "side": "need", "title": "无人判断的需求", "description": "没有任何判断"},
    {"id": "r1", "side": "result", "title": "碳纤维复合材料车身", "description": "汽车轻量化"},
    {"id": "r2", "side": "result", "title": "人参皂苷超声提取", "description": "提取率高"},
    {
        "id": "r3",
        "side": "result",
        "title": "Carbon fiber prepreg",
        "description": "for cars",
        "keywords": ["碳纤维"],
        "field": "碳纤维/新材料",
    },
    {"id": "r4", "side": "result", "title": "污水处理", "description": "生物膜反应器"},
]
QRELS = "need_id\tresult_id\tgrade\nn1\tr1\t3\nn1\tr3\t2\nn1\tr4\t0\nn2\tr2\t3\nn3\tr4\t0\n"


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    items = tmp_path / "items.jsonl"
    items.write_text("\n".join(json.dumps(i, ensure_ascii=False) for i in ITEMS), "utf-8")
    qrels = tmp_path / "qrels.tsv"
    qrels.write_text(QRELS, "utf-8")
    return items, qrels


def test_loaders(files: tuple[Path, Path]) -> None:
    items, qrels = files
    assert [i["id"] for i in evaluate.load_items(items)][:2] == ["n1", "n2"]
    assert evaluate.load_qrels(qrels)["n1"] == {"r1": 3, "r3": 2, "r4": 0}


def test_metrics_of_a_known_ranking() -> None:
    qrels = {"q": {"a": 3, "b": 1, "c": 0}}
    perfect = evaluate.metrics({"q": ["a", "b", "c"]}, qrels)
    assert perfect["ndcg@10"] == 1.0
    assert perfect["mrr@10"] == 1.0
    worse = evaluate.metrics({"q": ["c", "b", "a"]}, qrels)
    assert worse["mrr@10"] == 0.5
    assert 0 < worse["ndcg@10"] < 1
    assert worse["recall@10"] == 1.0


def test_evaluate_ranks_judged_needs_with_the_engine(files: tuple[Path, Path]) -> None:
    items, qrels = files
    result = evaluate.evaluate(evaluate.load_items(items), evaluate.load_qrels(qrels))
    assert set(result) == {"metrics", "baselines", "rankings"}
    assert set(result["rankings"]) == {"n1", "n2"}  # n3 has no relevant result
    assert result["rankings"]["n1"][:2] == ["r1", "r3"]
    assert result["metrics"]["queries"] == 2
    assert result["metrics"]["ndcg@10"] == 1.0
    assert set(result["baselines"]) == {"bm25s", "tfidf"}
    assert "ndcg@10" in result["baselines"]["tfidf"]
    assert "engine" in evaluate.format_table(result)


def test_missing_bm25s_is_reported_not_fatal(
    files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(baseline, "bm25s_available", lambda: False)
    items, qrels = files
    result = evaluate.evaluate(evaluate.load_items(items), evaluate.load_qrels(qrels))
    assert result["baselines"]["bm25s"] == {"available": False}
    assert "unavailable" in evaluate.format_table(result)


def test_main_prints_json(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    items, qrels = files
    assert evaluate.main([str(items), str(qrels), "--json", "--k", "5"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "ndcg@5" in out["metrics"]
    assert len(out["rankings"]["n1"]) <= 50
