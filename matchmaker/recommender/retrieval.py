"""Retrieval internals of the Recommender: query vectors, candidate scoring, side index, terms."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from matchmaker.recommender.document import KINDS, Document
from matchmaker.recommender.explain import readable_terms
from matchmaker.recommender.index import (
    InvertedIndex,
    Postings,
    Vectorizer,
    prune,
    term_frequencies,
)
from matchmaker.recommender.lexicon import Lexicon
from matchmaker.recommender.rerank import Meta
from matchmaker.recommender.text import ENGLISH_STOP_WORDS, english_lexicon, latin_terms, normalise

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
    #: Runs of the query's English lexicon matches: [[(english, chinese), ...], ...].
    runs: list[list[tuple[str, str]]] | None = None


class Retrieval:
    """Mixin: how a fitted Recommender finds and explains candidates (state lives on it)."""

    # Parameters, set by Recommender.__init__.
    max_query_terms: int
    max_postings: int
    explain_terms: int
    glossary: bool
    lexicon: bool
    # Fitted state, set by Recommender.fit() or restored by artifact.load().
    vectorizer_: Vectorizer
    index_: InvertedIndex
    ids_: Sequence[str]
    row_of_: Mapping[str, int]
    fields_: Sequence[str | None]
    regions_: Sequence[str | None]
    kind_codes_: np.ndarray
    trl_: np.ndarray
    amount_: np.ndarray
    updated_: np.ndarray
    active_: np.ndarray
    alive_: np.ndarray
    qptr_: np.ndarray
    qidx_: np.ndarray
    qval_: np.ndarray
    side_: dict[str, tuple[Document, np.ndarray, np.ndarray]]
    _side_cache: tuple[list[str], sp.csr_matrix] | None

    def _segments(self, doc: Document) -> list[tuple[list[str], float]]:
        """A document's fields as weighted term lists (defined by the Recommender)."""
        raise NotImplementedError

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
        text = " ".join((doc.title, *doc.keywords, doc.body))
        return self._text_query(idx, val, text, self._meta_of_document(doc), doc.id)

    def _text_query(
        self, idx: np.ndarray, val: np.ndarray, text: str, meta: Meta | None, source_id: str | None
    ) -> _Query:
        """A query with its text for explanations: the normalised text, then the Chinese that
        its English words stand for (so an English query's matches are explained in the
        Chinese words they share)."""
        reference = normalise(text)
        lexicon = self._english()
        runs = lexicon.matches(reference, ENGLISH_STOP_WORDS) if lexicon is not None else []
        if runs:
            reference += "\n" + "\n".join("".join(zh for _, zh in run) for run in runs)
        return _Query(idx, val, meta, reference, source_id, runs)

    def _english(self) -> Lexicon | None:
        """The English -> Chinese lexicon the analyser uses, or None when cross-lingual is off."""
        if not (self.lexicon or self.glossary):
            return None
        return english_lexicon(self.glossary, self.lexicon)

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
        rows, scores, postings = self._best_rows(
            q_idx, q_val, self._eligible(kind, include_inactive), depth + len(exclude)
        )
        ids = self.ids_
        for row, score in zip(rows.tolist(), scores.tolist(), strict=True):
            found.append(_Candidate(ids[row], score, row, None, postings))
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

    def _best_rows(
        self, q_idx: np.ndarray, q_val: np.ndarray, eligible: np.ndarray, want: int
    ) -> tuple[np.ndarray, np.ndarray, Postings]:
        """The ``want`` best eligible rows (and every row tied with the last), their exact
        scores and their postings: what `gather` + `scores` + `_top` over every document give,
        for a fraction of the work at a million documents.

        Every document is first scored in float32 (`approximate_scores`); only the rows that
        can be among the best by that score, less a margin twice the bound on its rounding
        error, are scored exactly, in the same order of additions as `scores` (float64, term
        by term, then float32), so the chosen rows, their scores and their order are those of
        the exact computation (tests/recommender/test_fast_paths.py compares them).
        """
        if len(q_idx) == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, np.zeros(0, dtype=np.float32), self.index_.gather(q_idx, q_val)
        approx = self.index_.approximate_scores(q_idx, q_val)
        touched = np.flatnonzero((approx > 0) & eligible)
        if len(touched) > want:
            values = approx[touched]
            kth = float(np.partition(values, len(values) - want)[len(values) - want])
            # Sequential float32 sums of n positive terms are within (n + 1) * 2**-24 of the
            # exact sum, relatively; two documents' errors, then twice that again for safety.
            margin = (len(q_idx) + 2) * 2.0**-22 * float(values.max())
            touched = touched[values >= kth - margin]
        postings = self.index_.postings_for_rows(q_idx, q_val, touched)
        position = np.searchsorted(touched, postings.rows)
        exact = np.bincount(position, weights=postings.contrib, minlength=len(touched)).astype(
            np.float32
        )
        best = _top(np.arange(len(touched)), exact, want)
        return touched[best], exact[best], postings

    def _eligible(self, kind: str | None, include_inactive: bool) -> np.ndarray:
        """Main-index rows a query may return: alive, active (unless included) and of ``kind``.

        One boolean per row, cached per (kind, include_inactive) until add() or remove()
        changes ``alive_`` (they clear the cache); a query then filters with one ``&``.
        """
        cache = self.__dict__.setdefault("_eligible_cache", {})
        key = (kind, include_inactive)
        mask = cache.get(key)
        if mask is None or len(mask) != len(self.alive_):
            mask = self.alive_.copy()
            if not include_inactive:
                mask &= np.asarray(self.active_, dtype=bool)
            if kind is not None:
                mask &= np.asarray(self.kind_codes_) == KINDS.index(kind)
            cache[key] = mask
        return mask

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

    def _metas(self, candidates: Sequence[_Candidate]) -> list[Meta]:
        """Re-ranking attributes of many candidates: the main rows' arrays read in one go.

        The same values as ``_meta`` per candidate, without a numpy scalar (or memmap slice)
        per attribute and row.
        """
        rows = [c.row for c in candidates if c.row is not None]
        at = np.array(rows, dtype=np.int64)
        kinds = self.kind_codes_[at].tolist()
        trls = self.trl_[at].tolist()
        amounts = self.amount_[at].tolist()
        updated = self.updated_[at].tolist()
        fields, regions = self.fields_, self.regions_
        main = iter(range(len(rows)))
        out = []
        for c in candidates:
            if c.row is None:
                out.append(self._meta(c))
                continue
            n = next(main)
            out.append(
                Meta(
                    KINDS[kinds[n]],
                    fields[c.row],
                    regions[c.row],
                    trls[n] or None,
                    amounts[n] or None,
                    None if math.isnan(updated[n]) else updated[n],
                )
            )
        return out

    def _meta(self, candidate: _Candidate) -> Meta:
        """Re-ranking attributes of a candidate from the main or the side index."""
        if candidate.row is not None:
            return self._meta_of_row(candidate.row)
        assert candidate.document is not None  # a side-index candidate carries its document
        return self._meta_of_document(candidate.document)

    def _terms(
        self, query: _Query, chosen: list[_Candidate]
    ) -> list[tuple[tuple[str, ...], tuple[tuple[str, str], ...]]]:
        """Readable shared words and English -> Chinese pairs of each chosen candidate.

        Computed for the final page only (the shown top k), never for the whole candidate list.
        """
        rows = np.array([c.row for c in chosen if c.row is not None], dtype=np.int64)
        shared_main: dict[int, list[tuple[str, float]]] = {}
        if len(rows):
            postings = next(c.postings for c in chosen if c.postings is not None)
            shared_main = self._shared_terms(postings, rows)
        # What the pairs look up per word does not depend on the candidate: once per page.
        glosses: dict[str, list[tuple[str, list[int] | None]]] = {}
        query_pairs: dict[str, tuple[str, str] | None] = {}
        out = []
        for c in chosen:
            if c.row is not None:
                shared = shared_main[c.row]
            else:
                _, idx, val = self.side_[c.id]
                shared = self._shared(query, idx, val)
            words = readable_terms(shared, query.reference, limit=self.explain_terms)
            out.append((words, self._pairs(query, words, c, glosses, query_pairs)))
        return out

    def _pairs(
        self,
        query: _Query,
        words: tuple[str, ...],
        candidate: _Candidate,
        glosses: dict[str, list[tuple[str, list[int] | None]]] | None = None,
        query_pairs: dict[str, tuple[str, str] | None] | None = None,
    ) -> tuple[tuple[str, str], ...]:
        """(english, chinese) behind each shared Chinese word that came through the lexicon.

        The English is the query's (its lexicon matches) or else the candidate's: an English
        gloss of the word whose index terms the candidate contains (refractory -> 耐火材料).
        ``glosses`` and ``query_pairs`` cache the candidate-independent look-ups of one page.
        """
        lexicon = self._english()
        if lexicon is None:
            return ()
        glosses = {} if glosses is None else glosses
        query_pairs = {} if query_pairs is None else query_pairs
        pairs: list[tuple[str, str]] = []
        for word in words:
            if word.isascii():
                continue
            if word in query_pairs:
                pair = query_pairs[word]
            else:
                pair = query_pairs[word] = _query_pair(query.runs or [], word)
            # The candidate's English for the word, else for its longest part that has one
            # (聚乙烯 shared through "ethylene" -> 乙烯).
            for part in _parts(word) if pair is None else ():
                options = glosses.get(part)
                if options is None:
                    options = glosses[part] = [
                        (e, self._term_ids(latin_terms(e))) for e in lexicon.english_for(part)[:40]
                    ]
                english = next(
                    (e for e, ids in options if ids is not None and self._has(candidate, ids)),
                    None,
                )
                if english is not None:
                    pair = (english, part)
                    break
            if pair is not None and pair not in pairs:
                pairs.append(pair)
        return tuple(pairs)

    def _term_ids(self, terms: list[str]) -> list[int] | None:
        """The vocabulary ids of ``terms``; None when there are none or one is not indexed."""
        if not terms:
            return None
        get = self.vectorizer_.vocabulary_.get
        ids = []
        for term in terms:
            i = get(term)
            if i is None:
                return None
            ids.append(i)
        return ids

    def _contains(self, candidate: _Candidate, terms: list[str]) -> bool:
        """Whether the candidate's vector has every one of ``terms`` (binary search per term)."""
        ids = self._term_ids(terms)
        return ids is not None and self._has(candidate, ids)

    def _has(self, candidate: _Candidate, ids: list[int]) -> bool:
        """Whether the candidate's vector has every one of the term ids."""
        if candidate.row is None:
            side_idx = self.side_[candidate.id][1]
            return all(bool(np.isin(t, side_idx)) for t in ids)
        # Plain ndarray views: slicing a np.memmap goes through Python code each time.
        indptr, indices = np.asarray(self.index_.indptr), np.asarray(self.index_.indices)
        for t in ids:
            lo, hi = int(indptr[t]), int(indptr[t + 1])
            at = lo + int(np.searchsorted(indices[lo:hi], candidate.row))
            if at >= hi or int(indices[at]) != candidate.row:
                return False
        return True

    def _shared_terms(
        self, postings: Postings, rows: np.ndarray
    ) -> dict[int, list[tuple[str, float]]]:
        """Per candidate row, the query terms it contains and what each contributed."""
        chosen = np.zeros(self.index_.n_docs, dtype=bool)
        chosen[rows] = True
        mask = chosen[postings.rows]
        terms = self.vectorizer_.terms_
        term_ids = postings.terms[mask].tolist()
        # A query has at most max_query_terms distinct terms: decode each once.
        names = {t: terms[t] for t in set(term_ids)}
        out: dict[int, list[tuple[str, float]]] = {int(r): [] for r in rows}
        for row, term, contrib in zip(
            postings.rows[mask].tolist(), term_ids, postings.contrib[mask].tolist(), strict=True
        ):
            out[row].append((names[term], contrib))
        return out

    def _shared(self, query: _Query, idx: np.ndarray, val: np.ndarray) -> list[tuple[str, float]]:
        """Shared terms between a query and one side-index vector."""
        _, qi, di = np.intersect1d(query.idx, idx, assume_unique=True, return_indices=True)
        terms = self.vectorizer_.terms_
        return [
            (terms[query.idx[a]], float(query.val[a] * val[b])) for a, b in zip(qi, di, strict=True)
        ]


