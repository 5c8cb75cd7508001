"""The benchmark runs end to end on a small synthetic corpus (figures are not asserted)."""

from __future__ import annotations

import json

import pytest

from matchmaker.recommender import bench
from matchmaker.recommender.corpus import synthetic_corpus


def test_synthetic_corpus_is_deterministic_and_realistic() -> None:
    first, again = synthetic_corpus(200, seed=3), synthetic_corpus(200, seed=3)
    assert first == again
    assert {d.kind for d in first} == {"need", "result"}
    assert all(100 <= len(d.body) <= 700 for d in first)


def test_run_reports_engine_and_bm25s(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--docs", "300", "--queries", "5", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["docs"] == 300
    assert result["queries"] == 5
    for key in ("build_s", "peak_mib", "p50_ms", "p95_ms", "second_process_uss_mib"):
        assert result["engine"][key] >= 0
    assert result["engine"]["p95_ms_loaded"] > 0
    assert "p95_ms" in result["bm25s"] or result["bm25s"] == {"available": False}
    assert result["engine"]["artifact_mib"] > 0 and result["engine"]["fit_jobs"] == 1


def test_no_baseline_skips_bm25s(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--docs", "200", "--queries", "3", "--json", "--no-baseline"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["bm25s"] == {"available": False}
    assert result["engine"]["second_process_uss_mib"] is not None
