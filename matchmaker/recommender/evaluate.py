"""Ranking quality on judged data: the engine against BM25 and TF-IDF baselines."""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from matchmaker.recommender.document import Document
from matchmaker.recommender.model import Recommender

Qrels = dict[str, dict[str, int]]
RANKING_DEPTH = 50


def load_items(path: str | Path) -> list[dict]:
    """Read ITEMS.jsonl: one object a line with id, side, title, description and optional fields."""
    items = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            item = json.loads(line)
            if item.get("side") not in ("need", "result") or not item.get("id"):
                raise ValueError(f"{path}:{number}: needs an id and side 'need' or 'result'")
            items.append(item)
    return items


def load_qrels(path: str | Path) -> Qrels:
    """Read QRELS.tsv (need_id, result_id, grade; a header line is allowed)."""
    qrels: Qrels = {}
    with open(path, encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.reader(handle, delimiter="\t"), 1):
            if not row or not "".join(row).strip():
                continue
            try:
                grade = int(row[2])
            except (IndexError, ValueError):
                if number == 1:
                    continue  # the header line
                raise ValueError(f"{path}:{number}: expected need_id, result_id, grade") from None
            qrels.setdefault(row[0], {})[row[1]] = grade
    return qrels


def item_document(item: dict) -> Document:
    """Map an evaluation item onto the engine's Document."""
    keywords = item.get("keywords") or ()
    if isinstance(keywords, str):
        keywords = tuple(k for k in keywords.replace("，", ",").split(",") if k.strip())
    return Document(
        id=str(item["id"]),
        kind=item["side"],
        title=item.get("title") or "",
        body=item.get("description") or "",
        keywords=tuple(keywords),
        field=item.get("field") or None,
    )


def _text(item: dict) -> str:
    """Title, keywords and description as one text, for the baselines."""
    keywords = item.get("keywords") or ""
    if not isinstance(keywords, str):
        keywords = " ".join(keywords)
    return " ".join((item.get("title") or "", keywords, item.get("description") or ""))


def metrics(rankings: dict[str, list[str]], qrels: Qrels, *, k: int = 10) -> dict[str, float]:
    """nDCG@k (gain = grade), recall@k, recall@50, MRR@k and judged@k over the judged needs."""
    totals = {f"ndcg@{k}": 0.0, f"recall@{k}": 0.0, "recall@50": 0.0, f"mrr@{k}": 0.0}
    totals[f"judged@{k}"] = 0.0
    queries = [q for q, judged in sorted(qrels.items()) if any(g > 0 for g in judged.values())]
    for query in queries:
        judged = qrels[query]
        ranking = rankings.get(query, [])
        relevant = {d for d, g in judged.items() if g > 0}
        dcg = sum(judged.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranking[:k]))
        ideal = sorted((g for g in judged.values() if g > 0), reverse=True)[:k]
        idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
        totals[f"ndcg@{k}"] += dcg / idcg
        totals[f"recall@{k}"] += len(relevant & set(ranking[:k])) / len(relevant)
        totals["recall@50"] += len(relevant & set(ranking[:50])) / len(relevant)
        first = next((i for i, d in enumerate(ranking[:k]) if d in relevant), None)
        totals[f"mrr@{k}"] += 0.0 if first is None else 1.0 / (first + 1)
        top = ranking[:k]
        totals[f"judged@{k}"] += sum(d in judged for d in top) / len(top) if top else 0.0
    n = len(queries)
    out = {name: round(value / n, 4) if n else 0.0 for name, value in totals.items()}
    out["queries"] = n
    return out


def engine_rankings(
    items: Sequence[dict], queries: Sequence[str], *, model: Recommender | None = None
) -> dict[str, list[str]]:
    """Top results per need through the production path: fit, then rank(need document)."""
    docs = [item_document(item) for item in items]
    model = (Recommender() if model is None else model).fit(docs)
    by_id = {d.id: d for d in docs}
    return {
        q: [
            m.id
            for m in model.rank(
                by_id[q], target_kind="result", k=RANKING_DEPTH, now=0.0, explain=False
            )
        ]
        for q in queries
        if q in by_id
    }


