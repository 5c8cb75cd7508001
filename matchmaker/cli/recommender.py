"""`matchmaker recommender`: the matching engine's quality, speed and index."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from matchmaker.cli.transaction import transactional

if TYPE_CHECKING:
    from matchmaker.models import RecommenderState


@click.group("recommender")
def recommender_group() -> None:
    """The matching engine: quality and speed."""


@recommender_group.command("evaluate")
@click.argument("items", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("qrels", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--k", default=10, show_default=True, help="Cut-off of the headline metrics.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def recommender_evaluate(items: Path, qrels: Path, k: int, as_json: bool) -> None:
    """Rank every judged need's results and report nDCG, recall and MRR against baselines."""
    from matchmaker.recommender import evaluate

    result = evaluate.evaluate(evaluate.load_items(items), evaluate.load_qrels(qrels), k=k)
    click.echo(json.dumps(result, ensure_ascii=False) if as_json else evaluate.format_table(result))


@recommender_group.command("rebuild")
@transactional
def recommender_rebuild() -> None:
    """Fit the index on every public listing, write a new artifact, bump the generation."""
    state = rebuild_with_progress("Reading listings")
    click.echo(
        f"Index generation {state.generation}: {state.documents} documents "
        f"in {state.build_seconds:.1f} s ({state.artifact})."
    )


@recommender_group.command("bench")
@click.option("--docs", default=100_000, show_default=True, help="Synthetic corpus size.")
@click.option("--queries", default=200, show_default=True, help="Queries to time.")
@click.option("--seed", default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def recommender_bench(docs: int, queries: int, seed: int, as_json: bool) -> None:
    """Build and query a synthetic corpus; report build time, memory and latency vs bm25s."""
    from matchmaker.recommender import bench

    result = bench.run(docs=docs, queries=queries, seed=seed)
    click.echo(json.dumps(result, ensure_ascii=False) if as_json else json.dumps(result, indent=2))


def rebuild_with_progress(label: str) -> RecommenderState:
    """matching.rebuild_index with a progress bar of the listings read (the caller commits)."""
    from matchmaker.services import matching

    with click.progressbar(length=1, label=label) as bar:

        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        return matching.rebuild_index(progress=progress)
