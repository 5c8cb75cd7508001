"""Calibrate the relevance floor (floor.RELEVANCE_FLOOR) from graded judgments (default: dev set).

Usage: PYTHONPATH=. python benchmarks/floor_calibration.py [ITEMS.jsonl QRELS.tsv]

Every judged need is ranked (top 10, defaults, factors included); each shown match gets its
grade (unjudged = 0, as in the metrics). For each candidate floor t the script prints how many
shown matches a floor at t keeps, the share of them that are relevant, the share of the relevant
shown matches it keeps, and the precision of the band just below t. The floor is the highest t
that keeps at least 95 % of the relevant shown matches: below it, shown matches are mostly
unrelated (band precision), and a higher floor starts to hide relevant ones.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from matchmaker.recommender import Recommender
from matchmaker.recommender.evaluate import item_document, load_items, load_qrels

DEV = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev"
KEEP_RELEVANT = 0.95


def shown(items: list[dict], qrels: dict[str, dict[str, int]], k: int = 10) -> list[tuple]:
    """(text_score, grade) of every match in each judged need's top k."""
    docs = [item_document(item) for item in items]
    model = Recommender().fit(docs)
    by_id = {d.id: d for d in docs}
    out = []
    for need, judged in sorted(qrels.items()):
        if need not in by_id or not any(g > 0 for g in judged.values()):
            continue
        for m in model.rank(by_id[need], target_kind="result", k=k, now=0.0, explain=False):
            out.append((m.text_score, judged.get(m.id, 0)))
    return out


def main() -> None:
    """Print the sweep and the chosen floor."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("items", nargs="?", type=Path, default=DEV / "items.jsonl")
    parser.add_argument("qrels", nargs="?", type=Path, default=DEV / "qrels.tsv")
    args = parser.parse_args()
    pairs = shown(load_items(args.items), load_qrels(args.qrels))
    relevant = sum(1 for _, g in pairs if g > 0)
    print(f"{len(pairs)} shown matches, {relevant} relevant")
    print("| floor | kept | precision kept | relevant kept | precision of band [t-0.01, t) |")
    print("|---|---|---|---|---|")
    chosen = 0.0
    for step in range(0, 21):
        t = step / 200
        kept = [(s, g) for s, g in pairs if s >= t]
        band = [(s, g) for s, g in pairs if t - 0.01 <= s < t]
        kept_rel = sum(1 for _, g in kept if g > 0)
        precision = kept_rel / len(kept) if kept else 0.0
        band_p = sum(1 for _, g in band if g > 0) / len(band) if band else float("nan")
        share = kept_rel / relevant if relevant else 0.0
        if share >= KEEP_RELEVANT:
            chosen = t
        print(f"| {t:.3f} | {len(kept)} | {precision:.3f} | {share:.3f} | {band_p:.3f} |")
    print(f"floor (highest t keeping >= {KEEP_RELEVANT:.0%} of relevant shown matches): {chosen}")


if __name__ == "__main__":
    main()
