"""Matching engine: TF-IDF over needs, results, firms and experts, re-ranked and explained."""

from matchmaker.recommender.artifact import ArtifactError
from matchmaker.recommender.document import Document, Match
from matchmaker.recommender.model import Recommender
from matchmaker.recommender.text import normalise, tokenize

__all__ = [
    "ArtifactError",
    "Document",
    "Match",
    "Recommender",
    "normalise",
    "preload",
    "tokenize",
]


def preload() -> None:
    """Build the tables every serving process needs whatever the index: the English lexicon
    (CC-CEDICT and the hand glossary) and the explanations' jieba dictionary.

    A server that calls this once before forking its workers (gunicorn with preload_app, see
    matchmaker/gunicorn_conf.py) shares them copy-on-write instead of building one copy per
    worker; otherwise each process builds them at its first match."""
    from matchmaker.recommender.explain import whole_words
    from matchmaker.recommender.text import english_lexicon

    english_lexicon(True, True)
    whole_words("预热")