def _baseline_rankings(
    items: Sequence[dict], queries: Sequence[str], top: Callable[[dict], list[int]]
) -> dict[str, list[str]]:
    """Rankings of a baseline given a function from query item to result positions."""
    by_id = {item["id"]: item for item in items}
    results = [item["id"] for item in items if item["side"] == "result"]
    return {q: [results[i] for i in top(by_id[q])] for q in queries if q in by_id}


def baselines(items: Sequence[dict], qrels: Qrels, *, k: int = 10) -> dict[str, dict]:
    """Score BM25 (bm25s, if installed) and scikit-learn TF-IDF over jieba words, same data."""
    from matchmaker.recommender.baseline import (
        BM25Baseline,
        TfidfBaseline,
        bm25s_available,
        jieba_words,
    )

    queries = sorted(qrels)
    results = [item for item in items if item["side"] == "result"]
    out: dict[str, dict] = {}
    if bm25s_available():
        bm25 = BM25Baseline([jieba_words(_text(item)) for item in results])
        ranked = _baseline_rankings(
            items, queries, lambda item: bm25.top(jieba_words(_text(item)), RANKING_DEPTH)
        )
        out["bm25s"] = metrics(ranked, qrels, k=k)
    else:
        out["bm25s"] = {"available": False}
    tfidf = TfidfBaseline([_text(item) for item in items], [_text(item) for item in results])
    ranked = _baseline_rankings(items, queries, lambda item: tfidf.top(_text(item), RANKING_DEPTH))
    out["tfidf"] = metrics(ranked, qrels, k=k)
    return out


def evaluate(
    items: Sequence[dict],
    qrels: Qrels,
    *,
    k: int = 10,
    model: Recommender | None = None,
    with_baselines: bool = True,
) -> dict:
    """Rank every judged need's results; return metrics, baseline metrics and top-50 rankings."""
    ids = {item["id"] for item in items}
    queries = [
        q for q, judged in sorted(qrels.items()) if q in ids and any(g > 0 for g in judged.values())
    ]
    judged = {q: qrels[q] for q in queries}
    rankings = engine_rankings(items, queries, model=model)
    return {
        "metrics": metrics(rankings, judged, k=k),
        "baselines": baselines(items, judged, k=k) if with_baselines else {},
        "rankings": rankings,
    }


def format_table(result: dict) -> str:
    """The metrics of the engine and each baseline as an aligned text table."""
    rows = [("engine", result["metrics"])]
    rows += [(f"{name} (baseline)", values) for name, values in result["baselines"].items()]
    columns = [c for c in result["metrics"] if c != "queries"] + ["queries"]
    width = max(len(name) for name, _ in rows) + 2
    lines = ["ranker".ljust(width) + "".join(c.rjust(11) for c in columns)]
    for name, values in rows:
        if values.get("available") is False:
            lines.append(name.ljust(width) + "unavailable (pip install bm25s)".rjust(11))
            continue
        cells = [
            f"{values.get(c, ''):>11}" if c == "queries" else f"{values.get(c, 0.0):>11.4f}"
            for c in columns
        ]
        lines.append(name.ljust(width) + "".join(cells))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: python -m matchmaker.recommender.evaluate ITEMS QRELS [--json] [--k 10]."""
    parser = argparse.ArgumentParser(prog="matchmaker recommender evaluate", description=__doc__)
    parser.add_argument("items", type=Path, help="ITEMS.jsonl")
    parser.add_argument("qrels", type=Path, help="QRELS.tsv (need_id, result_id, grade)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--k", type=int, default=10, help="cut-off for nDCG, recall and MRR")
    args = parser.parse_args(argv)
    result = evaluate(load_items(args.items), load_qrels(args.qrels), k=args.k)
    if args.json:
        json.dump(result, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        print(format_table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
