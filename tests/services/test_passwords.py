"""Password hashing (Argon2id) and the password policy."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from matchmaker.services.accounts.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    common_passwords,
    hash_password,
    password_problem,
    verify_password,
)


def test_hash_is_argon2id_and_salted(app):
    """SECURITY.md row 3 (v5.0.0-11.4.2)."""
    first, second = hash_password("a good long passphrase"), hash_password("a good long passphrase")
    assert first.startswith("$argon2id$")
    assert first != second
    assert verify_password(first, "a good long passphrase") == (True, None)
    assert verify_password(first, "a good long passphrase!")[0] is False


def test_no_truncation_at_72_bytes(app):
    """SECURITY.md row 1 (v5.0.0-6.2.8)."""
    base = "x" * 72
    stored = hash_password(base + "A")
    assert verify_password(stored, base + "A")[0]
    assert not verify_password(stored, base + "B")[0]
    assert not verify_password(stored, base)[0]


def test_garbage_hash_does_not_verify(app):
    assert verify_password("not-a-hash", "anything") == (False, None)


def test_outdated_parameters_are_upgraded_on_verify(app):
    """SECURITY.md row 3 (v5.0.0-11.4.2)."""
    legacy = PasswordHasher(time_cost=2, memory_cost=2048).hash("upgrade me please")
    ok, new_hash = verify_password(legacy, "upgrade me please")
    assert ok
    assert new_hash is not None
    assert new_hash.startswith("$argon2id$")
    assert verify_password(new_hash, "upgrade me please") == (True, None)


def test_shipped_common_list_is_large_and_lower_case():
    """SECURITY.md row 2 (v5.0.0-6.2.4, 6.2.12)."""
    words = common_passwords()
    assert len(words) >= 3000
    assert {"password", "12345678", "password123", "qwertyuiop"} <= words
    assert all(w == w.lower() for w in words)


@pytest.mark.parametrize(
    "password",
    [
        "password123",
        "12345678",
        "PASSWORD123",
        "qwertyuiop",
        "aaaaaaaaaaaa",
        "abababababab",
        "password123!!",
        "!!iloveyou2024",
    ],
)
def test_common_passwords_are_refused(app, password):
    """SECURITY.md row 2 (v5.0.0-6.2.4, 6.2.12)."""
    assert "常见" in password_problem(password)


@pytest.mark.parametrize(
    ("password", "context"),
    [
        ("matchmaker2024", ()),
        ("Jilin@2024!", ()),
        ("吉林大学12345", ()),
        ("长春银行888888", ()),
        ("zhangsan2024", ("zhangsan",)),
        ("长春新材料123", ("长春新材料",)),
    ],
)
def test_context_words_are_refused(app, password, context):
    """SECURITY.md row 2 (v5.0.0-6.2.11)."""
    assert password_problem(password, context=context) is not None


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",
        "我家门口有两棵枣树",
        "jilin is cold in january, bring a coat",
        "xy" * 20 + "z",
        "8charsOK",
        "jilin winters are long and white",
    ],
)
def test_acceptable_passwords(app, password):
    assert password_problem(password, context=("wang.wei", "长春新材料")) is None


def test_length_limits(app):
    """SECURITY.md row 1 (v5.0.0-6.2.1, 6.2.9)."""
    assert password_problem("a7$Kq!z") is not None  # 7 characters
    assert password_problem("a7$Kq!zP") is None
    assert password_problem("kx9!" * 32) is None  # 128
    assert password_problem("kx9!" * 32 + "m") is not None
    assert (MIN_LENGTH, MAX_LENGTH) == (8, 128)


def test_no_composition_rules(app):
    """SECURITY.md row 1 (v5.0.0-6.2.5)."""
    assert password_problem("onlylowercaseletters") is None
    assert password_problem("陕西的秦岭和吉林的长白山") is None
