"""The cross-lingual figures of issue 18 on a judged set (default: the dev set).

Usage: PYTHONPATH=. python benchmarks/lexicon_figures.py [ITEMS.jsonl QRELS.tsv] [--only NAME ...]

Rows: the hand glossary alone (the engine before issue 18); the general lexicon (CC-CEDICT)
alone; both (the default); both with every hand entry that occurs in the set's English results
removed (the honest estimate for text nobody has read). Only this benchmark reads the set.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

from matchmaker.recommender import Recommender
from matchmaker.recommender import glossary as glossary_module
from matchmaker.recommender.evaluate import evaluate, load_items, load_qrels
from matchmaker.recommender.lexicon import key_words
from matchmaker.recommender.text import english_lexicon, normalise

DEV = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev"


def english_results(items: list[dict]) -> list[str]:
    """Normalised texts of the results written mostly in English."""
    out = []
    for item in items:
        if item["side"] != "result":
            continue
        text = normalise(" ".join((item.get("title") or "", item.get("description") or "")))
        latin = len(re.findall(r"[a-z]", text))
        han = len(re.findall("[\u4e00-\u9fff]", text))
        if latin > 3 * han:
            out.append(" ".join(key_words(text)))
    return out


def occurring_entries(texts: list[str]) -> list[str]:
    """Hand glossary entries whose English (as lookup words) occurs in any of ``texts``."""
    found = []
    for english in glossary_module.GLOSSARY:
        words = key_words(english)
        # A plural or -s form of the last word counts as the entry occurring.
        pattern = re.compile(r"\b" + re.escape(" ".join(words)) + r"(?:s|es)?\b")
        if any(pattern.search(text) for text in texts):
            found.append(english)
    return found


def main() -> None:
    """Print one markdown row per variant."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("items", nargs="?", type=Path, default=DEV / "items.jsonl")
    parser.add_argument("qrels", nargs="?", type=Path, default=DEV / "qrels.tsv")
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    items, qrels = load_items(args.items), load_qrels(args.qrels)
    full = dict(glossary_module.GLOSSARY)
    removed = occurring_entries(english_results(items))
    print(f"hand glossary: {len(full)} entries; {len(removed)} occur in the English results")
    variants: dict[str, tuple[dict[str, object], list[str]]] = {
        "hand glossary only": ({"lexicon": False, "glossary": True}, []),
        "general lexicon only": ({"lexicon": True, "glossary": False}, []),
        "general + hand (default)": ({}, []),
        "general + hand minus entries in dev English results": ({}, removed),
        "no cross-lingual lexicon": ({"lexicon": False, "glossary": False}, []),
    }
    print("| variant | nDCG@10 | recall@10 | recall@50 | MRR@10 | fit+rank s |")
    print("|---|---|---|---|---|---|")
    for name, (params, drop) in variants.items():
        if args.only and name not in args.only:
            continue
        glossary_module.GLOSSARY.clear()
        glossary_module.GLOSSARY.update({k: v for k, v in full.items() if k not in drop})
        english_lexicon.cache_clear()
        start = time.perf_counter()
        result = evaluate(items, qrels, model=Recommender(**params), with_baselines=False)
        m = result["metrics"]
        print(
            f"| {name} | {m['ndcg@10']:.4f} | {m['recall@10']:.4f} | {m['recall@50']:.4f} "
            f"| {m['mrr@10']:.4f} | {time.perf_counter() - start:.1f} |",
            flush=True,
        )
    glossary_module.GLOSSARY.clear()
    glossary_module.GLOSSARY.update(full)
    english_lexicon.cache_clear()


if __name__ == "__main__":
    main()
