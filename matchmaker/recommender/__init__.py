"""Matching engine: TF-IDF over needs, results and firms, re-ranked and explained (no Flask)."""

from matchmaker.recommender.artifact import ArtifactError
from matchmaker.recommender.document import Document, Match
from matchmaker.recommender.model import Recommender
from matchmaker.recommender.text import normalise, tokenize

__all__ = ["ArtifactError", "Document", "Match", "Recommender", "normalise", "tokenize"]
