"""No secrets in the logs (SECURITY.md row 32, ASVS v5.0.0-16.2.5): the JSON formatter masks the
values of fields named like a secret (password, token, secret, otp, code, phone, Authorization,
..., at any depth) and, wherever they appear, API tokens, bearer credentials, long token-like
strings, phone numbers and the local part of e-mail addresses; what investigations need (ids,
statuses, paths, times, Chinese text) is kept."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from matchmaker.logs import MASK, JsonFormatter, redact, redact_text


def formatted(msg: str = "event", *args: object, **extra: object) -> dict[str, object]:
    """One record as the production handler writes it, parsed back."""
    record = logging.makeLogRecord(
        {"name": "matchmaker.security", "levelno": logging.WARNING, "levelname": "WARNING"}
    )
    record.msg, record.args = msg, args or None
    for key, value in extra.items():
        setattr(record, key, value)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    return json.loads(line)


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "new_password",
        "password_hash",
        "token",
        "token_hash",
        "reset_token",
        "secret",
        "totp_secret",
        "otp",
        "otp_code",
        "code",
        "phone",
        "contact_phone",
        "Authorization",
        "cookie",
        "recovery_code",
        "code_hash",
        "token_nonce",
    ],
)
def test_secret_fields_are_masked_whatever_their_value(key):
    line = formatted(**{key: "Sentinel-Value-42"})
    assert line[key] == MASK
    assert "Sentinel-Value-42" not in json.dumps(line)


def test_nested_secret_fields_are_masked():
    line = formatted(
        before={"password": "hunter2-old", "status": "active"},
        after={"profile": {"phone": "0431-1234567"}, "list": [{"token": "t0k3n"}]},
    )
    text = json.dumps(line, ensure_ascii=False)
    for secret in ("hunter2-old", "0431-1234567", "t0k3n"):
        assert secret not in text
    assert line["before"]["status"] == "active"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("call 13812345678 now", "13812345678"),
        ("call +86 138 1234 5678 now", "138 1234 5678"),
        ("office 0431-88886666", "88886666"),
        ("abroad +49 30 1234567", "1234567"),
        ("Authorization: Bearer mm_AbCdEfGh0123456789", "mm_AbCdEfGh0123456789"),
        ("token mm_Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2 leaked", "mm_Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2"),
        (
            "GET /auth/reset/eyJpZCI6MX0.Z2V.kQm3x9YbHfA7s1Lr0pWn8c",
            "eyJpZCI6MX0.Z2V.kQm3x9YbHfA7s1Lr0pWn8c",
        ),
        ("/alerts/unsubscribe?token=abc123def", "abc123def"),
        ("password: hunter2 was tried", "hunter2"),
        ("the code: 493817", "493817"),
        ("account audit.me@example.com locked", "audit.me@"),
    ],
)
def test_secret_looking_values_are_masked_in_messages_and_fields(text, secret):
    line = formatted("login %s", text, detail=text)
    assert secret not in line["event"]
    assert secret not in line["detail"]


def test_an_email_keeps_its_first_letter_and_domain():
    assert redact_text("from zhang.san@jlu.edu.cn") == "from z***@jlu.edu.cn"
    assert formatted(account="Li.Si@example.com")["account"] == "L***@example.com"


@pytest.mark.parametrize(
    "kept",
    [
        "/results/123/edit",
        "2026-12-07T01:42:38.123+00:00",
        "127.0.0.1",
        "91220101MA0000001X",
        "吉林省科学技术厅 新材料",
        "matchmaker.services.platform.security_events",
        "status=403 user 17 order 20261207",
    ],
)
def test_what_investigations_need_is_kept(kept):
    assert redact_text(kept) == kept
    assert formatted(path=kept)["path"] == kept


def test_numbers_and_flags_are_not_touched():
    assert redact({"user_id": 7, "status": 403, "ok": True, "ratio": 0.5}) == {
        "user_id": 7,
        "status": 403,
        "ok": True,
        "ratio": 0.5,
    }


def test_a_traceback_is_masked_too():
    try:
        raise ValueError("bad password: hunter2 for 13812345678")
    except ValueError:
        record = logging.makeLogRecord({"msg": "failed", "exc_info": sys.exc_info()})
    line = JsonFormatter().format(record)
    assert "hunter2" not in line and "13812345678" not in line
    assert "ValueError" in line
