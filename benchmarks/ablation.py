"""Ablation of the engine's analysis and ranking choices on a judged set (default: the dev set).

Usage: python benchmarks/ablation.py [ITEMS.jsonl QRELS.tsv] [--only NAME ...]
Each row refits the engine with one parameter changed from the defaults.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from matchmaker.recommender import Recommender
from matchmaker.recommender.evaluate import evaluate, load_items, load_qrels

DEV = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev"

VARIANTS: dict[str, dict[str, object]] = {
    "defaults": {},
    "no glossary (English->Chinese)": {"glossary": False},
    "no unigrams": {"unigrams": False},
    "no bigrams": {"bigrams": False},
    "no jieba words": {"words": False},
    "jieba words": {"words": True},
    "no domain dictionary": {"dictionary": False},
    "unigram weight 2.0": {"unigram_weight": 2.0},
    "no stop words/phrases": {"stop_words": False},
    "raw tf (no sublinear)": {"sublinear_tf": False},
    "unigram weight 0.25": {"unigram_weight": 0.25},
    "unigram weight 0.5": {"unigram_weight": 0.5},
    "unigram weight 1.0": {"unigram_weight": 1.0},
    "unigram weight 1.5": {"unigram_weight": 1.5},
    "title weight 1": {"title_weight": 1.0},
    "title weight 3": {"title_weight": 3.0},
    "field factor 0": {"field_weight": 0.0},
    "field factor 0.1": {"field_weight": 0.1},
    "query terms 32": {"max_query_terms": 32},
    "query terms 128": {"max_query_terms": 128},
    "query terms all": {"max_query_terms": 0},
    "max_df 0.5": {"max_df": 0.5},
    "keywords+title weight 1.5": {"title_weight": 1.5},
    "rerank depth 50": {"rerank_depth": 50},
}


def main() -> None:
    """Print one markdown row per variant (nDCG@10, recall@10, recall@50, MRR@10)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("items", nargs="?", type=Path, default=DEV / "items.jsonl")
    parser.add_argument("qrels", nargs="?", type=Path, default=DEV / "qrels.tsv")
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--set", default=None, help="extra JSON params applied to every row")
    args = parser.parse_args()
    items, qrels = load_items(args.items), load_qrels(args.qrels)
    base = json.loads(args.set) if args.set else {}
    print("| variant | nDCG@10 | recall@10 | recall@50 | MRR@10 | fit+rank s |")
    print("|---|---|---|---|---|---|")
    for name, params in VARIANTS.items():
        if args.only and name not in args.only:
            continue
        start = time.perf_counter()
        model = Recommender(**{**base, **params})
        result = evaluate(items, qrels, model=model, with_baselines=False)
        m = result["metrics"]
        print(
            f"| {name} | {m['ndcg@10']:.4f} | {m['recall@10']:.4f} | {m['recall@50']:.4f} "
            f"| {m['mrr@10']:.4f} | {time.perf_counter() - start:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