def _parts(word: str) -> list[str]:
    """The word, then its substrings of two characters or more, longest first."""
    n = len(word)
    return [word[a : a + size] for size in range(n, 1, -1) for a in range(n - size + 1)]


def _query_pair(runs: list[list[tuple[str, str]]], word: str) -> tuple[str, str] | None:
    """The query's English for a Chinese word its lexicon matches produced, if any."""
    for run in runs:
        for english, chinese in run:
            if chinese == word or word in chinese:
                return english, chinese
        joined = "".join(chinese for _, chinese in run)
        if word in joined:
            # Composed from adjacent matches: heat + exchanger -> 热交换器.
            start = joined.find(word)
            end, parts, position = start + len(word), [], 0
            for en, chinese in run:
                if position < end and position + len(chinese) > start:
                    parts.append(en)
                position += len(chinese)
            return " ".join(parts), word
    return None


def _pruned_rows(
    matrix: sp.csr_matrix, max_terms: int, block: int = 8192
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's ``max_terms`` heaviest terms as CSR arrays: the stored query of each document.

    Within a row, heaviest first, ties by term id; the kept terms are stored by term id.
    """
    lengths = np.diff(matrix.indptr)
    if max_terms <= 0 or len(lengths) == 0 or lengths.max() <= max_terms:
        max_terms = max(int(lengths.max()), 1) if len(lengths) else 1
    qptr = np.zeros(matrix.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.minimum(lengths, max_terms), out=qptr[1:])
    qidx = np.empty(int(qptr[-1]), dtype=np.int32)
    qval = np.empty(int(qptr[-1]), dtype=np.float32)
    data = matrix.data
    packed = (
        data.dtype == np.float32
        and matrix.shape[1] <= 1 << _TERM_BITS
        and not (len(data) and (not np.isfinite(data).all() or data.min() < 0))
    )
    block = min(block, 1 << _ROW_BITS) if packed else block
    # A block of rows at a time, so the sort's temporaries stay small.
    for a in range(0, matrix.shape[0], block):
        b = min(matrix.shape[0], a + block)
        lo, hi = int(matrix.indptr[a]), int(matrix.indptr[b])
        indices, values = matrix.indices[lo:hi], data[lo:hi]
        rows = np.repeat(np.arange(b - a, dtype=np.int32), lengths[a:b])
        rank_in_row = np.arange(hi - lo) - np.repeat(matrix.indptr[a:b] - lo, lengths[a:b])
        sort = _packed_prune if packed else _lexsort_prune
        qidx[qptr[a] : qptr[b]], qval[qptr[a] : qptr[b]] = sort(
            rows, indices, values, rank_in_row, max_terms
        )
    return qptr, qidx, qval


# _packed_prune: a block's row, term id and weight in one uint64 (weights are non-negative
# float32, whose bit patterns order like the numbers), so one plain sort replaces a lexsort.
_ROW_BITS = 13
_TERM_BITS = 20
_WEIGHT_BITS = 31


def _lexsort_prune(
    rows: np.ndarray,
    indices: np.ndarray,
    values: np.ndarray,
    rank_in_row: np.ndarray,
    max_terms: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the ``max_terms`` heaviest (ties by term id), by row then term id."""
    # Within each row, heaviest first (ties by term id), then keep each row's first max_terms.
    order = np.lexsort((indices, -values, rows))
    keep = order[rank_in_row < max_terms]
    keep = keep[np.lexsort((indices[keep], rows[keep]))]  # by row, then term id
    return indices[keep], values[keep]


def _packed_prune(
    rows: np.ndarray,
    indices: np.ndarray,
    values: np.ndarray,
    rank_in_row: np.ndarray,
    max_terms: int,
) -> tuple[np.ndarray, np.ndarray]:
    """_lexsort_prune for at most 2**_ROW_BITS rows and 2**_TERM_BITS terms: the same result.

    (row, weight descending, term id) and then (row, term id) are each one uint64 key, unique
    because a row has each term once, sorted with numpy's plain (SIMD) sort and decoded.
    """
    u64 = np.uint64
    weight = values.view(np.uint32).astype(u64)  # < 2**31: non-negative
    term = indices.astype(u64)
    key = rows.astype(u64) << u64(_WEIGHT_BITS + _TERM_BITS)
    key |= (u64(2**_WEIGHT_BITS - 1) - weight) << u64(_TERM_BITS)
    key |= term
    key.sort()
    key = key[rank_in_row < max_terms]
    row = key >> u64(_WEIGHT_BITS + _TERM_BITS)
    weight = u64(2**_WEIGHT_BITS - 1) - ((key >> u64(_TERM_BITS)) & u64(2**_WEIGHT_BITS - 1))
    term = key & u64(2**_TERM_BITS - 1)
    key = (row << u64(_TERM_BITS + _WEIGHT_BITS)) | (term << u64(_WEIGHT_BITS)) | weight
    key.sort()
    kept_terms = ((key >> u64(_WEIGHT_BITS)) & u64(2**_TERM_BITS - 1)).astype(np.int32)
    kept_values = (key & u64(2**_WEIGHT_BITS - 1)).astype(np.uint32).view(np.float32)
    return kept_terms, kept_values


def _top(rows: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
    """Rows of the ``k`` best scores and every row tied with the k-th (ids break ties later)."""
    if len(rows) <= k:
        return rows
    part = np.argpartition(-scores, k - 1)
    kth = scores[part[k - 1]]
    return rows[scores >= kth]
