"""TF-IDF vectoriser with field weights and a term-major inverted index (float32)."""

from __future__ import annotations

import itertools
import math
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from matchmaker.recommender.vocab import Positions

MIN_DOCS_FOR_MAX_DF = 50
CHUNK = 1 << 20

# A document as the analyser sees it: (terms, weight) per field (title, keywords, body).
Segments = Sequence[tuple[Sequence[str], float]]


def _flush(
    doc: array | np.ndarray,
    term: array | np.ndarray,
    tf: array | np.ndarray,
    n_docs: int,
    terms_out: list[np.ndarray],
    tf_out: list[np.ndarray],
    lengths_out: list[np.ndarray],
) -> None:
    """Merge a chunk's (doc, term) duplicates across fields; append its compact arrays."""
    docs = np.frombuffer(doc, dtype=np.int32) if len(doc) else np.zeros(0, np.int32)
    terms = np.frombuffer(term, dtype=np.int32) if len(term) else np.zeros(0, np.int32)
    tfs = np.frombuffer(tf, dtype=np.float32) if len(tf) else np.zeros(0, np.float32)
    key, order = _sorted_keys(docs, terms)
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, np.int64)
    terms_out.append(terms[order][starts])
    tf_out.append(np.add.reduceat(tfs[order], starts) if len(starts) else np.zeros(0, np.float32))
    lengths_out.append(np.bincount(docs[order][starts], minlength=n_docs).astype(np.int64))


