"""The reviewer's coded reasons, shared by every review (listings, challenges, expert profiles)."""

from __future__ import annotations

from flask_babel import gettext as _

from matchmaker.models import ReviewReason
from matchmaker.services.errors import ValidationFailed


def parse_rejection(code: str | None, reason: str | None) -> tuple[ReviewReason, str]:
    """A reviewer's coded reason and comment (listings, challenges, expert profiles), or
    ValidationFailed naming every missing part at once."""
    errors: dict[str, str] = {}
    parsed: ReviewReason | None = None
    try:
        parsed = ReviewReason(code or "")
    except ValueError:
        errors["code"] = _("请选择驳回原因。")
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("请填写具体的修改意见。")
    if errors or parsed is None:
        raise ValidationFailed(errors)
    return parsed, reason
