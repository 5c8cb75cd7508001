"""Reference rankers for evaluation and benchmarks: BM25 (bm25s) and scikit-learn TF-IDF."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Sequence

import numpy as np

from matchmaker.recommender.text import _jieba_tokenizer, normalise


def jieba_words(text: str) -> list[str]:
    """Plain jieba words (precise mode), normalised, punctuation and spaces dropped."""
    return [w for w in _jieba_tokenizer(()).cut(normalise(text)) if w.strip() and w.isalnum()]


def bm25s_available() -> bool:
    """Whether the optional bm25s package can be imported (the product never needs it)."""
    try:
        _import_bm25s()
    except ImportError:
        return False
    return True


def _import_bm25s():  # noqa: ANN202 - the module object
    """Import bm25s lazily and quietly: it is an optional extra."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return importlib.import_module("bm25s")


class BM25Baseline:
    """bm25s over jieba words."""

    def __init__(self, corpus_tokens: Sequence[Sequence[str]]) -> None:
        bm25s = _import_bm25s()
        self.retriever = bm25s.BM25()
        self.retriever.index([list(t) for t in corpus_tokens], show_progress=False)
        self.vocab = self.retriever.vocab_dict
        self.n_docs = len(corpus_tokens)

    def top(self, query_tokens: Sequence[str], k: int) -> list[int]:
        """Indices of the ``k`` best documents for one tokenised query."""
        known = [t for t in query_tokens if t in self.vocab]
        if not known or self.n_docs == 0:
            return []
        k = min(k, self.n_docs)
        docs, scores = self.retriever.retrieve([known], k=k, show_progress=False, n_threads=1)
        return [int(d) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]


class TfidfBaseline:
    """scikit-learn TfidfVectorizer over jieba words, cosine similarity."""

    def __init__(self, all_texts: Sequence[str], corpus_texts: Sequence[str]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vectorizer = TfidfVectorizer(
            tokenizer=jieba_words, lowercase=False, token_pattern=None
        )
        self.vectorizer.fit(all_texts)
        self.matrix = self.vectorizer.transform(corpus_texts)

    def top(self, query_text: str, k: int) -> list[int]:
        """Indices of the ``k`` best corpus documents for one query text."""
        scores = (self.matrix @ self.vectorizer.transform([query_text]).T).toarray().ravel()
        order = np.lexsort((np.arange(len(scores)), -scores))[:k]
        return [int(i) for i in order if scores[i] > 0]