def _sorted_keys(docs: np.ndarray, terms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (doc, term) keys in order and the stable sort order that puts them there.

    When doc, term and position fit in 63 bits together (a chunk is ~2**20 postings of a few
    thousand documents, so up to ~2**29 terms), the position is packed below the key: the keys
    are then distinct, numpy's plain (SIMD) sort of them is the stable order, faster than the
    stable argsort (timsort) it replaces; otherwise that argsort itself. Same result.
    """
    n = len(docs)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    term_bits = max(int(terms.max()), 1).bit_length()
    doc_bits = max(int(docs.max()), 1).bit_length()
    pos_bits = max(n - 1, 1).bit_length()
    if doc_bits + term_bits + pos_bits > 63 or int(terms.min()) < 0 or int(docs.min()) < 0:
        key = (docs.astype(np.int64) << 32) | terms
        order = np.argsort(key, kind="stable")
        return key[order], order
    packed = (docs.astype(np.int64) << (term_bits + pos_bits)) | (
        terms.astype(np.int64) << pos_bits
    )
    packed |= np.arange(n, dtype=np.int64)
    packed.sort()
    order = packed & ((1 << pos_bits) - 1)
    packed >>= pos_bits
    # Back to the (doc << 32 | term) keys of the fallback; only their equality is used.
    key = ((packed >> term_bits) << 32) | (packed & ((1 << term_bits) - 1))
    return key, order


def _pop_concat(chunks: list[np.ndarray], dtype: type) -> np.ndarray:
    """Concatenate and release the chunks (peak: the chunks plus one copy)."""
    out: np.ndarray = (
        np.concatenate(chunks).astype(dtype, copy=False) if chunks else np.zeros(0, dtype)
    )
    chunks.clear()
    return out


def _normalise_rows(vals: np.ndarray, indptr: np.ndarray, block: int = 8192) -> None:
    """L2-normalise each CSR row in place, a block of rows at a time (small temporaries)."""
    n_docs = len(indptr) - 1
    for a in range(0, n_docs, block):
        b = min(n_docs, a + block)
        lo, hi = int(indptr[a]), int(indptr[b])
        v = vals[lo:hi]
        lengths = np.diff(indptr[a : b + 1])
        rows = np.repeat(np.arange(b - a), lengths)
        norms = np.sqrt(np.bincount(rows, weights=v * v, minlength=b - a))
        norms[norms == 0] = 1.0
        v /= np.repeat(norms, lengths).astype(np.float32)


# One batch of analysed documents: the batch's terms in first-seen order, then per (document,
# field, distinct term) the document's position in the batch, the term's local id and its
# field-weighted count (raw bytes of int32, int32, float32 arrays), and the number of documents.
Batch = tuple[list[str], bytes, bytes, bytes, int]


def analyse_batch(docs: Iterable[Segments]) -> Batch:
    """The flat arrays of consecutive analysed documents (what fit_transform accumulates)."""
    local: defaultdict[str, int] = defaultdict(itertools.count().__next__)
    lookup = local.__getitem__
    doc, term, tf = array("i"), array("i"), array("f")
    n = 0
    for segments in docs:
        for terms, weight in segments:
            counts = Counter(terms)
            term.extend(map(lookup, counts))
            tf.extend(map(float(weight).__mul__, counts.values()))
            doc.extend(itertools.repeat(n, len(counts)))
        n += 1
    return list(local), doc.tobytes(), term.tobytes(), tf.tobytes(), n


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
        # A dict and a list after fit; vocab.Positions / StringTable (mapped) after load.
        self.vocabulary_: Mapping[str, int] = {}
        self.terms_: Sequence[str] = []
        self.idf_ = np.zeros(0, dtype=np.float32)

    def fit_transform(self, docs: Iterable[Segments]) -> sp.csr_matrix:
        """Learn vocabulary and IDF from analysed documents; return the document matrix (CSR).

        Memory: each document's (term, weighted tf) pairs go straight into flat typed arrays,
        never into per-document Python objects; everything after that is numpy.
        """
        provisional: defaultdict[str, int] = defaultdict(itertools.count().__next__)
        lookup = provisional.__getitem__
        terms_chunks: list[np.ndarray] = []
        tf_chunks: list[np.ndarray] = []
        length_chunks: list[np.ndarray] = []
        pend_doc, pend_term, pend_tf = array("i"), array("i"), array("f")
        first = n_seen = 0
        for segments in docs:
            local = n_seen - first
            for terms, weight in segments:
                counts = Counter(terms)
                # C-level loops; a new term gets the next id from the defaultdict's counter.
                pend_term.extend(map(lookup, counts))
                pend_tf.extend(map(float(weight).__mul__, counts.values()))
                pend_doc.extend(itertools.repeat(local, len(counts)))
            n_seen += 1
            if len(pend_term) >= CHUNK:
                _flush(
                    pend_doc,
                    pend_term,
                    pend_tf,
                    n_seen - first,
                    terms_chunks,
                    tf_chunks,
                    length_chunks,
                )
                pend_doc, pend_term, pend_tf = array("i"), array("i"), array("f")
                first = n_seen
        _flush(pend_doc, pend_term, pend_tf, n_seen - first, terms_chunks, tf_chunks, length_chunks)
        del pend_doc, pend_term, pend_tf
        old_terms = list(provisional)
        del provisional, lookup
        return self._finish(terms_chunks, tf_chunks, length_chunks, old_terms)

    def fit_transform_batches(self, batches: Iterable[Batch]) -> sp.csr_matrix:
        """fit_transform over documents analysed elsewhere (worker processes), batch by batch.

        Each batch is ``analyse_batch`` of consecutive documents, in document order. Mapping
        a batch's local term ids to the running ids in the batch's own first-seen order gives
        every term the same provisional id as the serial pass, and flushing a batch on its own
        only moves chunk boundaries between documents, so the matrix is identical to
        ``fit_transform`` over the same documents (tested).
        """
        provisional: defaultdict[str, int] = defaultdict(itertools.count().__next__)
        lookup = provisional.__getitem__
        terms_chunks: list[np.ndarray] = []
        tf_chunks: list[np.ndarray] = []
        length_chunks: list[np.ndarray] = []
        for local_terms, doc, term, tf, n_docs in batches:
            count = len(local_terms)
            to_global = np.fromiter(map(lookup, local_terms), dtype=np.int32, count=count)
            terms = to_global[np.frombuffer(term, dtype=np.int32)]
            _flush(
                np.frombuffer(doc, dtype=np.int32),
                terms,
                np.frombuffer(tf, dtype=np.float32),
                n_docs,
                terms_chunks,
                tf_chunks,
                length_chunks,
            )
        old_terms = list(provisional)
        del provisional, lookup
        return self._finish(terms_chunks, tf_chunks, length_chunks, old_terms)

    def _finish(
        self,
        terms_chunks: list[np.ndarray],
        tf_chunks: list[np.ndarray],
        length_chunks: list[np.ndarray],
        old_terms: list[str],
    ) -> sp.csr_matrix:
        """Vocabulary, IDF and the L2-normalised CSR matrix from the flat (term, tf) arrays."""
        lengths = np.concatenate(length_chunks)
        n_docs = len(lengths)
        df = np.zeros(len(old_terms), dtype=np.int64)
        for chunk in terms_chunks:
            df += np.bincount(chunk, minlength=len(old_terms))
        keep = df >= self.min_df
        if n_docs >= MIN_DOCS_FOR_MAX_DF and self.max_df < 1.0:
            # Terms in most documents cost the most postings and separate nothing; in a tiny
            # corpus a document frequency says nothing, so the cut waits for a real one.
            keep &= df <= max(self.max_df * n_docs, 1)
        # Sorted vocabulary: term ids do not depend on the order documents arrived in.
        kept = sorted(old_terms[i] for i in np.flatnonzero(keep).tolist())
        vocabulary = {term: i for i, term in enumerate(kept)}
        self.vocabulary_ = vocabulary
        self.terms_ = kept
        remap = np.fromiter(
            (vocabulary.get(t, -1) for t in old_terms), dtype=np.int32, count=len(old_terms)
        )
        del old_terms
        kept_df = np.zeros(len(kept), dtype=np.float64)
        kept_df[remap[keep]] = df[keep]
        del df, keep
        idf = np.log((1.0 + n_docs) / (1.0 + kept_df)) + 1.0
        scale = np.array([self.unigram_weight if len(t) == 1 else 1.0 for t in kept])
        self.idf_ = (idf * scale).astype(np.float32)
        # Chunk by chunk: drop the cut terms and weigh, releasing each raw chunk as it is done
        # (the dropped frequent terms are about half of all raw postings).
        ids_parts, vals_parts = [], []
        row = 0
        while terms_chunks:
            ids, tfs = remap[terms_chunks.pop(0)], tf_chunks.pop(0)
            chunk_lengths = length_chunks.pop(0)
            mask = ids >= 0
            if not mask.all():
                rows = np.repeat(np.arange(len(chunk_lengths)), chunk_lengths)
                lengths[row : row + len(chunk_lengths)] = np.bincount(
                    rows[mask], minlength=len(chunk_lengths)
                )
                ids, tfs = ids[mask], tfs[mask]
            row += len(chunk_lengths)
            vals = self._tf(tfs)
            vals *= self.idf_[ids]
            ids_parts.append(ids)
            vals_parts.append(vals)
        del remap
        ids = _pop_concat(ids_parts, np.int32)
        vals = _pop_concat(vals_parts, np.float32)
        index_dtype = np.int32 if len(ids) < 2**31 else np.int64
        indptr = np.zeros(n_docs + 1, dtype=index_dtype)
        np.cumsum(lengths, out=indptr[1:])
        _normalise_rows(vals, indptr)
        # Rows keep their arrival order of terms: nothing downstream needs them sorted.
        return sp.csr_matrix((vals, ids, indptr), shape=(n_docs, len(kept)), copy=False)

    def _tf(self, tfs: np.ndarray) -> np.ndarray:
        """Sublinear (1 + ln tf) or raw term frequency, float32 (in place when given float32)."""
        tfs = tfs.astype(np.float32, copy=False)
        if self.sublinear_tf:
            np.maximum(tfs, 1e-6, out=tfs)
            np.log(tfs, out=tfs)
            tfs += 1.0
            np.maximum(tfs, 0.0, out=tfs)
        return tfs

    def transform(self, tf: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
        """Map one document's term frequencies to (term ids, weights) with the frozen vocabulary."""
        vocabulary = self.vocabulary_
        if isinstance(vocabulary, Positions):
            found = vocabulary.get_many(tf)  # the mapped table: one call, not one per term
        else:
            get = vocabulary.get
            found = [get(t, -1) for t in tf]
        pairs = [
            (i, f) for i, f in zip(found, tf.values(), strict=True) if i is not None and i >= 0
        ]
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
        csc = matrix.tocsc()  # rows come out sorted within each column
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
        # The query's (at most max_query_terms) posting lists copied back to back: contiguous
        # slices, ~2.5x faster than gathering every posting by its position.
        indices, data = np.asarray(self.indices), np.asarray(self.data)
        bounds = list(zip(starts.tolist(), (starts + lens).tolist(), strict=True))
        rows = np.concatenate([indices[a:b] for a, b in bounds])
        contrib = np.concatenate([data[a:b] for a, b in bounds]) * np.repeat(q_val, lens)
        return Postings(rows, np.repeat(q_idx, lens), contrib)

    def approximate_scores(self, q_idx: np.ndarray, q_val: np.ndarray) -> np.ndarray:
        """Every document's score accumulated in float32, straight from the posting lists.

        About five times faster than `scores` at a million documents (a float32 scatter-add
        into 4 MB instead of a float64 one into 8 MB, and no copy of the postings), but the
        last bits may differ from `scores`; `_candidates` uses it only to choose which rows
        to score exactly (`postings_for_rows`), with a margin above this rounding error.
        """
        # Plain ndarray views: indexing a np.memmap goes through Python code each time.
        indptr = np.asarray(self.indptr)
        indices, data = np.asarray(self.indices), np.asarray(self.data)
        acc = np.zeros(self.n_docs, dtype=np.float32)
        for term, weight in zip(q_idx.tolist(), q_val.tolist(), strict=True):
            lo, hi = int(indptr[term]), int(indptr[term + 1])
            if hi > lo:
                np.add.at(acc, indices[lo:hi], data[lo:hi] * np.float32(weight))
        return acc

    def postings_for_rows(self, q_idx: np.ndarray, q_val: np.ndarray, rows: np.ndarray) -> Postings:
        """`gather(q_idx, q_val)` restricted to the documents `rows` (ascending): the same
        entries with the same values, in the same order (term by term, rows ascending), found
        by binary search in each list instead of reading it whole."""
        # Plain ndarray views: indexing a np.memmap goes through Python code each time.
        indptr = np.asarray(self.indptr)
        indices, data = np.asarray(self.indices), np.asarray(self.data)
        found_rows, found_terms, found_contrib = [], [], []
        for i, term in enumerate(q_idx.tolist()):
            lo, hi = int(indptr[term]), int(indptr[term + 1])
            if hi == lo or not len(rows):
                continue
            column = indices[lo:hi]
            at = np.searchsorted(column, rows)
            inside = at < len(column)
            hit = np.zeros(len(rows), dtype=bool)
            hit[inside] = column[at[inside]] == rows[inside]
            if not hit.any():
                continue
            found_rows.append(rows[hit])
            found_terms.append(np.full(int(hit.sum()), term, dtype=q_idx.dtype))
            # An array times a one-element array: the dtype gather()'s product has.
            found_contrib.append(data[lo:hi][at[hit]] * q_val[i : i + 1])
        if not found_rows:
            empty = np.zeros(0, dtype=np.int32)
            return Postings(empty, empty, np.zeros(0, dtype=np.float32))
        return Postings(
            np.concatenate(found_rows),
            np.concatenate(found_terms),
            np.concatenate(found_contrib),
        )

    def scores(self, postings: Postings) -> np.ndarray:
        """Accumulate the touched postings into one score per document (float32)."""
        return np.bincount(postings.rows, weights=postings.contrib, minlength=self.n_docs).astype(
            np.float32
        )
