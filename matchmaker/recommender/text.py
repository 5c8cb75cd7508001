"""Chinese-aware normalisation and tokenisation for the recommender."""

from __future__ import annotations

import functools
import logging
import os
import re
import unicodedata
import warnings
from collections.abc import Iterable, Sequence

from matchmaker.recommender.glossary import GLOSSARY, TAXONOMY_TERMS
from matchmaker.recommender.lexicon import Lexicon

# Boilerplate of listing templates and patent abstracts: it says nothing about the technology,
# and its bigrams would otherwise make every need look alike.
STOP_PHRASES: tuple[str, ...] = (
    "需求内容",
    "预期目标",
    "现有工作基础",
    "现有基础",
    "工作基础",
    "技术指标",
    "主要指标",
    "本发明公开了",
    "本发明公开",
    "本发明涉及",
    "本发明提供了",
    "本发明提供",
    "本发明属于",
    "本实用新型公开了",
    "本实用新型涉及",
    "本实用新型",
    "本发明",
    "本申请",
    "本公开",
    "其特征在于",
    "所述的",
    "所述",
    "一种",
    "及其制备方法",
    "及其应用",
    "技术领域",
    "背景技术",
    "有限公司",
    "公司现有",
    "公司",
    "企业",
    "我公司",
    "拟解决",
    "需要解决",
    "需解决",
    "权利要求",
    "根据权利要求",
    "实施例",
    "进一步地",
    "优选的",
    "以及",
    "通过",
    "具有",
    "能够",
    "可以",
    "进行",
    "其中",
    "包括",
    "采用",
    "利用",
    "用于",
    "以上",
    "以下",
)

# Function characters: as unigrams they match everything and mean nothing.
STOP_CHARS = frozenset("的了和与及在是或并其该之对等为有可以于中将由从而被把这个能到也就都要上下不")

ENGLISH_STOP_WORDS = frozenset(
    str.split(
        """a about above after again against all also an and any are as at be been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers him his how i if in into is it its itself just me more
    most my no nor not now of off on once only or other our out over own same she should so some
    such than that the their them then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your
    thereof therein wherein whereby herein said comprising comprises comprise including includes
    include invention disclosure present relates related provides provided provide according
    method methods page excerpt first second third one two three via using used use based
    particularly specifically mainly etc may well however thus therefore further furthermore
    object objective aim field background embodiment embodiments claim claims"""
    )
)

_HAN = "\u3400-\u4dbf\u4e00-\u9fff"
_LATIN = re.compile(r"[a-z0-9]+")
_HAN_RUN = re.compile(f"[{_HAN}]+")
_HAS_LATIN = re.compile("[a-z]{3}")
_YEAR = re.compile(r"(19|20)\d\d")
# Unigrams and overlapping bigrams of Han runs, each found by one C-level scan of the text.
_UNIGRAM = re.compile(f"[{_HAN}]")
_UNIGRAM_NO_STOP = re.compile(f"(?![{''.join(sorted(STOP_CHARS))}])[{_HAN}]")
_BIGRAM = re.compile(f"(?=([{_HAN}]{{2}}))")
# Full-width ASCII and the ideographic space: what NFKC changes in almost every Chinese text.
_FULL_WIDTH = re.compile("[\uff01-\uff5e\u3000]+")
_FOLD = {c: chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)} | {0x3000: " "}


@functools.cache
def _t2s_table() -> dict[int, str]:
    """Character table traditional -> simplified from OpenCC's data (phrases are rare here)."""
    import opencc

    path = os.path.join(os.path.dirname(opencc.__file__), "dictionary", "TSCharacters.txt")
    table: dict[int, str] = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            source, _, targets = line.rstrip("\n").partition("\t")
            target = targets.split(" ")[0]
            if len(source) == 1 and len(target) == 1 and source != target:
                table[ord(source)] = target
    return table


def normalise(text: str) -> str:
    """Fold full-width to half-width (NFKC), traditional to simplified, and case."""
    # Folding full-width forms first is what NFKC would do to them; the full NFKC pass then
    # runs only when something else remains to normalise (rare), which saves most of its cost.
    text = _FULL_WIDTH.sub(lambda m: m.group().translate(_FOLD), text)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return text.translate(_t2s_table()).lower()


@functools.cache
def _jieba_tokenizer(user_words: tuple[str, ...]):  # noqa: ANN202 - jieba has no types
    """A jieba tokenizer with the domain dictionary, shared per process and word list."""
    # jieba's import emits deprecation warnings on some Pythons (pkg_resources, invalid escapes);
    # the app runs with warnings as errors, so they must never escape from here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import jieba

        jieba.setLogLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
    for word in user_words:
        # A high frequency makes jieba keep domain terms whole (碳纤维, 低空经济).
        tokenizer.add_word(word, freq=max(1000, 200 * len(word)))
    return tokenizer


def _english_stem(word: str) -> str:
    """Strip English plural endings so 'batteries' meets 'battery'."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def trie_regex(words: Iterable[str]) -> re.Pattern[str] | None:
    """A regex matching any of ``words``, longest first, built as a trie so it scans in one pass."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = True

    def build(node: dict) -> str:
        end = "" in node
        branches = [re.escape(c) + build(child) for c, child in sorted(node.items()) if c]
        if not branches:
            return ""
        body = (
            branches[0]
            if len(branches) == 1 and len(branches[0]) == 1
            else ("(?:" + "|".join(branches) + ")")
        )
        return f"(?:{body})?" if end else body

    return re.compile(build(trie)) if trie else None


