"""One money format per language, ISO dates, full-width punctuation in Chinese text (issue 13.11).

Money is stored in 万元: Chinese pages show "110 万元", English pages "CNY 1,100,000", never the
other language's form nor "× 10,000 CNY"; dates are "2026-12-03 (14:05)" in both languages, never
the US short form "12/3/26"; Chinese msgids use "：，；？！（）", not their ASCII look-alikes.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale

from matchmaker.services.platform.amounts import format_money
from matchmaker.services.platform.dates import format_date, format_datetime, format_time
from tests.conftest import log_in
from tests.factories import make_user, publish_result
from tests.services.challenge_helpers import challenge_world
from tests.test_i18n import extracted_messages

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
PACKAGE = ROOT / "matchmaker"

US_SHORT_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2}(?:\d{2})?\b")
ISO_DATE = re.compile(r"\b20\d\d-\d\d-\d\d\b")
#: What an English page must not show: the Chinese unit, or the old "110 × 10,000 CNY" form.
NOT_ENGLISH_MONEY = ("万元", "× 10,000", "10,000 CNY", "10k CNY")


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _english(client: FlaskClient) -> None:
    client.post("/language", data={"locale": "en", "next": "/"})


# --- the one formatter --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "kwargs", "zh", "en"),
    [
        ((Decimal(110),), {}, "110 万元", "CNY 1,100,000"),
        ((Decimal(10), Decimal(50)), {}, "10–50 万元", "CNY 100,000–500,000"),
        ((Decimal("12.25"),), {}, "12.25 万元", "CNY 122,500"),
        ((Decimal("1234.5"),), {}, "1,234.5 万元", "CNY 12,345,000"),
        ((Decimal("80.00"),), {}, "80 万元", "CNY 800,000"),
        ((Decimal(0),), {}, "面议", "Negotiable"),
        ((None,), {}, "面议", "Negotiable"),
        ((Decimal(0),), {"negotiable": False}, "0 万元", "CNY 0"),
        ((None,), {"negotiable": False}, "—", "—"),
        (("500",), {"negotiable": False}, "500 万元", "CNY 5,000,000"),
    ],
)
def test_format_money_has_one_form_per_language(app: Flask, args, kwargs, zh, en) -> None:
    with app.test_request_context():
        with force_locale("zh_Hans_CN"):
            assert format_money(*args, **kwargs) == zh
        with force_locale("en"):
            assert format_money(*args, **kwargs) == en


def test_dates_are_iso_in_china_time(app: Flask) -> None:
    moment = datetime(2026, 12, 2, 22, 5, tzinfo=UTC)  # 06:05 on 3 December in Beijing
    naive = datetime(2026, 12, 2, 22, 5)  # noqa: DTZ001 - a stored naive timestamp is UTC
    assert format_datetime(moment) == format_datetime(naive) == "2026-12-03 06:05"
    assert format_date(moment) == "2026-12-03"
    assert format_date(date(2026, 12, 3)) == "2026-12-03"
    assert format_time(moment) == "06:05"
    assert format_date(None) == format_datetime(None) == "—"
    with app.test_request_context(), force_locale("en"):
        rendered = app.jinja_env.from_string(
            "{{ t|datetime }} {{ t|date }} {{ t|datetimeformat('short') }} {{ t|dateformat }}"
        ).render(t=moment)
    assert rendered == "2026-12-03 06:05 2026-12-03 2026-12-03 06:05 2026-12-03"


# --- the pages ----------------------------------------------------------------------------------
def test_result_page_shows_money_and_dates_one_way_per_language(client, fields) -> None:
    admin, uni = make_user("admin"), make_user("university")
    result = publish_result(uni, admin, fields, "碳纤维连续碳化技术", "连续碳化工艺", price=110)
    url = f"/results/{result.id}"

    zh = _text(client.get(url))
    assert "110 万元" in zh
    assert "CNY" not in zh and "× 10,000" not in zh
    assert not US_SHORT_DATE.search(zh)

    _english(client)
    en = _text(client.get(url))
    assert "CNY 1,100,000" in en
    for wrong in NOT_ENGLISH_MONEY:
        assert wrong not in en, wrong
    assert not US_SHORT_DATE.search(en)


def test_challenge_pages_show_money_and_dates_one_way_per_language(client, fields) -> None:
    world = challenge_world(fields)  # a 100 万元 bounty
    detail, listing = f"/challenges/{world['challenge'].id}", "/challenges"

    zh, zh_list = _text(client.get(detail)), _text(client.get(listing))
    assert "100 万元" in zh and "100 万元" in zh_list
    assert "10–50 万元" in zh_list  # the bounty bands of the filter
    for page in (zh, zh_list):
        assert "CNY" not in page and "× 10,000" not in page
        assert not US_SHORT_DATE.search(page)
    assert ISO_DATE.search(zh)  # the deadline

    _english(client)
    en, en_list = _text(client.get(detail)), _text(client.get(listing))
    assert "CNY 1,000,000" in en and "CNY 1,000,000" in en_list
    assert "CNY 100,000–500,000" in en_list
    for page in (en, en_list):
        for wrong in NOT_ENGLISH_MONEY:
            assert wrong not in page, wrong
        assert not US_SHORT_DATE.search(page)
    assert ISO_DATE.search(en)


@pytest.mark.parametrize("locale", ["zh_Hans_CN", "en"])
def test_signed_in_pages_never_show_us_short_dates(client, fields, locale) -> None:
    world = challenge_world(fields)
    log_in(client, world["admin"])
    client.post("/language", data={"locale": locale, "next": "/"})
    for url in (
        "/dashboard",
        "/admin/users",
        "/notifications/",
        f"/challenges/{world['challenge'].id}",
    ):
        page = _text(client.get(url))
        assert not US_SHORT_DATE.search(page), (url, US_SHORT_DATE.search(page))
    assert ISO_DATE.search(_text(client.get(f"/challenges/{world['challenge'].id}")))


# --- the sources --------------------------------------------------------------------------------
HAN = r"[\u3400-\u4dbf\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]"
ASCII_BESIDE_CHINESE = re.compile(rf"{HAN}\s*[:,;?!()]|[:,;?!()]\s*{HAN}")
PLACEHOLDER = re.compile(r"%\(\w+\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
#: Chinese msgids allowed ASCII punctuation beside Chinese text, each with its reason.
PUNCTUATION_ALLOWED = {
    "对数：100 × ln(1 + 加权件数) ÷ ln(1 + %(full)s)，%(full)s 及以上为 100 分": (
        "a formula: ln(…) is mathematical notation, not Chinese punctuation"
    ),
    "对数：100 × ln(1 + 活动分) ÷ ln(1 + %(full)s)，%(full)s 及以上为 100 分": (
        "a formula: ln(…) is mathematical notation, not Chinese punctuation"
    ),
}


def test_chinese_msgids_use_full_width_punctuation() -> None:
    wrong = {
        msgid: where[0]
        for (msgid, _context), where in extracted_messages().items()
        if msgid not in PUNCTUATION_ALLOWED
        and ASCII_BESIDE_CHINESE.search(PLACEHOLDER.sub("\x00", msgid))
    }
    assert not wrong, "use ：，；？！（） beside Chinese text:\n" + "\n".join(
        f"{where}: {msgid!r}" for msgid, where in sorted(wrong.items(), key=lambda i: i[1])
    )


def test_templates_join_no_chinese_label_with_ascii_punctuation() -> None:
    # "{{ _('知识产权归属') }}: {{ value }}" puts an ASCII colon after Chinese text, and
    # "labels|join(', ')" an ASCII comma between Chinese labels (join(_('、')) instead).
    joined = re.compile(r"\{\{ _\('[^']*" + HAN + r"'\) \}\}\s*[:,;?!(]|\|join\('[,;] ?'\)")
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if joined.search(line)
    ]
    assert not found, found


#: Money shown with an ad-hoc unit, or dates in Flask-Babel's locale formats (US short in en).
AD_HOC_TEMPLATE = re.compile(
    r"datetimeformat|dateformat|timeformat|format_decimal"
    r"|'\{:,\.\d*f\}|amount_label|\bwan\(|× 10,000"
)
#: A msgid that writes the unit after an amount placeholder formats money by hand.
AD_HOC_MSGID = re.compile(r"%\(\w+\)[sdf]\s*万|\d\s*万元")
#: Input help in 万元 (the unit the user types) is not a displayed amount.
UNIT_ALLOWED = {"金额最多保留两位小数（精确到 0.01 万元）。": "the precision of a typed amount"}


def test_money_and_dates_go_through_the_filters() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if AD_HOC_TEMPLATE.search(line)
    ]
    assert not found, "use |money, |date, |datetime, |time:\n" + "\n".join(found)
    for path in PACKAGE.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(
            r"from flask_babel import[^\n]*\bformat_(?:date|datetime|time|decimal|currency)\b",
            source,
        ), f"{path.relative_to(ROOT)}: use services/platform/dates.py or amounts.format_money"
    by_hand = {
        msgid: where[0]
        for (msgid, _context), where in extracted_messages().items()
        if msgid not in UNIT_ALLOWED and AD_HOC_MSGID.search(msgid)
    }
    assert not by_hand, f"format the amount with format_money / |money: {by_hand}"
