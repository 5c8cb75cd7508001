"""TF-IDF vectoriser with field weights and a term-major inverted index (float32)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

MIN_DOCS_FOR_MAX_DF = 50

# A document as the analyser sees it: (terms, weight) per field (title, keywords, body).
Segments = Sequence[tuple[Sequence[str], float]]


def term_frequencies(segments: Segments) -> dict[str, float]:
    """Field-weighted term frequencies of one document."""
    tf: dict[str, float] = {}
    for terms, weight in segments:
        for term, count in Counter(terms).items():
            tf[term] = tf.get(term, 0.0) + count * weight
    return tf


class Vectorizer:
    """Fits one vocabulary and IDF over every document, then maps documents to L2 unit vectors."""

    def __init__(
        self,
        *,
        unigram_weight: float = 1.5,
        min_df: int = 1,
        max_df: float = 1.0,
        sublinear_tf: bool = True,
    ) -> None:
        self.unigram_weight = unigram_weight
        self.min_df = min_df
        self.max_df = max_df
        self.sublinear_tf = sublinear_tf
        self.vocabulary_: dict[str, int] = {}
        self.terms_: list[str] = []
        self.idf_ = np.zeros(0, dtype=np.float32)

    def fit_transform(self, docs: Iterable[dict[str, float]]) -> sp.csr_matrix:
        """Learn vocabulary and IDF from term frequencies; return the document matrix (CSR)."""
        provisional: dict[str, int] = {}
        rows_idx: list[np.ndarray] = []
        rows_tf: list[np.ndarray] = []
        for tf in docs:
            ids = [provisional.setdefault(term, len(provisional)) for term in tf]
            rows_idx.append(np.asarray(ids, dtype=np.int32))
            rows_tf.append(np.fromiter(tf.values(), dtype=np.float32, count=len(tf)))
        n_docs = len(rows_idx)
        df = np.bincount(
            np.concatenate(rows_idx) if rows_idx else np.zeros(0, np.int32),
            minlength=len(provisional),
        )
        keep = df >= self.min_df
        if n_docs >= MIN_DOCS_FOR_MAX_DF and self.max_df < 1.0:
            # Terms in most documents cost the most postings and separate nothing; in a tiny
            # corpus a document frequency says nothing, so the cut waits for a real one.
            keep &= df <= max(self.max_df * n_docs, 1)
        old_terms = list(provisional)
        # Sorted vocabulary: term ids do not depend on the order documents arrived in.
        kept = sorted(old_terms[i] for i in np.flatnonzero(keep))
        self.vocabulary_ = {term: i for i, term in enumerate(kept)}
        self.terms_ = kept
        remap = np.full(len(provisional), -1, dtype=np.int32)
        for old, term in enumerate(old_terms):
            remap[old] = self.vocabulary_.get(term, -1)
        kept_df = np.zeros(len(kept), dtype=np.float64)
        kept_df[remap[keep]] = df[keep]
        idf = np.log((1.0 + n_docs) / (1.0 + kept_df)) + 1.0
        scale = np.array([self.unigram_weight if len(t) == 1 else 1.0 for t in kept])
        self.idf_ = (idf * scale).astype(np.float32)
        del provisional, old_terms
        indptr = np.zeros(n_docs + 1, dtype=np.int64)
        out_idx: list[np.ndarray] = []
        out_val: list[np.ndarray] = []
        for row, (ids, tfs) in enumerate(zip(rows_idx, rows_tf, strict=True)):
            new = remap[ids]
            mask = new >= 0
            idx, val = self._weigh(new[mask], tfs[mask])
            out_idx.append(idx)
            out_val.append(val)
            indptr[row + 1] = indptr[row] + len(idx)
        del rows_idx, rows_tf
        indices = np.concatenate(out_idx) if out_idx else np.zeros(0, np.int32)
        data = np.concatenate(out_val) if out_val else np.zeros(0, np.float32)
        return sp.csr_matrix((data, indices, indptr), shape=(n_docs, len(kept)))

    def transform(self, tf: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
        """Map one document's term frequencies to (term ids, weights) with the frozen vocabulary."""
        pairs = [(self.vocabulary_[t], f) for t, f in tf.items() if t in self.vocabulary_]
        idx = np.fromiter((p[0] for p in pairs), dtype=np.int32, count=len(pairs))
        tfs = np.fromiter((p[1] for p in pairs), dtype=np.float32, count=len(pairs))
        return self._weigh(idx, tfs)

    def _weigh(self, idx: np.ndarray, tfs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sublinear tf times idf, L2-normalised, sorted by term id."""
        order = np.argsort(idx, kind="stable")
        idx = idx[order]
        tfs = tfs[order]
        if self.sublinear_tf:
            tfs = 1.0 + np.log(np.maximum(tfs, 1e-6))
            tfs = np.maximum(tfs, 0.0)
        val = (tfs * self.idf_[idx]).astype(np.float32)
        norm = math.sqrt(float(np.dot(val, val)))
        if norm > 0:
            val /= norm
        return idx.astype(np.int32), val


def prune(idx: np.ndarray, val: np.ndarray, max_terms: int) -> tuple[np.ndarray, np.ndarray]:
    """Keep a query's ``max_terms`` heaviest terms (ties by term id): fewer postings to touch."""
    if max_terms <= 0 or len(idx) <= max_terms:
        return idx, val
    order = np.lexsort((idx, -val))[:max_terms]
    order.sort()
    return idx[order], val[order]


@dataclass
class Postings:
    """The postings a query touched: per posting its document row, term id and contribution."""

    rows: np.ndarray
    terms: np.ndarray
    contrib: np.ndarray


class InvertedIndex:
    """Term-major (CSC-like) postings: a query reads only the lists of its own terms."""

    def __init__(self, matrix: sp.csr_matrix) -> None:
        csc = matrix.tocsc()
        del matrix
        csc.sort_indices()
        self.n_docs = csc.shape[0]
        self.indptr = csc.indptr.astype(np.int64)
        self.indices = csc.indices.astype(np.int32)
        self.data = csc.data.astype(np.float32)

    @classmethod
    def from_arrays(
        cls, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, n_docs: int
    ) -> InvertedIndex:
        """Rebuild an index from stored arrays (artifact loading)."""
        self = cls.__new__(cls)
        self.n_docs = n_docs
        self.indptr, self.indices, self.data = indptr, indices, data
        return self

    def gather(self, q_idx: np.ndarray, q_val: np.ndarray) -> Postings:
        """Read the postings of the query terms, weighted by the query's term weights."""
        starts = self.indptr[q_idx]
        lens = self.indptr[q_idx + 1] - starts
        total = int(lens.sum())
        if total == 0:
            empty = np.zeros(0, dtype=np.int32)
            return Postings(empty, empty, np.zeros(0, dtype=np.float32))
        # Positions of every posting of every query term, without a Python loop.
        offsets = np.repeat(starts - np.cumsum(lens) + lens, lens)
        pos = offsets + np.arange(total, dtype=np.int64)
        rows = self.indices[pos]
        contrib = self.data[pos] * np.repeat(q_val, lens)
        return Postings(rows, np.repeat(q_idx, lens), contrib)

    def scores(self, postings: Postings) -> np.ndarray:
        """Accumulate the touched postings into one score per document (float32)."""
        return np.bincount(postings.rows, weights=postings.contrib, minlength=self.n_docs).astype(
            np.float32
        )
