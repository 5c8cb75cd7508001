"""Explanations: shared index terms merged back into readable words, best first."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

_HAN_WORD = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]+")
_HAN_BLOCK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")
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
def whole_words(reference: str) -> tuple[str, ...]:
    """The distinct whole words of a text in order: jieba's precise cut with the domain
    dictionary and no HMM guessing (which invents fragments such as 清洗与), cached per text."""
    from matchmaker.recommender.text import _default_analyzer

    seen: dict[str, None] = {}
    for word in _default_analyzer()._jieba.cut(reference, HMM=False):
        if len(word) >= 2 and not word.isascii() and _HAN_WORD.fullmatch(word):
            seen.setdefault(word)
    return tuple(seen)


class _WordIndex:
    """The whole words of one reference text, cut lazily block by block.

    jieba cuts each of its blocks (runs of Han characters, Latin letters, digits and a few
    joiners; ``jieba.re_han_default``) on its own, so cutting only the blocks that contain a
    shared term gives exactly the words the whole text's cut has there; a word can only be
    shown when it contains a shared term of two characters or more, which then lies in its
    block. Most of a long query text never needs cutting.
    """

    def __init__(self, reference: str) -> None:
        import jieba

        from matchmaker.recommender.text import _default_analyzer

        self._tokenizer = _default_analyzer()._jieba
        self._blocks = [b for b in jieba.re_han_default.split(reference) if _HAN_BLOCK.search(b)]
        self._cut: dict[int, tuple[str, ...]] = {}
        self._containing: dict[str, tuple[str, ...]] = {}

    def _words_of(self, n: int) -> tuple[str, ...]:
        """The distinct shown-able words of block ``n`` (cut once)."""
        words = self._cut.get(n)
        if words is None:
            seen: dict[str, None] = {}
            for word in self._tokenizer.cut(self._blocks[n], HMM=False):
                if len(word) >= 2 and not word.isascii() and _HAN_WORD.fullmatch(word):
                    seen.setdefault(word)
            words = self._cut[n] = tuple(seen)
        return words

    def containing(self, term: str) -> tuple[str, ...]:
        """The distinct non-generic words of the text that contain ``term`` (two characters+)."""
        found = self._containing.get(term)
        if found is None:
            seen: dict[str, None] = {}
            for n, block in enumerate(self._blocks):
                if term in block:
                    for word in self._words_of(n):
                        if term in word and word not in GENERIC:
                            seen.setdefault(word)
            found = self._containing[term] = tuple(seen)
        return found


@functools.lru_cache(maxsize=128)
def _word_index(reference: str) -> _WordIndex:
    """The lazily cut words of a reference text, cached per text (a page asks for k matches)."""
    return _WordIndex(reference)


def word_terms(weight: dict[str, float], reference: str) -> dict[str, float]:
    """Whole words of ``reference`` that the shared terms spell out, with their weight.

    A word counts when shared pieces (characters, bigrams, dictionary terms) lying inside it
    cover at least three quarters of it and one of them is two characters or more: 磷酸铁锂
    from 磷酸 + 铁锂 (+ 酸铁), never the fragments around it. Pieces that straddle two words
    explain nothing on their own and are dropped.
    """
    index = _word_index(reference)
    han = [t for t in weight if not t.isascii()]
    # The words that contain a shared piece of two characters or more; only they can count.
    candidates: dict[str, None] = {}
    for t in han:
        if len(t) >= 2:
            candidates.update(dict.fromkeys(index.containing(t)))
    if not candidates:
        return {}
    # Per word, its pieces in the order of ``weight`` (the sum below adds them in that order).
    inside_of: dict[str, list[str]] = {}
    for t in han:
        words = index.containing(t) if len(t) >= 2 else [w for w in candidates if t in w]
        for word in words:
            inside_of.setdefault(word, []).append(t)
    out: dict[str, float] = {}
    for word, inside in inside_of.items():
        covered: set[int] = set()
        for piece in inside:
            start = word.find(piece)
            while start >= 0:
                covered.update(range(start, start + len(piece)))
                start = word.find(piece, start + 1)
        if len(covered) * 4 >= len(word) * 3:
            out[word] = sum(weight[t] for t in inside)
    return out


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
    """Shared terms as readable words, best first.

    With ``reference`` (the normalised query text, plus the Chinese its English emitted), the
    terms are whole words of it (word_terms) and Latin terms. Without it (a query by stored
    vector), bigrams that overlap by one character are chained (碳纤 + 纤维 -> 碳纤维).
    """
    weight: dict[str, float] = {}
    for term, contribution in shared:
        weight[term] = weight.get(term, 0.0) + contribution
    latin = {t: w for t, w in weight.items() if t.isascii()}
    if reference is not None:
        found = word_terms(weight, reference)
        found.update(latin)
        chosen: list[str] = []
        for word in sorted(found, key=lambda t: (-found[t], len(t), t)):
            # A word inside a better one already shown adds nothing (立方氮化硼, not 氮化硼 too).
            if not any(word in other for other in chosen):
                chosen = [other for other in chosen if other not in word]
                chosen.append(word)
        return tuple(chosen[:limit])
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
        return len(phrase) <= MAX_PHRASE

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
