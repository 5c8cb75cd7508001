"""The Recommender estimator: fit once, then rank, search and find near duplicates."""

from __future__ import annotations

import inspect
import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from matchmaker.recommender.document import KINDS, Document, Match
from matchmaker.recommender.explain import readable_terms
from matchmaker.recommender.index import (
    InvertedIndex,
    Postings,
    Vectorizer,
    prune,
    term_frequencies,
)
from matchmaker.recommender.rerank import Meta, Weights, factors
from matchmaker.recommender.text import Analyzer, normalise

Predicate = Callable[[str], bool]


@dataclass
class _Candidate:
    """A document found by text: main-index row or side-index document, and its postings."""

    id: str
    text_score: float
    row: int | None
    document: Document | None
    postings: Postings | None


@dataclass
class _Query:
    """A query vector with what re-ranking and explanation need to know about its source."""

    idx: np.ndarray
    val: np.ndarray
    meta: Meta | None
    reference: str | None
    source_id: str | None


class Recommender:
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
        stop_words: bool = True,
        sublinear_tf: bool = True,
        min_df: int = 1,
        max_df: float = 0.5,
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

    def fit(self, documents: Iterable[Document]) -> Recommender:
        """Learn vocabulary and IDF over all documents and build the inverted index."""
        docs = list(documents)
        ids = [d.id for d in docs]
        if len(set(ids)) != len(ids):
            raise ValueError("document ids must be unique")
        user_words = {k.strip() for d in docs for k in d.keywords}
        user_words |= {part for d in docs if d.field for part in d.field.split("/")}
        self.user_words_ = tuple(sorted(w for w in user_words if len(w) >= 2))
        self.analyzer_ = self._make_analyzer()
        self.vectorizer_ = self._make_vectorizer()
        matrix = self.vectorizer_.fit_transform(term_frequencies(self._segments(d)) for d in docs)
        self._set_rows(matrix, docs)
        self.index_ = InvertedIndex(matrix)
        del matrix
        self.side_: dict[str, tuple[Document, np.ndarray, np.ndarray]] = {}
        self._side_cache: tuple[list[str], sp.csr_matrix] | None = None
        return self

    def _make_analyzer(self) -> Analyzer:
        """The analyser for these parameters and the fitted domain words."""
        return Analyzer(
            self.user_words_,
            unigrams=self.unigrams,
            bigrams=self.bigrams,
            words=self.words,
            dictionary=self.dictionary,
            glossary=self.glossary,
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

    def _set_rows(self, matrix: sp.csr_matrix, docs: list[Document]) -> None:
        """Store per-row metadata and each row's pruned query vector (for rank by id)."""
        self.ids_ = [d.id for d in docs]
        self.row_of_ = {doc_id: row for row, doc_id in enumerate(self.ids_)}
        self.kind_codes_ = np.array([KINDS.index(d.kind) for d in docs], dtype=np.int8)
        self.fields_ = [d.field for d in docs]
        self.regions_ = [d.region for d in docs]
        self.trl_ = np.array([d.trl or 0 for d in docs], dtype=np.int8)
        self.amount_ = np.array([d.amount or 0.0 for d in docs], dtype=np.float64)
        self.updated_ = np.array(
            [math.nan if d.updated_at is None else d.updated_at for d in docs], dtype=np.float64
        )
        self.active_ = np.array([d.active for d in docs], dtype=bool)
        self.alive_ = np.ones(len(docs), dtype=bool)
        self.qptr_, self.qidx_, self.qval_ = _pruned_rows(matrix, self.max_query_terms)

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
            found = True
        return found

    def _side_matrix(self) -> tuple[list[str], sp.csr_matrix]:
        """The side documents as one small CSR matrix, rebuilt after a change."""
        if self._side_cache is None:
            ids = sorted(self.side_)
            indptr = np.zeros(len(ids) + 1, dtype=np.int64)
            parts_i, parts_v = [], []
            for n, doc_id in enumerate(ids):
                _, idx, val = self.side_[doc_id]
                parts_i.append(idx)
                parts_v.append(val)
                indptr[n + 1] = indptr[n] + len(idx)
            matrix = sp.csr_matrix(
                (
                    np.concatenate(parts_v) if parts_v else np.zeros(0, np.float32),
                    np.concatenate(parts_i) if parts_i else np.zeros(0, np.int32),
                    indptr,
                ),
                shape=(len(ids), len(self.vectorizer_.terms_)),
            )
            self._side_cache = (ids, matrix)
        return self._side_cache

    # -- queries ---------------------------------------------------------------------------

    def _query_from_document(self, doc: Document, *, max_terms: int) -> _Query:
        """Vectorise a document given in full (not necessarily indexed)."""
        idx, val = self.vectorizer_.transform(term_frequencies(self._segments(doc)))
        idx, val = prune(idx, val, max_terms)
        reference = normalise(" ".join((doc.title, *doc.keywords, doc.body)))
        return _Query(idx, val, self._meta_of_document(doc), reference, doc.id)

    def _query_from_id(self, doc_id: str) -> _Query:
        """The stored query vector of an indexed document."""
        if doc_id in self.side_:
            return self._query_from_document(self.side_[doc_id][0], max_terms=self.max_query_terms)
        row = self.row_of_.get(doc_id)
        if row is None or not self.alive_[row]:
            raise KeyError(doc_id)
        lo, hi = self.qptr_[row], self.qptr_[row + 1]
        return _Query(self.qidx_[lo:hi], self.qval_[lo:hi], self._meta_of_row(row), None, doc_id)

    def _meta_of_document(self, doc: Document) -> Meta:
        """Re-ranking attributes of a document object."""
        return Meta(doc.kind, doc.field, doc.region, doc.trl, doc.amount, doc.updated_at)

    def _meta_of_row(self, row: int) -> Meta:
        """Re-ranking attributes of a row of the main index."""
        updated = float(self.updated_[row])
        return Meta(
            KINDS[self.kind_codes_[row]],
            self.fields_[row],
            self.regions_[row],
            int(self.trl_[row]) or None,
            float(self.amount_[row]) or None,
            None if math.isnan(updated) else updated,
        )

    def _candidates(
        self,
        query: _Query,
        *,
        kind: str | None,
        depth: int,
        exclude: frozenset[str],
        predicate: Predicate | None,
        include_inactive: bool = False,
    ) -> list[_Candidate]:
        """Best ``depth`` documents by text score, best first (ties by id)."""
        if len(query.idx) == 0:
            return []
        found: list[_Candidate] = []
        q_idx, q_val = self._budget(query.idx, query.val)
        postings = self.index_.gather(q_idx, q_val)
        if len(postings.rows):
            scores = self.index_.scores(postings)
            touched = np.flatnonzero(scores > 0)
            ok = self.alive_[touched]
            if not include_inactive:
                ok &= self.active_[touched]
            if kind is not None:
                ok &= self.kind_codes_[touched] == KINDS.index(kind)
            touched = touched[ok]
            for row in _top(touched, scores[touched], depth + len(exclude)).tolist():
                found.append(_Candidate(self.ids_[row], float(scores[row]), row, None, postings))
        if self.side_:
            side_ids, matrix = self._side_matrix()
            side_scores = matrix[:, query.idx] @ query.val
            for n in np.flatnonzero(side_scores > 0):
                doc = self.side_[side_ids[n]][0]
                if (kind is None or doc.kind == kind) and (include_inactive or doc.active):
                    found.append(_Candidate(doc.id, float(side_scores[n]), None, doc, None))
        found = [c for c in found if c.id not in exclude and (predicate is None or predicate(c.id))]
        found.sort(key=lambda c: (-c.text_score, c.id))
        return found[:depth]

    def _budget(self, idx: np.ndarray, val: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Drop the query's lightest long-list terms once ``max_postings`` would be exceeded.

        Latency grows with the postings a query reads; the terms dropped are the frequent
        (low-idf) ones, whose contribution to a cosine is small.
        """
        lengths = self.index_.indptr[idx + 1] - self.index_.indptr[idx]
        if self.max_postings <= 0 or int(lengths.sum()) <= self.max_postings:
            return idx, val
        keep = np.zeros(len(idx), dtype=bool)
        spent = 0
        for i in np.lexsort((idx, -val)).tolist():
            if spent + lengths[i] <= self.max_postings:
                keep[i] = True
                spent += int(lengths[i])
        return idx[keep], val[keep]

    def _meta(self, candidate: _Candidate) -> Meta:
        """Re-ranking attributes of a candidate from the main or the side index."""
        if candidate.document is not None:
            return self._meta_of_document(candidate.document)
        return self._meta_of_row(candidate.row)

    def _terms(self, query: _Query, chosen: list[_Candidate]) -> list[tuple[str, ...]]:
        """Readable shared words of each chosen candidate (computed for the final page only)."""
        rows = np.array([c.row for c in chosen if c.row is not None], dtype=np.int64)
        shared_main: dict[int, list[tuple[str, float]]] = {}
        if len(rows):
            postings = next(c.postings for c in chosen if c.postings is not None)
            shared_main = self._shared_terms(postings, rows)
        out = []
        for c in chosen:
            if c.row is not None:
                shared = shared_main[c.row]
            else:
                _, idx, val = self.side_[c.id]
                shared = self._shared(query, idx, val)
            out.append(readable_terms(shared, query.reference, limit=self.explain_terms))
        return out

    def _shared_terms(
        self, postings: Postings, rows: np.ndarray
    ) -> dict[int, list[tuple[str, float]]]:
        """Per candidate row, the query terms it contains and what each contributed."""
        mask = np.isin(postings.rows, rows)
        terms = self.vectorizer_.terms_
        out: dict[int, list[tuple[str, float]]] = {int(r): [] for r in rows}
        for row, term, contrib in zip(
            postings.rows[mask].tolist(),
            postings.terms[mask].tolist(),
            postings.contrib[mask].tolist(),
            strict=True,
        ):
            out[row].append((terms[term], contrib))
        return out

    def _shared(self, query: _Query, idx: np.ndarray, val: np.ndarray) -> list[tuple[str, float]]:
        """Shared terms between a query and one side-index vector."""
        _, qi, di = np.intersect1d(query.idx, idx, assume_unique=True, return_indices=True)
        terms = self.vectorizer_.terms_
        return [
            (terms[query.idx[a]], float(query.val[a] * val[b])) for a, b in zip(qi, di, strict=True)
        ]

    def rank(
        self,
        document_or_id: Document | str,
        *,
        target_kind: str,
        k: int = 10,
        exclude_ids: Iterable[str] = (),
        predicate: Predicate | None = None,
        now: float | None = None,
    ) -> list[Match]:
        """Best ``target_kind`` documents for a need, result or firm, re-ranked and explained."""
        self._check_fitted()
        if target_kind not in KINDS:
            raise ValueError(f"target_kind must be one of {KINDS}")
        if isinstance(document_or_id, Document):
            query = self._query_from_document(document_or_id, max_terms=self.max_query_terms)
        else:
            query = self._query_from_id(document_or_id)
        exclude = frozenset(exclude_ids) | {query.source_id}
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
        for candidate in candidates:
            meta = self._meta(candidate)
            parts = factors(query.meta, meta, weights, now) if query.meta else {}
            final = round(candidate.text_score + sum(parts.values()), 6)
            scored.append((final, candidate, meta, parts))
        scored.sort(key=lambda s: (-s[0], s[1].id))
        scored = scored[:k]
        terms = self._terms(query, [s[1] for s in scored])
        return [
            Match(c.id, meta.kind, final, round(c.text_score, 6), parts, words)
            for (final, c, meta, parts), words in zip(scored, terms, strict=True)
        ]

    def search(
        self,
        query: str,
        *,
        kind: str | None = None,
        k: int = 10,
        offset: int = 0,
        predicate: Predicate | None = None,
    ) -> list[Match]:
        """Free-text search over active documents, by text score."""
        self._check_fitted()
        idx, val = self.vectorizer_.transform(term_frequencies([(self.analyzer_(query), 1.0)]))
        idx, val = prune(idx, val, self.max_query_terms)
        q = _Query(idx, val, None, normalise(query), None)
        found = self._candidates(
            q, kind=kind, depth=offset + k, exclude=frozenset(), predicate=predicate
        )[offset : offset + k]
        return self._plain_matches(q, found)

    def _plain_matches(self, query: _Query, found: list[_Candidate]) -> list[Match]:
        """Matches scored by text alone (search, near duplicates)."""
        return [
            Match(c.id, self._meta(c).kind, round(c.text_score, 6), round(c.text_score, 6), {}, t)
            for c, t in zip(found, self._terms(query, found), strict=True)
        ]

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
            exclude=frozenset({query.source_id}),
            predicate=None,
            include_inactive=include_inactive,
        )
        return self._plain_matches(query, [c for c in found if c.text_score >= threshold])

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


PARAM_NAMES = tuple(inspect.signature(Recommender.__init__).parameters)[1:]


def _pruned_rows(
    matrix: sp.csr_matrix, max_terms: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's ``max_terms`` heaviest terms as CSR arrays: the stored query of each document."""
    lengths = np.diff(matrix.indptr)
    if max_terms <= 0 or len(lengths) == 0 or lengths.max() <= max_terms:
        return matrix.indptr.astype(np.int64), matrix.indices.copy(), matrix.data.copy()
    rows = np.repeat(np.arange(matrix.shape[0], dtype=np.int32), lengths)
    # Within each row, heaviest first (ties by term id), then keep each row's first max_terms.
    order = np.lexsort((matrix.indices, -matrix.data, rows))
    rank_in_row = np.arange(len(order)) - np.repeat(matrix.indptr[:-1], lengths)
    keep = np.sort(order[rank_in_row < max_terms])
    del order, rank_in_row
    qptr = np.zeros(matrix.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.minimum(lengths, max_terms), out=qptr[1:])
    return qptr, matrix.indices[keep], matrix.data[keep]


def _top(rows: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
    """Rows of the ``k`` best scores and every row tied with the k-th (ids break ties later)."""
    if len(rows) <= k:
        return rows
    part = np.argpartition(-scores, k - 1)
    kth = scores[part[k - 1]]
    return rows[scores >= kth]
