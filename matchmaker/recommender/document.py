"""The recommender's inputs and outputs: plain frozen dataclasses, no ORM."""

from __future__ import annotations

from dataclasses import dataclass, field

#: Codes are positions (stored in artifacts): append new kinds, never reorder.
KINDS = ("need", "result", "firm", "expert")


@dataclass(frozen=True)
class Document:
    """A listing as the engine sees it; the app maps its rows onto this."""

    id: str
    kind: str
    title: str
    body: str = ""
    keywords: tuple[str, ...] = ()
    field: str | None = None
    region: str | None = None
    trl: int | None = None
    amount: float | None = None
    updated_at: float | None = None
    active: bool = True

    def __post_init__(self) -> None:
        """Reject values the engine cannot rank with rather than guessing."""
        if not isinstance(self.id, str) or not self.id:
            raise ValueError("Document.id must be a non-empty string")
        if self.kind not in KINDS:
            raise ValueError(f"Document.kind must be one of {KINDS}, not {self.kind!r}")
        if self.trl is not None and not 1 <= self.trl <= 9:
            raise ValueError(f"Document.trl must be 1-9 or None, not {self.trl!r}")
        if isinstance(self.keywords, list):
            object.__setattr__(self, "keywords", tuple(self.keywords))


@dataclass(frozen=True)
class Match:
    """One ranked document with its explanation: final score, text score, factors and terms."""

    id: str
    kind: str
    score: float
    text_score: float
    factors: dict[str, float] = field(default_factory=dict, hash=False)
    terms: tuple[str, ...] = ()
    #: English→Chinese pairs behind a cross-lingual match, e.g. ("refractory", "耐火材料").
    pairs: tuple[tuple[str, str], ...] = ()
