"""The Recommender estimator: fit once, then rank, search and find near duplicates."""

from __future__ import annotations

import contextlib
import ctypes
import inspect
import itertools
import math
import multiprocessing
import os
import threading
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

from matchmaker.recommender.document import KINDS, Document, Match
from matchmaker.recommender.index import (
    Batch,
    InvertedIndex,
    Vectorizer,
    analyse_batch,
    prune,
    term_frequencies,
)
from matchmaker.recommender.rerank import Weights, factors_many
from matchmaker.recommender.retrieval import Predicate, Retrieval, _Candidate, _pruned_rows, _Query
from matchmaker.recommender.text import Analyzer, english_lexicon


class Recommender(Retrieval):
    """TF-IDF matcher over needs, results and firms in one space, with re-ranking and reasons."""

    def __init__(
        self,
        *,
        title_weight: float = 2.0,
        keyword_weight: float = 2.0,
        body_weight: float = 1.0,
        unigram_weight: float = 1.5,
        unigrams: bool = True,
        bigrams: bool = True,
        words: bool = False,
        dictionary: bool = True,
        glossary: bool = True,
        lexicon: bool = True,
        stop_words: bool = True,
        sublinear_tf: bool = True,
        min_df: int = 1,
        max_df: float = 0.1,
        max_query_terms: int = 64,
        max_postings: int = 0,
        rerank_depth: int = 100,
        field_weight: float = 0.05,
        maturity_weight: float = 0.02,
        region_weight: float = 0.02,
        budget_weight: float = 0.02,
        freshness_weight: float = 0.02,
        half_life_days: float = 180.0,
        explain_terms: int = 8,
    ) -> None:
        self.title_weight = title_weight
        self.keyword_weight = keyword_weight
        self.body_weight = body_weight
        self.unigram_weight = unigram_weight
        self.unigrams = unigrams
        self.bigrams = bigrams
        self.words = words
        self.dictionary = dictionary
        self.glossary = glossary
        self.lexicon = lexicon
        self.stop_words = stop_words
        self.sublinear_tf = sublinear_tf
        self.min_df = min_df
        self.max_df = max_df
        self.max_query_terms = max_query_terms
        self.max_postings = max_postings
        self.rerank_depth = rerank_depth
        self.field_weight = field_weight
        self.maturity_weight = maturity_weight
        self.region_weight = region_weight
        self.budget_weight = budget_weight
        self.freshness_weight = freshness_weight
        self.half_life_days = half_life_days
        self.explain_terms = explain_terms

    # -- scikit-learn contract -------------------------------------------------------------

    def get_params(self) -> dict[str, object]:
        """The constructor parameters (persisted with the artifact)."""
        return {name: getattr(self, name) for name in PARAM_NAMES}

    def fit(self, documents: Iterable[Document], *, n_jobs: int | None = None) -> Recommender:
        """Learn vocabulary and IDF over all documents and build the inverted index.

        ``documents`` is read twice (domain words first, then the text): a list, or any
        Sequence that produces its documents on access, which then need not be held in memory;
        a one-shot iterator is materialised first. The text analysis of the second pass runs in
        ``n_jobs`` forked worker processes (default: one per usable core from
        PARALLEL_MIN_DOCS documents on, else in this process); the result is identical to
        the serial one.
        """
        docs = documents if isinstance(documents, Sequence) else list(documents)
        jobs = _jobs(n_jobs, len(docs))
        self._set_rows(docs, jobs)
        self.analyzer_ = self._make_analyzer()
        self.vectorizer_ = self._make_vectorizer()
        if jobs > 1:
            batches = self._parallel_batches(docs, jobs)
            matrix = self.vectorizer_.fit_transform_batches(batches)
        else:
            matrix = self.vectorizer_.fit_transform(self._segments(d) for d in docs)
        if matrix.shape[0] != len(self.ids_):
            raise ValueError("the documents changed between the two passes of fit()")
        self.qptr_, self.qidx_, self.qval_ = _pruned_rows(matrix, self.max_query_terms)
        self.index_ = InvertedIndex(matrix)
        del matrix
        self.side_ = {}
        self._side_cache = None
        self.__dict__.pop("_eligible_cache", None)
        return self

    def _parallel_batches(self, docs: Sequence[Document], jobs: int) -> Iterator[Batch]:
        """The analysed documents in batches of BATCH_DOCS, from ``jobs`` forked workers, in order.

        The English lexicon is built here first so that the workers share it instead of each
        building its own.
        """
        self.analyzer_("warm up: heat exchanger 换热器")
        _fixed_mmap_threshold()
        return self._fork_map(_analyse_range, docs, jobs)

    def _fork_map(
        self, func: Callable[[tuple[int, int]], _T], docs: Sequence[Document], jobs: int
    ) -> Iterator[_T]:
        """``func`` over consecutive ranges of BATCH_DOCS rows in ``jobs`` forked workers, in order.

        The workers inherit this model and ``docs`` through fork: nothing is pickled but the
        row ranges and the results.
        """
        global _FORK_STATE  # noqa: PLW0603 - handed to the forked workers
        ranges = iter(
            [(a, min(a + BATCH_DOCS, len(docs))) for a in range(0, len(docs), BATCH_DOCS)]
        )
        _FORK_STATE = (self, docs)
        try:
            with multiprocessing.get_context("fork").Pool(jobs) as pool:
                # At most 2 batches per worker in flight: results never pile up in memory
                # when this process merges more slowly than the workers analyse.
                pending = deque(
                    pool.apply_async(func, (r,)) for r in itertools.islice(ranges, 2 * jobs)
                )
                while pending:
                    result = pending.popleft().get()
                    following = next(ranges, None)
                    if following is not None:
                        pending.append(pool.apply_async(func, (following,)))
                    yield result
        finally:
            _FORK_STATE = None

    def _warm_lexicon(self) -> None:
        """Build the per-process English lexicon the analyser will use (if it uses one)."""
        if self.lexicon:
            english_lexicon(self.glossary, True)

    def _make_analyzer(self) -> Analyzer:
        """The analyser for these parameters and the fitted domain words."""
        return Analyzer(
            self.user_words_,
            unigrams=self.unigrams,
            bigrams=self.bigrams,
            words=self.words,
            dictionary=self.dictionary,
            glossary=self.glossary,
            lexicon=self.lexicon,
            stop_words=self.stop_words,
        )

    def _make_vectorizer(self) -> Vectorizer:
        """The vectoriser for these parameters (unfitted)."""
        return Vectorizer(
            unigram_weight=self.unigram_weight,
            min_df=self.min_df,
            max_df=self.max_df,
            sublinear_tf=self.sublinear_tf,
        )

    def _set_rows(self, docs: Sequence[Document], jobs: int = 1) -> None:
        """First pass: per-row metadata in compact arrays, and the listings' domain words."""
        forked = jobs > 1
        if forked:
            scans = self._fork_map(_scan_range, docs, jobs)
            parts = [next(scans)]  # the workers are forked now: nothing else forks until join
            # The English lexicon (seconds of Python) is built here while the workers scan, so
            # that the analysis workers forked next inherit it instead of waiting for it.
            warm = threading.Thread(target=self._warm_lexicon, daemon=True)
            warm.start()
            try:
                parts += scans
            finally:
                warm.join()
        else:
            parts = [_scan_rows(docs)]
        ids: list[str] = []
        kinds, trl, amount, updated, active = (
            array("b"),
            array("b"),
            array("d"),
            array("d"),
            array("b"),
        )
        fields: list[str | None] = []
        regions: list[str | None] = []
        user_words: set[str] = set()
        interned: dict[str | None, str | None] = {}
        for part in parts:
            ids += part.ids
            kinds.frombytes(part.kinds)
            trl.frombytes(part.trl)
            amount.frombytes(part.amount)
            updated.frombytes(part.updated)
            active.frombytes(part.active)
            # One string object per distinct field or region, not one per document.
            fields += [interned.setdefault(v, v) for v in part.fields]
            regions += [interned.setdefault(v, v) for v in part.regions]
            user_words |= part.user_words
        del parts
        self.row_of_ = {doc_id: row for row, doc_id in enumerate(ids)}
        if len(self.row_of_) != len(ids):
            raise ValueError("document ids must be unique")
        self.ids_, self.fields_, self.regions_ = ids, fields, regions
        self.user_words_ = tuple(sorted(w for w in user_words if len(w) >= 2))
        self.kind_codes_ = np.frombuffer(kinds, dtype=np.int8).copy()
        self.trl_ = np.frombuffer(trl, dtype=np.int8).copy()
        self.amount_ = np.frombuffer(amount, dtype=np.float64).copy()
        self.updated_ = np.frombuffer(updated, dtype=np.float64).copy()
        self.active_ = np.frombuffer(active, dtype=np.int8).astype(bool)
        self.alive_ = np.ones(len(ids), dtype=bool)

    def _segments(self, doc: Document) -> list[tuple[list[str], float]]:
        """A document's fields as weighted term lists: title and keywords count more than body."""
        analyzer = self.analyzer_
        return [
            (analyzer(doc.title), self.title_weight),
            (analyzer(" ; ".join(doc.keywords)), self.keyword_weight),
            (analyzer(doc.body), self.body_weight),
        ]

    def _check_fitted(self) -> None:
        """Fail clearly when used before fit() or load()."""
        if not hasattr(self, "index_"):
            raise RuntimeError("Recommender is not fitted: call fit() or Recommender.load()")

    # -- size and membership ---------------------------------------------------------------

    def __len__(self) -> int:
        """Number of documents currently indexed (main index plus side index)."""
        if not hasattr(self, "index_"):
            return 0
        # add() retires an edited document's main row, so the two parts never overlap.
        return int(self.alive_.sum()) + len(self.side_)

    def __contains__(self, doc_id: object) -> bool:
        """Whether a document id is indexed and not removed."""
        if not hasattr(self, "index_") or not isinstance(doc_id, str):
            return False
        if doc_id in self.side_:
            return True
        row = self.row_of_.get(doc_id)
        return row is not None and bool(self.alive_[row])

    def __iter__(self) -> Iterator[str]:
        """Ids of the indexed documents."""
        for row, doc_id in enumerate(self.ids_):
            if self.alive_[row]:
                yield doc_id
        yield from self.side_

    # -- freshness: the side index ---------------------------------------------------------

    def add(self, document: Document) -> None:
        """Make a new or edited document matchable at once, with the frozen vocabulary."""
        self._check_fitted()
        if document.id in self.row_of_:
            self.alive_[self.row_of_[document.id]] = False
            self.__dict__.pop("_eligible_cache", None)
        idx, val = self.vectorizer_.transform(term_frequencies(self._segments(document)))
        self.side_[document.id] = (document, idx, val)
        self._side_cache = None

    update = add

    def remove(self, doc_id: str) -> bool:
        """Stop matching a document; returns whether it was indexed."""
        self._check_fitted()
        found = self.side_.pop(doc_id, None) is not None
        self._side_cache = None if found else self._side_cache
        row = self.row_of_.get(doc_id)
        if row is not None and self.alive_[row]:
            self.alive_[row] = False
            self.__dict__.pop("_eligible_cache", None)
            found = True
        return found

    def rank(
        self,
        document_or_id: Document | str,
        *,
        target_kind: str,
        k: int = 10,
        exclude_ids: Iterable[str] = (),
        predicate: Predicate | None = None,
        now: float | None = None,
        min_text_score: float = 0.0,
        explain: bool = True,
    ) -> list[Match]:
        """Best ``target_kind`` documents for a need, result or firm, re-ranked and explained.

        ``min_text_score`` is the relevance floor (pass floor.RELEVANCE_FLOOR): a candidate
        whose text score is below it is dropped before the factors, so a factor can re-order
        matches but never lift one that shares too little. ``explain=False`` skips the terms
        and pairs (evaluation); they are otherwise computed for the returned k only.
        """
        self._check_fitted()
        if target_kind not in KINDS:
            raise ValueError(f"target_kind must be one of {KINDS}")
        if isinstance(document_or_id, Document):
            query = self._query_from_document(document_or_id, max_terms=self.max_query_terms)
        else:
            query = self._query_from_id(document_or_id)
        exclude = frozenset(exclude_ids)
        if query.source_id is not None:
            exclude |= {query.source_id}
        candidates = self._candidates(
            query,
            kind=target_kind,
            depth=max(self.rerank_depth, k),
            exclude=exclude,
            predicate=predicate,
        )
        weights = Weights(
            self.field_weight,
            self.maturity_weight,
            self.region_weight,
            self.budget_weight,
            self.freshness_weight,
            self.half_life_days,
        )
        now = time.time() if now is None else now
        scored = []
        candidates = [c for c in candidates if c.text_score >= min_text_score]
        metas = self._metas(candidates)
        if query.meta:
            all_parts = factors_many(query.meta, metas, weights, now)
        else:
            all_parts = [{} for _ in metas]
        for candidate, meta, parts in zip(candidates, metas, all_parts, strict=True):
            final = round(candidate.text_score + sum(parts.values()), 6)
            scored.append((final, candidate, meta, parts))
        scored.sort(key=lambda s: (-s[0], s[1].id))
        scored = scored[:k]
        if explain:
            explained = self._terms(query, [s[1] for s in scored])
        else:
            explained = [((), ())] * len(scored)
        return [
            Match(c.id, meta.kind, final, round(c.text_score, 6), parts, words, pairs)
            for (final, c, meta, parts), (words, pairs) in zip(scored, explained, strict=True)
        ]

    def search(
        self,
        query: str,
        *,
        kind: str | None = None,
        k: int = 10,
        offset: int = 0,
        predicate: Predicate | None = None,
        min_text_score: float = 0.0,
        explain: bool = True,
    ) -> list[Match]:
        """Free-text search over active documents, by text score (``min_text_score``: floor).

        ``explain=False`` leaves out the shared words and English pairs (empty tuples): for a
        caller that only orders by score, such as the supermarket's relevance sort, which asks
        for up to 2,000 matches and would otherwise explain every one of them.
        """
        self._check_fitted()
        idx, val = self.vectorizer_.transform(term_frequencies([(self.analyzer_(query), 1.0)]))
        idx, val = prune(idx, val, self.max_query_terms)
        q = self._text_query(idx, val, query, None, None)
        found = self._candidates(
            q, kind=kind, depth=offset + k, exclude=frozenset(), predicate=predicate
        )
        found = [c for c in found if c.text_score >= min_text_score][offset : offset + k]
        return self._plain_matches(q, found, explain=explain)

    def _plain_matches(
        self, query: _Query, found: list[_Candidate], *, explain: bool = True
    ) -> list[Match]:
        """Matches scored by text alone (search, near duplicates)."""
        out = []
        explained = self._terms(query, found) if explain else [((), ())] * len(found)
        metas = self._metas(found)
        for c, meta, (terms, pairs) in zip(found, metas, explained, strict=True):
            score = round(c.text_score, 6)
            out.append(Match(c.id, meta.kind, score, score, {}, terms, pairs))
        return out

    def similar(
        self,
        document: Document | str,
        *,
        k: int = 5,
        threshold: float = 0.6,
        include_inactive: bool = True,
    ) -> list[Match]:
        """Near duplicates: documents of the same kind whose cosine is at least ``threshold``."""
        self._check_fitted()
        if isinstance(document, Document):
            # The whole vector, not the pruned one: a cosine threshold needs the true cosine.
            query = self._query_from_document(document, max_terms=0)
        else:
            query = self._query_from_id(document)
        kind = query.meta.kind if query.meta else None
        found = self._candidates(
            query,
            kind=kind,
            depth=k,
            exclude=frozenset({query.source_id} if query.source_id is not None else ()),
            predicate=None,
            include_inactive=include_inactive,
        )
        return self._plain_matches(query, [c for c in found if c.text_score >= threshold])

    def group_near_duplicates(
        self, matches: Sequence[Match], *, threshold: float = 0.6
    ) -> list[list[Match]]:
        """Matches grouped by near-duplicate text, groups in the order of their best match.

        Each match joins the first earlier group whose first (best) member's stored vector has a
        cosine of at least ``threshold`` with its own (the vectors are the stored, pruned ones,
        renormalised); a page shows ``group[0]`` and "+N similar" for the rest.
        """
        self._check_fitted()
        groups: list[list[Match]] = []
        heads: list[tuple[np.ndarray, np.ndarray] | None] = []
        for match in matches:
            vector = self._unit_vector(match.id)
            for group, head in zip(groups, heads, strict=True):
                if vector is not None and head is not None and _cosine(vector, head) >= threshold:
                    group.append(match)
                    break
            else:
                groups.append([match])
                heads.append(vector)
        return groups

    def _unit_vector(self, doc_id: str) -> tuple[np.ndarray, np.ndarray] | None:
        """The stored (pruned) vector of an indexed document at unit length, or None."""
        if doc_id in self.side_:
            _, idx, val = self.side_[doc_id]
        elif doc_id in self.row_of_:
            row = self.row_of_[doc_id]
            lo, hi = self.qptr_[row], self.qptr_[row + 1]
            idx, val = self.qidx_[lo:hi], self.qval_[lo:hi]
        else:
            return None
        norm = float(np.sqrt(np.dot(val, val)))
        return (idx, val / norm) if norm > 0 else None

    # -- persistence -------------------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Write the fitted model as a versioned, checksummed artifact (atomic replace)."""
        from matchmaker.recommender.artifact import save

        self._check_fitted()
        save(self, Path(path))

    @classmethod
    def load(cls, path: str | Path) -> Recommender:
        """Read an artifact written by save(); raises ArtifactError if it is unusable."""
        from matchmaker.recommender.artifact import load

        return load(cls, Path(path))


