"""Sealing: a secret the application must read back (a TOTP seed) is stored encrypted.

A copy of the database (a backup, a replica, a dump taken through an injection) then holds
`fernet:gAAAA…` instead of the seed that would let its holder make an admin's or a bank's
second factor. services/accounts/mfa.py seals the seed when it stores it and opens it when it
checks a code; nothing else reads it. Fernet is AES-128-CBC and HMAC-SHA256, from the
`cryptography` package.

Keys (docs/security.md §4.11, docs/deploy.md):
- `SEALING_KEYS`: Fernet keys, comma-separated (`matchmaker users new-sealing-key` prints
  one). The first seals; every one of them opens, so a key is rotated by putting the new key
  first and `matchmaker users reseal-two-step` re-seals every seed with it.
- Unset: a key derived from `SECRET_KEY` (HKDF-SHA256), and one from each of Flask's
  `SECRET_KEY_FALLBACKS`, so that rotating the secret key the Flask way keeps the seeds
  readable.

A value that no key opens reads as `UNREADABLE`, never as "no secret": the account's second
factor then refuses every code (fail closed) until an admin resets it; it does not offer a new
enrolment to whoever has the password.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

PREFIX = "fernet:"
#: What a sealed value no configured key opens reads as (not a valid TOTP seed).
UNREADABLE = "!unreadable"
_INFO = b"matchmaker sealed columns v1"


def derived_key(secret: str | bytes) -> bytes:
    """The Fernet key derived from an application secret key (HKDF-SHA256)."""
    raw = secret.encode() if isinstance(secret, str) else secret
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO)
    return base64.urlsafe_b64encode(hkdf.derive(raw))


def configured_keys(config: Mapping[str, Any]) -> list[bytes]:
    """The keys of a configuration, the sealing one first (raises ValueError on a bad key)."""
    given = config.get("SEALING_KEYS")
    if isinstance(given, str):
        given = [part for part in given.replace(",", " ").split() if part]
    keys: list[bytes] = []
    for key in given or []:
        text = key.encode() if isinstance(key, str) else bytes(key)
        Fernet(text)  # ValueError unless 32 url-safe base64-encoded bytes
        keys.append(text)
    if keys:
        return keys
    secret = config.get("SECRET_KEY")
    if not secret:
        raise ValueError("no SEALING_KEYS and no SECRET_KEY to derive a sealing key from")
    fallbacks: Iterable[str | bytes] = config.get("SECRET_KEY_FALLBACKS") or ()
    return [derived_key(secret), *(derived_key(old) for old in fallbacks if old)]


def _box(config: Mapping[str, Any]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in configured_keys(config)])


def seal(value: str, config: Mapping[str, Any] | None = None) -> str:
    """`value` sealed with the first key."""
    box = _box(current_app.config if config is None else config)
    return PREFIX + box.encrypt(value.encode()).decode()


def open_sealed(stored: str, config: Mapping[str, Any] | None = None) -> str:
    """The plain value of a stored one: a sealed value opened (UNREADABLE if no key opens
    it); a value stored before sealing existed (migration b17a0f0a1004 seals those) is
    returned as it is."""
    if not stored.startswith(PREFIX):
        return stored
    box = _box(current_app.config if config is None else config)
    try:
        return box.decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        return UNREADABLE


def reseal(stored: str, config: Mapping[str, Any] | None = None) -> str:
    """A stored value sealed again with the first key (after a rotation); a value no key
    opens is kept as it is."""
    plain = open_sealed(stored, config)
    return stored if plain == UNREADABLE else seal(plain, config)
