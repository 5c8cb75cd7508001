"""Explanations: shared index terms merged back into readable words, best first."""

from __future__ import annotations

import functools
from collections.abc import Iterable

MAX_PHRASE = 12
MAX_WORD = 8
#: Words too general to explain a match on their own.
GENERIC = frozenset(
    [
        "技术",
        "方法",
        "系统",
        "装置",
        "应用",
        "设备",
        "研究",
        "开发",
        "产品",
        "实现",
        "提高",
        "提供",
        "进行",
        "具有",
        "相关",
        "一种",
        "领域",
        "问题",
        "需要",
        "要求",
        "生产",
        "工作",
        "基础",
        "目标",
        "企业",
        "公司",
        "项目",
        "能力",
        "水平",
        "主要",
        "国内",
        "国际",
        "行业",
    ]
)


@functools.lru_cache(maxsize=128)
def _words(reference: str) -> frozenset[str]:
    """The words of a text (jieba search mode with the domain dictionary), cached per text."""
    from matchmaker.recommender.text import _jieba_tokenizer

    return frozenset(w for w in _jieba_tokenizer(()).cut_for_search(reference) if len(w) >= 2)


def snap_to_words(phrase: str, words: frozenset[str]) -> list[str]:
    """The readable words a matched phrase stands for; empty when it only straddles words.

    A chain of shared bigrams can start or end mid-word (与光, 测系) or run across two words
    (光纤耦合): snap it to the shortest real word that contains it, else to the words inside it.
    """
    if phrase.isascii() or phrase in words:
        return [phrase]
    around = [w for w in words if phrase in w and len(w) <= MAX_WORD]
    if around:
        return [min(around, key=lambda w: (len(w), w))]
    inside = sorted((w for w in words if w in phrase), key=lambda w: (-len(w), w))
    chosen: list[str] = []
    covered: set[int] = set()
    for word in inside:
        start = phrase.find(word)
        span = set(range(start, start + len(word)))
        if not span & covered:
            chosen.append(word)
            covered |= span
    return sorted(chosen, key=phrase.find)


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
    if reference is not None:
        words = _words(reference)
        snapped: dict[str, float] = {}
        for phrase, score in scored.items():
            for word in snap_to_words(phrase, words):
                if word not in GENERIC:
                    snapped[word] = max(snapped.get(word, 0.0), score)
        scored = snapped
    scored.update(latin)
    ranked = sorted(scored, key=lambda t: (-scored[t], t))
    return tuple(ranked[:limit])