# Parallel fit: below this many documents forking costs more than it saves.
PARALLEL_MIN_DOCS = 20_000
BATCH_DOCS = 2_000
_FORK_STATE: tuple[Recommender, Sequence[Document]] | None = None
_T = TypeVar("_T")


def _jobs(n_jobs: int | None, n_docs: int) -> int:
    """How many analysis processes fit() uses (1: in this process)."""
    if n_jobs is None:
        if n_docs < PARALLEL_MIN_DOCS:
            return 1
        n_jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    usable = (
        n_jobs > 1
        and n_docs > 1
        and "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon  # daemons may not have children
    )
    return n_jobs if usable else 1


@dataclass
class _Rows:
    """Pass one over some consecutive documents: their metadata as flat bytes and lists."""

    ids: list[str]
    kinds: bytes
    trl: bytes
    amount: bytes
    updated: bytes
    active: bytes
    fields: list[str | None]
    regions: list[str | None]
    user_words: set[str]


def _scan_rows(docs: Iterable[Document]) -> _Rows:
    """Pass one of fit() over ``docs``: per-row metadata and the domain words."""
    ids: list[str] = []
    kinds, trl, amount, updated, active = (
        array("b"),
        array("b"),
        array("d"),
        array("d"),
        array("b"),
    )
    fields: list[str | None] = []
    regions: list[str | None] = []
    user_words: set[str] = set()
    for d in docs:
        ids.append(d.id)
        kinds.append(KINDS.index(d.kind))
        fields.append(d.field)
        regions.append(d.region)
        trl.append(d.trl or 0)
        amount.append(d.amount or 0.0)
        updated.append(math.nan if d.updated_at is None else d.updated_at)
        active.append(d.active)
        user_words.update(k.strip() for k in d.keywords)
        if d.field:
            user_words.update(d.field.split("/"))
    return _Rows(
        ids,
        kinds.tobytes(),
        trl.tobytes(),
        amount.tobytes(),
        updated.tobytes(),
        active.tobytes(),
        fields,
        regions,
        user_words,
    )


