"""TF-IDF vectoriser with field weights and a term-major inverted index (float32)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

MIN_DOCS_FOR_MAX_DF = 50
CHUNK = 1 << 20

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
        chunks_idx: list[np.ndarray] = []
        chunks_tf: list[np.ndarray] = []
        lengths: list[int] = []
        pending_idx: list[int] = []
        pending_tf: list[float] = []
        for tf in docs:
            pending_idx += [provisional.setdefault(term, len(provisional)) for term in tf]
            pending_tf += tf.values()
            lengths.append(len(tf))
            if len(pending_idx) >= CHUNK:
                # Flat chunks instead of one array per document: far less overhead at 1M docs.
                chunks_idx.append(np.array(pending_idx, dtype=np.int32))
                chunks_tf.append(np.array(pending_tf, dtype=np.float32))
                pending_idx, pending_tf = [], []
        chunks_idx.append(np.array(pending_idx, dtype=np.int32))
        chunks_tf.append(np.array(pending_tf, dtype=np.float32))
        del pending_idx, pending_tf
        n_docs = len(lengths)
        old_ids = np.concatenate(chunks_idx)
        chunks_idx.clear()
        df = np.bincount(old_ids, minlength=len(provisional))
        keep = df >= self.min_df
        if n_docs >= MIN_DOCS_FOR_MAX_DF and self.max_df < 1.0:
            # Terms in most documents cost the most postings and separate nothing; in a tiny
            # corpus a document frequency says nothing, so the cut waits for a real one.
            keep &= df <= max(self.max_df * n_docs, 1)
        old_terms = list(provisional)
        del provisional
        # Sorted vocabulary: term ids do not depend on the order documents arrived in.
        kept = sorted(old_terms[i] for i in np.flatnonzero(keep))
        self.vocabulary_ = {term: i for i, term in enumerate(kept)}
        self.terms_ = kept
        remap = np.fromiter(
            (self.vocabulary_.get(t, -1) for t in old_terms), dtype=np.int32, count=len(old_terms)
        )
        del old_terms
        kept_df = np.zeros(len(kept), dtype=np.float64)
        kept_df[remap[keep]] = df[keep]
        idf = np.log((1.0 + n_docs) / (1.0 + kept_df)) + 1.0
        scale = np.array([self.unigram_weight if len(t) == 1 else 1.0 for t in kept])
        self.idf_ = (idf * scale).astype(np.float32)
        rows = np.repeat(np.arange(n_docs, dtype=np.int32), lengths)
        ids = remap[old_ids]
        del old_ids
        mask = ids >= 0
        ids, rows = ids[mask], rows[mask]
        tfs = np.concatenate(chunks_tf)[mask]
        chunks_tf.clear()
        del mask
        vals = self._tf(tfs) * self.idf_[ids]
        del tfs
        norms = np.sqrt(np.bincount(rows, weights=vals * vals, minlength=n_docs))
        norms[norms == 0] = 1.0
        vals /= norms[rows].astype(np.float32)
        indptr = np.zeros(n_docs + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_docs), out=indptr[1:])
        del rows
        matrix = sp.csr_matrix((vals, ids, indptr), shape=(n_docs, len(kept)))
        matrix.sort_indices()
        return matrix

    def _tf(self, tfs: np.ndarray) -> np.ndarray:
        """Sublinear (1 + ln tf) or raw term frequency, float32."""
        if self.sublinear_tf:
            return np.maximum(1.0 + np.log(np.maximum(tfs, 1e-6)), 0.0).astype(np.float32)
        return tfs.astype(np.float32)

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
        val = (self._tf(tfs) * self.idf_[idx]).astype(np.float32)
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
        csc.sort_indices()
        self.n_docs = csc.shape[0]
        self.indptr = csc.indptr.astype(np.int64, copy=False)
        self.indices = csc.indices.astype(np.int32, copy=False)
        self.data = csc.data.astype(np.float32, copy=False)

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
