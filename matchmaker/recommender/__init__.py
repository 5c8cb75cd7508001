"""Matching engine: TF-IDF over needs, results, firms and experts, re-ranked and explained."""

from matchmaker.recommender.artifact import ArtifactError
from matchmaker.recommender.document import Document, Match
from matchmaker.recommender.model import Recommender
from matchmaker.recommender.text import normalise, tokenize

__all__ = ["ArtifactError", "Document", "Match", "Recommender", "normalise", "tokenize"]
