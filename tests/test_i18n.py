"""i18n: the English catalog is complete, compiled and used; no visible string is left unmarked.

Chinese (zh_Hans_CN) is the default locale and the msgids are the Chinese source strings, so only
English has a catalog. When a test here fails after you added or changed strings:

    matchmaker translate update    # extract, merge into matchmaker/translations/en/.../messages.po
    # translate every empty (or fuzzy) msgstr in that .po
    matchmaker translate compile   # .po -> .mo (both are committed)
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask, g, request_started
from flask.testing import FlaskClient
from jinja2 import Environment

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "matchmaker"
TEMPLATES = ROOT / "templates"
EN_DIR = PACKAGE / "translations" / "en" / "LC_MESSAGES"
EN_PO = EN_DIR / "messages.po"
EN_MO = EN_DIR / "messages.mo"

# The same input directories and keywords as `matchmaker translate extract` (-k _l).
SOURCE_DIRS = (PACKAGE, TEMPLATES)
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None}
# Functions whose first argument(s) must be literal strings so that Babel can extract them.
GETTEXT_FUNCTIONS = {
    "_": 1,
    "_l": 1,
    "gettext": 1,
    "lazy_gettext": 1,
    "ngettext": 2,
    "lazy_ngettext": 2,
    "pgettext": 2,
    "npgettext": 3,
}

HOW_TO_FIX = (
    "run `matchmaker translate update`, translate the new entries in "
    f"{EN_PO.relative_to(ROOT)}, then `matchmaker translate compile` (commit the .po and the .mo)"
)

# Python %-format placeholders: %(name)s, %(n)d, %(x).2f, and positional %s / %d (not %%).
PLACEHOLDER = re.compile(r"%(?:\((?P<name>\w+)\))?[#0 +-]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa]")
# Full-width/CJK punctuation, CJK unified ideographs, half- and full-width forms.
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
JINJA_CONSTRUCT = re.compile(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", re.DOTALL)
TRANS_BLOCK = re.compile(r"\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}", re.DOTALL)


def _msgid(message_id: str | tuple[str, ...]) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def _strings(value: str | tuple[str, ...] | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


@pytest.fixture(scope="module")
def en_po() -> Catalog:
    assert EN_PO.is_file(), f"missing English catalog {EN_PO.relative_to(ROOT)}: {HOW_TO_FIX}"
    with EN_PO.open("rb") as fileobj:
        return read_po(fileobj, locale="en")


def _source_directory_filter(dirpath: str | os.PathLike[str]) -> bool:
    """Skip dot directories and caches, but keep _partials/ and _macros/ (Babel skips `_*`)."""
    name = os.path.basename(dirpath)
    return not (name.startswith(".") or name == "__pycache__")


def extracted_messages() -> dict[tuple[str, str | None], list[str]]:
    """Every marked string in the sources: (msgid, context) -> ["file:line", ...]."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fileobj:
        method_map, options_map = parse_mapping_cfg(fileobj, filename=str(ROOT / "babel.cfg"))
    found: dict[tuple[str, str | None], list[str]] = {}
    for directory in SOURCE_DIRS:
        for filename, lineno, message, _comments, context in extract_from_dir(
            str(directory),
            method_map,
            options_map,
            keywords=KEYWORDS,
            directory_filter=_source_directory_filter,
        ):
            msgid = _msgid(message)
            if msgid:
                where = f"{(directory / filename).relative_to(ROOT)}:{lineno}"
                found.setdefault((msgid, context), []).append(where)
    return found


# --- the English catalog ------------------------------------------------------------------------
def test_english_mo_is_compiled_and_up_to_date(en_po: Catalog) -> None:
    assert EN_MO.is_file(), f"missing {EN_MO.relative_to(ROOT)}: run `matchmaker translate compile`"
    with EN_MO.open("rb") as fileobj:
        mo = read_mo(fileobj)
    stale = []
    for message in en_po:
        if not message.id or message.fuzzy or not all(_strings(message.string)):
            continue
        compiled = mo.get(message.id, context=message.context)
        if compiled is None or _strings(compiled.string) != _strings(message.string):
            stale.append(_msgid(message.id))
    assert not stale, (
        f"{len(stale)} translation(s) in messages.po are missing or different in messages.mo; "
        f"run `matchmaker translate compile`:\n" + "\n".join(stale)
    )


def test_english_catalog_is_complete(en_po: Catalog) -> None:
    missing = []
    for (msgid, context), places in sorted(extracted_messages().items()):
        message = en_po.get(msgid, context=context)
        strings = _strings(message.string) if message is not None else []
        if message is None or message.fuzzy or not strings or not all(strings):
            missing.append(f"{msgid!r}  ({places[0]})")
    assert not missing, (
        f"{len(missing)} string(s) have no English translation; {HOW_TO_FIX}:\n"
        + "\n".join(missing)
    )


def test_english_catalog_has_no_fuzzy_entries(en_po: Catalog) -> None:
    fuzzy = [_msgid(m.id) for m in en_po if m.id and m.fuzzy]
    assert not fuzzy, "fuzzy entries are not used at run time; review them:\n" + "\n".join(fuzzy)


