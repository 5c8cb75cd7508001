"""Password hashing (Argon2id) and the password policy (length, common and context words)."""

from __future__ import annotations

import functools
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _

MIN_LENGTH = 8
MAX_LENGTH = 128
#: Words that make a password guessable on this platform (ASVS 6.2.11), with the parts of its
#: name in both languages (吉林科技成果对接平台, Jilin Technology Transfer Platform).
CONTEXT_WORDS = (
    *("matchmaker", "jilin", "changchun", "吉林", "长春", "银行", "大学", "科技", "bank"),
    *("成果", "对接", "平台", "technology", "tech", "transfer", "platform"),
)


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg.get("ARGON2_TIME_COST", 3),
        memory_cost=cfg.get("ARGON2_MEMORY_COST", 65536),
    )


def hash_password(password: str) -> str:
    """An Argon2id hash of the password, with a fresh salt."""
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> tuple[bool, str | None]:
    """Check a password; returns (ok, a new hash when the parameters changed)."""
    hasher = _hasher()
    try:
        hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False, None
    return True, hasher.hash(password) if hasher.check_needs_rehash(password_hash) else None


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped offline list of the 10,000 most common passwords."""
    text = resources.files("matchmaker").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line and not line.startswith("#")
    )


def password_problem(password: str, *, context: tuple[str, ...] = ()) -> str | None:
    """Why a new password is refused, in the user's language, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return _("密码至少需要 %(n)d 个字符。", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("密码不能超过 %(n)d 个字符。", n=MAX_LENGTH)
    lowered = password.lower()
    if lowered in common_passwords() or len(set(lowered)) <= 2:
        return _("这个密码太常见，很容易被猜到，请换一个。")
    core = lowered.strip("0123456789!@#$%^&*.-_ ")
    if core in common_passwords():
        return _("这个密码只是常见密码加上数字或符号，请换一个。")
    # Remove every context word at once, so "吉林大学12345" or "Jilin@2024!" count as guessable.
    remainder = lowered
    for word in (*CONTEXT_WORDS, *context):
        word = (word or "").strip().lower()
        if len(word) >= 2:
            remainder = remainder.replace(word, "")
    if remainder != lowered and len(remainder.strip("0123456789!@#$%^&*.-_ ")) < 4:
        return _("密码不能主要由平台名称、机构名称或邮箱组成。")
    return None