def _fixed_mmap_threshold() -> None:
    """Let glibc serve every large block (the workers' results) with its own mmap.

    By default glibc raises its mmap threshold after the first large block is freed, so the
    next ones (each batch's arrays, ~10 MB) come from the heap, which then fragments and is not
    given back: a 100k-listing fit peaked 130 MiB higher in parallel than serially. A fixed
    128 KiB threshold (glibc's initial one) keeps the parallel peak at or below the serial one.
    Process-wide and harmless (only more mmap calls); a no-op off glibc.
    """
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 128 * 1024)  # M_MMAP_THRESHOLD


def _scan_range(bounds: tuple[int, int]) -> _Rows:
    """Worker: pass one over documents ``a`` to ``b`` of the forked model's input."""
    assert _FORK_STATE is not None
    _, docs = _FORK_STATE
    a, b = bounds
    return _scan_rows(docs[i] for i in range(a, b))


def _analyse_range(bounds: tuple[int, int]) -> Batch:
    """Worker: analyse documents ``a`` to ``b`` of the forked model's input."""
    assert _FORK_STATE is not None
    model, docs = _FORK_STATE
    a, b = bounds
    return analyse_batch(model._segments(docs[i]) for i in range(a, b))


def _cosine(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> float:
    """Cosine of two unit sparse vectors given as (sorted term ids, values)."""
    _, i, j = np.intersect1d(a[0], b[0], assume_unique=True, return_indices=True)
    return float(np.dot(a[1][i], b[1][j]))


PARAM_NAMES = tuple(inspect.signature(Recommender.__init__).parameters)[1:]