def _placeholders(text: str) -> list[str]:
    return sorted(match.group(0) for match in PLACEHOLDER.finditer(text.replace("%%", "")))


def test_english_placeholders_match_msgids(en_po: Catalog) -> None:
    wrong = []
    for message in en_po:
        if not message.id:
            continue
        ids = _strings(message.id)
        for index, translated in enumerate(_strings(message.string)):
            if not translated:
                continue
            source = ids[min(index, len(ids) - 1)]
            if _placeholders(source) != _placeholders(translated) and (
                # a plural's singular may omit the number (e.g. "one result")
                len(ids) == 1 or set(_placeholders(translated)) - set(_placeholders(ids[-1]))
            ):
                wrong.append(f"{source!r} -> {translated!r}")
    assert not wrong, "placeholders differ between msgid and msgstr:\n" + "\n".join(wrong)


# --- the sources --------------------------------------------------------------------------------
def _templates() -> Iterator[Path]:
    return iter(sorted(TEMPLATES.rglob("*.html")))


def test_no_unmarked_chinese_in_template_text() -> None:
    """Chinese may appear only inside `_()` (or a {% trans %} block), never in the HTML itself."""

    def blank(match: re.Match[str]) -> str:
        return "\n" * match.group(0).count("\n")

    found = []
    for path in _templates():
        source = path.read_text(encoding="utf-8")
        text = JINJA_CONSTRUCT.sub(blank, TRANS_BLOCK.sub(blank, source))
        for lineno, line in enumerate(text.splitlines(), start=1):
            if CJK.search(line):
                found.append(f"{path.relative_to(ROOT)}:{lineno}: {line.strip()}")
    message = "unmarked Chinese text in templates; wrap it in {{ _('...') }}:\n"
    assert not found, message + "\n".join(found)


def test_no_unmarked_chinese_string_literals_in_templates() -> None:
    """A Chinese string literal inside {{ }} or {% %} must be the argument of `_()`."""
    env = Environment(extensions=["jinja2.ext.i18n"])  # noqa: S701 (only lexing)
    found = []
    for path in _templates():
        tokens = [
            (lineno, kind, value)
            for lineno, kind, value in env.lex(path.read_text(encoding="utf-8"))
            if kind not in {"whitespace", "comment_begin", "comment", "comment_end"}
        ]
        for index, (lineno, kind, value) in enumerate(tokens):
            if kind != "string" or not CJK.search(value):
                continue
            before = [v for _, _, v in tokens[max(0, index - 2) : index]]
            plural = [v for _, _, v in tokens[max(0, index - 4) : index]]  # ngettext('…', '…'
            if not (
                (len(before) == 2 and before[1] == "(" and before[0] in GETTEXT_FUNCTIONS)
                or (len(plural) == 4 and plural[0] == "ngettext" and plural[1:4:2] == ["(", ","])
            ):
                found.append(f"{path.relative_to(ROOT)}:{lineno}: {value.strip()}")
    assert not found, "Chinese string literal outside _() in templates:\n" + "\n".join(found)


def _gettext_name(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Name) and func.id in GETTEXT_FUNCTIONS:
        return func.id
    if (
        isinstance(func, ast.Attribute)
        and func.attr in GETTEXT_FUNCTIONS
        and isinstance(func.value, ast.Name)
        and func.value.id == "flask_babel"
    ):
        return func.attr
    return None


def test_python_gettext_calls_use_literal_strings() -> None:
    """No f-strings, .format(), % or variables inside _()/_l(): Babel cannot extract them."""
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _gettext_name(node)
            if name is None:
                continue
            literal_args = node.args[: GETTEXT_FUNCTIONS[name]]
            ok = len(literal_args) == GETTEXT_FUNCTIONS[name] and all(
                isinstance(arg, ast.Constant) and isinstance(arg.value, str) for arg in literal_args
            )
            if not ok:
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)[:100]}")
    assert not wrong, (
        "translation calls must take a literal string; pass values as named placeholders, "
        "e.g. _('%(org)s 已通过认证', org=name):\n" + "\n".join(wrong)
    )


# --- the running app ----------------------------------------------------------------------------
@pytest.fixture
def fresh_globals(app: Flask) -> Iterator[None]:
    """conftest's session-wide app context shares `g` (and Flask-Babel's cached locale) across
    requests; start every request with an empty `g`, as in production."""

    def clear(sender: Flask, **extra: object) -> None:
        for key in list(g):
            g.pop(key)

    request_started.connect(clear, app)
    yield
    request_started.disconnect(clear, app)


@pytest.mark.usefixtures("fresh_globals")
def test_home_page_is_chinese_by_default(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert "吉林科技成果对接平台" in page
    assert "Jilin Technology Transfer Platform" not in page


@pytest.mark.usefixtures("fresh_globals")
def test_home_page_switches_to_english(client: FlaskClient, en_po: Catalog) -> None:
    expected = en_po.get("吉林科技成果对接平台").string
    response = client.post("/language", data={"locale": "en", "next": "/"})
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert expected in page
    assert "Dashboard" in page or "Log in" in page
    assert "吉林科技成果对接平台" not in page
