"""Issue 18, speed: the restructured hot paths give exactly what the plain versions gave."""

from __future__ import annotations

import random

import numpy as np
import pytest
import scipy.sparse as sp

from matchmaker.recommender import Document, Recommender
from matchmaker.recommender.corpus import SyntheticCorpus
from matchmaker.recommender.explain import GENERIC, readable_terms, whole_words, word_terms
from matchmaker.recommender.index import _sorted_keys
from matchmaker.recommender.rerank import Meta, Weights, factors, factors_many
from matchmaker.recommender.retrieval import _lexsort_prune, _packed_prune, _pruned_rows
from matchmaker.recommender.text import normalise
from matchmaker.recommender.vocab import StringTable

NOW = 1_800_000_000.0


def _plain_word_terms(weight: dict[str, float], reference: str) -> dict[str, float]:
    """word_terms as it was before the lazy per-block cut (the whole text cut at once)."""
    han = [t for t in weight if not t.isascii()]
    out: dict[str, float] = {}
    for word in whole_words(reference):
        if word in GENERIC:
            continue
        inside = [t for t in han if t in word]
        if not any(len(t) >= 2 for t in inside):
            continue
        covered: set[int] = set()
        for piece in inside:
            start = word.find(piece)
            while start >= 0:
                covered.update(range(start, start + len(piece)))
                start = word.find(piece, start + 1)
        if len(covered) * 4 >= len(word) * 3:
            out[word] = sum(weight[t] for t in inside)
    return out


@pytest.mark.parametrize("seed", range(6))
def test_lazily_cut_words_equal_the_whole_text_cut(seed: int) -> None:
    doc = SyntheticCorpus(50, seed=seed)[seed * 7]
    reference = normalise(" ".join((doc.title, *doc.keywords, doc.body)))
    reference += "\n热交换器耐火材料"  # a lexicon line, as _text_query appends
    rng = random.Random(seed)
    han = [c for c in reference if "\u4e00" <= c <= "\u9fff"]
    pieces = {reference[i : i + 2] for i in range(len(reference) - 1)}
    pieces = {p for p in pieces if all("\u4e00" <= c <= "\u9fff" for c in p)}
    shared = rng.sample(sorted(pieces), min(25, len(pieces))) + rng.sample(han, min(10, len(han)))
    shared += ["lifepo4", "热交换器", "不在文中"]
    weight = {t: rng.random() for t in shared}
    expected = _plain_word_terms(weight, reference)
    assert expected  # the case is not vacuous
    assert word_terms(weight, reference) == expected
    assert set(readable_terms(list(weight.items()), reference, limit=100)) <= {
        *expected,
        "lifepo4",
    }


def test_word_terms_skip_blocks_without_a_shared_piece() -> None:
    reference = normalise("磷酸铁锂正极材料，高温合金涡轮叶片。碳纤维预浸料")
    weight = {"磷酸": 0.3, "铁锂": 0.3, "碳": 0.2}
    assert word_terms(weight, reference) == _plain_word_terms(weight, reference)
    assert "磷酸铁锂" in word_terms(weight, reference)
    # A word reached through single characters only is never shown.
    assert word_terms({"碳": 0.5, "纤": 0.5, "维": 0.5}, reference) == {}


def _random_csr(seed: int, rows: int = 900, cols: int = 700) -> sp.csr_matrix:
    matrix = sp.random(rows, cols, density=0.08, format="csr", random_state=seed)
    matrix.data = (np.round(matrix.data * 4) / 4).astype(np.float32)  # many ties, some zeros
    return matrix


