"""Search terms marked in list text: the text is escaped first, only the <mark> tags are HTML."""

from __future__ import annotations

import re
from collections.abc import Iterable

from markupsafe import Markup, escape

MAX_TERMS = 8


def highlight_terms(text: str, terms: Iterable[str]) -> Markup:
    """`text` escaped, each case-insensitive occurrence of one of `terms` wrapped in <mark>."""
    words = sorted({t for t in terms if t}, key=len, reverse=True)[:MAX_TERMS]
    if not words or not text:
        return escape(text)
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    out: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(Markup("<mark>%s</mark>") % match.group())
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)
