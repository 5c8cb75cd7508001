"""Speed benchmark: build time, peak memory and query latency of the engine against bm25s."""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from matchmaker.recommender.corpus import SyntheticCorpus
from matchmaker.recommender.document import Document
from matchmaker.recommender.model import Recommender

MIB = 1024 * 1024


def _rss_mib(field: str) -> float | None:
    """A memory figure of this process from /proc (VmRSS now, VmHWM peak); None off Linux."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _reset_peak() -> None:
    """Reset the kernel's peak-RSS mark so the next phase is measured on its own."""
    gc.collect()
    # Off Linux, or without permission, the peak then covers the whole run so far.
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _latencies(run: Callable[[Document], object], queries: Sequence[Document]) -> dict[str, float]:
    """p50 and p95 wall time of ``run`` over the queries, in milliseconds (after one warm-up)."""
    run(queries[0])
    times = []
    for query in queries:
        start = time.perf_counter()
        run(query)
        times.append((time.perf_counter() - start) * 1000)
    return {
        "p50_ms": round(float(np.percentile(times, 50)), 3),
        "p95_ms": round(float(np.percentile(times, 95)), 3),
    }


def _measure_build(build: Callable[[], object]) -> tuple[object, dict[str, float]]:
    """Build something and report its seconds and the process's peak memory while building."""
    _reset_peak()
    before = _rss_mib("VmRSS") or 0.0
    start = time.perf_counter()
    built = build()
    seconds = time.perf_counter() - start
    peak = _rss_mib("VmHWM") or 0.0
    return built, {
        "build_s": round(seconds, 2),
        "peak_mib": round(peak, 1),
        "build_extra_mib": round(max(0.0, peak - before), 1),
    }


def run(*, docs: int, queries: int = 200, seed: int = 0) -> dict:
    """Fit the engine and bm25s on ``docs`` synthetic listings; time need -> top-10 results.

    The corpus is generated on access (``SyntheticCorpus``), so the measured memory is the
    engine's, not the benchmark input's; ``corpus_pass_s`` is what one pass of generating the
    documents costs (the engine's fit makes two passes and its ``build_s`` includes them).
    """
    corpus = SyntheticCorpus(docs, seed=seed)
    start = time.perf_counter()
    need_rows = [i for i, d in enumerate(corpus) if d.kind == "need"]
    corpus_pass_s = time.perf_counter() - start
    # Not cryptographic: a fixed seed picks the same queries every run.
    rows = random.Random(seed).sample(need_rows, min(queries, len(need_rows)))  # noqa: S311
    sample = [corpus[i] for i in rows]
    out: dict = {"docs": docs, "queries": len(sample), "corpus_pass_s": round(corpus_pass_s, 2)}

    out["engine"] = _bench_engine(corpus, sample)
    out["bm25s"] = _bench_bm25s(corpus, sample)
    return out


def _bench_engine(corpus: Sequence[Document], sample: Sequence[Document]) -> dict:
    """The engine: fit on every listing, then rank each sampled need (as a document and by id)."""
    model, figures = _measure_build(lambda: Recommender().fit(corpus))
    assert isinstance(model, Recommender)
    figures.update(_latencies(lambda q: model.rank(q, target_kind="result", k=10), sample))
    by_id = _latencies(lambda q: model.rank(q.id, target_kind="result", k=10), sample)
    figures.update({"p50_ms_by_id": by_id["p50_ms"], "p95_ms_by_id": by_id["p95_ms"]})
    figures["terms"] = len(model.vectorizer_.terms_)
    figures["postings"] = len(model.index_.indices)
    return figures


def _bench_bm25s(corpus: Sequence[Document], sample: Sequence[Document]) -> dict:
    """bm25s over jieba words on the results of the same corpus, if installed."""
    from matchmaker.recommender.baseline import BM25Baseline, bm25s_available, jieba_words

    if not bm25s_available():
        return {"available": False}

    def text(doc: Document) -> str:
        return " ".join((doc.title, *doc.keywords, doc.body))

    bm25, figures = _measure_build(
        lambda: BM25Baseline([jieba_words(text(d)) for d in corpus if d.kind == "result"])
    )
    assert isinstance(bm25, BM25Baseline)
    figures.update(_latencies(lambda q: bm25.top(jieba_words(text(q)), 10), sample))
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: python -m matchmaker.recommender.bench --docs N [--queries Q] [--json]."""
    parser = argparse.ArgumentParser(prog="matchmaker recommender bench", description=__doc__)
    parser.add_argument("--docs", type=int, required=True, help="number of synthetic listings")
    parser.add_argument("--queries", type=int, default=200, help="number of need queries")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    result = run(docs=args.docs, queries=args.queries, seed=args.seed)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{result['docs']} listings, {result['queries']} need -> top-10 result queries")
    for name in ("engine", "bm25s"):
        figures = result[name]
        if figures.get("available") is False:
            print(f"{name:>7}: unavailable (pip install bm25s)")
            continue
        print(
            f"{name:>7}: build {figures['build_s']} s, peak {figures['peak_mib']} MiB, "
            f"p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
