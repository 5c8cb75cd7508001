"""Speed benchmark: build time, peak memory and query latency of the engine against bm25s."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gc
import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from matchmaker.recommender.corpus import SyntheticCorpus
from matchmaker.recommender.document import Document
from matchmaker.recommender.model import Recommender, _jobs

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


def _uss_mib() -> float | None:
    """Memory unique to this process (USS: private clean + dirty pages), from smaps_rollup."""
    try:
        text = Path("/proc/self/smaps_rollup").read_text()
    except OSError:
        return None
    kib = sum(
        int(line.split()[1])
        for line in text.splitlines()
        if line.startswith(("Private_Clean:", "Private_Dirty:"))
    )
    return kib / 1024


# The second process: import and warm the per-process fixed parts (jieba's dictionary for the
# explanations, the English lexicon), note USS, load the artifact (memory-mapped), serve the
# queries, note USS again; prints the difference (what the model costs one more worker) and
# the fixed part as JSON.
_SECOND_PROCESS = """
import json, sys
from matchmaker.recommender import Document, Recommender
from matchmaker.recommender.bench import _uss_mib
from matchmaker.recommender.explain import whole_words
from matchmaker.recommender.text import english_lexicon
english_lexicon(True, True)
whole_words("预热")
queries = [Document(**{**d, "keywords": tuple(d["keywords"])}) for d in json.load(sys.stdin)]
before = _uss_mib() or 0.0
model = Recommender.load(sys.argv[1])
for q in queries:
    model.rank(q, target_kind="result", k=10)
print(json.dumps({"uss_extra_mib": round((_uss_mib() or 0.0) - before, 1), "fixed_mib": before}))
"""


def _shared_figures(model: Recommender, sample: Sequence[Document]) -> dict[str, float | None]:
    """second_process_uss_mib and p95_ms_loaded, measured on the saved artifact.

    This process loads the artifact too and touches all of it (so its pages are mapped by two
    processes and count as shared, as with two web workers); p95_ms_loaded is the
    rank(Document) p95 of the loaded model while a busy-loop process keeps one core busy.
    """
    out: dict[str, float | None] = {
        "second_process_uss_mib": None,
        "second_process_fixed_mib": None,
        "p95_ms_loaded": None,
        "artifact_mib": None,
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.bin"
        model.save(path)
        # The one copy that every worker shares (page cache), whatever the number of workers.
        out["artifact_mib"] = round(path.stat().st_size / MIB, 1)
        loaded = Recommender.load(path)
        # Touch every page of the file (index, stored queries, vocabulary and id tables, row
        # arrays): this process maps them all, as a long-running worker would.
        whole = np.memmap(path, dtype=np.uint8, mode="r")
        float(whole[::4096].sum())
        docs = [dataclasses.asdict(q) for q in sample]
        child = subprocess.run(  # noqa: S603 - our own interpreter and fixed code
            [sys.executable, "-c", _SECOND_PROCESS, str(path)],
            input=json.dumps(docs),
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        if child.returncode == 0 and child.stdout.strip():
            reported = json.loads(child.stdout.strip().splitlines()[-1])
            out["second_process_uss_mib"] = reported["uss_extra_mib"]
            out["second_process_fixed_mib"] = round(reported["fixed_mib"], 1)
        busy = subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", "while True: pass"]
        )
        try:
            time.sleep(0.5)
            figures = _latencies(lambda q: loaded.rank(q, target_kind="result", k=10), sample)
            out["p95_ms_loaded"] = figures["p95_ms"]
        finally:
            busy.terminate()
            busy.wait(timeout=10)
    return out


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


def run(*, docs: int, queries: int = 200, seed: int = 0, baseline: bool = True) -> dict:
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
    out["bm25s"] = _bench_bm25s(corpus, sample) if baseline else {"available": False}
    return out


def _bench_engine(corpus: Sequence[Document], sample: Sequence[Document]) -> dict:
    """The engine: fit on every listing, then rank each sampled need (as a document and by id)."""
    model, built = _measure_build(lambda: Recommender().fit(corpus))
    assert isinstance(model, Recommender)
    figures: dict[str, float | None] = dict(built)
    figures.update(_latencies(lambda q: model.rank(q, target_kind="result", k=10), sample))
    by_id = _latencies(lambda q: model.rank(q.id, target_kind="result", k=10), sample)
    figures.update({"p50_ms_by_id": by_id["p50_ms"], "p95_ms_by_id": by_id["p95_ms"]})
    figures["fit_jobs"] = _jobs(None, len(corpus))
    figures["terms"] = len(model.vectorizer_.terms_)
    figures["postings"] = len(model.index_.indices)
    figures.update(_shared_figures(model, sample))
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
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip bm25s (reported as unavailable)"
    )
    args = parser.parse_args(argv)
    result = run(
        docs=args.docs, queries=args.queries, seed=args.seed, baseline=not args.no_baseline
    )
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
