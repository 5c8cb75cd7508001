"""Explanations: shared index terms merged back into readable words, best first."""

from __future__ import annotations

from collections.abc import Iterable

MAX_PHRASE = 12


def readable_terms(
    shared: Iterable[tuple[str, float]], reference: str | None = None, *, limit: int = 8
) -> tuple[str, ...]:
    """Merge shared terms (unigrams, overlapping bigrams, words) into phrases, best first.

    Bigrams that overlap by one character are chained (碳纤 + 纤维 -> 碳纤维). ``reference`` is
    the normalised query text; when given, a chained phrase must occur in it, so two bigrams are
    joined only where they really stood side by side.
    """
    weight: dict[str, float] = {}
    for term, contribution in shared:
        weight[term] = weight.get(term, 0.0) + contribution
    latin = {t: w for t, w in weight.items() if t.isascii()}
    chars = {t: w for t, w in weight.items() if len(t) == 1 and not t.isascii()}
    pieces = sorted(
        (t for t in weight if len(t) >= 2 and not t.isascii()), key=lambda t: (-weight[t], t)
    )
    by_first: dict[str, list[str]] = {}
    by_last: dict[str, list[str]] = {}
    for piece in pieces:
        by_first.setdefault(piece[0], []).append(piece)
        by_last.setdefault(piece[-1], []).append(piece)

    def fits(phrase: str) -> bool:
        return len(phrase) <= MAX_PHRASE and (reference is None or phrase in reference)

    phrases: list[str] = []
    for piece in pieces:
        if any(piece in p for p in phrases):
            continue
        phrase = piece
        grown = True
        while grown:
            grown = False
            for other in by_first.get(phrase[-1], ()):
                if other not in phrase and fits(phrase + other[1:]):
                    phrase, grown = phrase + other[1:], True
                    break
            for other in by_last.get(phrase[0], ()):
                if other not in phrase and fits(other[:-1] + phrase):
                    phrase, grown = other[:-1] + phrase, True
                    break
        phrases = [p for p in phrases if p not in phrase]
        phrases.append(phrase)
    scored: dict[str, float] = {}
    for phrase in phrases:
        score = sum(weight[t] for t in pieces if t in phrase)
        scored[phrase] = score + sum(w for c, w in chars.items() if c in phrase)
    scored.update(latin)
    ranked = sorted(scored, key=lambda t: (-scored[t], t))
    return tuple(ranked[:limit])
