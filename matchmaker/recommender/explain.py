"""Explanations: shared index terms merged back into readable words, best first."""

from __future__ import annotations

from collections.abc import Iterable

MAX_PHRASE = 12


def _is_latin(term: str) -> bool:
    """Latin words and model numbers are readable as they are."""
    return term.isascii()


def readable_terms(
    shared: Iterable[tuple[str, float]], reference: str | None = None, *, limit: int = 8
) -> tuple[str, ...]:
    """Merge shared terms (unigrams, overlapping bigrams, words) into phrases, best first.

    ``reference`` is the normalised query text; when given, a merged phrase must occur in it,
    so two bigrams are only joined where they really stood side by side.
    """
    weight: dict[str, float] = {}
    for term, contribution in shared:
        weight[term] = weight.get(term, 0.0) + contribution
    latin = {t: w for t, w in weight.items() if _is_latin(t)}
    chars = {t: w for t, w in weight.items() if len(t) == 1 and not _is_latin(t)}
    pieces = sorted(
        (t for t in weight if len(t) >= 2 and not _is_latin(t)), key=lambda t: (-weight[t], t)
    )
    phrases: list[str] = []
    for piece in pieces:
        if any(piece in p for p in phrases):
            continue
        phrase = piece
        grown = True
        while grown and len(phrase) < MAX_PHRASE:
            grown = False
            for other in pieces:
                for merged in _overlaps(phrase, other):
                    if reference is not None and merged not in reference:
                        continue
                    phrase, grown = merged, True
                    break
                if grown:
                    break
        phrases = [p for p in phrases if p not in phrase]
        phrases.append(phrase)
    scored: dict[str, float] = {}
    for phrase in phrases:
        score = sum(w for t, w in weight.items() if len(t) >= 2 and not _is_latin(t) and t in phrase)
        score += sum(w for c, w in chars.items() if c in phrase)
        scored[phrase] = score
    scored.update(latin)
    ranked = sorted(scored, key=lambda t: (-scored[t], t))
    return tuple(ranked[:limit])


def _overlaps(left: str, right: str) -> list[str]:
    """Strings that join ``left`` and ``right`` where the end of one is the start of the other."""
    if right in left:
        return []
    out = []
    for k in range(min(len(left), len(right)) - 1, 0, -1):
        if left.endswith(right[:k]):
            out.append(left + right[k:])
        if right.endswith(left[:k]):
            out.append(right + left[k:])
    return out