def _required_regex(words: Iterable[str]) -> re.Pattern[str]:
    """trie_regex of a built-in word list, which is never empty."""
    pattern = trie_regex(words)
    if pattern is None:
        raise ValueError("a built-in word list is empty")
    return pattern


_STOP_RE = _required_regex(STOP_PHRASES)
# English glossary phrases on word boundaries (the trie keeps the scan linear).
_GLOSSARY_RE = re.compile(r"\b(?:" + _required_regex(GLOSSARY).pattern + r")\b")


@functools.cache
def english_lexicon(glossary: bool = True, general: bool = True) -> Lexicon:
    """The English -> Chinese lexicon: hand glossary overrides, then CC-CEDICT (per process)."""
    return Lexicon(GLOSSARY if glossary else {}, general=general)


class Analyzer:
    """Turns text into index terms: Latin words whole, Chinese unigrams, bigrams and words."""

    def __init__(
        self,
        user_words: Iterable[str] = (),
        *,
        unigrams: bool = True,
        bigrams: bool = True,
        words: bool = True,
        dictionary: bool = True,
        glossary: bool = True,
        stop_words: bool = True,
        lexicon: bool = True,
    ) -> None:
        self.user_words = tuple(sorted({w for w in user_words if len(w) >= 2}))
        self.unigrams = unigrams
        self.bigrams = bigrams
        self.words = words
        self.glossary = glossary
        self.lexicon = lexicon
        self.stop_words = stop_words
        self.dictionary = dictionary
        domain = set(self.user_words) | TAXONOMY_TERMS
        domain |= {term for term in GLOSSARY.values() if len(term) >= 3 and not term.isascii()}
        self._domain = tuple(sorted(domain))
        self._domain_re = trie_regex(self._domain) if dictionary else None

    @property
    def _jieba(self):  # noqa: ANN202 - jieba has no types
        """jieba with the domain dictionary, loaded on first use only (it takes a second)."""
        return _jieba_tokenizer(self._domain)

    def __call__(self, text: str) -> list[str]:
        """The terms of ``text`` with repeats (grouped: Latin, unigrams, bigrams, words)."""
        text = normalise(text)
        terms: list[str] = []
        if self.lexicon:
            # English phrases also emit their Chinese terms, so an English abstract meets a
            # Chinese need in the same space; adjacent matches compose (heat + exchanger ->
            # 热交换器, whose bigrams then meet the Chinese word).
            if _HAS_LATIN.search(text):
                lexicon = english_lexicon(self.glossary, True)
                for run in lexicon.matches(text, ENGLISH_STOP_WORDS):
                    terms.extend(self._chinese("".join(chinese for _, chinese in run)))
        elif self.glossary:
            # The hand glossary alone (the engine before the general lexicon).
            for phrase in _GLOSSARY_RE.findall(text):
                terms.extend(self._chinese(GLOSSARY[phrase]))
        for token in _LATIN.findall(text):
            if token.isdigit():
                # Short numbers and years are quantities and dates, not model numbers.
                if len(token) < 3 or _YEAR.fullmatch(token):
                    continue
                terms.append(token)
            elif len(token) >= 2 and token not in ENGLISH_STOP_WORDS:
                terms.append(_english_stem(token) if token.isalpha() else token)
        terms.extend(self._chinese(text))
        return terms

    def _chinese(self, text: str) -> list[str]:
        """Chinese terms of ``text``: unigrams, bigrams within runs, and jieba words."""
        if self.stop_words:
            text = _STOP_RE.sub(" ", text)
        terms: list[str] = []
        if self.unigrams:
            terms = (_UNIGRAM_NO_STOP if self.stop_words else _UNIGRAM).findall(text)
        if self.bigrams:
            terms += _BIGRAM.findall(text)  # overlapping pairs within Han runs
        if self._domain_re is not None:
            # Domain terms (taxonomy, listing keywords, glossary) as whole features.
            terms.extend(m for m in self._domain_re.findall(text) if len(m) > 2)
        if self.words:
            # Words longer than a bigram add precision (碳纤维 vs 纤维); two-character words are
            # already bigrams.
            terms.extend(
                w
                for w in self._jieba.cut_for_search(text, HMM=False)
                if len(w) > 2 and _HAN_RUN.fullmatch(w)
            )
        return terms


def latin_terms(text: str) -> list[str]:
    """The index terms of the Latin words of ``text`` (as Analyzer emits them)."""
    return [
        _english_stem(token) if token.isalpha() else token
        for token in _LATIN.findall(normalise(text))
        if len(token) >= 2 and not token.isdigit() and token not in ENGLISH_STOP_WORDS
    ]


@functools.cache
def _default_analyzer() -> Analyzer:
    """The analyzer with the built-in domain dictionary only."""
    return Analyzer()


def tokenize(text: str, user_words: Sequence[str] = ()) -> list[str]:
    """Tokenise ``text`` the way the recommender indexes it (for debugging and the app)."""
    analyzer = Analyzer(user_words) if user_words else _default_analyzer()
    return analyzer(text)
