"""Regions: Jilin's prefecture-level divisions plus 'elsewhere in China'."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

REGIONS: dict[str, object] = {
    "changchun": _l("长春市"),
    "jilin": _l("吉林市"),
    "siping": _l("四平市"),
    "liaoyuan": _l("辽源市"),
    "tonghua": _l("通化市"),
    "baishan": _l("白山市"),
    "songyuan": _l("松原市"),
    "baicheng": _l("白城市"),
    "yanbian": _l("延边朝鲜族自治州"),
    "other": _l("省外"),
}


def region_choices() -> list[tuple[str, str]]:
    """(code, label) pairs for a select field."""
    return [(code, str(label)) for code, label in REGIONS.items()]


def region_label(code: str | None) -> str:
    """The display name of a region code."""
    return str(REGIONS.get(code or "", code or ""))