@pytest.mark.parametrize("max_terms", [0, 1, 7, 64, 10_000])
def test_packed_prune_equals_the_lexsort(max_terms: int) -> None:
    for seed in range(3):
        matrix = _random_csr(seed)
        lengths = np.diff(matrix.indptr)
        rows = np.repeat(np.arange(matrix.shape[0], dtype=np.int32), lengths)
        rank = np.arange(matrix.nnz) - np.repeat(matrix.indptr[:-1], lengths)
        args = (rows, matrix.indices, matrix.data, rank, max_terms or 10**9)
        packed, plain = _packed_prune(*args), _lexsort_prune(*args)
        assert np.array_equal(packed[0], plain[0]) and packed[0].dtype == np.int32
        assert np.array_equal(packed[1], plain[1]) and packed[1].dtype == np.float32
        qptr, qidx, qval = _pruned_rows(matrix, max_terms, block=128)
        assert np.array_equal(qidx, plain[0]) and np.array_equal(qval, plain[1])
        if max_terms:
            # Every row keeps its heaviest terms, stored by term id.
            row = int(np.argmax(lengths))
            kept = qidx[qptr[row] : qptr[row + 1]]
            assert len(kept) == min(max_terms, lengths[row])
            assert np.all(np.diff(kept) > 0)


def test_pruned_rows_falls_back_for_negative_weights() -> None:
    matrix = _random_csr(5)
    matrix.data[::3] *= -1
    qptr, qidx, qval = _pruned_rows(matrix, 5)
    row = 0
    lo, hi = matrix.indptr[row], matrix.indptr[row + 1]
    order = np.lexsort((matrix.indices[lo:hi], -matrix.data[lo:hi]))[:5]
    assert sorted(matrix.indices[lo:hi][order].tolist()) == qidx[qptr[0] : qptr[1]].tolist()


def test_sorted_keys_are_the_stable_sort() -> None:
    rng = np.random.default_rng(0)
    docs = np.sort(rng.integers(0, 300, 20_000)).astype(np.int32)
    terms = rng.integers(0, 5_000, 20_000).astype(np.int32)
    key, order = _sorted_keys(docs, terms)
    plain = (docs.astype(np.int64) << 32) | terms
    expected = np.argsort(plain, kind="stable")
    assert np.array_equal(order, expected)
    assert np.array_equal(key, plain[expected])
    huge = terms.copy()
    huge[0] = 2**31 - 1  # too many bits to pack: the stable argsort itself
    key, order = _sorted_keys(docs, huge)
    assert np.array_equal(order, np.argsort((docs.astype(np.int64) << 32) | huge, kind="stable"))


def test_factors_many_equals_factors() -> None:
    rng = random.Random(1)
    weights = Weights()
    for source_kind in ("need", "result"):
        source = Meta(source_kind, "新材料/碳纤维", "吉林省长春市", 5, 80.0, NOW - 9e6)
        metas = [
            Meta(
                "result" if source_kind == "need" else "need",
                rng.choice([None, "新材料/碳纤维", "化工/新材料", "农业"]),
                rng.choice([None, "吉林省", "吉林省长春市", "辽宁省"]),
                rng.choice([None, 2, 5, 9]),
                rng.choice([None, 50.0, 120.0, 300.0]),
                rng.choice([None, NOW - 1e7, NOW - 4e7]),
            )
            for _ in range(200)
        ]
        assert factors_many(source, metas, weights, NOW) == [
            factors(source, m, weights, NOW) for m in metas
        ]


def test_find_many_equals_find() -> None:
    words = ["碳纤维", "lifepo4", "磷酸铁锂", "a", "", "热交换器"]
    table = StringTable.build(words)
    probes = [*words, "missing", "碳纤", "LIFEPO4"]
    assert table.find_many(probes) == [table.find(p) for p in probes]
    assert table.positions().get_many(probes)[:6] == list(range(6))


def test_loaded_model_ranks_and_explains_like_the_fitted_one(tmp_path) -> None:
    corpus = SyntheticCorpus(300, seed=11)
    fitted = Recommender().fit(corpus, n_jobs=1)
    fitted.save(tmp_path / "m.bin")
    loaded = Recommender.load(tmp_path / "m.bin")
    needs = [corpus[i] for i in range(len(corpus)) if corpus[i].kind == "need"][:8]
    english = Document("Q-en", "need", "Heat exchanger for refractories", "sintering furnace")
    for need in [*needs, english]:
        for query in (need, need.id):
            if query == "Q-en":
                continue
            a = fitted.rank(query, target_kind="result", k=10, now=NOW)
            b = loaded.rank(query, target_kind="result", k=10, now=NOW)
            assert a == b
    shown = [m for need in needs for m in fitted.rank(need, target_kind="result", now=NOW)]
    assert any(m.terms for m in shown)
    assert all(
        set(m.factors) == {"field", "maturity", "region", "budget", "freshness"} for m in shown
    )


