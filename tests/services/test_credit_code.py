"""Unified social credit codes: GB 32100-2015 check character and normalisation."""

from __future__ import annotations

import pytest

from matchmaker.services.accounts.credit_code import (
    ALPHABET,
    check_character,
    is_valid_credit_code,
    make_credit_code,
    normalise_credit_code,
)

# A published example code (GB 32100-2015 examples and public registration notices).
PUBLISHED = ["91350100M000100Y43"]


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_pass(code):
    assert is_valid_credit_code(code)


def test_check_character_of_the_published_example():
    assert check_character("91350100M000100Y4") == "3"


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("91350100m000100y43", "91350100M000100Y43"),
        ("  9135 0100 M000 100Y43 ", "91350100M000100Y43"),
        ("９１３５０１００Ｍ０００１００Ｙ４３", "91350100M000100Y43"),
        ("９１３５０１００ｍ０００１００ｙ４３", "91350100M000100Y43"),
        ("91350100M000100Y43\u3000", "91350100M000100Y43"),
    ],
)
def test_normalisation(raw, normalised):
    assert normalise_credit_code(raw) == normalised
    assert is_valid_credit_code(normalise_credit_code(raw))


def test_lower_case_is_invalid_before_normalisation():
    assert not is_valid_credit_code("91350100m000100y43")


@pytest.mark.parametrize("wrong", [c for c in ALPHABET if c != "3"][:10] + ["Y", "0"])
def test_wrong_check_character_is_rejected(wrong):
    assert not is_valid_credit_code("91350100M000100Y4" + wrong)


@pytest.mark.parametrize("letter", list("IOSVZ"))
def test_letters_outside_the_alphabet_are_rejected(letter):
    assert letter not in ALPHABET
    for position in (8, 16, 17):
        code = "91350100M000100Y43"
        code = code[:position] + letter + code[position + 1 :]
        assert not is_valid_credit_code(code)


@pytest.mark.parametrize(
    "code",
    [
        "",
        "9135010",
        "91350100M000100Y4",
        "91350100M000100Y433",
        "91350100-000100Y43",
        "91350100M000100Y4\x00",
        "９１３５０１００Ｍ０００１００Ｙ４３",
    ],
)
def test_wrong_length_or_characters(code):
    assert not is_valid_credit_code(code)


def test_every_single_character_change_is_detected():
    code = "91350100M000100Y43"
    for position in range(17):
        for replacement in ALPHABET:
            if replacement == code[position]:
                continue
            changed = code[:position] + replacement + code[position + 1 :]
            assert not is_valid_credit_code(changed), changed


def test_make_credit_code_completes_17_characters():
    code = make_credit_code("91220101MA0000001")
    assert len(code) == 18
    assert is_valid_credit_code(code)
    assert code[17] in ALPHABET
