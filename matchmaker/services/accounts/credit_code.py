"""Unified social credit codes (统一社会信用代码, GB 32100-2015)."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {c: i for i, c in enumerate(ALPHABET)}


def normalise_credit_code(raw: str) -> str:
    """Upper-case, strip blanks and turn full-width characters into ASCII."""
    out = []
    for ch in raw.strip():
        code = ord(ch)
        if 0xFF01 <= code <= 0xFF5E:
            ch = chr(code - 0xFEE0)
        if not ch.isspace():
            out.append(ch.upper())
    return "".join(out)


def check_character(first17: str) -> str:
    """The 18th character that GB 32100-2015 computes from the first 17."""
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def is_valid_credit_code(code: str) -> bool:
    """Whether an (already normalised) code has the right length, alphabet and check digit."""
    if len(code) != 18 or any(c not in _VALUE for c in code):
        return False
    if not code[8:17].isalnum():
        return False
    return check_character(code[:17]) == code[17]


def make_credit_code(prefix17: str) -> str:
    """Complete 17 characters with their check character (demo data and tests)."""
    return prefix17 + check_character(prefix17)