def test_eligible_rows_follow_remove_and_add() -> None:
    corpus = SyntheticCorpus(200, seed=4)
    model = Recommender().fit(corpus, n_jobs=1)
    need = next(corpus[i] for i in range(len(corpus)) if corpus[i].kind == "need")
    first = model.rank(need, target_kind="result", now=NOW)  # fills the eligibility cache
    assert first
    top = first[0].id
    assert model.remove(top)
    assert top not in [m.id for m in model.rank(need, target_kind="result", now=NOW)]
    second = model.rank(need, target_kind="result", now=NOW)[0].id
    edited = next(corpus[i] for i in range(len(corpus)) if corpus[i].id == second)
    model.add(Document(edited.id, "result", "完全无关的新标题", "与原文无关的内容。"))
    # The edited listing's main row is retired: it is no longer found by its old text.
    assert second not in [m.id for m in model.rank(need, target_kind="result", now=NOW)[:1]]
    needs = model.rank(need, target_kind="need", now=NOW)  # another kind: its own mask
    assert needs and all(m.kind == "need" for m in needs)


def _plain_best_rows(model: Recommender, q_idx, q_val, eligible, want):
    """_best_rows as it was: every posting gathered, scored in float64, the best taken."""
    from matchmaker.recommender.retrieval import _top

    postings = model.index_.gather(q_idx, q_val)
    scores = model.index_.scores(postings)
    touched = np.flatnonzero((scores > 0) & eligible)
    rows = _top(touched, scores[touched], want)
    return rows, scores[rows], postings


@pytest.fixture(scope="module")
def synthetic_2500() -> tuple[Recommender, list[Document]]:
    """One fit of 2,500 synthetic listings for the depths below, and 60 of its needs."""
    corpus = SyntheticCorpus(2500, seed=5)
    return Recommender().fit(corpus), [d for d in corpus if d.kind == "need"][:60]


@pytest.mark.parametrize("want", [1, 5, 40, 150])
def test_best_rows_equal_the_full_scoring(
    want: int, synthetic_2500: tuple[Recommender, list[Document]]
) -> None:
    """The float32 pre-selection never changes the chosen rows, their scores or their postings."""
    model, needs = synthetic_2500
    eligible = model._eligible("result", False)
    compared = 0
    for doc in needs:
        query = model._query_from_document(doc, max_terms=model.max_query_terms)
        rows, scores, postings = model._best_rows(query.idx, query.val, eligible, want)
        plain_rows, plain_scores, plain_postings = _plain_best_rows(
            model, query.idx, query.val, eligible, want
        )
        assert rows.tolist() == plain_rows.tolist()
        assert scores.tobytes() == plain_scores.astype(np.float32).tobytes()
        # The chosen rows' postings: the same entries, values and order.
        for name in ("rows", "terms", "contrib"):
            mine = getattr(postings, name)[np.isin(postings.rows, rows)]
            plain = getattr(plain_postings, name)[np.isin(plain_postings.rows, rows)]
            assert mine.tolist() == plain.tolist(), name
        compared += len(rows)
    assert compared >= want * 30  # the queries found enough to compare


def test_best_rows_keep_every_row_tied_with_the_last() -> None:
    """Documents with the same text score the same: all of them are kept, as before."""
    docs = [
        Document(id=f"R{i}", kind="result", title="碳纤维复合材料", body="碳纤维复合材料汽车部件")
        for i in range(8)
    ] + [Document(id="N1", kind="need", title="碳纤维", body="碳纤维复合材料汽车部件需求")]
    model = Recommender().fit(docs)
    query = model._query_from_id("N1")
    eligible = model._eligible("result", False)
    rows, scores, _ = model._best_rows(query.idx, query.val, eligible, 3)
    plain_rows, _, _ = _plain_best_rows(model, query.idx, query.val, eligible, 3)
    assert rows.tolist() == plain_rows.tolist() and len(rows) == 8
    assert len(set(scores.tolist())) == 1
